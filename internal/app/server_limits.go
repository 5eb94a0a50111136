package app

import (
	"net/http"
	"time"
)

// serverLimits bound what one client can make the server hold: slow
// headers (slowloris), slow bodies, idle keep-alive connections and huge
// headers. There is no WriteTimeout: it runs from the request's start,
// so it would cut a slow model's answer and every stream at the same
// age; the HTTP adapter sets WRITE_TIMEOUT from a response's first byte
// instead, and per event of a stream. Nor does ReadTimeout reach a long
// answer: net/http clears the read deadline once the body has been read.
type serverLimits struct {
	readHeader     time.Duration
	read           time.Duration
	idle           time.Duration
	maxHeaderBytes int
}

func (c Config) serverLimits() serverLimits {
	return serverLimits{readHeader: c.ReadHeaderTimeout, read: c.ReadTimeout, idle: c.IdleTimeout, maxHeaderBytes: c.MaxHeaderBytes}
}

func (l serverLimits) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeaderBytes,
		// "OPTIONS *" goes to the handler like any request, so that the
		// adapter sees every request it read on a connection.
		DisableGeneralOptionsHandler: true,
	}
}
