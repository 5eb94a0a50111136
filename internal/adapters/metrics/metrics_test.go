package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func mustNew(t *testing.T) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Build{Version: "v1.2.3", Revision: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// value compares the named families with their exposition text.
func value(t *testing.T, reg *prometheus.Registry, expected string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), names...); err != nil {
		t.Error(err)
	}
}

func TestBuildInfoAndRuntimeCollectorsAreRegistered(t *testing.T) {
	_, reg := mustNew(t)
	value(t, reg, `
# HELP aoai_api_build_info Always 1; the labels name the running build.
# TYPE aoai_api_build_info gauge
aoai_api_build_info{revision="abc123",version="v1.2.3"} 1
`, "aoai_api_build_info")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if !seen[name] {
			t.Errorf("%s is not exported", name)
		}
	}
}

func TestSecondRegistrationOnOneRegistryFails(t *testing.T) {
	_, reg := mustNew(t)
	if _, err := metrics.New(reg, metrics.Build{}); err == nil {
		t.Error("registering twice must fail, not double-count")
	}
}

func TestRequestsAreCountedByTemplateMethodAndStatus(t *testing.T) {
	m, reg := mustNew(t)
	m.RequestStarted()
	m.RequestStarted()
	value(t, reg, `
# HELP aoai_api_http_requests_in_flight HTTP requests being served now, open streams included.
# TYPE aoai_api_http_requests_in_flight gauge
aoai_api_http_requests_in_flight 2
`, "aoai_api_http_requests_in_flight")
	m.RequestDone("/v1/models/:model", "GET", 404, 3*time.Millisecond)
	m.RequestDone("unmatched", "BREW", 404, time.Millisecond)
	value(t, reg, `
# HELP aoai_api_http_requests_in_flight HTTP requests being served now, open streams included.
# TYPE aoai_api_http_requests_in_flight gauge
aoai_api_http_requests_in_flight 0
# HELP aoai_api_http_requests_total HTTP requests answered, by route template ("unmatched" for unknown paths), method and status.
# TYPE aoai_api_http_requests_total counter
aoai_api_http_requests_total{method="GET",route="/v1/models/:model",status="404"} 1
aoai_api_http_requests_total{method="OTHER",route="unmatched",status="404"} 1
`, "aoai_api_http_requests_total", "aoai_api_http_requests_in_flight")
	if n, err := testutil.GatherAndCount(reg, "aoai_api_http_request_duration_seconds"); err != nil || n != 2 {
		t.Errorf("duration series = %d (%v), want 2", n, err)
	}
}

func TestUpstreamAttemptsAndRetriesByProvider(t *testing.T) {
	m, reg := mustNew(t)
	up := m.Upstream("azure")
	up.Attempt(429, 10*time.Millisecond)
	m.Retried("azure")
	up.Attempt(0, time.Millisecond)
	m.Retried("azure")
	up.Attempt(200, 2*time.Second)
	value(t, reg, `
# HELP aoai_api_upstream_requests_total Attempts to call the model provider, by provider and HTTP status ("error" when no response arrived).
# TYPE aoai_api_upstream_requests_total counter
aoai_api_upstream_requests_total{provider="azure",status="200"} 1
aoai_api_upstream_requests_total{provider="azure",status="429"} 1
aoai_api_upstream_requests_total{provider="azure",status="error"} 1
# HELP aoai_api_upstream_retries_total Retries of upstream calls after a throttle, a server error or a connection failure.
# TYPE aoai_api_upstream_retries_total counter
aoai_api_upstream_retries_total{provider="azure"} 2
`, "aoai_api_upstream_requests_total", "aoai_api_upstream_retries_total")
}

func intp(n int) *int { return &n }

func TestCountModelCountsTokensAndFilterBlocks(t *testing.T) {
	m, reg := mustNew(t)
	ctrl := gomock.NewController(t)
	inner := mocks.NewMockChatModel(ctrl)
	model := m.CountModel(inner)
	gomock.InOrder(
		inner.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{Choices: []domain.Choice{{Text: "hi", FinishReason: "stop"}}, Tokens: domain.TokenUsage{Prompt: intp(17), Completion: intp(4), Total: intp(21)}}, nil),
		inner.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{Choices: []domain.Choice{{FinishReason: "content_filter"}}}, nil), // no usage: nothing added
		inner.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{}, domain.ContentFiltered([]string{"hate"}, nil)),
		inner.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{}, domain.Upstream("down", nil)),
	)
	for range 4 {
		_, _ = model.Chat(context.Background(), ports.Conversation{})
	}
	value(t, reg, `
# HELP aoai_api_content_filter_blocks_total Content-filter interventions, by stage: prompt (refused, 400) or completion (answer cut, finish_reason content_filter).
# TYPE aoai_api_content_filter_blocks_total counter
aoai_api_content_filter_blocks_total{stage="completion"} 1
aoai_api_content_filter_blocks_total{stage="prompt"} 1
# HELP aoai_api_tokens_total Tokens the provider reported using, by kind (prompt or completion).
# TYPE aoai_api_tokens_total counter
aoai_api_tokens_total{kind="completion"} 4
aoai_api_tokens_total{kind="prompt"} 17
`, "aoai_api_tokens_total", "aoai_api_content_filter_blocks_total")
}

