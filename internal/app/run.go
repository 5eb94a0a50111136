package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/api"
	"github.com/aoai-api/aoai-api/internal/adapters/admission"
	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
	"github.com/aoai-api/aoai-api/internal/adapters/openai"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Run is the composition root: the only place that names concrete
// adapters. It serves until ctx is cancelled, then drains.
func Run(ctx context.Context, stdout io.Writer) error {
	res, err := LoadProcessConfig()
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
	srv := newServer(cfg.drainPolicy(), cfg.serverLimits(), httpadapter.ErrShuttingDown, log)
	ops := operations{metrics: m, draining: srv.draining}
	var others []listener
	if cfg.MetricsPort == "" {
		ops.scrape = scrape
	} else {
		others = append(others, listener{name: "metrics listening", addr: net.JoinHostPort(cfg.Host, cfg.MetricsPort), h: metricsOnly(scrape)})
	}
	h, err := newHandler(cfg, res.Settings, log, llmhttp.NewHTTPClient(), ops)
	if err != nil {
		return err
	}
	return srv.serve(ctx, apiListener(cfg, h), others...)
}

// apiListener serves the API with the HTTP adapter watching each
// connection: its raw framing, writes outside a response, a hang-up.
func apiListener(cfg Config, h http.Handler) listener {
	limits := httpadapter.ConnLimits{MaxHeaderBytes: cfg.MaxHeaderBytes, WriteTimeout: cfg.WriteTimeout}
	return listener{
		name: "listening", addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), h: h,
		wrap:        func(ln net.Listener) net.Listener { return httpadapter.WrapListener(ln, limits) },
		connContext: httpadapter.ConnContext,
	}
}

// operations are the hooks that serve operators rather than clients.
type operations struct {
	metrics  *metrics.Metrics
	scrape   http.Handler    // GET /metrics on the API port; nil when it has a port of its own
	draining <-chan struct{} // closed when the drain begins
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

// newHandler wires adapters and use case; upstream is the shared client
// and settings are what the config diagnostics report. The contract is
// converted to JSON here, once, rather than per request.
func newHandler(cfg Config, settings []Setting, log zerolog.Logger, upstream *http.Client, ops operations) (http.Handler, error) {
	docJSON, err := api.JSON()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	model := newChatModel(cfg, upstream, llmhttp.WithObserver(ops.metrics.Upstream(cfg.LLMProvider)))
	// The gate sits on the driven port, so every route that reaches the
	// model, streams included, shares one bound on concurrent calls.
	gated := admission.Limit(model, cfg.MaxConcurrentUpstream, cfg.UpstreamQueueTimeout)
	svc := NewCompletionService(ops.metrics.CountModel(gated), cfg.SystemPrompt, cfg.chatLimits()).WithTextLogging(cfg.LogPrompts)
	return httpadapter.NewHandler(log, svc, httpadapter.Options{
		Version:      version,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Settings:     configInfo(settings),
		Models:       compatModels(cfg),
		OpenAPIYAML:  api.YAML(),
		OpenAPIJSON:  docJSON,
		Readiness:    readiness(cfg, model),
		Draining:     ops.draining,
		Observer:     ops.metrics,
		Metrics:      ops.scrape,
		WriteTimeout: cfg.WriteTimeout,
		Security: httpadapter.Security{
			KeyDigests: cfg.inboundKeyDigests, CORSOrigins: cfg.CORSAllowedOrigins, TrustedProxies: cfg.TrustedProxies,
			RateLimit:              httpadapter.RateLimit{RPS: cfg.RateLimitRPS, Burst: cfg.RateLimitBurst, MaxCallers: cfg.RateLimitMaxCallers},
			MaxConcurrentPerCaller: cfg.MaxConcurrentPerCaller,
		},
		DebugEndpoints: cfg.DebugEndpoints,
	}), nil
}

// readiness is decided once: settings do not change while the process
// runs. It names missing keys, never values.
func readiness(cfg Config, model ports.ChatModel) httpadapter.Readiness {
	r := httpadapter.Readiness{Provider: cfg.LLMProvider, Auth: authMode(cfg)}
	if what, missing := cfg.missing(); len(missing) > 0 {
		r.Problem, r.Missing = what, missing
		return r
	}
	if u, ok := model.(unconfigured); ok {
		r.Problem = "the model adapter could not be built"
		var de *domain.Error
		if errors.As(u.err, &de) {
			r.Problem = de.Msg
		}
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

// newChatModel picks the driven adapter named by LLM_PROVIDER. Missing
// settings do not stop the service: every call then answers with a
// misconfiguration error naming them, as the reference does.
func newChatModel(cfg Config, client *http.Client, opts ...llmhttp.Option) ports.ChatModel {
	if cfg.LLMProvider == ProviderFake {
		return fake.Model{Delay: cfg.FakeStreamDelay}
	}
	if what, missing := cfg.missing(); len(missing) > 0 {
		return unconfigured{domain.Misconfigured(what + ": missing " + strings.Join(missing, ", "))}
	}
	retry := llmhttp.Policy{MaxRetries: cfg.UpstreamMaxRetries, MaxRetryWait: cfg.UpstreamMaxRetryWait}
	if cfg.LLMProvider == ProviderOpenAI {
		return openai.New(openai.Config{
			BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.OpenAIModel,
			Timeout: cfg.UpstreamTimeout, IdleTimeout: cfg.StreamIdleTimeout, Retry: retry,
		}, client, opts...)
	}
	azCfg := azureopenai.Config{
		Endpoint: cfg.AzureEndpoint, Deployment: cfg.AzureDeployment, APIVersion: cfg.AzureAPIVersion,
		Timeout: cfg.UpstreamTimeout, IdleTimeout: cfg.StreamIdleTimeout, Retry: retry,
	}
	if cfg.AzureAuth == AuthEntra {
		// The default chain: workload identity on Kubernetes, managed
		// identity, environment, then the Azure CLI. Nothing is fetched yet.
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return unconfigured{&domain.Error{Kind: domain.KindMisconfigured, Msg: "Microsoft Entra ID credential unavailable", Err: err}}
		}
		azCfg.Credential = cred
	} else {
		azCfg.APIKey = cfg.azureKey()
	}
	return azureopenai.New(azCfg, client, opts...)
}

// compatModels is what the OpenAI-compatible surface accepts as
// "model": OPENAI_COMPAT_MODELS, else the one model this service serves.
func compatModels(cfg Config) []string {
	var out []string
	for _, m := range cfg.OpenAICompatModels {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		return out
	}
	switch cfg.LLMProvider {
	case ProviderFake:
		return []string{fake.ModelName}
	case ProviderOpenAI:
		out = []string{cfg.OpenAIModel}
	default:
		out = []string{cfg.AzureDeployment}
	}
	if out[0] == "" {
		return nil // nothing configured yet: every model is unknown
	}
	return out
}

// unconfigured stands in for a model that cannot be built.
type unconfigured struct{ err error }

func (u unconfigured) Chat(context.Context, ports.ChatRequest) (ports.ChatResult, error) {
	return ports.ChatResult{}, u.err
}

func (u unconfigured) Stream(context.Context, ports.ChatRequest) (ports.ChatStream, error) {
	return nil, u.err
}
