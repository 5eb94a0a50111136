package test

import "testing"

// TestAISDK runs test/sdk/ai_sdk.mjs (the Vercel AI SDK with its OpenAI
// provider, pinned in test/sdk/package-lock.json) against the real binary
// and the recording upstream: its default model over /v1/responses, its
// chat model over /v1/chat/completions.
func TestAISDK(t *testing.T) {
	up := newSDKUpstream(t, nil)
	env := sdkEnv(up)
	env["OPENAI_COMPAT_MODELS"] = testDeployment + ",o3-mini"
	svc := startService(t, env)

	run := runSDKScript(t, svc, "ai_sdk.mjs", "AOAI_API_REASONING_MODEL=o3-mini")
	run.checkSteps(t, "generateText", "streamText", "responsesTools", "responsesStreamTools", "responsesImage",
		"responsesReasoning", "generateObjectResponses", "chatTools", "chatStreamTools", "chatImage",
		"chatReasoning", "generateObjectChat")
	run.checkUpstream(t, up, sdkOperatorPrompt)

	// What makes each step the case it is named for, as this AI SDK sends it.
	run.expectSent(t, "generateText", "input.0.role", "system")
	run.expectSent(t, "responsesReasoning", "input.0.role", "developer")
	run.expectSent(t, "responsesImage", "input.0.content.1.type", "input_image")
	run.expectSent(t, "generateObjectResponses", "text.format.type", "json_schema")
	run.expectSent(t, "chatReasoning", "messages.0.role", "developer")
	run.expectSent(t, "chatReasoning", "max_completion_tokens", 64.0)
	run.expectSent(t, "chatImage", "messages.0.content.1.type", "image_url")
	run.expectSent(t, "generateObjectChat", "response_format.type", "json_schema")
	if sent := run.requestsOf("responsesTools"); len(sent) == 2 {
		items := asSlice(sent[1].Body["input"])
		if len(items) != 3 || asMap(items[1])["type"] != "function_call" || asMap(items[2])["type"] != "function_call_output" {
			t.Errorf("the AI SDK's second call no longer carries function_call and function_call_output items: %s", compact(items))
		}
	}
}
