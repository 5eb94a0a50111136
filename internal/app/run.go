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

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/api"
	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Run is the composition root: the only place that names concrete
// adapters. It serves until ctx is cancelled.
func Run(ctx context.Context, stdout io.Writer) error {
	cfg, err := LoadConfig()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := newLogger(stdout, cfg.LogLevel, cfg.LogFormat)
	logStartup(log, cfg)
	h, err := newHandler(cfg, log, newUpstreamClient())
	if err != nil {
		return err
	}
	return serve(ctx, net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), h, log)
}

// newHandler wires adapters and use case; upstream is the shared client.
// The contract is converted to JSON here, once, rather than per request.
func newHandler(cfg Config, log zerolog.Logger, upstream *http.Client) (http.Handler, error) {
	docJSON, err := api.JSON()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	model := newChatModel(cfg, upstream)
	return httpadapter.NewHandler(log, NewCompletionService(model, cfg.SystemPrompt), httpadapter.Options{
		Version:      version,
		MaxBodyBytes: cfg.MaxBodyBytes,
		OpenAPIYAML:  api.YAML(),
		OpenAPIJSON:  docJSON,
	}), nil
}

// newChatModel picks the driven adapter named by LLM_PROVIDER. Missing
// Azure settings do not stop the service: every call then answers with
// a misconfiguration error naming them, as the reference does.
func newChatModel(cfg Config, client *http.Client) ports.ChatModel {
	if cfg.LLMProvider == ProviderFake {
		return fake.Model{}
	}
	if missing := cfg.missingAzure(); len(missing) > 0 {
		return unconfigured{domain.Misconfigured(
			"Azure OpenAI configuration incomplete: missing " + strings.Join(missing, ", "))}
	}
	return azureopenai.New(azureopenai.Config{
		Endpoint:   cfg.AzureEndpoint,
		APIKey:     cfg.azureKey(),
		Deployment: cfg.AzureDeployment,
		APIVersion: cfg.AzureAPIVersion,
		Timeout:    cfg.UpstreamTimeout,
	}, client)
}

// unconfigured stands in for a model that cannot be built.
type unconfigured struct{ err error }

func (u unconfigured) Chat(context.Context, ports.ChatRequest) (ports.ChatResult, error) {
	return ports.ChatResult{}, u.err
}

func logStartup(log zerolog.Logger, cfg Config) {
	ev := log.Info().Str("version", version).Str("provider", cfg.LLMProvider)
	if cfg.LLMProvider == ProviderAzure {
		ev = ev.Str("endpoint", cfg.AzureEndpoint).
			Str("deployment", cfg.AzureDeployment).
			Str("api_version", cfg.AzureAPIVersion).
			Bool("api_key_set", cfg.azureKey() != "").
			Strs("missing", cfg.missingAzure())
	}
	ev.Str("upstream_timeout", cfg.UpstreamTimeout.String()).Msg("starting aoai-api")
}

// serve listens first so that the bound address (PORT=0 picks a free one)
// is logged before any request can arrive.
func serve(ctx context.Context, addr string, h http.Handler, log zerolog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
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
