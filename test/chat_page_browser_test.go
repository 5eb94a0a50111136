package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The page's hooks, as docs/chat-page.md documents them.
const (
	promptBox  = `textarea[name="prompt"]`
	sendButton = `#composer button[type="submit"]`
	stopButton = `[data-action="stop"]`
	newButton  = `[data-action="new"]`
	keyBox     = `input[name="api-key"]`
)

// answer is an assistant message once it has settled.
type answer struct {
	State         string  `json:"state"`
	Content       string  `json:"content"`
	Meta          string  `json:"meta"`
	Error         string  `json:"error"`
	CorrelationID *string `json:"correlation_id"` // nil: no data-role="error" element
}

// settled waits for the i-th assistant message (from 0) to leave the
// streaming state.
func settled(tab *chatTab, i int) answer {
	tab.t.Helper()
	return waitFor[answer](tab, fmt.Sprintf("answer %d to settle", i+1), `(i) => {
  const a = document.querySelectorAll('[data-role="assistant"]')[i];
  if (!a || a.dataset.state === 'streaming') return null;
  const e = a.querySelector('[data-role="error"]');
  return { state: a.dataset.state, content: a.querySelector('[data-part="content"]').innerText,
    meta: a.querySelector('[data-part="meta"]')?.textContent ?? '', error: e?.textContent ?? '',
    correlation_id: e ? e.dataset.correlationId : null };
}`, i)
}

// send types a message and presses Enter, as a keyboard user does.
func (tab *chatTab) send(text string) {
	tab.t.Helper()
	tab.do("sending "+text, chromedp.SendKeys(chromedp.CSS(promptBox), text), pressEnter)
}

// pressEnter sends the Enter key as a keyboard does once the page cancels
// its keydown: no character follows. chromedp's "\n" sends DevTools' char
// event regardless, which a real browser suppresses after a cancelled
// keydown, and which would leave a stray newline in the box.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		}); err != nil {
			return err
		}
	}
	return nil
})

type recorded []struct{ Role, Content string }

func (r recorded) String() string {
	var b strings.Builder
	for _, m := range r {
		fmt.Fprintf(&b, "%s: %q; ", m.Role, m.Content)
	}
	return b.String()
}

// recordingUpstream answers like azureReply and keeps every conversation
// it was sent.
func recordingUpstream(t *testing.T, reply func(w http.ResponseWriter, req wireRequest)) (*azureUpstream, func() []recorded) {
	var mu sync.Mutex
	var seen []recorded
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		mu.Lock()
		seen = append(seen, recorded(req.Messages))
		mu.Unlock()
		reply(w, req)
	})
	return up, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

func TestChatPageStreamsAnAnswer(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "FAKE_STREAM_DELAY": "60ms"})
	tab := openChat(t, svc)
	if !eval[bool](tab, `document.querySelector('header img').naturalWidth > 0`) {
		t.Error("the icon did not load")
	}
	checkAccessibleNames(t, tab)

	tab.do("typing", chromedp.SendKeys(chromedp.CSS(promptBox), "Tell me something"))
	tab.do("clicking Send", chromedp.Click(chromedp.CSS(sendButton)))
	const streaming = `[data-role="assistant"][data-state="streaming"] [data-part="content"]`
	first := waitFor[string](tab, "the first words", `(sel) => document.querySelector(sel)?.textContent`, streaming)
	if !eval[bool](tab, `!document.querySelector('[data-action="stop"]').disabled && document.querySelector('textarea[name="prompt"]').value === ''`) {
		t.Error("while streaming: Stop should be enabled and the message box empty")
	}
	later := waitFor[string](tab, "more words", `(sel, prev) => { const t = document.querySelector(sel)?.textContent; return t !== prev && t; }`, streaming, first)
	if !strings.HasPrefix(later, first) || len(later) <= len(first) {
		t.Errorf("the answer did not grow: %q, then %q", first, later)
	}

	a := settled(tab, 0)
	wantText := "[offline] This reply comes from the fake model; no Azure OpenAI call was made. You said: Tell me something"
	if a.State != "done" || a.Content != wantText || a.CorrelationID != nil {
		t.Fatalf("answer = %+v", a)
	}
	wantChars := fmt.Sprintf("%d prompt + %d response characters", len("Tell me something"), utf8.RuneCountInString(wantText))
	for _, want := range []string{"offline-fake", "finish_reason stop", wantChars, "tokens"} {
		if !strings.Contains(a.Meta, want) {
			t.Errorf("meta %q lacks %q", a.Meta, want)
		}
	}
	// One announcement for the finished answer, none per token.
	if got := eval[[]string](tab, `window.__announced`); len(got) != 1 || !strings.HasPrefix(got[0], "Answer finished") {
		t.Errorf("the live region announced %q", got)
	}
	// Keyboard only: the focus is back in the message box, Tab reaches
	// Send (Stop is disabled), and the focus is visible.
	focus := eval[string](tab, `document.activeElement.name`)
	tab.do("pressing Tab", chromedp.KeyEvent("\t"))
	if got := eval[string](tab, `(() => { const e = document.activeElement; return e.type + ' ' + getComputedStyle(e).outlineStyle; })()`); focus != "prompt" || got != "submit solid" {
		t.Errorf("focus after the answer %q; after Tab: %q, want the submit button with a solid outline", focus, got)
	}
}

