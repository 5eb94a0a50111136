// Drives the service's /v1 surface with the official openai SDK, exactly
// as a user's script would: only the base URL changes. Run by
// test/openai_sdk_test.go against the real binary and a fake upstream,
// which answers tools with a call to the first tool, schemas with a
// JSON instance ("Paris" for strings, 3 for numbers) and the rest with
// "echo: <prompt>".
import assert from "node:assert/strict";
import OpenAI from "openai";
import { zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";
import { apiKey, baseURL, model, run, sdkFetch, sentCount } from "./harness.mjs";

const client = new OpenAI({ baseURL, apiKey, maxRetries: 2, timeout: 20_000, fetch: sdkFetch });

const usage = {
  prompt_tokens: 17,
  completion_tokens: 4,
  total_tokens: 21,
  prompt_tokens_details: { cached_tokens: 8 },
  completion_tokens_details: { reasoning_tokens: 2 },
};
const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
    strict: true,
  },
};
const weatherCall = { id: "call_get_weather", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } };
const user = (m, text) => [{ role: "user", content: `${m} ${text}` }];

// rejectsWith checks OpenAI's error shape for a refused parameter.
async function rejectsWith(promise, param, code = "unsupported_parameter") {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.equal(err.type, "invalid_request_error");
    if (code) assert.equal(err.code, code);
    assert.ok(err.param === param || err.param?.startsWith(param), `param ${err.param}, want ${param}`);
    return true;
  });
}

