// Drives the service's /v1 surface with the official openai SDK, exactly
// as a user's script would: only the base URL changes. Run by
// test/openai_sdk_test.go against the real binary and a fake upstream.
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.AOAI_API_BASE_URL, // e.g. http://127.0.0.1:5009/v1
  apiKey: "any-key-works-without-inbound-keys",
  maxRetries: 2,
  timeout: 20_000,
});
const model = process.env.AOAI_API_MODEL;

async function nonStreaming() {
  const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hello sdk" }] });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.content, "echo: hello sdk");
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.deepEqual(r.usage, { prompt_tokens: 17, completion_tokens: 4, total_tokens: 21 });
}

async function streaming() {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "stream please" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) text += c.delta?.content ?? "";
  }
  assert.equal(text, "echo: stream please");
  assert.deepEqual(usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
}

async function retriesThrottling() {
  // The upstream throttles the first call; the service passes the 429 on
  // with Retry-After and the SDK must wait and retry on its own.
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: "user", content: "please-throttle" }] })
    .withResponse();
  assert.equal(response.status, 200);
  assert.equal(data.choices[0].message.content, "echo: please-throttle");
}

async function badRequest() {
  await assert.rejects(
    client.chat.completions.create({ model, n: 2, messages: [{ role: "user", content: "x" }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /'n' is not supported by this service/);
      assert.equal(err.code, "unsupported_parameter");
      assert.equal(err.param, "n");
      return true;
    },
  );
}

async function unknownModel() {
  await assert.rejects(
    client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found",
  );
}

async function models() {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
}

for (const [name, fn] of Object.entries({ nonStreaming, streaming, retriesThrottling, badRequest, unknownModel, models })) {
  await fn();
  console.log(`ok ${name}`);
}