func TestChatPageStopCancelsTheUpstream(t *testing.T) {
	cancelled, release := make(chan struct{}), make(chan struct{})
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		azureStreamStart(w)
		sseChunk(w, "The first words", nil)
		select {
		case <-req.Context.Done():
			close(cancelled)
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before the upstream closes: cleanups run last-in first-out
	svc := startService(t, azureEnv(up))
	tab := openChat(t, svc)
	tab.send("Tell me a long story")
	waitFor[bool](tab, "the first words", `() => document.querySelector('[data-role="assistant"][data-state="streaming"]')?.textContent.includes('The first words')`)
	tab.do("clicking Stop", chromedp.Click(chromedp.CSS(stopButton)))
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream never saw its request cancelled")
	}
	a := settled(tab, 0)
	if a.State != "stopped" || a.Content != "The first words" || a.Meta != "Stopped" || a.CorrelationID != nil {
		t.Errorf("answer = %+v", a)
	}
	if !eval[bool](tab, `document.querySelector('[data-action="stop"]').disabled && !document.querySelector('#composer button[type="submit"]').disabled`) {
		t.Error("after Stop: Stop should be disabled and Send enabled")
	}
}

func TestChatPageSendsTheWholeConversation(t *testing.T) {
	up, seen := recordingUpstream(t, azureReply)
	env := azureEnv(up)
	env["SYSTEM_PROMPT"] = "You answer the chat page's tests."
	svc := startService(t, env)
	tab := openChat(t, svc)

	// Keyboard only: Shift+Enter adds a line, Enter sends.
	tab.do("typing two lines",
		chromedp.SendKeys(chromedp.CSS(promptBox), "First line"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(chromedp.CSS(promptBox), "second line"),
		pressEnter,
	)
	if a := settled(tab, 0); a.State != "done" || a.Content != "echo: First line\nsecond line" {
		t.Fatalf("first answer = %+v", a)
	}
	if got := eval[string](tab, `document.querySelector('[data-role="user"]').innerText + '|' + document.querySelector('textarea[name="prompt"]').value`); got != "First line\nsecond line|" {
		t.Errorf("user message and box after sending = %q", got)
	}
	tab.send("Second question")
	if a := settled(tab, 1); a.State != "done" || a.Content != "echo: Second question" {
		t.Fatalf("second answer = %+v", a)
	}
	want := recorded{
		{"system", "You answer the chat page's tests."},
		{"user", "First line\nsecond line"},
		{"assistant", "echo: First line\nsecond line"},
		{"user", "Second question"},
	}
	if got := seen(); len(got) != 2 || got[1].String() != want.String() {
		t.Fatalf("the upstream saw %v, want the second call to carry %v", got, want)
	}

	tab.do("starting a new conversation", chromedp.Click(chromedp.CSS(newButton)))
	if n := eval[int](tab, `document.querySelectorAll('[data-role]').length`); n != 0 {
		t.Errorf("%d messages left after New conversation", n)
	}
	tab.send("Third question")
	if a := settled(tab, 0); a.State != "done" || a.Content != "echo: Third question" {
		t.Fatalf("answer in the new conversation = %+v", a)
	}
	fresh := recorded{{"system", "You answer the chat page's tests."}, {"user", "Third question"}}
	if got := seen(); len(got) != 3 || got[2].String() != fresh.String() {
		t.Errorf("the new conversation sent %v, want %v", got[len(got)-1], fresh)
	}
}

func TestChatPageShowsAFailureMidStream(t *testing.T) {
	var calls atomic.Int32
	up, seen := recordingUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if calls.Add(1) == 1 {
			azureStreamStart(w)
			sseChunk(w, "partial", nil) // then the upstream stream ends without [DONE]
			return
		}
		azureReply(w, req)
	})
	svc := startService(t, azureEnv(up))
	tab := openChat(t, svc)
	responses := chromedp.Events(tab.ctx, network.ResponseReceived) // before the request, so none is missed
	tab.send("Will this break?")

	a := settled(tab, 0)
	if a.State != "error" || a.Content != "partial" || !strings.Contains(a.Error, "before it was complete") || a.CorrelationID == nil {
		t.Fatalf("answer = %+v", a)
	}
	var requestID string
	for ev, err := range responses {
		if err != nil {
			t.Fatalf("no response from /api/chat/stream: %v", err)
		}
		if strings.HasSuffix(ev.Response.URL, "/api/chat/stream") {
			requestID = header(ev.Response.Headers, "X-Request-ID")
			break
		}
	}
	if requestID == "" || *a.CorrelationID != requestID || !strings.Contains(a.Error, requestID) {
		t.Errorf("data-correlation-id %q, shown %q; the response's X-Request-ID %q", *a.CorrelationID, a.Error, requestID)
	}

	// A broken exchange is not part of the conversation any more.
	tab.send("Try again")
	if a := settled(tab, 1); a.State != "done" {
		t.Fatalf("answer after the failure = %+v", a)
	}
	if got := seen(); len(got) != 2 || len(got[1]) != 2 || got[1][1].Content != "Try again" {
		t.Errorf("after a failed exchange the upstream saw %v", got)
	}
}

