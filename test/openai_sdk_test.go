package test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOfficialOpenAISDK runs test/sdk/openai_sdk.mjs (the official
// openai npm package, pinned in test/sdk/package-lock.json and installed
// by `make test`) against the real binary and a fake Azure upstream.
func TestOfficialOpenAISDK(t *testing.T) {
	var mu sync.Mutex
	var throttled []time.Time
	up := newSDKUpstream(t, func(w http.ResponseWriter, body map[string]any) bool {
		switch last := lastUserText(asSlice(body["messages"])); {
		case strings.HasSuffix(last, "please-throttle"):
			mu.Lock()
			throttled = append(throttled, time.Now())
			first := len(throttled) == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "1")
				azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded.")
				return true
			}
		case strings.HasSuffix(last, "please-fail"):
			azureError(w, http.StatusInternalServerError, "InternalServerError", "The server had an error while processing your request.")
			return true
		}
		return false
	})
	svc := startService(t, sdkEnv(up))

	run := runSDKScript(t, svc, "openai_sdk.mjs")
	run.checkSteps(t, "nonStreaming", "streaming", "retriesThrottling", "badRequest", "audioRefused", "unknownField",
		"unknownModel", "models", "toolCall", "history", "streamedToolCall", "parse", "choicesWithLogprobs",
		"samplingParams", "reasoningParams", "responsesText", "responsesStream", "responsesStreamToolCall",
		"responsesToolRoundTrip", "responsesParse", "responsesPreviousID", "responsesStore",
		"responsesItemReference", "responsesBuiltinTool", "badGatewayNoRetry")
	run.checkUpstream(t, up, sdkOperatorPrompt)

	if sent := run.requestsOf("retriesThrottling"); len(sent) == 2 {
		if h := sent[0].Headers; sent[0].Status != http.StatusTooManyRequests || h["x-should-retry"] != "true" || h["retry-after"] == "" {
			t.Errorf("the throttled call got %d with %v, want 429 with x-should-retry: true and a Retry-After", sent[0].Status, h)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(throttled) != 2 {
		t.Fatalf("throttled prompt reached the upstream %d times, want 2 (429, then the SDK's retry)", len(throttled))
	}
	if gap := throttled[1].Sub(throttled[0]); gap < 900*time.Millisecond {
		t.Errorf("the SDK retried after %v: it must honour Retry-After: 1", gap)
	}
}
