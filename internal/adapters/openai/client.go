// Package openai fulfils ports.ChatModel with any OpenAI-compatible
// chat-completions server: OpenAI itself, or a local vLLM, Ollama or
// llama.cpp server.
package openai

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Config is what the adapter needs; the composition root fills it.
type Config struct {
	BaseURL     string // an SDK-style base including /v1; /chat/completions is appended
	APIKey      string // sent as a Bearer token only when set: local servers need none
	Model       string
	Timeout     time.Duration // one attempt; for a stream, up to its first choice
	IdleTimeout time.Duration // longest gap between stream events
	// MaxEventBytes bounds one stream event's data; 0 is llmhttp's default.
	MaxEventBytes int
}

// Client calls one model. It is safe for concurrent use.
type Client struct {
	*llmhttp.ChatClient
}

var _ ports.ChatModel = Client{}

// New builds the URL once; hc is the process's shared client.
func New(cfg Config, hc *http.Client, opts ...llmhttp.Option) Client {
	ep := llmhttp.Endpoint{
		URL:           strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions",
		Model:         cfg.Model,
		Timeout:       cfg.Timeout,
		IdleTimeout:   cfg.IdleTimeout,
		MaxEventBytes: cfg.MaxEventBytes,
	}
	if cfg.APIKey != "" {
		ep.Authorize = func(_ context.Context, h http.Header) error {
			h.Set("Authorization", "Bearer "+cfg.APIKey)
			return nil
		}
	}
	target := llmhttp.Target{
		Name:             "The OpenAI-compatible upstream",
		ResourceKind:     "model",
		Resource:         cfg.Model,
		RequestIDHeaders: []string{"x-request-id"},
	}
	return Client{llmhttp.NewChatClient(llmhttp.New(hc, target, opts...), ep)}
}
