package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/api"
	"github.com/aoai-api/aoai-api/internal/adapters/admission"
	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/adapters/limits"
	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/app/completion"
)

// Run is the composition root: the only place that names concrete
// adapters. It serves until ctx is cancelled, then drains. Each value on
// reload (SIGHUP, which main owns) re-reads LLM_CONFIG_FILE.
func Run(ctx context.Context, stdout io.Writer, reload <-chan struct{}) error {
	dir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	res, err := LoadConfig(dir)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cfg := res.Config
	log, closeLog := openLogger(stdout, cfg)
	defer closeLog()
	logStartup(log, res)

	m, scrape, err := newMetrics()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	tr, err := newTracing(res, m, log)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	var signalled atomic.Pointer[time.Time] // when the drain began, for the flush's deadline
	stopWatch := context.AfterFunc(ctx, func() { now := time.Now(); signalled.Store(&now) })
	defer stopWatch()
	srv := httpadapter.NewServer(httpadapter.DrainPolicy{Delay: cfg.ShutdownDelay, Timeout: cfg.ShutdownTimeout}, cfg.serverLimits(), log)
	limiter, closeLimits, err := newLimiter(cfg, log, m)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer closeLimits()
	ops := operations{metrics: m, draining: srv.Draining(), limiter: limiter, tracer: tr.Provider}
	var others []httpadapter.Listener
	if cfg.MetricsPort == "" {
		ops.scrape = scrape
	} else {
		others = append(others, httpadapter.Listener{Name: "metrics listening", Addr: net.JoinHostPort(cfg.Host, cfg.MetricsPort), Handler: metricsOnly(scrape)})
	}
	bs := &backends{cfg: cfg, client: llmhttp.NewHTTPClient(cfg.UpstreamAttemptTimeout), metrics: m, tracer: ops.tracerFor()}
	model, _ := bs.pool(res.Models, log) // what could not be built, readiness reads from the pool
	h, err := newHandler(res, log, model, ops)
	if err != nil {
		return err
	}
	logSecurity(log, cfg, h.OpenRoutes())
	stopReloads := startReloader(ctx, poolReloader(res, bs, model, log), reload)
	defer stopReloads()
	err = srv.Serve(ctx, httpadapter.Listener{Name: "listening", Addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), Handler: h}, others...)
	var at time.Time
	if t := signalled.Load(); t != nil {
		at = *t
	}
	tr.flush(flushBy(at, time.Now(), cfg), log) // within what the drain left of its budget
	return err
}

// serverLimits are what one client may make the server hold.
func (c Config) serverLimits() httpadapter.Limits {
	return httpadapter.Limits{ReadHeader: c.ReadHeaderTimeout, Read: c.ReadTimeout, Idle: c.IdleTimeout, Write: c.WriteTimeout, MaxHeaderBytes: c.MaxHeaderBytes}
}

// operations are the hooks that serve operators rather than clients.
type operations struct {
	metrics  *metrics.Metrics
	scrape   http.Handler         // GET /metrics on the API port; nil when it has a port of its own
	draining <-chan struct{}      // closed when the drain begins
	limiter  *limits.Limiter      // nil: the process's own, built by newHandler
	tracer   trace.TracerProvider // nil when tracing is off, so nothing on the hot path pays for it
}

// tracerScope names the service's spans' instrumentation scope.
const tracerScope = "github.com/aoai-api/aoai-api"

// tracerFor is the tracer the driven adapters open spans with; nil when
// tracing is off.
func (o operations) tracerFor() trace.Tracer {
	if o.tracer == nil {
		return nil
	}
	return o.tracer.Tracer(tracerScope, trace.WithInstrumentationVersion(version))
}

// newMetrics builds a registry of our own, never the client library's
// global one, so nothing registers behind our back and tests can build
// as many as they like.
func newMetrics() (*metrics.Metrics, http.Handler, error) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Build{Version: version, Revision: revision})
	if err != nil {
		return nil, nil, err
	}
	return m, metrics.Handler(reg, reg), nil
}

// metricsOnly serves GET /metrics alone on the metrics port.
func metricsOnly(scrape http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", scrape)
	return mux
}

