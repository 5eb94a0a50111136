package azureopenai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

const okBody = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
 "choices":[{"index":0,"message":{"role":"assistant","content":"Hello back"},"finish_reason":"stop"}],
 "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`

func newClient(t *testing.T, h http.HandlerFunc) azureopenai.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return azureopenai.New(azureopenai.Config{
		Endpoint: srv.URL + "/", APIKey: "test-key", Deployment: "my deploy", APIVersion: "2024-10-21", Timeout: 5 * time.Second,
	}, srv.Client())
}

func chatReq() ports.Conversation {
	temp, maxTok := 0.5, 100
	return ports.Conversation{
		Messages: []domain.Message{
			{Role: domain.RoleSystem, Content: "sys"},
			{Role: domain.RoleUser, Content: "héllo"},
		},
		Sampling: domain.Sampling{Temperature: &temp, MaxTokens: &maxTok},
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
	if res.Text() != "Hello back" || res.FinishReason() != "stop" || res.Model != "gpt-4o-2024-08-06" {
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
	if _, err := c.Chat(context.Background(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "x"}}}); err != nil {
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
	if err != nil || res.Text() != "" || res.FinishReason() != "content_filter" {
		t.Errorf("res = %+v, err = %v", res, err)
	}
}

func TestChatFailuresMapToDomainKinds(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   domain.Kind
		msg    string
	}{
		{"500", 500, `{"error":{"code":"InternalServerError","message":"boom"}}`, domain.KindUpstream, "status 500"},
		{"other 400", 400, `{"error":{"code":"BadRequest","message":"max_tokens too large"}}`, domain.KindUpstream, "rejected the request"},
		{"401", 401, `{"error":{"code":"401","message":"Access denied due to invalid subscription key"}}`, domain.KindUpstream, "upstream authentication failed"},
		{"403", 403, `{"error":{"code":"Forbidden","message":"Public access is disabled"}}`, domain.KindUpstream, "upstream authentication failed"},
		{"404 deployment", 404, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`, domain.KindUpstream, `deployment not found: "my deploy"`},
		{"429", 429, `{"error":{"code":"429","message":"Rate limit"}}`, domain.KindThrottled, "rate limiting"},
		{"non-json error", 503, `<html>Service Unavailable</html>`, domain.KindUpstream, "status 503"},
		{"malformed 200", 200, `{"choices":[`, domain.KindUpstream, "malformed"},
		{"not an object", 200, `"hello"`, domain.KindUpstream, "malformed"},
		{"empty 200", 200, ``, domain.KindUpstream, "malformed"},
		{"empty choices", 200, `{"model":"m","choices":[]}`, domain.KindUpstream, "no choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("apim-request-id", "apim-42")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Chat(context.Background(), chatReq())
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != tt.kind {
				t.Fatalf("err = %v, want kind %q", err, tt.kind)
			}
			if !strings.Contains(de.Msg, tt.msg) {
				t.Errorf("msg = %q, want %q", de.Msg, tt.msg)
			}
			if tt.status != 200 && de.UpstreamRequestID != "apim-42" {
				t.Errorf("upstream request id = %q", de.UpstreamRequestID)
			}
			if strings.Contains(err.Error(), "test-key") {
				t.Error("the key leaked into an error")
			}
		})
	}
}

func TestChatContentFilterBothSpellings(t *testing.T) {
	tests := []struct{ name, body string }{
		{"observed innererror", `{"error":{"code":"content_filter","message":"The response was filtered","param":"prompt","type":null,"status":400,
			"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"medium"},
			"self_harm":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"high"}}}}}`},
		{"spec inner_error", `{"error":{"code":"BadRequest","message":"filtered",
			"inner_error":{"code":"ResponsibleAIPolicyViolation","content_filter_results":{"violence":{"filtered":true,"severity":"high"},
			"hate":{"filtered":true,"severity":"low"},"sexual":{"filtered":false,"severity":"safe"}}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(400)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := c.Chat(context.Background(), chatReq())
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindContentFiltered {
				t.Fatalf("err = %v, want content_filtered", err)
			}
			if strings.Join(de.Categories, ",") != "hate,violence" {
				t.Errorf("categories = %v, want [hate violence]", de.Categories)
			}
			if de.Msg != "The prompt was blocked by the content filter" {
				t.Errorf("msg = %q", de.Msg)
			}
		})
	}
}

func TestChatContentFilterCodeWithoutInnerError(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":{"code":"content_filter","message":"filtered"}}`)
	})
	_, err := c.Chat(context.Background(), chatReq())
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindContentFiltered || de.Categories == nil || len(de.Categories) != 0 {
		t.Fatalf("err = %v, want content_filtered with an empty category list", err)
	}
}

