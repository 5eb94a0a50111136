// Drives the service's /v1 chat completions with LangChain.js's
// ChatOpenAI, as an app built on LangChain would: only the base URL
// changes. Run by test/langchain_sdk_test.go against the real binary and
// the fake upstream of test/sdk_upstream_test.go.
import assert from "node:assert/strict";
import { ChatOpenAI } from "@langchain/openai";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { apiKey, baseURL, model, run, sdkFetch } from "./harness.mjs";

// reasoningModel is a name LangChain treats as a reasoning model, which
// the service serves as an alias of the deployment.
const reasoningModel = process.env.AOAI_API_REASONING_MODEL;

const chat = (options = {}) =>
  new ChatOpenAI({ model, apiKey, maxRetries: 0, configuration: { baseURL, fetch: sdkFetch }, ...options });

const getWeather = tool(async ({ city }) => JSON.stringify({ city, temp_c: 21 }), {
  name: "get_weather",
  description: "Current weather in a city",
  schema: z.object({ city: z.string() }),
});
const Weather = z.object({ city: z.string().describe("the city"), temperature_c: z.number() });

function assertUsage(u) {
  assert.equal(u.input_tokens, 17);
  assert.equal(u.output_tokens, 4);
  assert.equal(u.total_tokens, 21);
  assert.equal(u.input_token_details?.cache_read, 8);
  assert.equal(u.output_token_details?.reasoning, 2);
}

await run({
  async invokeSystem(m) {
    const r = await chat().invoke([new SystemMessage("Be brief."), new HumanMessage(`${m} hello`)]);
    assert.ok(r instanceof AIMessage);
    assert.equal(r.content, `echo: ${m} hello`);
    assert.equal(r.response_metadata.finish_reason, "stop");
    assertUsage(r.usage_metadata);
  },

  async stream(m) {
    let text = "";
    let last;
    for await (const chunk of await chat().stream([new HumanMessage(`${m} stream please`)])) {
      text += chunk.content;
      last = chunk.usage_metadata ?? last;
    }
    assert.equal(text, `echo: ${m} stream please`);
    assertUsage(last);
  },

  async bindTools(m) {
    const r = await chat().bindTools([getWeather]).invoke([new HumanMessage(`${m} weather in Paris?`)]);
    assert.deepEqual(r.tool_calls, [{ name: "get_weather", args: { city: "Paris" }, id: "call_get_weather", type: "tool_call" }]);
    assert.equal(r.response_metadata.finish_reason, "tool_calls");
  },

  async toolRoundTrip(m) {
    const question = new HumanMessage(`${m} weather in Paris?`);
    const model = chat().bindTools([getWeather]);
    const call = await model.invoke([question]);
    const result = await getWeather.invoke(call.tool_calls[0]);
    assert.ok(result instanceof ToolMessage);
    const r = await model.invoke([question, call, result]);
    assert.equal(r.content, `echo: ${m} weather in Paris?`);
  },

  async structuredDefault(m) {
    const r = await chat().withStructuredOutput(Weather).invoke([new HumanMessage(`${m} weather in Paris as JSON`)]);
    assert.deepEqual(r, { city: "Paris", temperature_c: 3 });
  },

  async structuredFunctionCalling(m) {
    const r = await chat()
      .withStructuredOutput(Weather, { method: "functionCalling" })
      .invoke([new HumanMessage(`${m} weather in Paris as JSON`)]);
    assert.deepEqual(r, { city: "Paris", temperature_c: 3 });
  },

  async structuredJSONMode(m) {
    const r = await chat()
      .withStructuredOutput(z.object({ ok: z.boolean() }), { method: "jsonMode" })
      .invoke([new HumanMessage(`${m} reply in JSON`)]);
    assert.deepEqual(r, { ok: true });
  },

  async reasoningModel(m) {
    // LangChain sends a reasoning model's SystemMessage as a developer
    // message, and maxTokens as max_completion_tokens.
    const r = await chat({ model: reasoningModel, maxTokens: 64, reasoning: { effort: "low" } }).invoke([
      new SystemMessage("Think, then answer."),
      new HumanMessage(`${m} hard question`),
    ]);
    assert.equal(r.content, `echo: ${m} hard question`);
    assertUsage(r.usage_metadata);
  },
});