// newHandler wires the pool, the decorators and the use case. The
// contract is converted to JSON here, once, rather than per request.
func newHandler(res Resolved, log zerolog.Logger, model *pool.Pool, ops operations) (*httpadapter.Handler, error) {
	cfg := res.Config
	docJSON, err := api.JSON()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	// The gate wraps the pool, on the driven port, so every route that
	// reaches a model, streams included, shares one bound on concurrent
	// requests, each holding one slot however many backends it tries.
	var gateOpts []admission.Option
	if t := ops.tracerFor(); t != nil {
		gateOpts = append(gateOpts, admission.WithTracer(t))
	}
	gated := admission.Limit(model, cfg.MaxConcurrentUpstream, cfg.UpstreamQueueTimeout, gateOpts...)
	if ops.limiter == nil {
		local := cfg
		local.RedisURL = ""
		ops.limiter, _, _ = newLimiter(local, log, ops.metrics) // in the process: cannot fail
	}
	charged := limits.Charging(ops.metrics.CountModel(gated), ops.limiter)
	svc := completion.New(charged, completion.Options{SystemPrompt: cfg.SystemPrompt, Limits: cfg.chatLimits(), LogText: cfg.LogPrompts})
	// /v1 is the same use case under OpenAI's rules for turns and choices.
	v1 := completion.New(charged, completion.Options{SystemPrompt: cfg.SystemPrompt, Limits: cfg.openAILimits(), LogText: cfg.LogPrompts})
	return httpadapter.NewHandler(log, svc, httpadapter.Options{
		Version:      version,
		OpenAI:       v1,
		MaxBodyBytes: cfg.MaxBodyBytes,
		KeepAlive:    cfg.StreamKeepAlive,
		Settings:     configInfo(res.Settings),
		Models:       model.Models,
		OpenAPIYAML:  api.YAML(),
		OpenAPIJSON:  docJSON,
		Readiness:    withLimitsStore(readiness(cfg), ops.limiter),
		Backends:     backendViews(model),
		Draining:     ops.draining,
		Observer:     ops.metrics,
		Metrics:      ops.scrape,
		Tracer:       ops.tracer,
		WriteTimeout: cfg.WriteTimeout,
		ChatUI:       cfg.ChatUI,
		Security: httpadapter.Security{
			KeyDigests: cfg.inboundKeyDigests, KeyIDs: cfg.keyIDs(), CORSOrigins: cfg.CORSAllowedOrigins, TrustedProxies: cfg.TrustedProxies,
			// Throttled addresses share the rate limiter's memory bound.
			AuthThrottle:           httpadapter.AuthThrottle{FailuresPerMinute: cfg.AuthFailuresPerMinute, MaxAddrs: cfg.RateLimitMaxCallers},
			MaxConcurrentPerCaller: cfg.MaxConcurrentPerCaller,
			Limits:                 ops.limiter, AdminKeyDigests: cfg.adminKeyDigests,
		},
	}), nil
}

// readiness is what the settings say: the single backend's missing
// keys (names, never values). What the backends could not be built with
// the adapter reads from the pool, reloads included.
func readiness(cfg Config) httpadapter.Readiness {
	if cfg.LLMConfigFile != "" {
		return httpadapter.Readiness{Provider: "pool", Auth: "per_backend"} // the file says, backend by backend
	}
	r := httpadapter.Readiness{Provider: cfg.LLMProvider, Auth: authMode(cfg)}
	if what, missing := cfg.missing(); len(missing) > 0 {
		r.Problem, r.Missing = what, missing
	}
	return r
}

// authMode is how this process authenticates upstream: Azure's key or
// entra, a Bearer key for OpenAI-compatible servers when one is set.
func authMode(cfg Config) string {
	switch {
	case cfg.LLMProvider == ProviderAzure:
		return cfg.AzureAuth
	case cfg.LLMProvider == ProviderOpenAI && cfg.OpenAIAPIKey != "":
		return AuthKey
	}
	return "none"
}

// configInfo hands the HTTP adapter only what it may show: no secret
// value reaches it, and an absent key has no value at all.
func configInfo(settings []Setting) []httpadapter.Setting {
	out := make([]httpadapter.Setting, 0, len(settings))
	for _, s := range settings {
		hs := httpadapter.Setting{Key: s.Key, Source: string(s.Source), Secret: s.Secret, Set: s.Set}
		if !s.Secret && s.Source != SourceAbsent {
			hs.Value = &s.Value
		}
		out = append(out, hs)
	}
	return out
}
