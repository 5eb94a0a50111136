package metrics

import (
	"net/http"
	"time"
)

// RequestStarted and RequestDone fulfil the HTTP adapter's observer.
func (m *Metrics) RequestStarted() { m.inFlight.Inc() }

// RequestDone counts one answered request. route is a template, never a
// raw path, so the number of series stays bounded whatever clients send.
func (m *Metrics) RequestDone(route, method string, status int, elapsed time.Duration) {
	m.inFlight.Dec()
	s := m.byRequest.get(requestKey{route, methodLabel(method), status})
	s.count.Inc()
	s.duration.Observe(elapsed.Seconds())
}

// methodLabel folds methods outside the standard set into one value: a
// client may send any token as a method, and each would be a new series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
