package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser is the one headless Chromium every chat page test shares:
// started by the first test that needs it, closed by TestMain. Each test
// gets a tab of its own.
var browser struct {
	once  sync.Once
	ctx   context.Context // the browser's; tabs are its children
	stop  func()
	err   error
	start time.Duration
}

// mustBrowser starts Debian's chromium on first use. Without it the chat
// page tests fail: they are part of the suite, never skipped.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		startBrowser()
		if browser.err == nil {
			t.Logf("chromium started in %s", browser.start.Round(time.Millisecond))
		}
	})
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	return browser.ctx
}

func startBrowser() {
	began := time.Now()
	path, err := exec.LookPath("chromium")
	if err != nil {
		browser.err = errors.New("chromium not found: the chat page tests drive Debian's chromium headless; install it with `apt-get install chromium` (.ci/run does)")
		return
	}
	dir, err := os.MkdirTemp("", "aoai-api-chromium")
	if err != nil {
		browser.err = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-background-networking", true), // the machines have no network
		chromedp.UserDataDir(dir),                            // a fresh profile
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	browser.stop = func() {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(ctx); err != nil {
		browser.err = fmt.Errorf("starting %s: %w", path, err)
		return
	}
	browser.ctx, browser.start = ctx, time.Since(began)
}

// stopBrowser ends the shared browser, if a test started it.
func stopBrowser() {
	if browser.stop != nil {
		browser.stop()
	}
}

// pageProbe runs before the page's own script in every document. DevTools
// injects it, so the page's policy does not apply to it. It records CSP
// violations and what the live region announces.
const pageProbe = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || e.sample)));
window.__announced = [];
document.addEventListener('DOMContentLoaded', () => {
  const s = document.querySelector('[role="status"]');
  if (s) new MutationObserver(() => { if (s.textContent) window.__announced.push(s.textContent); })
    .observe(s, { childList: true, characterData: true, subtree: true });
});`

// chatTab is one tab on the chat page. Everything the console shows while
// it is open is checked when the test ends: an error, an exception, a
// failed load (a missing icon) or a CSP violation fails the test unless
// the test said it provokes it.
type chatTab struct {
	t        *testing.T
	ctx      context.Context // the tab's, with the test's deadline
	mu       sync.Mutex
	console  []chromedp.ConsoleMessage
	arrived  chan struct{} // signalled on every console message
	expected []string      // texts of console errors the test provokes
}

func openChat(t *testing.T, svc *service) *chatTab {
	t.Helper()
	tab := newTab(t)
	tab.do("opening the chat page", chromedp.Navigate(svc.URL+"/chat/"))
	return tab
}

func newTab(t *testing.T) *chatTab {
	t.Helper()
	tabCtx, closeTab := chromedp.NewContext(mustBrowser(t))
	t.Cleanup(closeTab)
	if err := chromedp.Do(tabCtx); err != nil { // the tab opens with no deadline, or the deadline would close it
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, 60*time.Second)
	t.Cleanup(cancel)
	tab := &chatTab{t: t, ctx: ctx, arrived: make(chan struct{}, 1)}
	messages := chromedp.Console(tabCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, m)
			tab.mu.Unlock()
			select {
			case tab.arrived <- struct{}{}:
			default:
			}
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageProbe}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.checkConsole) // runs before the tab closes
	return tab
}

// expect declares a console error the test provokes, such as the
// browser's report of a 401 from the stream endpoint.
func (tab *chatTab) expect(text string) { tab.expected = append(tab.expected, text) }

func (tab *chatTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, steps...); err != nil {
		tab.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tab *chatTab, expr string) T {
	tab.t.Helper()
	v, err := chromedp.Run(tab.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tab.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor waits until fn, a JavaScript function, returns a truthy value,
// checking on every DOM change, and returns that value. It cannot use
// chromedp's Poll: that builds its predicate with new Function, which the
// page's policy refuses, as it should.
func waitFor[T any](tab *chatTab, what, fn string, args ...any) T {
	tab.t.Helper()
	raw, err := json.Marshal(append([]any{}, args...))
	if err != nil {
		tab.t.Fatal(err)
	}
	expr := fmt.Sprintf(`new Promise((resolve) => {
  const fn = %s, args = %s;
  const observer = new MutationObserver(() => check());
  const check = () => { const v = fn(...args); if (v) { observer.disconnect(); resolve(v); } return v; };
  if (!check()) observer.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})`, fn, raw)
	ctx, cancel := context.WithTimeout(tab.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		body, _ := chromedp.Run(tab.ctx, chromedp.Evaluate[string](`document.querySelector('#messages')?.innerText ?? ''`))
		tab.t.Fatalf("waiting for %s: %v\nconversation on the page:\n%s", what, err, body)
	}
	return v
}

// waitConsole waits until a console message contains text.
func (tab *chatTab) waitConsole(text string) chromedp.ConsoleMessage {
	tab.t.Helper()
	for {
		tab.mu.Lock()
		i := slices.IndexFunc(tab.console, func(m chromedp.ConsoleMessage) bool { return strings.Contains(m.Text, text) })
		var m chromedp.ConsoleMessage
		if i >= 0 {
			m = tab.console[i]
		}
		tab.mu.Unlock()
		if i >= 0 {
			return m
		}
		select {
		case <-tab.arrived:
		case <-tab.ctx.Done():
			tab.t.Fatalf("no console message containing %q", text)
		}
	}
}

// problems lists the console errors and CSP violations seen so far that
// the test did not expect.
func (tab *chatTab) problems() []string {
	var out []string
	for _, v := range eval[[]string](tab, `window.__csp ?? []`) {
		out = append(out, "CSP violation: "+v)
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	expected := slices.Clone(tab.expected)
	for _, m := range tab.console {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
			continue
		}
		if i := slices.IndexFunc(expected, func(e string) bool { return strings.Contains(m.Text, e) }); i >= 0 {
			expected = slices.Delete(expected, i, i+1)
			continue
		}
		out = append(out, fmt.Sprintf("console %s: %s (%s)", m.Type, m.Text, m.URL))
	}
	return out
}

func (tab *chatTab) checkConsole() {
	if tab.ctx.Err() != nil {
		return // the tab is gone; the test has failed already
	}
	for _, p := range tab.problems() {
		tab.t.Error(p)
	}
}