func TestChatForwardsCorrelationIDAndReturnsUpstreamID(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("x-ms-client-request-id"); got != "corr-7" {
			t.Errorf("x-ms-client-request-id = %q", got)
		}
		w.Header().Set("x-request-id", "xr-1")
		w.Header().Set("apim-request-id", "apim-1")
		_, _ = io.WriteString(w, okBody)
	})
	res, err := c.Chat(domain.WithCorrelationID(context.Background(), "corr-7"), chatReq())
	if err != nil || res.UpstreamRequestID != "apim-1" {
		t.Errorf("res = %+v, err = %v; want apim-request-id preferred", res, err)
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
	if domain.KindOf(err) != domain.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a timeout caused by the deadline", err)
	}
}

func TestChatMakesOneAttemptAndSaysWhoseFaultItWas(t *testing.T) {
	for _, tt := range []struct {
		body  string
		code  int
		fault domain.Fault
	}{
		{``, 200, domain.FaultNone}, {`{"choices":[`, 200, domain.FaultNone}, {`{"choices":[]}`, 200, domain.FaultNone}, // the work was done: never again
		{`{"error":{"code":"429"}}`, 429, domain.FaultThrottle}, {`{"error":{"code":"DeploymentNotFound"}}`, 404, domain.FaultBackend},
	} {
		var calls atomic.Int32
		c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(tt.code)
			_, _ = io.WriteString(w, tt.body)
		})
		_, err := c.Chat(context.Background(), chatReq())
		if domain.FaultOf(err) != tt.fault || calls.Load() != 1 {
			t.Errorf("%d %q: err = %v (fault %v), calls = %d; want one call, fault %v", tt.code, tt.body, err, domain.FaultOf(err), calls.Load(), tt.fault)
		}
	}
}

func TestStreamAsksForStreamingWithUsage(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]json.RawMessage
		_ = json.Unmarshal(raw, &body)
		if string(body["stream"]) != "true" || string(body["stream_options"]) != `{"include_usage":true}` {
			t.Errorf("body = %s", raw)
		}
		if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("api-key") != "test-key" {
			t.Errorf("headers = %v", r.Header)
		}
		w.Header().Set("apim-request-id", "apim-s")
		_, _ = io.WriteString(w, "data: {\"choices\":[],\"prompt_filter_results\":[]}\n\n"+
			"data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"+
			"data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"+
			"data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"+
			"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n"+
			"data: [DONE]\n\n")
	})
	st, err := c.Stream(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.Recv()
	if err != nil || d.Text != "Hi" {
		t.Fatalf("Recv = %+v, %v", d, err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("end = %v", err)
	}
	if r := st.Result(); r.FinishReason() != "stop" || *r.Tokens.Total != 6 || r.UpstreamRequestID != "apim-s" {
		t.Errorf("result = %+v", r)
	}
}

func TestV1SurfaceNamesTheDeploymentInTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openai/v1/chat/completions" || r.URL.RawQuery != "" {
			t.Errorf("url = %s", r.URL)
		}
		var body map[string]json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		if string(body["model"]) != `"my-deploy"` || r.Header.Get("api-key") != "k" {
			t.Errorf("model = %s, api-key = %q", body["model"], r.Header.Get("api-key"))
		}
		_, _ = io.WriteString(w, okBody)
	}))
	defer srv.Close()
	c := azureopenai.New(azureopenai.Config{Endpoint: srv.URL + "/", APIKey: "k", Deployment: "my-deploy", APIVersion: "v1"}, srv.Client())
	if _, err := c.Chat(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
}

func TestClassicSurfaceSendsNoModel(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		if _, ok := body["model"]; ok {
			t.Error("the classic surface names the deployment in the path, not the body")
		}
		_, _ = io.WriteString(w, okBody)
	})
	if _, err := c.Chat(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
}
