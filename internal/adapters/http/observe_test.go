package http_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

type observed struct {
	route, method string
	status        int
}

type observerLog struct {
	mu       sync.Mutex
	inFlight int
	done     []observed
}

func (o *observerLog) RequestStarted() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight++
}

func (o *observerLog) RequestDone(route, method string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inFlight--
	o.done = append(o.done, observed{route, method, status})
}

func TestObserverGetsRouteTemplatesNeverRawPaths(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	svc.EXPECT().Complete(gomock.Any(), "boom").Do(func(any, any) { panic("boom") })
	obs := &observerLog{}
	metricsHit := false
	h := httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{
		Models: models("m1"), MaxBodyBytes: 1024, Observer: obs,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { metricsHit = true }),
	})
	do(h, "GET", "/v1/models/m1", "", "")
	do(h, "GET", "/v1/models/other", "", "")
	do(h, "GET", "/no/such/path/123", "", "")
	do(h, "DELETE", "/api/completions", "", "")
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"boom"}`)
	do(h, "GET", "/metrics", "", "")
	want := []observed{
		{"/v1/models/:model", "GET", 200},
		{"/v1/models/:model", "GET", 404},
		{"unmatched", "GET", 404},
		{"unmatched", "DELETE", 405},
		{"/api/completions", "POST", 500}, // the recovered panic's status
		{"/metrics", "GET", 200},
	}
	if len(obs.done) != len(want) {
		t.Fatalf("observed %v, want %v", obs.done, want)
	}
	for i := range want {
		if obs.done[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, obs.done[i], want[i])
		}
	}
	if obs.inFlight != 0 || !metricsHit {
		t.Errorf("in flight = %d, metrics handler hit = %v", obs.inFlight, metricsHit)
	}
}

func TestNoMetricsRouteWithoutAHandler(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	h := httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("GET /metrics = %d with metrics on their own port, want 404", rec.Code)
	}
}
