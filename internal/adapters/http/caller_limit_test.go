package http_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/golang/mock/gomock"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// Without keys the caller is the client address, as TRUSTED_PROXIES
// names it: a second call from the same forwarded client waits for the
// first, another client does not, and routes that call no model are
// never counted.
func TestPerCallerLimitCountsModelCallsPerClientAddress(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{MaxConcurrentPerCaller: 1, TrustedProxies: []string{"10.0.0.0/8"}})
	arrived, release := make(chan struct{}), make(chan struct{})
	svc.EXPECT().Complete(gomock.Any(), "hold").DoAndReturn(func(context.Context, string) (domain.Completion, error) {
		close(arrived)
		<-release
		return domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "held"}}}}, nil
	})
	svc.EXPECT().Complete(gomock.Any(), "x").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).Times(2)
	post := func(client, prompt string) *httptest.ResponseRecorder {
		return doFrom(h, "10.1.2.3:1000", "POST", "/api/completions", `{"prompt":"`+prompt+`"}`, "X-Forwarded-For", client)
	}

	held := make(chan int, 1)
	go func() { held <- post("198.51.100.1", "hold").Code }()
	<-arrived
	rec := post("198.51.100.1", "x")
	assertError(t, rec, 429, "too many model calls in flight")
	if got := rec.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	if rec := post("198.51.100.2", "x"); rec.Code != 200 {
		t.Errorf("another client behind the same proxy: %d", rec.Code)
	}
	if rec := doFrom(h, "10.1.2.3:1000", "GET", "/v1/models", "", "X-Forwarded-For", "198.51.100.1"); rec.Code != 200 {
		t.Errorf("a route that calls no model was counted: %d", rec.Code)
	}
	close(release)
	if code := <-held; code != 200 {
		t.Fatalf("the held call: %d", code)
	}
	if rec := post("198.51.100.1", "x"); rec.Code != 200 {
		t.Errorf("after its call ended the client is refused: %d", rec.Code)
	}
}
