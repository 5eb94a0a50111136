package test

import (
	"encoding/json"
	"strings"
	"testing"
)

// These go through the contract-checked client, so /v1's JSON and chunk
// stream are held to api/openapi.yaml; test/openai_sdk_test.go holds them
// to the official SDK.
func TestV1ChatCompletionThroughAzure(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	svc := startService(t, azureEnv(up))

	r := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"`+testDeployment+`","messages":[{"role":"user","content":"hi v1"}]}`)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	_ = json.Unmarshal(r.Body, &out)
	if out.Choices[0].Message.Content != "echo: hi v1" || out.Usage.TotalTokens != 21 {
		t.Errorf("body = %s", r.Body)
	}

	r = postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"`+testDeployment+`","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi v1"}]}`)
	if r.Status != 200 || r.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %v", r.Status, r.Header)
	}
	events := strings.Split(strings.TrimSpace(string(r.Body)), "\n\n")
	if last := events[len(events)-1]; last != "data: [DONE]" {
		t.Errorf("last event = %q", last)
	}
	var text strings.Builder
	for _, ev := range events[:len(events)-1] {
		var ch struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		_ = json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &ch)
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if text.String() != "echo: hi v1" {
		t.Errorf("streamed text = %q", text.String())
	}
}

func TestV1ErrorsThroughTheBinary(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	svc := startService(t, azureEnv(up))
	for _, tt := range []struct {
		method, path, ct, body string
		status                 int
		code                   string
	}{
		{"POST", "/v1/chat/completions", "application/json", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found"},
		{"POST", "/v1/chat/completions", "application/json", `{"model":"` + testDeployment + `","tools":[{}],"messages":[{"role":"user","content":"x"}]}`, 400, "unsupported_parameter"},
		{"POST", "/v1/chat/completions", "text/plain", `{}`, 415, "unsupported_media_type"},
		{"GET", "/v1/embeddings", "", "", 404, "not_found"},
		{"PUT", "/v1/models", "", "", 405, "method_not_allowed"},
	} {
		r := call(t, tt.method, svc.URL+tt.path, tt.ct, tt.body)
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &e); err != nil || r.Status != tt.status || e.Error.Code != tt.code {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.Status, r.Body, tt.status, tt.code)
		}
		if strings.Contains(string(r.Body), "correlation_id") {
			t.Errorf("/v1 errors carry the correlation id in X-Request-ID only: %s", r.Body)
		}
	}
}
