package app

import (
	"net"
	"net/http"
	"time"
)

// newUpstreamClient is the one client shared by every upstream call, so
// connections are reused. Go's default of two idle connections per host
// would make a loaded service redial on most requests. The whole-call
// deadline comes from each adapter's context, so streams are not cut.
func newUpstreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