const steps = {
  async nonStreaming(m) {
    const r = await client.chat.completions.create({ model, messages: user(m, "hello sdk") });
    assert.equal(r.object, "chat.completion");
    assert.equal(r.choices[0].message.content, `echo: ${m} hello sdk`);
    assert.equal(r.choices[0].finish_reason, "stop");
    assert.deepEqual(r.usage, usage);
  },

  async streaming(m) {
    const stream = await client.chat.completions.create({
      model,
      messages: user(m, "stream please"),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      for (const c of chunk.choices) text += c.delta?.content ?? "";
    }
    assert.equal(text, `echo: ${m} stream please`);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, usage);
    // OpenAI puts "usage": null on every chunk before the usage chunk.
    for (const c of chunks.slice(0, -1)) assert.ok("usage" in c && c.usage === null, `chunk without usage:null: ${JSON.stringify(c)}`);
  },

  async retriesThrottling(m) {
    // The upstream throttles the first call; the service passes the 429 on
    // with Retry-After and the SDK must wait and retry on its own.
    const { data, response } = await client.chat.completions
      .create({ model, messages: user(m, "please-throttle") })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.choices[0].message.content, `echo: ${m} please-throttle`);
    assert.equal(sentCount(), 2);
  },

  async badRequest(m) {
    await rejectsWith(client.chat.completions.create({ model, modalities: ["audio"], messages: user(m, "x") }), "modalities");
  },

  async audioRefused(m) {
    await rejectsWith(
      client.chat.completions.create({ model, audio: { voice: "alloy", format: "wav" }, messages: user(m, "x") }),
      "audio",
    );
  },

  async unknownField(m) {
    await rejectsWith(client.chat.completions.create({ model, frobnicate: true, messages: user(m, "x") }), "frobnicate");
  },

  async unknownModel(m) {
    await assert.rejects(
      client.chat.completions.create({ model: "no-such-model", messages: user(m, "x") }),
      (err) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found",
    );
  },

  async models() {
    const ids = [];
    for await (const x of client.models.list()) ids.push(x.id);
    assert.deepEqual(ids, [model]);
  },

  async toolCall(m) {
    const r = await client.chat.completions.create({
      model,
      messages: user(m, "weather in Paris?"),
      tools: [weather],
      tool_choice: "auto",
      parallel_tool_calls: false,
    });
    const c = r.choices[0];
    assert.equal(c.finish_reason, "tool_calls");
    assert.equal(c.message.content, null);
    assert.deepEqual(c.message.tool_calls, [weatherCall]);
  },

  async history(m) {
    // Every role, a tool round trip and image parts, as a real agent loop
    // sends them on its second turn.
    const r = await client.chat.completions.create({
      model,
      messages: [
        { role: "developer", content: "Answer in French." },
        { role: "system", content: "Be brief." },
        { role: "user", content: `${m} weather in Paris?` },
        { role: "assistant", content: null, tool_calls: [weatherCall] },
        { role: "tool", tool_call_id: weatherCall.id, content: '{"temp_c":21}' },
        { role: "assistant", content: "Il fait 21 °C.", refusal: null },
        {
          role: "user",
          content: [
            { type: "text", text: `${m} and this picture?` },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
          ],
        },
      ],
      tools: [weather],
      tool_choice: "none",
    });
    assert.equal(r.choices[0].message.content, `echo: ${m} and this picture?`);
  },

  async streamedToolCall(m) {
    const stream = client.chat.completions.stream({
      model,
      messages: user(m, "weather in Paris?"),
      tools: [weather],
      stream_options: { include_usage: true },
    });
    const fragments = [];
    stream.on("tool_calls.function.arguments.delta", (e) => fragments.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    assert.equal(final.choices[0].finish_reason, "tool_calls");
    // The helper adds parsed_arguments for a strict tool; the wire part is
    // what the service relayed.
    const { id, type, function: fn } = final.choices[0].message.tool_calls[0];
    assert.equal(final.choices[0].message.tool_calls.length, 1);
    assert.deepEqual({ id, type, function: { name: fn.name, arguments: fn.arguments } }, weatherCall);
    assert.ok(fragments.length >= 2, `arguments came in ${fragments.length} deltas: relayed merged, not as they arrived`);
    assert.equal(fragments.join(""), '{"city":"Paris"}');
    assert.deepEqual(final.usage, usage);
  },

  async parse(m) {
    const Weather = z.object({ city: z.string(), temperature_c: z.number() });
    const r = await client.chat.completions.parse({
      model,
      messages: user(m, "weather in Paris as JSON"),
      response_format: zodResponseFormat(Weather, "weather"),
    });
    assert.deepEqual(r.choices[0].message.parsed, { city: "Paris", temperature_c: 3 });
  },

  async choicesWithLogprobs(m) {
    const r = await client.chat.completions.create({ model, messages: user(m, "two ways"), n: 2, logprobs: true, top_logprobs: 2 });
    assert.equal(r.choices.length, 2);
    assert.deepEqual(
      r.choices.map((c) => [c.index, c.message.content]),
      [
        [0, `echo: ${m} two ways`],
        [1, `echo: ${m} two ways (choice 1)`],
      ],
    );
    for (const c of r.choices) {
      assert.equal(c.logprobs.content[0].token, "echo");
      assert.equal(c.logprobs.content[0].logprob, -0.25);
      assert.equal(c.logprobs.content[0].top_logprobs.length, 2);
    }
  },

  async samplingParams(m) {
    const r = await client.chat.completions.create({
      model,
      messages: user(m, "reply in JSON"),
      temperature: 0.3,
      top_p: 0.9,
      seed: 42,
      stop: ["END", "STOP"],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logit_bias: { 50256: -100 },
      user: "user-1234",
      max_tokens: 100,
      prediction: { type: "content", content: '{"ok":true}' },
      response_format: { type: "json_object" },
    });
    assert.equal(r.choices[0].message.content, '{"ok":true}');
  },

  async reasoningParams(m) {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: "developer", content: "Think, then answer." }, ...user(m, "hard question")],
      reasoning_effort: "low",
      max_completion_tokens: 256,
    });
    assert.equal(r.choices[0].message.content, `echo: ${m} hard question`);
    assert.equal(r.usage.completion_tokens_details.reasoning_tokens, 2);
  },

  async responsesText(m) {
    const r = await client.responses.create({
      model,
      input: `${m} hello responses`,
      instructions: "Answer briefly.",
      max_output_tokens: 64,
      temperature: 0.3,
      top_p: 0.9,
    });
    assert.match(r.id, /^resp_/);
    assert.equal(r.object, "response");
    assert.equal(r.status, "completed");
    assert.equal(r.store, false);
    assert.equal(r.output_text, `echo: ${m} hello responses`);
    assert.equal(r.output.length, 1);
    assert.equal(r.output[0].type, "message");
    assert.equal(r.output[0].role, "assistant");
    assert.equal(r.output[0].content.length, 1);
    const { type, text, annotations } = r.output[0].content[0]; // OpenAI adds logprobs: [] too
    assert.deepEqual({ type, text, annotations }, { type: "output_text", text: `echo: ${m} hello responses`, annotations: [] });
    assert.deepEqual(r.usage, {
      input_tokens: 17,
      output_tokens: 4,
      total_tokens: 21,
      input_tokens_details: { cached_tokens: 8 },
      output_tokens_details: { reasoning_tokens: 2 },
    });
  },

  async responsesStream(m) {
    const stream = client.responses.stream({ model, input: [{ role: "user", content: `${m} stream it` }] });
    const events = [];
    for await (const e of stream) events.push(e);
    const final = await stream.finalResponse();
    assert.equal(final.output_text, `echo: ${m} stream it`);
    assert.equal(final.status, "completed");
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const types = events.map((e) => e.type).filter((t, i, a) => t !== "response.output_text.delta" || a[i - 1] !== t);
    assert.deepEqual(types, [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const deltas = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta);
    assert.equal(deltas.join(""), `echo: ${m} stream it`);
    assert.equal(events.at(-1).response.usage.total_tokens, 21);
  },

  async responsesStreamToolCall(m) {
    const stream = await client.responses.create({
      model,
      input: `${m} weather in Paris?`,
      tools: [{ type: "function", ...weather.function }],
      stream: true,
    });
    const events = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type).filter((t, i, a) => t !== "response.function_call_arguments.delta" || a[i - 1] !== t);
    assert.deepEqual(types, [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const item = events.at(-1).response.output[0];
    assert.equal(item.type, "function_call");
    assert.equal(item.call_id, "call_get_weather");
    assert.equal(item.name, "get_weather");
    assert.equal(item.arguments, '{"city":"Paris"}');
  },

  async responsesToolRoundTrip(m) {
    const tools = [{ type: "function", ...weather.function }];
    const first = await client.responses.create({ model, input: `${m} weather in Paris?`, tools, tool_choice: "auto" });
    const call = first.output.find((o) => o.type === "function_call");
    assert.ok(call, `no function_call in ${JSON.stringify(first.output)}`);
    const second = await client.responses.create({
      model,
      input: [
        { role: "user", content: `${m} weather in Paris?` },
        { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: "function_call_output", call_id: call.call_id, output: '{"temp_c":21}' },
      ],
      tools,
      tool_choice: "none",
    });
    assert.equal(second.output_text, `echo: ${m} weather in Paris?`);
  },

  async responsesParse(m) {
    const Weather = z.object({ city: z.string(), temperature_c: z.number() });
    const r = await client.responses.parse({
      model,
      input: `${m} weather in Paris as JSON`,
      text: { format: zodTextFormat(Weather, "weather") },
    });
    assert.deepEqual(r.output_parsed, { city: "Paris", temperature_c: 3 });
  },

  async responsesPreviousID(m) {
    await rejectsWith(client.responses.create({ model, input: `${m} x`, previous_response_id: "resp_123" }), "previous_response_id", null);
  },

  async responsesStore(m) {
    await rejectsWith(client.responses.create({ model, input: `${m} x`, store: true }), "store", null);
  },

  async responsesItemReference(m) {
    await rejectsWith(
      client.responses.create({ model, input: [{ role: "user", content: `${m} x` }, { type: "item_reference", id: "msg_123" }] }),
      "input",
      null,
    );
  },

  async responsesBuiltinTool(m) {
    await rejectsWith(client.responses.create({ model, input: `${m} x`, tools: [{ type: "web_search" }] }), "tools", null);
  },

  // Last: it leaves the pool with a failure on the backend.
  async badGatewayNoRetry(m) {
    await assert.rejects(client.chat.completions.create({ model, messages: user(m, "please-fail") }), (err) => {
      assert.equal(err.status, 502, `got ${err.status} ${err.message}`);
      assert.equal(err.headers.get("x-should-retry"), "false");
      return true;
    });
    assert.equal(sentCount(), 1, "the SDK retried a 502 the service said not to retry");
  },
};

await run(steps);
