// Package azureopenai fulfils ports.ChatModel with the Azure OpenAI REST
// API over plain net/http, without an SDK: classic deployment URLs or the
// v1 surface, with an api-key or a Microsoft Entra ID token.
package azureopenai

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// APIVersionV1 selects the v1 surface, which takes no dated version.
const APIVersionV1 = "v1"

// firstDeveloperVersion is the first dated version with the developer
// role; dated versions sort as strings.
const firstDeveloperVersion = "2024-12-01"

// Config is what the adapter needs; the composition root fills it.
type Config struct {
	Endpoint    string // https://{resource}.openai.azure.com, trailing slash tolerated
	Deployment  string
	APIVersion  string                 // a dated version, or "v1"
	APIKey      string                 // used when Credential is nil
	Credential  azcore.TokenCredential // Entra ID; replaces the key
	Now         func() time.Time       // token expiry clock; nil means time.Now
	Timeout     time.Duration          // one attempt; for a stream, up to its first choice
	IdleTimeout time.Duration          // longest gap between stream events
	// MaxEventBytes bounds one stream event's data; 0 is llmhttp's default.
	MaxEventBytes int
}

// Client calls one deployment. It is safe for concurrent use.
type Client struct {
	*llmhttp.ChatClient
}

var _ ports.ChatModel = Client{}

// New builds the URL once; hc is the process's shared client.
func New(cfg Config, hc *http.Client, opts ...llmhttp.Option) Client {
	base := strings.TrimRight(cfg.Endpoint, "/") + "/openai"
	ep := llmhttp.Endpoint{Timeout: cfg.Timeout, IdleTimeout: cfg.IdleTimeout, MaxEventBytes: cfg.MaxEventBytes}
	if cfg.APIVersion == APIVersionV1 {
		ep.URL, ep.Model = base+"/v1/chat/completions", cfg.Deployment // v1 names the deployment in the body
	} else {
		ep.URL = base + "/deployments/" + url.PathEscape(cfg.Deployment) + "/chat/completions?api-version=" + url.QueryEscape(cfg.APIVersion)
		ep.DeveloperAsSystem = cfg.APIVersion < firstDeveloperVersion
	}
	ep.Authorize = authorizer(cfg)
	target := llmhttp.Target{
		Name:             "Azure OpenAI",
		ResourceKind:     "deployment",
		Resource:         cfg.Deployment,
		RequestIDHeaders: []string{"apim-request-id", "x-request-id"},
		Filtered:         contentFilterCategories,
	}
	return Client{llmhttp.NewChatClient(llmhttp.New(hc, target, opts...), ep)}
}

// authorizer sends exactly one credential, as the spec's security
// schemes are alternatives, plus our correlation id for Azure support.
func authorizer(cfg Config) func(context.Context, http.Header) error {
	var tokens *tokenCache
	if cfg.Credential != nil {
		tokens = newTokenCache(cfg.Credential, cfg.Now)
	}
	key := []string{cfg.APIKey} // shared by every attempt, never edited
	return func(ctx context.Context, h http.Header) error {
		if id := domain.CorrelationID(ctx); id != "" {
			h["X-Ms-Client-Request-Id"] = []string{id} // canonical: h.Set would copy the name on every attempt
		}
		if tokens == nil {
			h["Api-Key"] = key
			return nil
		}
		tok, err := tokens.get(ctx)
		if err != nil {
			return err
		}
		h.Set("Authorization", "Bearer "+tok)
		return nil
	}
}
