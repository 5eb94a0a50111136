// Package azureopenai fulfils ports.ChatModel with the Azure OpenAI REST
// API over plain net/http, without an SDK.
package azureopenai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// maxResponseBytes bounds what a misbehaving upstream can make us read.
const maxResponseBytes = 8 << 20

// Config is what the adapter needs; the composition root fills it.
type Config struct {
	Endpoint    string // https://{resource}.openai.azure.com, trailing slash tolerated
	APIKey      string
	Deployment  string
	APIVersion  string
	Timeout     time.Duration // whole call, retries included; for a stream, up to its first choice
	IdleTimeout time.Duration // longest gap between stream events
	Retry       llmhttp.Policy
}

// Client calls one deployment. It is safe for concurrent use.
type Client struct {
	cfg  Config
	url  string
	http *llmhttp.Client
}

var _ ports.ChatModel = (*Client)(nil)

// New builds the deployment URL once; hc is the process's shared client.
func New(cfg Config, hc *http.Client, opts ...llmhttp.Option) *Client {
	u := strings.TrimRight(cfg.Endpoint, "/") + "/openai/deployments/" + url.PathEscape(cfg.Deployment) +
		"/chat/completions?api-version=" + url.QueryEscape(cfg.APIVersion)
	target := llmhttp.Target{
		Name:             "Azure OpenAI",
		ResourceKind:     "deployment",
		Resource:         cfg.Deployment,
		RequestIDHeaders: []string{"apim-request-id", "x-request-id"},
		Filtered:         contentFilterCategories,
	}
	return &Client{cfg: cfg, url: u, http: llmhttp.New(hc, cfg.Retry, target, opts...)}
}

// Chat sends one chat completion, with the retries of llmhttp. See
// ports.ChatModel for the error kinds.
func (c *Client) Chat(ctx context.Context, req ports.ChatRequest) (ports.ChatResult, error) {
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	body, err := json.Marshal(toWire(req))
	if err != nil {
		return ports.ChatResult{}, domain.Upstream("could not encode the upstream request", err)
	}
	resp, err := c.http.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, body)
	})
	if err != nil {
		return ports.ChatResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return ports.ChatResult{}, c.http.ReadError(ctx, err)
	}
	res, err := parseResponse(raw)
	res.UpstreamRequestID = c.http.RequestID(resp.Header)
	return res, err
}

// Stream asks for a streamed answer with a final usage chunk.
func (c *Client) Stream(ctx context.Context, req ports.ChatRequest) (ports.ChatStream, error) {
	w := toWire(req)
	w.Stream, w.StreamOptions = true, &streamOptions{IncludeUsage: true}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, domain.Upstream("could not encode the upstream request", err)
	}
	return c.http.OpenStream(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := c.newRequest(ctx, body)
		if err == nil {
			r.Header.Set("Accept", "text/event-stream")
		}
		return r, err
	}, llmhttp.StreamTimeouts{First: c.cfg.Timeout, Idle: c.cfg.IdleTimeout})
}

func (c *Client) newRequest(ctx context.Context, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("api-key", c.cfg.APIKey)
	if id := domain.CorrelationID(ctx); id != "" {
		r.Header.Set("x-ms-client-request-id", id) // lets Azure support find the call
	}
	return r, nil
}

func toWire(req ports.ChatRequest) wireRequest {
	msgs := make([]wireMessage, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = wireMessage{Role: string(m.Role), Content: m.Content}
	}
	return wireRequest{Messages: msgs, Temperature: req.Temperature, MaxTokens: req.MaxTokens}
}

func parseResponse(raw []byte) (ports.ChatResult, error) {
	var w wireResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return ports.ChatResult{}, domain.Upstream("Azure OpenAI returned a malformed response", err)
	}
	if len(w.Choices) == 0 {
		return ports.ChatResult{}, domain.Upstream("Azure OpenAI returned no choices", errors.New("empty choices"))
	}
	ch := w.Choices[0]
	res := ports.ChatResult{FinishReason: ch.FinishReason, Model: w.Model}
	if ch.Message.Content != nil {
		res.Text = *ch.Message.Content
	}
	if u := w.Usage; u != nil {
		res.Tokens = domain.TokenUsage{Prompt: &u.PromptTokens, Completion: &u.CompletionTokens, Total: &u.TotalTokens}
	}
	return res, nil
}
