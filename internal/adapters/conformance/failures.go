package conformance

import (
	"net/http"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// failureCases are upstream faults and the kind every adapter must map
// them to, for Chat and Stream alike.
var failureCases = []struct {
	name   string
	answer answer
	kind   domain.Kind
}{
	{"429", status(http.StatusTooManyRequests, `{"error":{"code":"429","message":"slow down"}}`, "Retry-After", "1"), domain.KindThrottled},
	{"500", status(http.StatusInternalServerError, `{"error":{"code":"server_error","message":"boom"}}`), domain.KindUpstream},
	{"503 not json", status(http.StatusServiceUnavailable, `<html>busy</html>`), domain.KindUpstream},
	{"401", status(http.StatusUnauthorized, `{"error":{"code":"invalid_api_key","message":"no"}}`), domain.KindUpstream},
	{"404", status(http.StatusNotFound, `{"error":{"code":"model_not_found","message":"no such model"}}`), domain.KindUpstream},
	{"400", status(http.StatusBadRequest, `{"error":{"code":"invalid_request_error","message":"bad"}}`), domain.KindUpstream},
	{"307", redirect, domain.KindUpstream},
	{"malformed 200", malformed, domain.KindUpstream},
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
