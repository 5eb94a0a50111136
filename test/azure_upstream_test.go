package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

const (
	testDeployment = "gpt4o-deploy"
	testAPIVersion = "2024-10-21"
	testAPIKey     = "sk-LEAKCHECK-e2e-0123456789"
)

// azureUpstream is an httptest server speaking the Azure OpenAI REST
// protocol. It rejects requests a real deployment would reject and hands
// well-formed ones to reply.
type azureUpstream struct {
	*httptest.Server
	calls atomic.Int32
}

type wireRequest struct {
	Header   http.Header     `json:"-"` // as the upstream received them
	Context  context.Context `json:"-"` // the upstream request's context
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func newAzureUpstream(t *testing.T, reply func(w http.ResponseWriter, req wireRequest)) *azureUpstream {
	t.Helper()
	u := &azureUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.calls.Add(1)
		w.Header().Set("apim-request-id", "apim-e2e-1")
		switch {
		case r.URL.Path != "/openai/deployments/"+testDeployment+"/chat/completions":
			azureError(w, http.StatusNotFound, "DeploymentNotFound", "The API deployment for this resource does not exist.")
			return
		case r.URL.Query().Get("api-version") != testAPIVersion:
			azureError(w, http.StatusBadRequest, "BadRequest", "Unsupported api-version")
			return
		case r.Header.Get("api-key") != testAPIKey:
			azureError(w, http.StatusUnauthorized, "401", "Access denied due to invalid subscription key.")
			return
		}
		var req wireRequest
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &req); err != nil || len(req.Messages) == 0 {
			t.Errorf("upstream got a bad body: %s", raw)
			azureError(w, http.StatusBadRequest, "BadRequest", "invalid body")
			return
		}
		req.Header, req.Context = r.Header, r.Context()
		reply(w, req)
	}))
	t.Cleanup(u.Close)
	return u
}

func azureError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// azureContentFilter refuses like a real deployment whose content filter
// fired on self_harm and violence, in the spelling real traffic uses.
func azureContentFilter(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"error":{"code":"content_filter","message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","param":"prompt","type":null,"status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":true,"severity":"medium"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"high"}}}}}`))
}

// azureReply answers like a real deployment, echoing the user's prompt,
// streamed when the request asks for a stream.
func azureReply(w http.ResponseWriter, req wireRequest) {
	if req.Stream {
		azureStreamStart(w)
		sseChunk(w, "echo: ", nil)
		sseChunk(w, req.Messages[len(req.Messages)-1].Content, nil)
		azureStreamEnd(w, req.StreamOptions.IncludeUsage)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-e2e", "object": "chat.completion", "created": 1732500000, "model": "gpt-4o-2024-08-06",
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "echo: " + req.Messages[len(req.Messages)-1].Content},
		}},
		"usage": map[string]any{"prompt_tokens": 17, "completion_tokens": 4, "total_tokens": 21},
	})
}

func azureEnv(u *azureUpstream) map[string]string {
	return map[string]string{
		"AZURE_OPENAI_ENDPOINT":        u.URL + "/",
		"AZURE_OPENAI_API_KEY":         testAPIKey,
		"AZURE_OPENAI_DEPLOYMENT_NAME": testDeployment,
		"AZURE_OPENAI_API_VERSION":     testAPIVersion,
	}
}
