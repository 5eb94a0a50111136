package llmhttp

import (
	"net"
	"net/http"
	"time"
)

// NewHTTPClient is the one client shared by every upstream call, so
// connections are reused: Go's default of two idle connections per host
// makes a loaded service redial on most requests. Dial and TLS timeouts
// are short; the whole-call deadline comes from each call's context, so
// streams are not cut by a client-wide timeout.
//
// Redirects are never followed: Go resends custom headers such as
// api-key to another host, and https to http. A 3xx reaches Send, which
// reports it as an upstream failure. attempt bounds one attempt's wait
// for response headers (UPSTREAM_ATTEMPT_TIMEOUT), 0 for none.
func NewHTTPClient(attempt time.Duration) *http.Client {
	return &http.Client{CheckRedirect: noRedirects, Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: attempt,
	}}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