// header reads a response header from DevTools, whose names keep the
// spelling they had on the wire.
func header(h network.Headers, name string) string {
	for k, v := range h {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}

func TestChatPageAsksForAKeyOnce(t *testing.T) {
	const key = "chat-page-key-0123456789"
	svc := startService(t, fakeEnv(map[string]string{"API_KEYS": key}))
	tab := openChat(t, svc) // the page itself needs no key
	tab.expect("status of 401")
	tab.send("Hello with a key")
	reason := waitFor[string](tab, "the key prompt",
		`() => !document.getElementById('key-form').hidden && document.activeElement.name === 'api-key' && document.getElementById('key-reason').textContent`)
	if !strings.Contains(reason, "An API key is required") {
		t.Errorf("the key prompt says %q, want the service's 401 message", reason)
	}
	if n := eval[int](tab, `document.querySelectorAll('[data-role]').length`); n != 0 {
		t.Errorf("%d messages shown for the refused request, want it withdrawn until the key is in", n)
	}
	tab.do("entering the key", chromedp.SendKeys(chromedp.CSS(keyBox), key+"\n"))
	if a := settled(tab, 0); a.State != "done" || !strings.HasSuffix(a.Content, "You said: Hello with a key") {
		t.Fatalf("answer with the key = %+v", a)
	}
	stored := eval[map[string]any](tab, `({ session: sessionStorage.getItem('aoai-api.key'), local: localStorage.length, cookie: document.cookie })`)
	if stored["session"] != key || stored["local"] != 0.0 || stored["cookie"] != "" {
		t.Errorf("storage = %v, want the key in sessionStorage only", stored)
	}

	// The key lasts as long as the tab: after a reload no prompt comes.
	tab.do("reloading", chromedp.Reload())
	tab.send("Hello again")
	if a := settled(tab, 0); a.State != "done" || !strings.HasSuffix(a.Content, "You said: Hello again") {
		t.Fatalf("answer after the reload = %+v", a)
	}
	if !eval[bool](tab, `document.getElementById('key-form').hidden`) {
		t.Error("the key was asked for again")
	}
}

func TestChatPageRendersModelHTMLAsText(t *testing.T) {
	svc := startService(t, azureEnv(newAzureUpstream(t, azureReply)))
	tab := openChat(t, svc)
	hostile := `<img src=x onerror="window.pwned='img'"> [click me](javascript:window.pwned='link') <script>window.pwned='script'</script> [docs](https://example.com/docs)`
	tab.do("typing", chromedp.SetValue(chromedp.CSS(promptBox), hostile), chromedp.Focus(chromedp.CSS(promptBox)), pressEnter)
	a := settled(tab, 0)
	if a.State != "done" {
		t.Fatalf("answer = %+v", a)
	}
	for _, literal := range []string{`<img src=x onerror="window.pwned='img'">`, `[click me](javascript:window.pwned='link')`, `<script>window.pwned='script'</script>`} {
		if !strings.Contains(a.Content, literal) {
			t.Errorf("the answer %q does not show %q as text", a.Content, literal)
		}
	}
	if got := eval[string](tab, `String(window.pwned) + ' ' + document.querySelectorAll('#messages img, #messages script, #messages [onerror]').length`); got != "undefined 0" {
		t.Errorf("window.pwned and injected elements: %q", got)
	}
	links := eval[[]map[string]string](tab, `[...document.querySelectorAll('#messages a')].map((a) => ({ href: a.href, rel: a.rel, text: a.textContent }))`)
	if len(links) != 1 || links[0]["href"] != "https://example.com/docs" || links[0]["rel"] != "noopener noreferrer" || links[0]["text"] != "docs" {
		t.Errorf("links = %v, want only the https one, with rel=noopener noreferrer", links)
	}
}

func TestChatPageShowsTheServiceLimit(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"CHAT_MAX_MESSAGES": "2"}))
	tab := openChat(t, svc)
	tab.expect("status of 400")
	tab.send("One")
	if a := settled(tab, 0); a.State != "done" {
		t.Fatalf("first answer = %+v", a)
	}
	tab.send("Two") // user, assistant, user: three turns, one over the limit
	a := settled(tab, 1)
	if a.State != "error" || !strings.Contains(a.Error, "'messages' has more than 2 messages") || a.CorrelationID == nil || *a.CorrelationID == "" {
		t.Errorf("answer over the limit = %+v", a)
	}
}

