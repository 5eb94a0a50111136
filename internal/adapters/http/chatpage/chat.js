// The chat page of aoai-api: one module, no dependencies, no build step.
// docs/chat-page.md lists its hooks and explains how it reads the stream.
// Model text only ever reaches the DOM as text nodes: the page's policy
// refuses innerHTML outright (Trusted Types), and nothing here uses it.

const STREAM_URL = '/api/chat/stream';
const KEY_ITEM = 'aoai-api.key'; // sessionStorage only: gone with the tab

const messages = document.getElementById('messages');
const composer = document.getElementById('composer');
const prompt = composer.elements.prompt;
const sendButton = composer.querySelector('button[type="submit"]');
const stopButton = document.querySelector('[data-action="stop"]');
const newButton = document.querySelector('[data-action="new"]');
const status = document.getElementById('status');
const keyForm = document.getElementById('key-form');
const keyInput = keyForm.elements['api-key'];
const keyReason = document.getElementById('key-reason');

// conversation holds the turns sent as `messages`, in this tab's memory
// only. A failed exchange leaves it; a stopped answer stays as far as it got.
let conversation = [];
let running = null; // the AbortController of the stream in flight
let retry = null; // the text to send again once a key is entered

prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    composer.requestSubmit();
  } else if (e.key === 'Escape' && running) {
    e.preventDefault();
    running.abort();
  }
});

composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = prompt.value;
  if (running || text.trim() === '') return;
  prompt.value = '';
  send(text);
});

stopButton.addEventListener('click', () => running?.abort());

newButton.addEventListener('click', () => {
  running?.abort();
  conversation = [];
  messages.replaceChildren();
  announce('New conversation');
  prompt.focus();
});

keyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const key = keyInput.value.trim();
  if (key === '') return;
  sessionStorage.setItem(KEY_ITEM, key);
  keyInput.value = '';
  keyForm.hidden = true;
  const text = retry;
  retry = null;
  prompt.focus();
  if (text !== null) send(text);
});

async function send(text) {
  messages.querySelector('[data-part="empty"]')?.remove();
  // A new conversation started meanwhile replaces the array, so this
  // exchange only ever changes the conversation it was part of.
  const conv = conversation;
  const turn = { role: 'user', content: text };
  conv.push(turn);
  const userEl = addUser(text);
  const answer = addAnswer();
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  let outcome;
  try {
    const res = await fetch(STREAM_URL, {
      method: 'POST',
      headers: requestHeaders(),
      body: JSON.stringify({ messages: conv }),
      signal: controller.signal,
    });
    const requestID = res.headers.get('X-Request-ID') ?? '';
    if (res.status === 401) {
      outcome = 'key';
      const err = await errorOf(res, requestID);
      sessionStorage.removeItem(KEY_ITEM);
      userEl.remove();
      answer.el.remove();
      askForKey(text, err.error);
    } else if (!res.ok) {
      // 400 names the limit reached ('messages' has more than …), 429 a
      // rate, 5xx the upstream: the service's own words in every case.
      outcome = 'error';
      answer.fail(await errorOf(res, requestID));
    } else {
      outcome = await readAnswer(res.body, answer, requestID);
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      outcome = 'stopped';
      answer.stop();
    } else {
      outcome = 'error';
      answer.fail({ error: 'The service could not be reached: ' + e.message, correlation_id: '' });
    }
  } finally {
    if (running === controller) running = null;
    setBusy(false);
  }
  // An exchange that left no answer text leaves the conversation; a
  // stopped answer stays as far as the user saw it.
  const kept = answer.text();
  if ((outcome === 'done' || outcome === 'stopped') && kept.trim() !== '') {
    conv.push({ role: 'assistant', content: kept });
  } else {
    conv.splice(conv.indexOf(turn), 1);
  }
}

