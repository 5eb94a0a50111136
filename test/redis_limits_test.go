package test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redisServer is Debian's redis-server on a loopback port of its own,
// with nothing saved to disk.
type redisServer struct {
	port     int
	dir      string
	password string // requirepass; "" for none
	cmd      *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	return startRedisWith(t, "")
}

func startRedisWith(t *testing.T, password string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is missing: apt-get install -y redis-server (the shared-limits tests need a real Redis)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{port: l.Addr().(*net.TCPAddr).Port, dir: t.TempDir(), password: password}
	_ = l.Close()
	r.start(t)
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *redisServer) url() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) }

func (r *redisServer) start(t *testing.T) {
	t.Helper()
	args := []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no"}
	if r.password != "" {
		args = append(args, "--requirepass", r.password)
	}
	r.cmd = exec.Command("redis-server", args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !r.answers() {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer PING within 10 s")
		}
		time.Sleep(10 * time.Millisecond) // polling a process we started, not synchronising goroutines
	}
}

func (r *redisServer) answers() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(r.port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && (line == "+PONG\r\n" || strings.HasPrefix(line, "-NOAUTH"))
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT) // a stopped process cannot exit
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// replicas starts n copies of the service sharing one Redis.
func replicas(t *testing.T, n int, env map[string]string) []*service {
	t.Helper()
	out := make([]*service, n)
	for i := range out {
		out[i] = startService(t, env)
	}
	return out
}

// usageOf polls GET /api/usage until cond holds: charges land after the
// response, off its path.
func usageOf(t *testing.T, svc *service, cond func(minute, period map[string]any) bool) map[string]any {
	t.Helper()
	return usageOfWith(t, svc, nil, cond)
}

func usageOfWith(t *testing.T, svc *service, hdr []string, cond func(minute, period map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, "GET", svc.URL+"/api/usage", "", "", hdr...)
		if r.Status != 200 {
			t.Fatalf("GET /api/usage = %d %s", r.Status, r.Body)
		}
		body := r.JSON(t)
		if cond(body["minute"].(map[string]any), body["period"].(map[string]any)) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage never reached the expected figures: %s", r.Body)
		}
		time.Sleep(10 * time.Millisecond) // polling an observable state with a bound
	}
}

