package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// proc is one target process pinned to CPU 0.
type proc struct {
	cmd  *exec.Cmd
	addr string
}

// start runs bin pinned to CPU 0 and waits for its address: the first
// stdout line, or for the service its "listening" log line.
func start(bin string, args []string, env []string) (*proc, error) {
	name, argv := bin, args
	if _, err := exec.LookPath("taskset"); err == nil {
		name, argv = "taskset", append([]string{"-c", "0", bin}, args...)
	}
	cmd := exec.Command(name, argv...)
	cmd.Env = append(inherited(env), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if a := addressIn(sc.Text()); a != "" {
				addrc <- a
				break
			}
		}
		_, _ = io.Copy(io.Discard, out) // the service logs at INFO to stdout all run long
	}()
	select {
	case a := <-addrc:
		return &proc{cmd: cmd, addr: a}, nil
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s printed no address", bin)
	}
}

// inherited is this process's environment less what env sets and any
// OTEL_ variable, so a collector set in the shell traces no plain row.
func inherited(env []string) []string {
	set := make(map[string]bool, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !set[k] && !strings.HasPrefix(k, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}

func addressIn(line string) string {
	var m struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if json.Unmarshal([]byte(line), &m) == nil {
		if m.Msg == "listening" {
			return m.Addr
		}
		return ""
	}
	if strings.Count(line, ":") == 1 && !strings.Contains(line, " ") {
		return line
	}
	return ""
}

func (p *proc) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// cpuTime is user+system time so far, from /proc/<pid>/stat. taskset
// execs the target, so the pid is the target's own.
func (p *proc) cpuTime() (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil // USER_HZ is 100 on Linux
}

// memory returns VmHWM (peak) and VmRSS (now) in bytes.
func (p *proc) memory() (peak, now int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			peak = kb << 10
		case "VmRSS":
			now = kb << 10
		}
	}
	return peak, now, nil
}