// readAnswer reads the service's events until `done` or `error`. A
// stream that ends without either, or breaks, was cut: an error too,
// never a complete answer.
async function readAnswer(body, answer, requestID) {
  let text = '';
  try {
    for await (const batch of sseEvents(body)) {
      for (const ev of batch) {
        if (ev.event === 'message') {
          text += JSON.parse(ev.data).delta ?? '';
        } else if (ev.event === 'done') {
          answer.show(text);
          answer.finish(JSON.parse(ev.data));
          return 'done';
        } else if (ev.event === 'error') {
          answer.show(text);
          answer.fail(JSON.parse(ev.data));
          return 'error';
        }
      }
      answer.show(text); // once per chunk read, not once per event
    }
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    answer.show(text);
    answer.fail({ error: 'The stream broke off: ' + e.message, correlation_id: requestID });
    return 'error';
  }
  answer.show(text);
  answer.fail({ error: 'The stream ended before the answer was complete', correlation_id: requestID });
  return 'error';
}

// sseEvents parses text/event-stream from a fetch body, yielding the
// events of each chunk read together. EventSource cannot POST, hence this.
async function* sseEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // A lone CR at the end may be half of a CRLF: it waits for the next chunk.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop();
      const batch = [];
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) batch.push({ event: name || 'message', data: data.join('\n') });
          name = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue; // a comment, such as ": keep-alive"
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') name = val;
        else if (field === 'data') data.push(val);
      }
      if (batch.length > 0) yield batch;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function errorOf(res, requestID) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: fall through to the status line
  }
  return {
    error: typeof body?.error === 'string' ? body.error : `HTTP ${res.status}`,
    correlation_id: body?.correlation_id ?? requestID,
  };
}

function requestHeaders() {
  const h = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) h.Authorization = 'Bearer ' + key;
  return h;
}

function askForKey(text, reason) {
  retry = text;
  keyReason.textContent = reason.replace(/\.$/, '') + '. Enter an API key to continue.';
  keyForm.hidden = false;
  keyInput.focus();
  announce('An API key is needed');
}

function setBusy(busy) {
  // A button that becomes disabled drops the focus to the body; keep it
  // where a keyboard user types next.
  const dropped = document.activeElement === (busy ? sendButton : stopButton);
  sendButton.disabled = busy;
  stopButton.disabled = !busy;
  if (dropped) prompt.focus();
}

function announce(text) {
  status.textContent = '';
  status.textContent = text;
}

function addUser(text) {
  const el = node('article', { 'data-role': 'user', 'aria-label': 'You' });
  el.append(node('div', { 'data-part': 'content' }, text));
  messages.append(el);
  el.scrollIntoView({ block: 'end' });
  return el;
}

// addAnswer adds the assistant's message and returns what the stream does
// with it. aria-busy keeps screen readers from reading it token by token.
function addAnswer() {
  const el = node('article', { 'data-role': 'assistant', 'data-state': 'streaming', 'aria-busy': 'true', 'aria-label': 'Answer' });
  const content = node('div', { 'data-part': 'content' });
  el.append(content);
  messages.append(el);
  let shown = '';
  const settle = (state) => {
    el.dataset.state = state;
    el.removeAttribute('aria-busy');
  };
  return {
    el,
    text: () => shown,
    show(text) {
      if (text === shown) return;
      shown = text;
      content.replaceChildren(renderMarkdown(text));
      el.scrollIntoView({ block: 'end' });
    },
    finish(done) {
      settle('done');
      el.append(meta(done));
      if (el.isConnected) announce(`Answer finished: ${done.usage.response_chars} characters from ${done.model}`);
    },
    stop() {
      settle('stopped');
      el.append(node('p', { class: 'meta', 'data-part': 'meta' }, 'Stopped'));
      if (el.isConnected) announce('Answer stopped');
    },
    fail(err) {
      settle('error');
      const box = node('div', { 'data-role': 'error', 'data-correlation-id': err.correlation_id ?? '' });
      box.append(node('p', {}, err.error));
      if (err.correlation_id) {
        const cid = node('p', { class: 'cid' }, 'Correlation id: ');
        cid.append(node('code', {}, err.correlation_id));
        box.append(cid);
      }
      el.append(box);
      el.scrollIntoView({ block: 'end' });
      if (el.isConnected) announce('Error: ' + err.error);
    },
  };
}