// One replica has Redis's password in the URL, the other in
// REDIS_PASSWORD; neither shows it.
func TestRedisLimitsRequestBurstIsGlobalAcrossReplicas(t *testing.T) {
	const pw = "redis-pw-LEAKCHECK-0123"
	rd := startRedisWith(t, pw)
	env := fakeEnv(map[string]string{"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "3"})
	env["REDIS_URL"] = "redis://:" + pw + "@127.0.0.1:" + strconv.Itoa(rd.port)
	a := startService(t, env)
	env["REDIS_URL"], env["REDIS_PASSWORD"] = rd.url(), pw
	svcs := []*service{a, startService(t, env)}
	defer func() {
		for _, s := range svcs {
			info := call(t, "GET", s.URL+"/api/config/info", "", "")
			s.stop(t)
			if strings.Contains(string(info.Body), pw) || strings.Contains(strings.Join(s.lines(), "\n"), pw) {
				t.Errorf("the Redis password leaked into /api/config/info or the log")
			}
		}
	}()
	for i := range 3 {
		r := postJSON(t, svcs[i%2].URL+"/api/completions", `{"prompt":"hi"}`)
		if r.Status != 200 {
			t.Fatalf("request %d within the global burst: %d %s", i, r.Status, r.Body)
		}
		if got, want := r.Header.Get("x-ratelimit-remaining-requests"), strconv.Itoa(2-i); got != want {
			t.Errorf("request %d: x-ratelimit-remaining-requests = %q, want %q (counting down across replicas)", i, got, want)
		}
		if got := r.Header.Get("x-ratelimit-limit-requests"); got != "3" {
			t.Errorf("x-ratelimit-limit-requests = %q, want 3", got)
		}
		if got := r.Header.Get("x-ratelimit-reset-requests"); i == 0 && got != "16m40s" {
			t.Errorf("x-ratelimit-reset-requests = %q, want 16m40s: one request back at 0.001/s", got)
		}
	}
	r := postJSON(t, svcs[1].URL+"/api/completions", `{"prompt":"hi"}`)
	assertErrorResponse(t, r, 429, "Rate limit exceeded")
	if r.Header.Get("Retry-After") == "" || r.Header.Get("x-ratelimit-remaining-requests") != "0" {
		t.Errorf("429 headers = %v", r.Header)
	}
	m := string(call(t, "GET", svcs[1].URL+"/metrics", "", "").Body)
	if !strings.Contains(m, `aoai_api_limit_refusals_total{kind="requests"} 1`) || !regexp.MustCompile(`(?m)^aoai_api_limits_store_duration_seconds_count [1-9]`).MatchString(m) {
		t.Errorf("metrics lack the refusal or the store's calls:\n%s", m)
	}
}

func TestRedisLimitsTokensAndQuotaHoldAcrossReplicas(t *testing.T) {
	rd := startRedis(t)
	up := newAzureUpstream(t, azureReply) // 21 tokens an answer
	env := azureEnv(up)
	env["REDIS_URL"], env["TOKEN_RATE_LIMIT_TPM"] = rd.url(), "40"
	svcs := replicas(t, 2, env)
	chat := `{"model":"` + env["AZURE_OPENAI_DEPLOYMENT_NAME"] + `","messages":[{"role":"user","content":"hi"}]}`
	for i := range 2 {
		if r := postJSON(t, svcs[0].URL+"/api/completions", `{"prompt":"hi"}`); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	usageOf(t, svcs[1], func(m, _ map[string]any) bool { return m["total_tokens"] == float64(42) })
	r := postJSON(t, svcs[1].URL+"/v1/chat/completions", chat)
	if r.Status != 429 || r.JSON(t)["error"].(map[string]any)["code"] != "rate_limit_exceeded" {
		t.Fatalf("TPM spent through the other replica: %d %s", r.Status, r.Body)
	}
	if r.Header.Get("x-ratelimit-remaining-tokens") != "0" || r.Header.Get("x-ratelimit-limit-tokens") != "40" {
		t.Errorf("token headers = %q of %q", r.Header.Get("x-ratelimit-remaining-tokens"), r.Header.Get("x-ratelimit-limit-tokens"))
	}
	if d, err := time.ParseDuration(r.Header.Get("x-ratelimit-reset-tokens")); err != nil || d <= 0 || d > time.Minute || d%time.Second != 0 {
		t.Errorf("x-ratelimit-reset-tokens = %q, want whole seconds up to the minute's end", r.Header.Get("x-ratelimit-reset-tokens"))
	}

	// A quota, on a fresh Redis database's worth of callers: another pair.
	env["TOKEN_RATE_LIMIT_TPM"], env["TOKEN_QUOTA"] = "0", "40"
	env["REDIS_URL"] = rd.url() + "/1"
	q := replicas(t, 2, env)
	for _, s := range q {
		if r := postJSON(t, s.URL+"/api/completions", `{"prompt":"hi"}`); r.Status != 200 {
			t.Fatalf("within the quota: %d %s", r.Status, r.Body)
		}
	}
	for _, s := range q { // both replicas agree on the ledger
		body := usageOf(t, s, func(_, p map[string]any) bool { return p["total_tokens"] == float64(42) })
		if p := body["period"].(map[string]any); p["requests"] != float64(2) || p["prompt_tokens"] != float64(34) || p["estimated_tokens"] != float64(0) {
			t.Errorf("period on %s = %v", s.URL, p)
		}
	}
	r = postJSON(t, q[1].URL+"/v1/chat/completions", chat)
	e := r.JSON(t)["error"].(map[string]any)
	if r.Status != 429 || e["code"] != "insufficient_quota" || e["type"] != "insufficient_quota" {
		t.Fatalf("over the quota: %d %s", r.Status, r.Body)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 86400 {
		t.Errorf("Retry-After = %q, want until the day ends", r.Header.Get("Retry-After"))
	}
	assertErrorResponse(t, postJSON(t, q[0].URL+"/api/completions", `{"prompt":"hi"}`), 429, "quota")
}

func TestRedisLimitsStoreFailures(t *testing.T) {
	rd := startRedis(t)
	base := fakeEnv(map[string]string{"REDIS_URL": rd.url(), "RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "2", "REDIS_TIMEOUT": "100ms"})
	open, closed := map[string]string{}, map[string]string{}
	for k, v := range base {
		open[k], closed[k] = v, v
	}
	closed["LIMITS_STORE_FAILURE"] = "closed"
	so, sc := startService(t, open), startService(t, closed)
	post := func(s *service) response { return postJSON(t, s.URL+"/api/completions", `{"prompt":"hi"}`) }
	if post(so).Status != 200 || post(sc).Status != 200 {
		t.Fatal("the shared burst of 2")
	}
	if s := post(so).Status; s != 429 {
		t.Fatalf("the shared burst is spent: %d", s)
	}

	rd.stop()
	for i := range 2 { // counting afresh in the process: its own burst of 2
		if r := post(so); r.Status != 200 {
			t.Errorf("fail-open with Redis down, request %d: %d %s", i, r.Status, r.Body)
		}
	}
	if s := post(so).Status; s != 429 {
		t.Errorf("fail-open keeps a local limit: the third = %d, want 429", s)
	}
	r := post(sc)
	assertErrorResponse(t, r, 503, "limits store")
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	post(sc)
	for _, s := range []*service{so, sc} {
		ready := call(t, "GET", s.URL+"/readyz", "", "")
		if ready.Status != 200 || ready.JSON(t)["limits_store"] != "degraded" {
			t.Errorf("/readyz with Redis down = %d %s, want ready and degraded", ready.Status, ready.Body)
		}
	}
	if m := string(call(t, "GET", sc.URL+"/metrics", "", "").Body); !regexp.MustCompile(`(?m)^aoai_api_limits_store_errors_total [1-9]`).MatchString(m) {
		t.Errorf("store errors not counted:\n%s", m)
	}
	if n := len(sc.logEntries("limits store failing")); n != 1 {
		t.Errorf("the failure was logged %d times, want once per transition", n)
	}

	rd.start(t) // an empty Redis: the shared bucket starts full again
	for i := range 2 {
		if r := post(sc); r.Status != 200 {
			t.Fatalf("after the restart, request %d: %d %s", i, r.Status, r.Body)
		}
	}
	if s := post(so).Status; s != 429 {
		t.Errorf("shared limits resumed: the other replica's third request = %d, want 429", s)
	}
	if ready := call(t, "GET", sc.URL+"/readyz", "", ""); ready.JSON(t)["limits_store"] != "redis" {
		t.Errorf("/readyz after the restart = %s", ready.Body)
	}

	if err := rd.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		s    *service
		want int
	}{{so, 0}, {sc, 503}} {
		req, _ := http.NewRequestWithContext(withTest(ctx, t), http.MethodPost, c.s.URL+"/api/completions", strings.NewReader(`{"prompt":"hi"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("a hung Redis hung the request: %v", err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if (c.want == 503) != (resp.StatusCode == 503) {
			t.Errorf("hung Redis: %d, want 503 exactly when failing closed", resp.StatusCode)
		}
	}
}

// Charges to Redis are held for up to 100 ms and sent together: a
// replica that stops sends what it holds before it exits.
func TestRedisChargesHeldAtShutdownAreSent(t *testing.T) {
	rd := startRedis(t)
	up := newAzureUpstream(t, azureReply) // 21 tokens an answer
	env := withEnv(azureEnv(up), "REDIS_URL", rd.url(), "SHUTDOWN_DELAY", "0s")
	a := startService(t, env)
	for i := range 3 {
		if r := postJSON(t, a.URL+"/api/completions", `{"prompt":"hi"}`); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	a.stop(t)
	r := call(t, "GET", startService(t, env).URL+"/api/usage", "", "") // the same caller: the loopback address
	if m := r.JSON(t)["period"].(map[string]any); r.Status != 200 || m["requests"] != float64(3) || m["total_tokens"] != float64(63) {
		t.Fatalf("usage after the first replica stopped = %d %s, want its 3 answers", r.Status, r.Body)
	}
}