// TestChatPageConsoleCheckBites makes a tab see a missing image and a
// CSP violation, so a console check that misses them cannot pass.
func TestChatPageConsoleCheckBites(t *testing.T) {
	svc := startService(t, fakeEnv(nil))
	tab := openChat(t, svc)
	tab.do("adding a missing icon and a foreign image", chromedp.Evaluate[chromedp.Void](`
for (const src of ['/chat/missing-icon.svg', 'http://127.0.0.2:9/foreign.png']) {
  const img = document.createElement('img');
  img.src = src;
  document.body.append(img);
}`))
	tab.waitConsole("status of 404")
	waitFor[bool](tab, "the CSP violation", `() => window.__csp.length > 0`)
	got := strings.Join(tab.problems(), "\n")
	for _, want := range []string{"status of 404", "CSP violation: img-src http://127.0.0.2:9/foreign.png"} {
		if !strings.Contains(got, want) {
			t.Errorf("the console check missed %q; it saw:\n%s", want, got)
		}
	}
	// Both were provoked: leave nothing for the end-of-test check.
	tab.expect("status of 404")
	tab.expect("violates the following Content Security Policy directive")
	eval[int](tab, `window.__csp.length = 0`)
}

// checkAccessibleNames asks the browser's accessibility tree, as a
// screen reader would, for every control's role and name.
func checkAccessibleNames(t *testing.T, tab *chatTab) {
	t.Helper()
	tree, err := chromedp.Call(tab.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatal(err)
	}
	text := func(v *accessibility.Value) string {
		var s string
		if v != nil {
			_ = json.Unmarshal(v.Value, &s)
		}
		return s
	}
	var controls []string
	for _, n := range tree.Nodes {
		if role := text(n.Role); !n.Ignored && (role == "button" || role == "textbox") {
			controls = append(controls, role+" "+text(n.Name))
		}
	}
	want := []string{"button New conversation", "textbox Message", "button Stop", "button Send"}
	if strings.Join(controls, ", ") != strings.Join(want, ", ") {
		t.Errorf("controls as assistive technology sees them: %v, want %v", controls, want)
	}
}