// pieces is a ChatStream over fixed text with a fixed result.
type pieces struct {
	text   []string
	result domain.Answer
	cut    bool // end with an error instead of io.EOF
}

func (p *pieces) Recv() (domain.Delta, error) {
	if len(p.text) == 0 {
		if p.cut {
			return domain.Delta{}, domain.Upstream("cut", nil)
		}
		return domain.Delta{}, io.EOF
	}
	t := p.text[0]
	p.text = p.text[1:]
	return domain.Delta{Text: t}, nil
}
func (p *pieces) Result() domain.Answer { return p.result }
func (p *pieces) Close() error          { return nil }

func TestCountModelCountsAStreamOnceAtItsEnd(t *testing.T) {
	m, reg := mustNew(t)
	ctrl := gomock.NewController(t)
	inner := mocks.NewMockChatModel(ctrl)
	done := domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Tokens: domain.TokenUsage{Prompt: intp(12), Completion: intp(3)}}
	gomock.InOrder(
		inner.EXPECT().Stream(gomock.Any(), gomock.Any()).Return(&pieces{text: []string{"a", "b"}, result: done}, nil),
		inner.EXPECT().Stream(gomock.Any(), gomock.Any()).Return(&pieces{text: []string{"a"}, result: done, cut: true}, nil),
	)
	model := m.CountModel(inner)
	for range 2 {
		st, err := model.Stream(context.Background(), ports.Conversation{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ { // past the end too: a second io.EOF must not count again
			_, _ = st.Recv()
		}
	}
	value(t, reg, `
# HELP aoai_api_tokens_total Tokens the provider reported using, by kind (prompt or completion).
# TYPE aoai_api_tokens_total counter
aoai_api_tokens_total{kind="completion"} 3
aoai_api_tokens_total{kind="prompt"} 12
`, "aoai_api_tokens_total")
}

func TestHandlerServesTheTextFormat(t *testing.T) {
	_, reg := mustNew(t)
	rec := httptest.NewRecorder()
	metrics.Handler(reg, reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(rec.Body.String(), `aoai_api_build_info{revision="abc123",version="v1.2.3"} 1`) {
		t.Errorf("body lacks build info:\n%s", rec.Body)
	}
}

func TestPoolSeriesFollowTheBackends(t *testing.T) {
	m, reg := mustNew(t)
	m.State("gpt", "east", "healthy")
	m.State("gpt", "east", "cooling")
	m.Attempt("gpt", "east", "throttled", 20*time.Millisecond)
	m.Failover("gpt")
	value(t, reg, `
# HELP aoai_api_backend_state 1 for each backend's current state (healthy, cooling, ejected, probing, broken), 0 for the others.
# TYPE aoai_api_backend_state gauge
aoai_api_backend_state{backend="east",model="gpt",state="broken"} 0
aoai_api_backend_state{backend="east",model="gpt",state="cooling"} 1
aoai_api_backend_state{backend="east",model="gpt",state="ejected"} 0
aoai_api_backend_state{backend="east",model="gpt",state="healthy"} 0
aoai_api_backend_state{backend="east",model="gpt",state="probing"} 0
# HELP aoai_api_backend_attempts_total Attempts on each backend, by model, backend and outcome (ok, rejected, throttled, failed, broken, abandoned).
# TYPE aoai_api_backend_attempts_total counter
aoai_api_backend_attempts_total{backend="east",model="gpt",outcome="throttled"} 1
# HELP aoai_api_backend_failovers_total Requests moved on to another backend of their model after a failure.
# TYPE aoai_api_backend_failovers_total counter
aoai_api_backend_failovers_total{model="gpt"} 1
`, "aoai_api_backend_state", "aoai_api_backend_attempts_total", "aoai_api_backend_failovers_total")
	m.Removed("gpt", "east")
	if n := testutil.CollectAndCount(reg, "aoai_api_backend_state", "aoai_api_backend_attempts_total"); n != 0 {
		t.Errorf("a removed backend left %d series", n)
	}
}
