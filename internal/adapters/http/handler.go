// Package http is the driving adapter: a Gin engine that turns HTTP
// requests into calls on the ports and domain errors into JSON.
// Callers import it as httpadapter.
package http

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Options are the adapter's typed settings.
type Options struct {
	Version      string
	MaxBodyBytes int64           // larger JSON bodies get 413
	Settings     []Setting       // what GET /api/config/info reports
	Models       func() []string // what the OpenAI-compatible surface accepts as "model", now
	OpenAI       ports.Completer // the use case under /v1's rules; nil: the one NewHandler takes
	OpenAPIYAML  []byte          // the contract, served at /api/openapi.yaml
	OpenAPIJSON  []byte          // the same document as JSON, converted once at start-up
	Security     Security        // inbound keys, rate limit, CORS, trusted proxies

	// KeepAlive is the comment interval before a stream's first token,
	// so ingress idle timeouts do not cut a slow start.
	KeepAlive time.Duration
	// WriteTimeout bounds writing a response, from its first byte on;
	// streams get a fresh deadline per event instead of one for the
	// whole response.
	WriteTimeout time.Duration

	Readiness Readiness              // what GET /readyz reports of the settings
	Backends  func() []ModelBackends // the pool now: /api/backends, /readyz, /api/config/info
	Draining  <-chan struct{}        // closed when shutdown begins: /readyz answers 503 from then on
	Observer  RequestObserver        // told about every request; nil for none
	Metrics   http.Handler           // served at GET /metrics; nil when it has its own port
	Tracer    trace.TracerProvider   // opens each request's server span; nil traces nothing

	// ChatUI serves the chat page at /chat/ and /chat, open like the
	// probes; its model calls go through the guarded routes.
	ChatUI bool
}

// serves is whether /v1 accepts model as a "model", now: the one rule
// both OpenAI surfaces check.
func (o Options) serves(model string) bool { return slices.Contains(o.Models(), model) }

// Handler is the engine with every route and middleware.
type Handler struct {
	*gin.Engine
	open []endpoint
}

// OpenRoutes are the routes served without a key, as "GET /healthz".
func (h *Handler) OpenRoutes() []string {
	out := make([]string, len(h.open))
	for i, e := range h.open {
		out[i] = e.String()
	}
	return out
}

// NewHandler builds the engine with every route and middleware. The
// welcome page lists the engine's Routes(), and the contract tests
// compare that list with the OpenAPI document's operations.
func NewHandler(log zerolog.Logger, svc ports.Completer, opts Options) *Handler {
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 15 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	e := gin.New()
	e.RedirectTrailingSlash = false // no route answers with a redirect
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	_ = e.SetTrustedProxies(opts.Security.TrustedProxies) // none: the TCP peer is the client; app validated them

	if opts.Backends == nil {
		opts.Backends = func() []ModelBackends { return nil }
	}
	if opts.Models == nil {
		opts.Models = func() []string { return nil }
	}
	if opts.OpenAI == nil {
		opts.OpenAI = svc
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	e.Use(writeDeadline(opts.WriteTimeout), observe(opts.Observer))
	if opts.Tracer != nil {
		e.Use(tracing(opts.Tracer)) // before correlation, so every log line has the trace's ids
	}
	e.Use(correlate(log), accessLog(), recovery())
	e.Use(boundaries(opts.Security)...)
	return &Handler{Engine: e, open: registerRoutes(e, svc, opts)}
}
