package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
	"github.com/aoai-api/aoai-api/internal/adapters/openai"
	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// envModels is the one model with one backend that the single-backend
// settings define when there is no LLM_CONFIG_FILE: what this service
// always was. Missing settings do not stop start-up: the backend then
// answers every call with a misconfiguration naming them, as the
// reference does, and readiness fails.
func envModels(c Config) []llmModel {
	b := llmBackend{Name: c.LLMProvider, Provider: c.LLMProvider}
	switch c.LLMProvider {
	case ProviderAzure:
		b.Endpoint, b.Deployment, b.APIVersion, b.Auth = c.AzureEndpoint, c.AzureDeployment, c.AzureAPIVersion, c.AzureAuth
		if c.AzureAuth == AuthKey {
			b.apiKey = c.azureKey()
		}
	case ProviderOpenAI:
		b.BaseURL, b.Model, b.apiKey = c.OpenAIBaseURL, c.OpenAIModel, c.OpenAIAPIKey
	}
	b.missingWhat, b.missing = c.missing()
	names := compatModels(c)
	m := llmModel{Backends: []llmBackend{b}}
	if len(names) > 0 {
		m.Name, m.aliases = names[0], names[1:]
	}
	return []llmModel{m}
}

// compatModels is what the OpenAI-compatible surface accepts as "model"
// without a file: OPENAI_COMPAT_MODELS, else the one model served.
func compatModels(cfg Config) []string {
	if names := nonBlank(cfg.OpenAICompatModels); len(names) > 0 {
		return names
	}
	switch cfg.LLMProvider {
	case ProviderFake:
		return []string{fake.ModelName}
	case ProviderOpenAI:
		return nonBlank([]string{cfg.OpenAIModel})
	}
	return nonBlank([]string{cfg.AzureDeployment}) // nothing configured yet: every model is unknown
}

// backends builds each backend's own adapter. Credentials for Entra ID
// are made once, on first need, and shared.
type backends struct {
	cfg     Config
	client  *http.Client
	metrics *metrics.Metrics
	tracer  trace.Tracer // each attempt's client span; nil when tracing is off
	entra   azcore.TokenCredential
	err     error // why no Entra credential could be made
}

// build returns the backend's adapter, or one that answers every call
// with the misconfiguration that stopped it being built.
func (bs *backends) build(b llmBackend) (ports.ChatModel, *domain.Error) {
	if len(b.missing) > 0 {
		return bs.unconfigured(domain.Misconfigured(b.missingWhat + ": missing " + strings.Join(b.missing, ", ")))
	}
	obs := llmhttp.WithObserver(bs.metrics.Upstream(b.Provider))
	switch b.Provider {
	case ProviderFake:
		return fake.Model{Delay: bs.cfg.FakeStreamDelay}, nil
	case ProviderOpenAI:
		return openai.New(openai.Config{
			BaseURL: b.BaseURL, APIKey: b.apiKey, Model: b.Model,
			Timeout: bs.cfg.UpstreamTimeout, IdleTimeout: bs.cfg.StreamIdleTimeout, MaxEventBytes: bs.cfg.UpstreamMaxEventSize,
		}, bs.client, obs), nil
	}
	az := azureopenai.Config{
		Endpoint: b.Endpoint, Deployment: b.Deployment, APIVersion: b.APIVersion, APIKey: b.apiKey,
		Timeout: bs.cfg.UpstreamTimeout, IdleTimeout: bs.cfg.StreamIdleTimeout, MaxEventBytes: bs.cfg.UpstreamMaxEventSize,
	}
	if b.Auth == AuthEntra {
		if bs.entra == nil && bs.err == nil {
			// The default chain: workload identity on Kubernetes, managed
			// identity, environment, then the Azure CLI. Nothing is fetched yet.
			bs.entra, bs.err = azidentity.NewDefaultAzureCredential(nil)
		}
		if bs.err != nil {
			return bs.unconfigured(&domain.Error{Kind: domain.KindMisconfigured, Msg: "Microsoft Entra ID credential unavailable", Err: bs.err})
		}
		az.Credential, az.APIKey = bs.entra, ""
	}
	return azureopenai.New(az, bs.client, obs), nil
}

