// Drives the service with the Vercel AI SDK's OpenAI provider, as an app
// built on it would: createOpenAI with the service's base URL. Its
// default openai(model) speaks the Responses API (/v1/responses);
// openai.chat(model) speaks chat completions. Run by test/ai_sdk_test.go
// against the real binary and the fake upstream of
// test/sdk_upstream_test.go.
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { apiKey, baseURL, model, run, sdkFetch } from "./harness.mjs";

const openai = createOpenAI({ baseURL, apiKey, fetch: sdkFetch });
const reasoningModel = process.env.AOAI_API_REASONING_MODEL;

const getWeather = tool({
  description: "Current weather in a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temp_c: 21 }),
});
const Weather = z.object({ city: z.string(), temperature_c: z.number() });
const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

function assertUsage(u) {
  assert.equal(u.inputTokens, 17);
  assert.equal(u.outputTokens, 4);
  assert.equal(u.totalTokens, 21);
  assert.equal(u.inputTokenDetails.cacheReadTokens, 8);
  assert.equal(u.outputTokenDetails.reasoningTokens, 2);
}

// roundTrip lets the SDK run the tool once: the second call carries the
// call and its result, and the upstream answers it with text.
// streamed runs streamText and rethrows the error the stream carried,
// which the AI SDK otherwise only reports as "No output generated".
async function streamed(options, read) {
  let failure;
  const r = streamText({ ...options, maxRetries: 0, onError: ({ error }) => (failure ??= error) });
  let out;
  try {
    out = await read(r);
  } catch (err) {
    throw failure ?? err;
  }
  if (failure) throw failure;
  return out;
}

async function roundTrip(languageModel, m) {
  const r = await generateText({
    model: languageModel,
    prompt: `${m} weather in Paris?`,
    tools: { get_weather: getWeather },
    stopWhen: stepCountIs(2),
    maxRetries: 0,
  });
  assert.equal(r.steps.length, 2);
  assert.deepEqual(
    r.steps[0].toolCalls.map((c) => [c.toolCallId, c.toolName, c.input]),
    [["call_get_weather", "get_weather", { city: "Paris" }]],
  );
  assert.deepEqual(r.steps[0].toolResults[0].output, { city: "Paris", temp_c: 21 });
  assert.equal(r.text, `echo: ${m} weather in Paris?`);
  assert.equal(r.finishReason, "stop");
}

await run({
  async generateText(m) {
    const r = await generateText({ model: openai(model), system: "Be brief.", prompt: `${m} hello`, maxRetries: 0 });
    assert.equal(r.text, `echo: ${m} hello`);
    assert.equal(r.finishReason, "stop");
    assert.match(r.providerMetadata.openai.responseId, /^resp_/);
    assertUsage(r.usage);
  },

  async streamText(m) {
    await streamed({ model: openai(model), prompt: `${m} stream please` }, async (r) => {
      const parts = [];
      for await (const t of r.textStream) parts.push(t);
      assert.equal(parts.join(""), `echo: ${m} stream please`);
      assert.ok(parts.length >= 2, `text came in ${parts.length} part(s), not streamed`);
      assert.equal(await r.finishReason, "stop");
      assertUsage(await r.usage);
    });
  },

  async responsesTools(m) {
    await roundTrip(openai(model), m);
  },

  async responsesStreamTools(m) {
    const options = {
      model: openai(model),
      prompt: `${m} weather in Paris?`,
      tools: { get_weather: tool({ description: "Current weather in a city", inputSchema: z.object({ city: z.string() }) }) },
    };
    await streamed(options, async (r) => {
      const calls = await r.toolCalls;
      assert.deepEqual(
        calls.map((c) => [c.toolCallId, c.toolName, c.input]),
        [["call_get_weather", "get_weather", { city: "Paris" }]],
      );
      assert.equal(await r.finishReason, "tool-calls");
    });
  },

  async responsesImage(m) {
    const r = await generateText({
      model: openai(model),
      messages: [{ role: "user", content: [{ type: "text", text: `${m} what is this?` }, { type: "image", image: png, mediaType: "image/png" }] }],
      maxRetries: 0,
    });
    assert.equal(r.text, `echo: ${m} what is this?`);
  },

  async responsesReasoning(m) {
    // The AI SDK sends a reasoning model's system prompt as a developer
    // input item.
    const r = await generateText({ model: openai(reasoningModel), system: "Think, then answer.", prompt: `${m} hard question`, maxRetries: 0 });
    assert.equal(r.text, `echo: ${m} hard question`);
  },

  async generateObjectResponses(m) {
    const r = await generateObject({ model: openai(model), schema: Weather, prompt: `${m} weather in Paris as JSON`, maxRetries: 0 });
    assert.deepEqual(r.object, { city: "Paris", temperature_c: 3 });
  },

  async chatTools(m) {
    await roundTrip(openai.chat(model), m);
  },

  async chatStreamTools(m) {
    const options = {
      model: openai.chat(model),
      prompt: `${m} weather in Paris?`,
      tools: { get_weather: tool({ description: "Current weather in a city", inputSchema: z.object({ city: z.string() }) }) },
    };
    await streamed(options, async (r) => {
      const calls = await r.toolCalls;
      assert.deepEqual(
        calls.map((c) => [c.toolCallId, c.toolName, c.input]),
        [["call_get_weather", "get_weather", { city: "Paris" }]],
      );
      assert.equal(await r.finishReason, "tool-calls");
      assertUsage(await r.usage);
    });
  },

  async chatImage(m) {
    const r = await generateText({
      model: openai.chat(model),
      messages: [{ role: "user", content: [{ type: "text", text: `${m} what is this?` }, { type: "image", image: png, mediaType: "image/png" }] }],
      temperature: 0.2,
      maxOutputTokens: 50,
      seed: 7,
      stopSequences: ["END"],
      maxRetries: 0,
    });
    assert.equal(r.text, `echo: ${m} what is this?`);
    assertUsage(r.usage);
  },

  async chatReasoning(m) {
    const r = await generateText({
      model: openai.chat(reasoningModel),
      system: "Think, then answer.",
      prompt: `${m} hard question`,
      maxOutputTokens: 64,
      maxRetries: 0,
    });
    assert.equal(r.text, `echo: ${m} hard question`);
  },

  async generateObjectChat(m) {
    const r = await generateObject({ model: openai.chat(model), schema: Weather, prompt: `${m} weather in Paris as JSON`, maxRetries: 0 });
    assert.deepEqual(r.object, { city: "Paris", temperature_c: 3 });
  },
});
