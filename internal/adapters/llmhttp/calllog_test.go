package llmhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
)

// logLines parses what a test logger wrote, one entry per line.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// requestLog is the logger a request's lines go through, its access
// line and its attempts' lines alike.
func requestLog(buf *bytes.Buffer) zerolog.Logger {
	return zerolog.New(buf).With().Str("correlation_id", "c1").Logger()
}

// attemptCtx is what the pool hands an adapter: the request's logger
// and the attempt named, here on a context that may carry a CallLog.
func attemptCtx(ctx context.Context, buf *bytes.Buffer, attempt int) context.Context {
	log := requestLog(buf)
	return llmhttp.WithAttempt(log.WithContext(ctx), llmhttp.Attempt{Model: "gpt", Backend: "b", N: attempt})
}

// accessLine writes what the access log writes with a folded call.
func accessLine(buf *bytes.Buffer, call *llmhttp.Call) {
	log := requestLog(buf)
	ev := log.Info()
	if call != nil {
		call.Named(ev)
	}
	ev.Int("status", 200)
	if call != nil {
		call.Fields(ev)
	}
	ev.Msg("POST /api/completions 200")
}

func TestWithoutACallLogEveryAttemptWritesItsLine(t *testing.T) {
	s := newScripted(t, status(500, "x-request-id", "r1"), ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	_, _ = send(t, attemptCtx(context.Background(), &buf, 1), c, s.URL)
	if _, err := send(t, attemptCtx(context.Background(), &buf, 2), c, s.URL); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("lines = %v, want one per attempt", lines)
	}
	for i, want := range []float64{500, 200} {
		l := lines[i]
		if l["message"] != "upstream call" || l["attempt"] != float64(i+1) || l["upstream_status"] != want ||
			l["upstream"] != "Upstream" || l["model"] != "m1" {
			t.Errorf("line %d = %v", i, l)
		}
		if _, ok := l["upstream_latency_ms"]; !ok {
			t.Errorf("line %d lacks upstream_latency_ms: %v", i, l)
		}
	}
	if lines[0]["upstream_request_id"] != "r1" {
		t.Errorf("first line = %v", lines[0])
	}
}

func TestOneAttemptFoldsIntoTheAccessLine(t *testing.T) {
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-request-id", "r1")
		ok(w, r)
	})
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	if _, err := send(t, attemptCtx(ctx, &buf, 1), c, s.URL); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("the attempt wrote %q; its line must wait for the access line", buf.String())
	}
	accessLine(&buf, calls.Fold())
	calls.Close() // as the access log's defer does: nothing more to write
	lines := logLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("lines = %v, want the access line alone", lines)
	}
	l := lines[0]
	if l["message"] != "POST /api/completions 200" || l["status"] != 200.0 || l["backend"] != "b" || l["attempt"] != 1.0 ||
		l["upstream"] != "Upstream" || l["model"] != "m1" || l["upstream_status"] != 200.0 || l["upstream_request_id"] != "r1" {
		t.Errorf("access line = %v", l)
	}
	if _, ok := l["upstream_latency_ms"]; !ok {
		t.Errorf("access line lacks upstream_latency_ms: %v", l)
	}
}

// The attempt's names go where a child logger of the request's put them,
// before the line's own fields: the lines read as they always have.
func TestAnAttemptIsNamedRightAfterTheRequestsFields(t *testing.T) {
	s := newScripted(t, ok, ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	if _, err := send(t, attemptCtx(context.Background(), &buf, 2), c, s.URL); err != nil {
		t.Fatal(err)
	}
	ctx, calls := llmhttp.WithCallLog(context.Background())
	if _, err := send(t, attemptCtx(ctx, &buf, 1), c, s.URL); err != nil {
		t.Fatal(err)
	}
	accessLine(&buf, calls.Fold())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %q, want the upstream call line and the access line", lines)
	}
	for i, want := range []string{
		`{"level":"info","correlation_id":"c1","model":"gpt","backend":"b","attempt":2,"upstream":"Upstream",`,
		`{"level":"info","correlation_id":"c1","model":"gpt","backend":"b","attempt":1,"status":200,"upstream":"Upstream",`,
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %s\nwant it to begin %s", i, lines[i], want)
		}
	}
}