func (bs *backends) unconfigured(e *domain.Error) (ports.ChatModel, *domain.Error) {
	return unconfigured{e}, e
}

// pool builds every backend's adapter and the pool over them, as Run
// serves it, and reports the backends that could not be built.
func (bs *backends) pool(models []llmModel, log zerolog.Logger) (*pool.Pool, []*domain.Error) {
	built, problems := bs.poolModels(models)
	return pool.New(built, bs.cfg.poolOptions(bs.metrics, log, bs.tracer)), problems
}

// poolModels turns configured models into the pool's, and reports the
// backends that could not be built, for readiness.
func (bs *backends) poolModels(models []llmModel) ([]pool.Model, []*domain.Error) {
	var out []pool.Model
	var problems []*domain.Error
	for _, m := range models {
		pm := pool.Model{Name: m.Name, Aliases: m.aliases}
		for _, b := range m.Backends {
			model, problem := bs.build(b)
			pb := pool.Backend{
				Name: b.Name, Provider: b.Provider, Priority: b.priority(), Weight: b.weight(), Model: model, Key: b.key(), About: b.about(),
			}
			if problem != nil {
				problems = append(problems, problem)
				pb.Problem = problem.Msg
			}
			pm.Backends = append(pm.Backends, pb)
		}
		out = append(out, pm)
	}
	return out, problems
}

// about is what /api/config/info shows of a backend: its settings by
// their file names, URLs masked like any setting's, never a key.
func (b llmBackend) about() map[string]string {
	out := map[string]string{"provider": b.Provider}
	for k, v := range b.fields() {
		if v != "" {
			out[k] = maskURL(v)
		}
	}
	return out
}

// key identifies a backend's settings, its key's digest included, so a
// reload that changes nothing keeps its health and one that changes its
// key gives a broken backend a fresh start.
func (b llmBackend) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q", []string{b.Provider, b.Endpoint, b.Deployment, b.APIVersion, b.Auth, b.APIKeyEnv, b.BaseURL, b.Model, b.apiKey})
	return fmt.Sprintf("%x", h.Sum(nil))
}

// unconfigured stands in for a backend that cannot be built.
type unconfigured struct{ err error }

func (u unconfigured) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{}, u.err
}

func (u unconfigured) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	return nil, u.err
}

// poolOptions are the pool's rules, from the settings.
func (c Config) poolOptions(obs pool.Observer, log zerolog.Logger, tracer trace.Tracer) pool.Options {
	return pool.Options{
		Timeout: c.UpstreamTimeout,
		Health: pool.Policy{
			Cooldown: c.BackendCooldown, CooldownMax: c.BackendCooldownMax,
			EjectFailures: c.BackendEjectFailures, EjectBase: c.BackendEjectBase, EjectMax: c.BackendEjectMax,
		},
		Retry:    pool.Retry{MaxAttempts: 1 + c.UpstreamMaxRetries, MaxRetryWait: c.UpstreamMaxRetryWait},
		Observer: obs,
		Log:      log,
		Tracer:   tracer,
	}
}

// backendViews reads the pool for the HTTP adapter, on every call.
func backendViews(p *pool.Pool) func() []httpadapter.ModelBackends {
	return func() []httpadapter.ModelBackends {
		snap := p.Snapshot()
		out := make([]httpadapter.ModelBackends, 0, len(snap))
		for _, m := range snap {
			mb := httpadapter.ModelBackends{Name: m.Name}
			for _, b := range m.Backends {
				mb.Backends = append(mb.Backends, httpadapter.Backend{Name: b.Name, Priority: b.Priority, Weight: b.Weight,
					State: string(b.State), Until: b.Until, About: b.About, Problem: b.Problem})
			}
			out = append(out, mb)
		}
		return out
	}
}
