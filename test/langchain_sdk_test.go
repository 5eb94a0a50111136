package test

import "testing"

// TestLangChainSDK runs test/sdk/langchain_sdk.mjs (LangChain.js's
// ChatOpenAI, pinned in test/sdk/package-lock.json) against the real
// binary and the recording upstream, then checks that what LangChain
// sent reached the upstream as the spec says.
func TestLangChainSDK(t *testing.T) {
	up := newSDKUpstream(t, nil)
	env := sdkEnv(up)
	env["OPENAI_COMPAT_MODELS"] = testDeployment + ",o3-mini"
	svc := startService(t, env)

	run := runSDKScript(t, svc, "langchain_sdk.mjs", "AOAI_API_REASONING_MODEL=o3-mini")
	run.checkSteps(t, "invokeSystem", "stream", "bindTools", "toolRoundTrip", "structuredDefault",
		"structuredFunctionCalling", "structuredJSONMode", "reasoningModel")
	run.checkUpstream(t, up, sdkOperatorPrompt)

	// The steps exercise what they are named after only while LangChain
	// still sends these; a new LangChain that does not must fail here.
	run.expectSent(t, "reasoningModel", "messages.0.role", "developer")
	run.expectSent(t, "reasoningModel", "max_completion_tokens", 64.0)
	run.expectSent(t, "reasoningModel", "reasoning_effort", "low")
	run.expectSent(t, "structuredDefault", "response_format.type", "json_schema")
	run.expectSent(t, "structuredFunctionCalling", "tool_choice.function.name", "extract")
	run.expectSent(t, "structuredJSONMode", "response_format.type", "json_object")
	run.expectSent(t, "stream", "stream_options.include_usage", true)

	if got := up.recorded("[invokeSystem]"); len(got) == 1 {
		msgs := asSlice(got[0]["messages"])
		want := []any{
			map[string]any{"role": "system", "content": sdkOperatorPrompt},
			map[string]any{"role": "system", "content": "Be brief."},
		}
		if len(msgs) < 2 || !jsonEqual(msgs[:2], want) {
			t.Errorf("the upstream's messages begin %s, want the operator's prompt, then LangChain's SystemMessage", compact(msgs))
		}
	}
}