// TestChatPageScreenshots renders a markdown answer at a desktop size and
// at 360 px in dark mode, checks the small layout, and writes both
// screenshots under the test's temporary directory. CHAT_PAGE_SCREENSHOTS
// names a directory to copy them to, to refresh docs/chat-page.png.
func TestChatPageScreenshots(t *testing.T) {
	const reply = "Here is what the page renders:\n\n" +
		"- **streaming** from `/api/chat/stream`, token by token\n" +
		"- *Stop* and **New conversation**\n" +
		"- links such as [the contract](https://example.com/openapi.yaml)\n\n" +
		"```sh\ncurl -N localhost:5009/api/chat/stream\n```\n"
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) {
		azureStreamStart(w)
		for _, piece := range strings.SplitAfter(reply, " ") {
			sseChunk(w, piece, nil)
		}
		azureStreamEnd(w, true)
	})
	svc := startService(t, azureEnv(up))
	tab := openChat(t, svc)
	tab.send("What does this page do?")
	if a := settled(tab, 0); a.State != "done" {
		t.Fatalf("answer = %+v", a)
	}
	shape := eval[string](tab, `(() => {
  const c = document.querySelector('[data-role="assistant"] [data-part="content"]');
  return [...c.children].map((e) => e.tagName).join(' ') + ' | li ' + c.querySelectorAll('li').length +
    ' strong ' + c.querySelectorAll('strong').length + ' em ' + c.querySelectorAll('em').length +
    ' code ' + c.querySelectorAll('li code').length + ' pre ' + (c.querySelector('pre code')?.dataset.lang ?? '-') +
    ' a ' + [...c.querySelectorAll('a')].map((a) => a.rel).join();
})()`)
	if want := "P UL PRE | li 3 strong 2 em 1 code 1 pre sh a noopener noreferrer"; shape != want {
		t.Errorf("rendered markdown: %q, want %q", shape, want)
	}

	dir := t.TempDir()
	shot := func(name string) {
		png, err := chromedp.Run(tab.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{dir, os.Getenv("CHAT_PAGE_SCREENSHOTS")} {
			if d != "" {
				if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	background := `getComputedStyle(document.body).backgroundColor`
	tab.do("a desktop window", chromedp.EmulateViewport(1280, 800))
	shot("chat-page-1280x800.png")
	light := eval[string](tab, background)

	tab.do("a small phone in dark mode", chromedp.EmulateViewport(360, 740), chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	if dark := eval[string](tab, background); dark == light {
		t.Errorf("the background is %s in light and dark mode alike", dark)
	}
	// Usable at 360 px: nothing scrolls sideways, and the box and both
	// buttons are whole on screen.
	fits := eval[string](tab, `(() => {
  const out = [document.documentElement.scrollWidth];
  for (const sel of ['textarea[name="prompt"]', '#composer button[type="submit"]', '[data-action="stop"]', '[data-action="new"]']) {
    const r = document.querySelector(sel).getBoundingClientRect();
    if (r.left < 0 || r.right > innerWidth || r.bottom > innerHeight || r.width === 0) out.push(sel);
  }
  return out.join(' ');
})()`)
	if fits != "360" {
		t.Errorf("at 360 px: page width and controls off screen: %s", fits)
	}
	shot("chat-page-360x740-dark.png")
	for _, name := range []string{"chat-page-1280x800.png", "chat-page-360x740-dark.png"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() < 10_000 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}
