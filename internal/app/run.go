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
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/admission"
	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/adapters/openai"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Run is the composition root: the only place that names concrete
// adapters. It serves until ctx is cancelled.
func Run(ctx context.Context, stdout io.Writer) error {
	res, err := LoadProcessConfig()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cfg := res.Config
	log, closeLog := openLogger(stdout, cfg)
	defer closeLog()
	logStartup(log, res)
	return serve(ctx, net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), newHandler(cfg, res.Settings, log, llmhttp.NewHTTPClient()), log, cfg.serverLimits())
}

// newHandler wires adapters and use case; upstream is the shared client
// and settings are what the config diagnostics report.
func newHandler(cfg Config, settings []Setting, log zerolog.Logger, upstream *http.Client) http.Handler {
	// The gate sits on the driven port, so every route that reaches the
	// model, streams included, shares one bound on concurrent calls.
	model := admission.Limit(newChatModel(cfg, upstream), cfg.MaxConcurrentUpstream, cfg.UpstreamQueueTimeout)
	svc := NewCompletionService(model, cfg.SystemPrompt, cfg.chatLimits()).WithTextLogging(cfg.LogPrompts)
	return httpadapter.NewHandler(log, svc, httpadapter.Options{
		Version:      version,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Settings:     configInfo(settings),
		Models:       compatModels(cfg),
		Security: httpadapter.Security{
			KeyDigests: cfg.inboundKeyDigests, CORSOrigins: cfg.CORSAllowedOrigins, TrustedProxies: cfg.TrustedProxies,
			RateLimit: httpadapter.RateLimit{RPS: cfg.RateLimitRPS, Burst: cfg.RateLimitBurst, MaxCallers: cfg.RateLimitMaxCallers},
		},
		DebugEndpoints: cfg.DebugEndpoints,
	})
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
func newChatModel(cfg Config, client *http.Client) ports.ChatModel {
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
		}, client)
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
	return azureopenai.New(azCfg, client)
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

// serve listens first so that the bound address (PORT=0 picks a free one)
// is logged before any request can arrive.
func serve(ctx context.Context, addr string, h http.Handler, log zerolog.Logger, limits serverLimits) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := limits.server(h)
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
