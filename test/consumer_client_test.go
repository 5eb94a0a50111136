package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// This file is what a frontend team writes, or generates, from a pinned
// copy of api/openapi.yaml: one type per schema and a decoder that
// refuses fields the pinned document does not name, so contract drift
// fails the consumer's CI instead of confusing its users.

// CompletionRequest is #/components/schemas/CompletionRequest.
type CompletionRequest struct {
	Prompt string `json:"prompt"`
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

// APIError is #/components/schemas/Error together with the status and
// the X-Request-ID header that came with it.
type APIError struct {
	Status        int    `json:"-"`
	RequestID     string `json:"-"`
	Message       string `json:"error"`
	CorrelationID string `json:"correlation_id"`
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
	body, err := json.Marshal(CompletionRequest{Prompt: prompt})
	if err != nil {
		return Completion{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/api/completions", bytes.NewReader(body))
	if err != nil {
		return Completion{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Completion{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		apiErr := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-ID")}
		if err := decodeStrict(resp.Body, apiErr); err != nil {
			return Completion{}, fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		return Completion{}, apiErr
	}
	var out Completion
	return out, decodeStrict(resp.Body, &out)
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
