package http_test

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"slices"
	"testing"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
)

const (
	apiPolicy  = "default-src 'none'; frame-ancestors 'none'"
	pagePolicy = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
		"object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)

// chatFiles are the page's routes, the file each serves and its type.
var chatFiles = []struct{ path, file, contentType string }{
	{"/chat/", "index.html", "text/html; charset=utf-8"},
	{"/chat", "index.html", "text/html; charset=utf-8"},
	{"/chat/chat.js", "chat.js", "text/javascript; charset=utf-8"},
	{"/chat/chat.css", "chat.css", "text/css; charset=utf-8"},
	{"/chat/icon.svg", "icon.svg", "image/svg+xml"},
}

func chatEngine(t *testing.T, on bool, sec httpadapter.Security) http.Handler {
	t.Helper()
	h, _, _ := engineWith(t, httpadapter.Options{Version: "v-test", MaxBodyBytes: 1024, ChatUI: on, Security: sec})
	return h
}

func TestChatPageFilesHaveTheirTypeAndTheStrictPolicy(t *testing.T) {
	h := chatEngine(t, true, httpadapter.Security{})
	for _, f := range chatFiles {
		rec := do(h, "GET", f.path, "", "")
		want, err := os.ReadFile("chatpage/" + f.file)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Code != 200 || rec.Header().Get("Content-Type") != f.contentType || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %q with %s", f.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), f.contentType, f.file)
		}
		// One policy, the page's: a second header would be enforced too.
		if got := rec.Header().Values("Content-Security-Policy"); !slices.Equal(got, []string{pagePolicy}) {
			t.Errorf("GET %s: Content-Security-Policy %q, want only the page's", f.path, got)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := rec.Header().Values(k); !slices.Equal(got, []string{v}) {
				t.Errorf("GET %s: %s %q, want %q", f.path, k, got, v)
			}
		}
	}
}

func TestOtherRoutesKeepTheAPIPolicy(t *testing.T) {
	h := chatEngine(t, true, httpadapter.Security{})
	for _, r := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200}, {"GET", "/api/", 200}, {"GET", "/healthz", 200},
		{"GET", "/chat/other.js", 404}, {"GET", "/chat/index.html", 404}, {"POST", "/chat/", 405},
	} {
		rec := do(h, r.method, r.path, "application/json", "{}")
		if rec.Code != r.status || !slices.Equal(rec.Header().Values("Content-Security-Policy"), []string{apiPolicy}) {
			t.Errorf("%s %s: %d with policy %q, want %d with the API's", r.method, r.path, rec.Code, rec.Header().Values("Content-Security-Policy"), r.status)
		}
	}
}

func TestChatPageOffIsNotFound(t *testing.T) {
	h := chatEngine(t, false, httpadapter.Security{})
	for _, f := range chatFiles {
		assertError(t, do(h, "GET", f.path, "", ""), 404, "Resource not found")
	}
	for _, r := range routesOf(t, h) {
		if r.path == "/chat" || r.path == "/chat/" {
			t.Errorf("the welcome lists %s with the page off", r.path)
		}
	}
}

// TestChatPageIsOpenAndItsCallsGuarded: a browser cannot send a key to
// load the page that asks for one, but the model call it makes needs one.
func TestChatPageIsOpenAndItsCallsGuarded(t *testing.T) {
	h, _, _ := engineWith(t, httpadapter.Options{Version: "v-test", MaxBodyBytes: 1024, ChatUI: true,
		Security: httpadapter.Security{KeyDigests: digests(keyA)}})
	open := h.(*httpadapter.Handler).OpenRoutes()
	for _, f := range chatFiles {
		if !slices.Contains(open, "GET "+f.path) {
			t.Errorf("GET %s is not among the open routes %v", f.path, open)
		}
		if rec := do(h, "GET", f.path, "", ""); rec.Code != 200 {
			t.Errorf("GET %s without a key: %d", f.path, rec.Code)
		}
	}
	assertError(t, do(h, "POST", "/api/chat/stream", "application/json", `{"messages":[{"role":"user","content":"x"}]}`), 401, "API key")
	if rec := do(h, "GET", "/chat/other.js", "", ""); rec.Code != 401 {
		t.Errorf("an unknown path under /chat/ without a key: %d, want 401 like any other", rec.Code)
	}
}

// TestChatPageLoadsOnlyItsOwnFiles reads every /chat/... reference in
// the page and its stylesheet: each must be served, or the browser logs
// an error (a missing icon) and the page breaks.
func TestChatPageLoadsOnlyItsOwnFiles(t *testing.T) {
	h := chatEngine(t, true, httpadapter.Security{})
	refs := regexp.MustCompile(`(?:href|src)="([^"]+)"|url\(([^)]+)\)`)
	for _, file := range []string{"index.html", "chat.css"} {
		src, err := os.ReadFile("chatpage/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range refs.FindAllSubmatch(src, -1) {
			ref := string(append(m[1], m[2]...))
			if !regexp.MustCompile(`^/chat/[a-z.]+$`).MatchString(ref) {
				t.Errorf("%s refers to %q: only absolute /chat/ paths, nothing from elsewhere", file, ref)
				continue
			}
			if rec := do(h, "GET", ref, "", ""); rec.Code != 200 {
				t.Errorf("%s refers to %s, which answers %d", file, ref, rec.Code)
			}
		}
	}
}
