// What every SDK script shares: the service's address, a fetch that
// prints each request the SDK makes (so the Go test can compare it with
// what reached the upstream), and a step runner that goes on past a
// failing step so one run reports them all.
export const baseURL = process.env.AOAI_API_BASE_URL; // e.g. http://127.0.0.1:5009/v1
export const model = process.env.AOAI_API_MODEL;
export const apiKey = "any-key-works-without-inbound-keys";

let current = "";
const counts = {};

// marker goes into every prompt of a step: the upstream finds the step's
// calls by it.
export const marker = (step) => `[${step}]`;

// sdkFetch is handed to each SDK as its fetch. It prints the body the
// SDK built, as it went out, and the status and retry headers it got
// back.
export async function sdkFetch(url, init = {}) {
  const step = current;
  counts[step] = (counts[step] ?? 0) + 1;
  const res = await fetch(url, init);
  let body = null;
  if (typeof init.body === "string") {
    try {
      body = JSON.parse(init.body);
    } catch {
      body = { unparsed: init.body };
    }
  }
  const path = new URL(url instanceof Request ? url.url : url).pathname;
  // The headers that tell a client whether to retry.
  const headers = {};
  for (const h of ["x-should-retry", "retry-after"]) if (res.headers.has(h)) headers[h] = res.headers.get(h);
  console.log("sent " + JSON.stringify({ step, method: init.method ?? "GET", path, status: res.status, headers, body }));
  return res;
}

// sentCount is how many requests the current step has made so far.
export const sentCount = () => counts[current] ?? 0;

export async function run(steps) {
  let failed = 0;
  for (const [name, fn] of Object.entries(steps)) {
    current = name;
    try {
      await fn(marker(name));
      console.log(`ok ${name}`);
    } catch (err) {
      failed++;
      // The message and the script's own line: enough to tell what the
      // service got wrong without the SDK's stack.
      const where = String(err?.stack ?? "")
        .split("\n")
        .find((l) => /\/test\/sdk\/(?!node_modules|harness)/.test(l));
      console.log(`FAIL ${name}: ${String(err?.message ?? err).replaceAll("\n", " | ")}${where ? ` (${where.trim()})` : ""}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
