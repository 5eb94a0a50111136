package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// This file is what a frontend team writes, or generates, from a pinned
// copy of api/openapi.yaml: one type per schema and a decoder that
// refuses fields the pinned document does not name, so contract drift
// fails the consumer's CI instead of confusing its users.

// CompletionRequest is #/components/schemas/CompletionRequest.
type CompletionRequest struct {
	Prompt string `json:"prompt"`
}

// ChatRequest is #/components/schemas/ChatRequest; nullable parameters
// are pointers, left out when nil so the model's defaults apply.
type ChatRequest struct {
	Messages    []ChatMessage `json:"messages"`
	Temperature *float64      `json:"temperature,omitempty"`
	MaxTokens   *int          `json:"max_tokens,omitempty"`
}

// ChatMessage is #/components/schemas/ChatMessage.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Completion is #/components/schemas/Completion.
type Completion struct {
	Response     string `json:"response"`
	Usage        Usage  `json:"usage"`
	FinishReason string `json:"finish_reason"`
	Model        string `json:"model"`
}

// Usage is #/components/schemas/Usage; nullable token counts are pointers.
type Usage struct {
	PromptChars      int  `json:"prompt_chars"`
	ResponseChars    int  `json:"response_chars"`
	PromptTokens     *int `json:"prompt_tokens"`
	CompletionTokens *int `json:"completion_tokens"`
	TotalTokens      *int `json:"total_tokens"`
}

// StreamDelta is #/components/schemas/StreamDelta, a stream's message event.
type StreamDelta struct {
	Delta string `json:"delta"`
}

// StreamDone is #/components/schemas/StreamDone, a stream's done event.
type StreamDone struct {
	Usage        Usage  `json:"usage"`
	FinishReason string `json:"finish_reason"`
	Model        string `json:"model"`
}

// APIError holds any of the document's error schemas (Error,
// UpstreamError, ModelError: each a subset of this type's fields) with
// the status and X-Request-ID that came with it. An error event of a
// stream that had started has Status 200 and MidStream set.
type APIError struct {
	Status            int      `json:"-"`
	RequestID         string   `json:"-"`
	MidStream         bool     `json:"-"`
	Message           string   `json:"error"`
	CorrelationID     string   `json:"correlation_id"`
	UpstreamRequestID string   `json:"upstream_request_id,omitempty"`
	Categories        []string `json:"categories,omitempty"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("aoai-api %d: %s (correlation id %s)", e.Status, e.Message, e.CorrelationID)
}

// consumerClient calls the service the way a frontend would.
type consumerClient struct {
	baseURL string
	http    *http.Client
}

// Complete posts one prompt. A non-200 answer is returned as *APIError.
func (c *consumerClient) Complete(ctx context.Context, prompt string) (Completion, error) {
	var out Completion
	return out, c.call(ctx, "/api/completions", CompletionRequest{Prompt: prompt}, &out)
}

// Chat posts a conversation. A non-200 answer is returned as *APIError.
func (c *consumerClient) Chat(ctx context.Context, in ChatRequest) (Completion, error) {
	var out Completion
	return out, c.call(ctx, "/api/chat", in, &out)
}

// ChatStream posts a conversation and hands each delta to onDelta as it
// arrives. In a browser the same loop reads fetch's ReadableStream;
// EventSource cannot POST.
func (c *consumerClient) ChatStream(ctx context.Context, in ChatRequest, onDelta func(string)) (StreamDone, error) {
	resp, err := c.post(ctx, "/api/chat/stream", in)
	if err != nil {
		return StreamDone{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return StreamDone{}, readAPIError(resp, resp.Body)
	}
	events := newSSEReader(resp.Body)
	for {
		ev, err := events.next()
		if err != nil {
			return StreamDone{}, fmt.Errorf("stream ended without done or error: %w", err)
		}
		switch ev.Name {
		case "message":
			var d StreamDelta
			if err := decodeStrict(strings.NewReader(ev.Data), &d); err != nil {
				return StreamDone{}, err
			}
			onDelta(d.Delta)
		case "done":
			var done StreamDone
			if err := decodeStrict(strings.NewReader(ev.Data), &done); err != nil {
				return StreamDone{}, err
			}
			return done, expectEnd(events)
		case "error":
			err := readAPIError(resp, strings.NewReader(ev.Data))
			if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
				apiErr.MidStream = true
			}
			if endErr := expectEnd(events); endErr != nil {
				return StreamDone{}, errors.Join(err, endErr)
			}
			return StreamDone{}, err
		default:
			return StreamDone{}, fmt.Errorf("event %q is not in the pinned document", ev.Name)
		}
	}
}

// expectEnd holds the server to its word that done and error are last.
func expectEnd(events *sseReader) error {
	if ev, err := events.next(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("the stream went on after its last event: %+v, %v", ev, err)
	}
	return nil
}

// call posts in and decodes a 200 answer strictly into out.
func (c *consumerClient) call(ctx context.Context, path string, in, out any) error {
	resp, err := c.post(ctx, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readAPIError(resp, resp.Body)
	}
	return decodeStrict(resp.Body, out)
}

func (c *consumerClient) post(ctx context.Context, path string, in any) (*http.Response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.http.Do(req)
}

// readAPIError decodes an error body, or says why it could not.
func readAPIError(resp *http.Response, body io.Reader) error {
	apiErr := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-ID")}
	if err := decodeStrict(body, apiErr); err != nil {
		return fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	return apiErr
}

// decodeStrict decodes exactly one JSON value and rejects unknown fields.
func decodeStrict(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decoding %T: %w", dst, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("decoding %T: data after the JSON value", dst)
	}
	return nil
}
