package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// answering is an upstream without a socket: each attempt gets the next
// status, the last repeating.
type answering struct{ statuses []int }

func (a *answering) RoundTrip(r *http.Request) (*http.Response, error) {
	code := a.statuses[0]
	if len(a.statuses) > 1 {
		a.statuses = a.statuses[1:]
	}
	return &http.Response{StatusCode: code, Header: http.Header{"X-Request-Id": {"up-1"}},
		Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
}

// attempts makes n upstream attempts as the pool does, each on a
// context naming it, and fails when the last did.
func attempts(ctx context.Context, n int, up *answering) error {
	c := llmhttp.New(&http.Client{Transport: up}, llmhttp.Target{Name: "Upstream", ResourceKind: "deployment", Resource: "dep",
		RequestIDHeaders: []string{"x-request-id"}})
	var err error
	for i := range n {
		actx := llmhttp.WithAttempt(ctx, llmhttp.Attempt{Model: "m", Backend: "b", N: i + 1})
		var resp *http.Response
		resp, err = c.Send(actx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, "http://upstream.invalid/", nil)
		})
		if err == nil {
			_ = resp.Body.Close()
		}
	}
	return err
}

func entries(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestOneAttemptWritesOneLineTheAccessLine(t *testing.T) {
	h, svc, logs := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		return domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, attempts(ctx, 1, &answering{statuses: []int{200}})
	})
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "X-Request-ID", "fold-1")
	lines := entries(t, logs)
	if len(lines) != 1 {
		t.Fatalf("lines = %v, want the access line alone", lines)
	}
	a := lines[0]
	if a[zerolog.MessageFieldName] != "POST /api/completions 200" || a["level"] != "info" || a["status"] != 200.0 || a["correlation_id"] != "fold-1" ||
		a["model"] != "m" || a["backend"] != "b" || a["attempt"] != 1.0 ||
		a["upstream"] != "Upstream" || a["deployment"] != "dep" || a["upstream_status"] != 200.0 || a["upstream_request_id"] != "up-1" {
		t.Errorf("access line = %v", a)
	}
	if _, ok := a["upstream_latency_ms"].(float64); !ok {
		t.Errorf("upstream_latency_ms = %#v, want a number", a["upstream_latency_ms"])
	}
}

func TestAFoldedFailureKeepsTheAccessLinesErrorLevel(t *testing.T) {
	h, svc, logs := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		_ = attempts(ctx, 1, &answering{statuses: []int{500}})
		return domain.Completion{}, domain.Upstream("Upstream returned status 500", nil)
	})
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`)
	var access []map[string]any
	for _, e := range entries(t, logs) {
		if e["upstream_status"] != nil && e[zerolog.MessageFieldName] != "POST /api/completions 502" {
			t.Errorf("line %v carries upstream fields; only the access line may", e)
		}
		if e[zerolog.MessageFieldName] == "POST /api/completions 502" {
			access = append(access, e)
		}
	}
	if len(access) != 1 || access[0]["level"] != "error" || access[0]["upstream_status"] != 500.0 || access[0]["attempt"] != 1.0 {
		t.Errorf("access lines = %v, want one at error with the attempt's status", access)
	}
}

func TestRetriedAttemptsKeepTheirLinesAndTheAccessLineItsOwnFields(t *testing.T) {
	h, svc, logs := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		return domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, attempts(ctx, 2, &answering{statuses: []int{429, 200}})
	})
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`)
	lines := entries(t, logs)
	if len(lines) != 3 {
		t.Fatalf("lines = %v, want two upstream calls and the access line", lines)
	}
	for i, status := range []float64{429, 200} {
		if l := lines[i]; l[zerolog.MessageFieldName] != "upstream call" || l["attempt"] != float64(i+1) || l["upstream_status"] != status {
			t.Errorf("line %d = %v", i, l)
		}
	}
	if a := lines[2]; a[zerolog.MessageFieldName] != "POST /api/completions 200" || a["upstream_status"] != nil || a["attempt"] != nil || a["backend"] != nil {
		t.Errorf("access line = %v, want it as without upstream calls", a)
	}
}