// Outside a pool no attempt is named, and the line says only what it knows.
func TestACallOutsideAPoolNamesNoAttempt(t *testing.T) {
	s := newScripted(t, ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	if _, err := send(t, zerolog.New(&buf).WithContext(context.Background()), c, s.URL); err != nil {
		t.Fatal(err)
	}
	if l := logLines(t, &buf); len(l) != 1 || l[0]["backend"] != nil || l[0]["attempt"] != nil || l[0]["upstream_status"] != 200.0 {
		t.Errorf("lines = %v, want one upstream call line without backend or attempt", l)
	}
}

func TestAFailedSoleAttemptFoldsItsError(t *testing.T) {
	s := newScripted(t, reset)
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	_, _ = send(t, attemptCtx(ctx, &buf, 1), newClient(s, at("2026-01-01T00:00:00Z")), s.URL)
	accessLine(&buf, calls.Fold())
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["upstream_status"] != 0.0 || lines[0]["upstream_error"] == nil || lines[0]["upstream_request_id"] != nil {
		t.Errorf("lines = %v, want one access line with upstream_status 0 and upstream_error", lines)
	}
}

func TestASecondAttemptWritesBothLinesAndFoldsNothing(t *testing.T) {
	s := newScripted(t, status(429, "x-request-id", "r1"), ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	_, _ = send(t, attemptCtx(ctx, &buf, 1), c, s.URL)
	if _, err := send(t, attemptCtx(ctx, &buf, 2), c, s.URL); err != nil {
		t.Fatal(err)
	}
	call := calls.Fold()
	if call != nil {
		t.Error("Fold returned a call after two attempts")
	}
	accessLine(&buf, call)
	lines := logLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("lines = %v, want two upstream calls and the access line", lines)
	}
	if l := lines[0]; l["message"] != "upstream call" || l["attempt"] != 1.0 || l["upstream_status"] != 429.0 || l["upstream_request_id"] != "r1" {
		t.Errorf("first line = %v, want the held first attempt's, unchanged", l)
	}
	if l := lines[1]; l["message"] != "upstream call" || l["attempt"] != 2.0 || l["upstream_status"] != 200.0 {
		t.Errorf("second line = %v", l)
	}
	if l := lines[2]; l["upstream"] != nil || l["upstream_status"] != nil || l["attempt"] != nil {
		t.Errorf("access line = %v, want no upstream fields", l)
	}
}

func TestAfterTheAccessLineAttemptsWriteTheirOwn(t *testing.T) {
	s := newScripted(t, ok)
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	if calls.Fold() != nil {
		t.Fatal("Fold returned a call before any attempt")
	}
	if _, err := send(t, attemptCtx(ctx, &buf, 1), newClient(s, at("2026-01-01T00:00:00Z")), s.URL); err != nil {
		t.Fatal(err)
	}
	if lines := logLines(t, &buf); len(lines) != 1 || lines[0]["message"] != "upstream call" {
		t.Errorf("lines = %v, want the attempt's own line at once", lines)
	}
}

func TestCloseWritesAHeldLineNoAccessLineTook(t *testing.T) {
	s := newScripted(t, ok)
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	if _, err := send(t, attemptCtx(ctx, &buf, 1), newClient(s, at("2026-01-01T00:00:00Z")), s.URL); err != nil {
		t.Fatal(err)
	}
	calls.Close()
	calls.Close()
	if lines := logLines(t, &buf); len(lines) != 1 || lines[0]["message"] != "upstream call" || lines[0]["upstream_status"] != 200.0 {
		t.Errorf("lines = %v, want the held line, once", lines)
	}
	if calls.Fold() != nil {
		t.Error("Fold after Close returned the call it wrote")
	}
}

func TestAStreamFoldsTheFieldsOfItsHeaders(t *testing.T) {
	srv := sseServer(t, []string{roleChunk, contentChunk("hi"), finishChunk}, true, nil)
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	st, err := open(t, attemptCtx(ctx, &buf, 1), srv.URL, llmhttp.StreamLimits{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err != nil {
			break
		}
	}
	_ = st.Close()
	accessLine(&buf, calls.Fold())
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["upstream_status"] != 200.0 || lines[0]["upstream_request_id"] != "stream-req-1" || lines[0]["attempt"] != 1.0 {
		t.Errorf("lines = %v, want one access line carrying the stream's upstream fields", lines)
	}
}

// lockedBuffer takes lines from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// A stream's failover runs on the goroutine that waits for its first
// piece; attempts that overlap must still each write one line.
func TestAttemptsOnOtherGoroutinesEachKeepALine(t *testing.T) {
	s := newScripted(t, ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var out lockedBuffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			actx := llmhttp.WithAttempt(zerolog.New(&out).WithContext(ctx), llmhttp.Attempt{Model: "gpt", Backend: "b", N: i + 1})
			resp, err := c.Send(actx, func(ctx context.Context) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodPost, s.URL, nil)
			})
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
		})
	}
	wg.Wait()
	if calls.Fold() != nil {
		t.Error("Fold returned a call after three attempts")
	}
	lines := logLines(t, &out.buf)
	seen := map[float64]bool{}
	for _, l := range lines {
		seen[l["attempt"].(float64)] = l["message"] == "upstream call"
	}
	if len(lines) != 3 || !seen[1] || !seen[2] || !seen[3] {
		t.Errorf("lines = %v, want one upstream call line per attempt", lines)
	}
}

// The pool writes a held line before it waits for a backend, so the line
// is stamped when its attempt ended; the next attempt then writes only
// its own, and nothing is left to fold.
func TestWriteHeldWritesTheHeldLineOnce(t *testing.T) {
	llmhttp.WriteHeld(context.Background()) // no record: nothing to do, no panic
	s := newScripted(t, status(503, "x-request-id", "r1"), ok)
	c := newClient(s, at("2026-01-01T00:00:00Z"))
	var buf bytes.Buffer
	ctx, calls := llmhttp.WithCallLog(context.Background())
	_, _ = send(t, attemptCtx(ctx, &buf, 1), c, s.URL)
	llmhttp.WriteHeld(ctx)
	if lines := logLines(t, &buf); len(lines) != 1 || lines[0]["upstream_status"] != 503.0 {
		t.Fatalf("before the wait: lines = %v, want the first attempt's", lines)
	}
	llmhttp.WriteHeld(ctx) // again: already written
	if _, err := send(t, attemptCtx(ctx, &buf, 2), c, s.URL); err != nil {
		t.Fatal(err)
	}
	if calls.Fold() != nil {
		t.Error("a request of two attempts folded one")
	}
	if lines := logLines(t, &buf); len(lines) != 2 || lines[1]["upstream_status"] != 200.0 {
		t.Errorf("lines = %v, want one per attempt", lines)
	}
}
