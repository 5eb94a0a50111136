// Package azureopenai fulfils ports.ChatModel with the Azure OpenAI REST
// API over plain net/http, without an SDK.
package azureopenai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// maxResponseBytes bounds what a misbehaving upstream can make us read.
const maxResponseBytes = 8 << 20

// Config is what the adapter needs; the composition root fills it.
type Config struct {
	Endpoint   string // https://{resource}.openai.azure.com, trailing slash tolerated
	APIKey     string
	Deployment string
	APIVersion string
	Timeout    time.Duration // whole call; 0 means the caller's context only
}

// Client calls one deployment. It is safe for concurrent use.
type Client struct {
	cfg  Config
	url  string
	http *http.Client
}

var _ ports.ChatModel = (*Client)(nil)

// New builds the deployment URL once; hc is the process's shared client.
func New(cfg Config, hc *http.Client) *Client {
	u := strings.TrimRight(cfg.Endpoint, "/") + "/openai/deployments/" + url.PathEscape(cfg.Deployment) +
		"/chat/completions?api-version=" + url.QueryEscape(cfg.APIVersion)
	return &Client{cfg: cfg, url: u, http: hc}
}

// Chat sends one chat completion. Every failure is a KindUpstream error
// whose message is safe for clients and whose cause is kept for logs.
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
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return ports.ChatResult{}, domain.Upstream("could not build the upstream request", err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("api-key", c.cfg.APIKey)

	start := time.Now()
	resp, err := c.http.Do(httpReq)
	if err != nil {
		c.logCall(ctx, 0, start, nil)
		return ports.ChatResult{}, domain.Upstream("Azure OpenAI is unreachable", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	c.logCall(ctx, resp.StatusCode, start, resp.Header)
	if err != nil {
		return ports.ChatResult{}, domain.Upstream("Azure OpenAI response was cut short", err)
	}
	if resp.StatusCode != http.StatusOK {
		return ports.ChatResult{}, domain.Upstream(
			fmt.Sprintf("Azure OpenAI returned status %d", resp.StatusCode), upstreamCause(resp.StatusCode, raw))
	}
	return parseResponse(raw)
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

// upstreamCause keeps Azure's own code and message for the logs.
func upstreamCause(status int, raw []byte) error {
	var w wireError
	if json.Unmarshal(raw, &w) == nil && (w.Error.Code != "" || w.Error.Message != "") {
		return fmt.Errorf("status %d: %s: %s", status, w.Error.Code, w.Error.Message)
	}
	return fmt.Errorf("status %d", status)
}

func (c *Client) logCall(ctx context.Context, status int, start time.Time, h http.Header) {
	zerolog.Ctx(ctx).Info().
		Str("deployment", c.cfg.Deployment).
		Int("upstream_status", status).
		Float64("upstream_latency_ms", float64(time.Since(start).Microseconds())/1000).
		Str("upstream_request_id", requestID(h)).
		Msg("upstream call")
}

// requestID prefers Microsoft's support id over the generic one.
func requestID(h http.Header) string {
	if h == nil {
		return ""
	}
	if id := h.Get("apim-request-id"); id != "" {
		return id
	}
	return h.Get("x-request-id")
}
