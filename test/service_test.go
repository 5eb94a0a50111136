package test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// service is one running copy of the binary.
type service struct {
	URL    string
	Dir    string // its working directory, where .env is searched from and logs/ goes
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout []string
	exited chan struct{}
}

// startService runs the binary with only the given environment (plus
// PATH and HOME), so the developer's own AZURE_* settings never leak in.
func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	return startServiceIn(t, t.TempDir(), env)
}

// startServiceIn runs the binary in dir, so a test can lay out .env files
// around it first.
func startServiceIn(t *testing.T, dir string, env map[string]string) *service {
	t.Helper()
	return startBinary(t, binary, dir, env)
}

// startBinary runs another build of the service, such as the one the
// Dockerfile's build line makes.
func startBinary(t *testing.T, bin, dir string, env map[string]string) *service {
	t.Helper()
	s := launch(t, bin, dir, env)
	addr := s.waitFor(t, "listening")
	s.URL = "http://" + addr["addr"].(string)
	return s
}

func mustLaunch(t *testing.T, env map[string]string) *service {
	t.Helper()
	return mustLaunchIn(t, t.TempDir(), env)
}

func mustLaunchIn(t *testing.T, dir string, env map[string]string) *service {
	t.Helper()
	return launch(t, binary, dir, env)
}

func launch(t *testing.T, bin, dir string, env map[string]string) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	// SHUTDOWN_DELAY=0s: tests that stop the service need no endpoint
	// removal to wait for; the drain tests set their own.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "HOST=127.0.0.1", "PORT=0", "LOG_FORMAT=json", "SHUTDOWN_DELAY=0s"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	s := &service{Dir: dir, cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go s.collect(out)
	t.Cleanup(func() {
		cancel()
		<-s.exited
	})
	return s
}

func (s *service) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.mu.Lock()
		s.stdout = append(s.stdout, sc.Text())
		s.mu.Unlock()
	}
	_ = s.cmd.Wait()
	close(s.exited)
}

// lines returns a copy of everything the process has printed so far.
func (s *service) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stdout...)
}

// logEntries parses the JSON log lines whose msg matches.
func (s *service) logEntries(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range s.lines() {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && (msg == "" || m["msg"] == msg) {
			out = append(out, m)
		}
	}
	return out
}

// waitFor polls the log until a line with msg appears or the process dies.
func (s *service) waitFor(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if e := s.logEntries(msg); len(e) > 0 {
			return e[0]
		}
		select {
		case <-s.exited:
			t.Fatalf("service exited before %q:\n%s", msg, strings.Join(s.lines(), "\n"))
		case <-tick.C:
			if time.Now().After(deadline) {
				t.Fatalf("no %q log line within 15s:\n%s", msg, strings.Join(s.lines(), "\n"))
			}
		}
	}
}

// stop asks for a graceful shutdown, as Kubernetes does, and waits for a
// clean exit; afterwards stdout and the log file are complete.
func (s *service) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.waitExit(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d:\n%s", code, strings.Join(s.lines(), "\n"))
	}
}

// signal sends sig to the process.
func (s *service) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// addr is the host:port the service listens on.
func (s *service) addr() string { return strings.TrimPrefix(s.URL, "http://") }

// waitExit returns the exit code once the process ends by itself.
func (s *service) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(15 * time.Second):
		t.Fatal("service did not exit")
		return -1
	}
}

// client is shared by every test. TestMain gives it the contract
// transport, which checks every response against api/openapi.yaml and
// refuses requests that do not name their test (see call).
var client = &http.Client{Timeout: 30 * time.Second}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

func call(t *testing.T, method, url, contentType, body string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(withTest(t.Context(), t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

func postJSON(t *testing.T, url, body string, hdr ...string) response {
	t.Helper()
	return call(t, http.MethodPost, url, "application/json", body, hdr...)
}
