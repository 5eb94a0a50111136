package chatmodeltest

import (
	"net/http"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// failureCases are upstream faults and the kind every adapter must map
// them to, for Chat and Stream alike. A stream opens at the upstream's
// 2xx, so a fault after it (afterStart) comes from Recv, not Stream.
var failureCases = []struct {
	name       string
	answer     answer
	kind       domain.Kind
	afterStart bool
}{
	{"429", status(http.StatusTooManyRequests, `{"error":{"code":"429","message":"slow down"}}`, "Retry-After", "1"), domain.KindThrottled, false},
	{"500", status(http.StatusInternalServerError, `{"error":{"code":"server_error","message":"boom"}}`), domain.KindUpstream, false},
	{"503 not json", status(http.StatusServiceUnavailable, `<html>busy</html>`), domain.KindUpstream, false},
	{"401", status(http.StatusUnauthorized, `{"error":{"code":"invalid_api_key","message":"no"}}`), domain.KindUpstream, false},
	{"404", status(http.StatusNotFound, `{"error":{"code":"model_not_found","message":"no such model"}}`), domain.KindUpstream, false},
	{"400", status(http.StatusBadRequest, `{"error":{"code":"invalid_request_error","message":"bad"}}`), domain.KindUpstream, false},
	{"307", redirect, domain.KindUpstream, false},
	{"malformed 200", malformed, domain.KindUpstream, true},
}

// malformed answers 200 with a body no parser can use.
func malformed(w http.ResponseWriter, _ *http.Request, stream bool) {
	if stream {
		startStreamHeaderOnly(w)
		event(w, `{"choices":[`)
		return
	}
	_, _ = w.Write([]byte(`{"choices":[`))
}

func startStreamHeaderOnly(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
}

// redirect answers 307 to the same URL marked as followed, where a
// success waits: an adapter that follows redirects, passing the request
// and its key on, fails this case by succeeding.
func redirect(w http.ResponseWriter, r *http.Request, stream bool) {
	if r.URL.Query().Get("followed") != "" {
		okAnswer(w, r, stream)
		return
	}
	u := *r.URL
	q := u.Query()
	q.Set("followed", "1")
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusTemporaryRedirect)
}
