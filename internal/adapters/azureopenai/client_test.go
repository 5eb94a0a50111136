package azureopenai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

const okBody = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
 "choices":[{"index":0,"message":{"role":"assistant","content":"Hello back"},"finish_reason":"stop"}],
 "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`

func newClient(t *testing.T, h http.HandlerFunc) *azureopenai.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return azureopenai.New(azureopenai.Config{
		Endpoint: srv.URL + "/", APIKey: "test-key", Deployment: "my deploy", APIVersion: "2024-10-21", Timeout: 5 * time.Second,
	}, srv.Client())
}

func chatReq() ports.ChatRequest {
	temp, maxTok := 0.5, 100
	return ports.ChatRequest{
		Messages: []domain.Message{
			{Role: domain.RoleSystem, Content: "sys"},
			{Role: domain.RoleUser, Content: "héllo"},
		},
		Temperature: &temp, MaxTokens: &maxTok,
	}
}

func TestChatSendsTheAzureWireRequest(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s", r.Method)
		}
		if r.URL.EscapedPath() != "/openai/deployments/my%20deploy/chat/completions" {
			t.Errorf("path = %s", r.URL.EscapedPath())
		}
		if q := r.URL.Query(); q.Get("api-version") != "2024-10-21" || len(q) != 1 {
			t.Errorf("query = %v", q)
		}
		if r.Header.Get("api-key") != "test-key" || r.Header.Get("Authorization") != "" {
			t.Errorf("auth headers: api-key=%q Authorization=%q", r.Header.Get("api-key"), r.Header.Get("Authorization"))
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		raw, _ := io.ReadAll(r.Body)
		want := `{"messages":[{"role":"system","content":"sys"},{"role":"user","content":"héllo"}],"temperature":0.5,"max_tokens":100}`
		if string(raw) != want {
			t.Errorf("body = %s\nwant   %s", raw, want)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, okBody)
	})
	res, err := c.Chat(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Hello back" || res.FinishReason != "stop" || res.Model != "gpt-4o-2024-08-06" {
		t.Errorf("result = %+v", res)
	}
	if *res.Tokens.Prompt != 12 || *res.Tokens.Completion != 3 || *res.Tokens.Total != 15 {
		t.Errorf("tokens = %+v", res.Tokens)
	}
}

func TestChatOmitsUnsetParameters(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		if _, ok := body["temperature"]; ok {
			t.Error("temperature sent though unset")
		}
		if _, ok := body["max_tokens"]; ok {
			t.Error("max_tokens sent though unset")
		}
		_, _ = io.WriteString(w, okBody)
	})
	if _, err := c.Chat(context.Background(), ports.ChatRequest{Messages: []domain.Message{{Role: domain.RoleUser, Content: "x"}}}); err != nil {
		t.Fatal(err)
	}
}

func TestChatWithoutUsageLeavesTokensNil(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"model":"m","choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}`)
	})
	res, err := c.Chat(context.Background(), chatReq())
	if err != nil || res.Tokens.Total != nil || res.Tokens.Prompt != nil {
		t.Errorf("res = %+v, err = %v", res, err)
	}
}

func TestChatNullContentIsEmptyText(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"model":"m","choices":[{"message":{"content":null},"finish_reason":"content_filter"}]}`)
	})
	res, err := c.Chat(context.Background(), chatReq())
	if err != nil || res.Text != "" || res.FinishReason != "content_filter" {
		t.Errorf("res = %+v, err = %v", res, err)
	}
}

func TestChatFailuresAreUpstreamErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		msg    string
	}{
		{"500", 500, `{"error":{"code":"InternalServerError","message":"boom"}}`, "status 500"},
		{"401", 401, `{"error":{"code":"401","message":"Access denied due to invalid subscription key"}}`, "status 401"},
		{"404 deployment", 404, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`, "status 404"},
		{"429", 429, `{"error":{"code":"429","message":"Rate limit"}}`, "status 429"},
		{"non-json error", 503, `<html>Service Unavailable</html>`, "status 503"},
		{"malformed 200", 200, `{"choices":[`, "malformed"},
		{"not an object", 200, `"hello"`, "malformed"},
		{"empty 200", 200, ``, "malformed"},
		{"empty choices", 200, `{"model":"m","choices":[]}`, "no choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Chat(context.Background(), chatReq())
			if domain.KindOf(err) != domain.KindUpstream {
				t.Fatalf("kind = %q (err %v), want upstream", domain.KindOf(err), err)
			}
			var de *domain.Error
			_ = errors.As(err, &de)
			if !strings.Contains(de.Msg, tt.msg) {
				t.Errorf("msg = %q, want %q", de.Msg, tt.msg)
			}
			if strings.Contains(err.Error(), "test-key") {
				t.Error("the key leaked into an error")
			}
		})
	}
}

func TestChatUnreachableUpstream(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := azureopenai.New(azureopenai.Config{Endpoint: url, APIKey: "k", Deployment: "d", APIVersion: "v"}, http.DefaultClient)
	_, err := c.Chat(context.Background(), chatReq())
	if domain.KindOf(err) != domain.KindUpstream || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("err = %v", err)
	}
}

func TestChatTimeoutBoundsTheCall(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := azureopenai.New(azureopenai.Config{Endpoint: srv.URL, APIKey: "k", Deployment: "d", APIVersion: "v", Timeout: 50 * time.Millisecond}, srv.Client())
	_, err := c.Chat(context.Background(), chatReq())
	if domain.KindOf(err) != domain.KindUpstream || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err = %v, want an upstream error caused by the deadline", err)
	}
}