function meta(done) {
  const u = done.usage;
  const tokens = (n) => (n === null || n === undefined ? '–' : String(n));
  const p = node('p', { class: 'meta', 'data-part': 'meta' });
  p.append(
    node('span', { 'data-field': 'model' }, done.model),
    ' · finish_reason ',
    node('span', { 'data-field': 'finish_reason' }, done.finish_reason),
    ' · ',
    node('span', { 'data-field': 'chars' }, `${u.prompt_chars} prompt + ${u.response_chars} response characters`),
    ' · ',
    node('span', { 'data-field': 'tokens' },
      `tokens ${tokens(u.prompt_tokens)} prompt + ${tokens(u.completion_tokens)} completion = ${tokens(u.total_tokens)}`),
  );
  return p;
}

function node(tag, attrs = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// --- markdown -------------------------------------------------------------
// A small renderer for what models write: paragraphs, headings, lists,
// emphasis, links, inline code and fenced code blocks. It builds nodes;
// anything it does not understand stays visible as text, HTML included.

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const ITEM = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/;

function renderMarkdown(src) {
  const out = document.createDocumentFragment();
  const lines = src.split(/\r\n|\r|\n/);
  let i = 0;
  const startsBlock = (line) => FENCE.test(line) || HEADING.test(line) || ITEM.test(line);
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      i++; // the closing fence; while streaming there may be none yet
      const code = node('code', fence[2] ? { 'data-lang': fence[2] } : {}, body.join('\n'));
      const pre = node('pre');
      pre.append(code);
      out.append(pre);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const h = node('h' + Math.min(6, heading[1].length + 2));
      inline(h, heading[2]);
      out.append(h);
      i++;
      continue;
    }
    const first = line.match(ITEM);
    if (first) {
      const ordered = first[2] !== undefined;
      const list = node(ordered ? 'ol' : 'ul');
      if (ordered && first[2] !== '1') list.setAttribute('start', String(Number(first[2])));
      while (i < lines.length) {
        const item = lines[i].match(ITEM);
        if (!item || (item[2] !== undefined) !== ordered) break;
        let text = item[3];
        for (i++; i < lines.length && /^\s{2,}\S/.test(lines[i]) && !ITEM.test(lines[i]); i++) text += '\n' + lines[i].trim();
        const li = node('li');
        inline(li, text);
        list.append(li);
      }
      out.append(list);
      continue;
    }
    const para = [];
    for (; i < lines.length && lines[i].trim() !== '' && (para.length === 0 || !startsBlock(lines[i])); i++) para.push(lines[i]);
    const p = node('p');
    inline(p, para.join('\n'));
    out.append(p);
  }
  return out;
}

// One pass over a line's spans, leftmost first: code, link, strong, em,
// and line breaks. Text between them is appended as text nodes.
// Underscores never emphasise inside a word (snake_case, __dunder__).
const INLINE = /`([^`\n]+)`|\[([^\]\n]+)\]\(([^()\s]+)\)|\*\*(\S(?:[^*]*?\S)?)\*\*|(?<!\w)__(\S(?:[^_]*?\S)?)__(?!\w)|\*(\S(?:[^*]*?\S)?)\*|(?<!\w)_(\S(?:[^_]*?\S)?)_(?!\w)|\n/g;

function inline(parent, text) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    parent.append(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      parent.append(node('code', {}, m[1]));
    } else if (m[2] !== undefined) {
      parent.append(link(m[2], m[3]) ?? m[0]);
    } else if (m[4] !== undefined || m[5] !== undefined) {
      const strong = node('strong');
      inline(strong, m[4] ?? m[5]);
      parent.append(strong);
    } else if (m[6] !== undefined || m[7] !== undefined) {
      const em = node('em');
      inline(em, m[6] ?? m[7]);
      parent.append(em);
    } else {
      parent.append(node('br'));
    }
  }
  parent.append(text.slice(last));
}

// link makes an anchor for absolute http(s) URLs only; any other scheme
// (javascript:, data:, …) or a relative one stays text.
function link(label, href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const a = node('a', { href: url.href, rel: 'noopener noreferrer', target: '_blank' });
  inline(a, label);
  return a;
}
