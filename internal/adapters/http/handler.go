// Package http is the driving adapter: a Gin engine that turns HTTP
// requests into calls on the ports and domain errors into JSON.
// Callers import it as httpadapter.
package http

import (
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Options are the adapter's typed settings.
type Options struct {
	Version      string
	MaxBodyBytes int64     // larger JSON bodies get 413
	Settings     []Setting // what GET /api/config/info reports
	Models       []string  // what the OpenAI-compatible surface accepts as "model"
	Security     Security  // inbound keys, rate limit, CORS, trusted proxies
	// DebugEndpoints serves GET /debug/runtime, for tests only.
	DebugEndpoints bool

	// KeepAlive is the comment interval before a stream's first token,
	// so ingress idle timeouts do not cut a slow start.
	KeepAlive time.Duration
	// WriteTimeout bounds each write to a client; streams get a fresh
	// deadline per event instead of one for the whole response.
	WriteTimeout time.Duration
}

// NewHandler builds the engine with every route and middleware. The
// returned engine is an http.Handler; its Routes() list is what the
// contract tests compare against the OpenAPI document.
func NewHandler(log zerolog.Logger, svc ports.Completer, opts Options) *gin.Engine {
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 15 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.RedirectTrailingSlash = false // no route answers with a redirect
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	_ = e.SetTrustedProxies(opts.Security.TrustedProxies) // none: the TCP peer is the client; app validated them

	e.Use(correlate(log), accessLog(), recovery())
	e.Use(guards(opts.Security)...)
	e.NoRoute(func(c *gin.Context) { writeError(c, errNotFound) })
	e.NoMethod(func(c *gin.Context) { writeError(c, errMethodNotAllowed) })
	registerRoutes(e, svc, opts)
	return e
}
