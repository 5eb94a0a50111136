package main

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis runs Debian's redis-server on a free loopback port, pinned
// with the targets to CPU 0, and waits until it accepts connections.
func startRedis(dir string) (*store, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"}
	name := "redis-server"
	if _, err := exec.LookPath("taskset"); err == nil {
		name, args = "taskset", append([]string{"-c", "0", "redis-server"}, args...)
	}
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("redis-server (apt-get install -y redis-server): %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			_ = c.Close()
			s := &store{url: "redis://127.0.0.1:" + port, client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})}
			return s, func() { _ = s.client.Close(); stop() }, nil
		}
	}
	stop()
	return nil, nil, fmt.Errorf("redis-server did not listen within 10 s")
}
