package test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hostileCase is one request a careless or malicious client might send,
// and the documented answer: a status and a JSON body naming the problem.
type hostileCase struct {
	name, method, path, contentType, body string
	status                                int
	msg                                   string // part of the error message; "" for a 200
}

func hostileCases() []hostileCase {
	const api, v1 = "/api/completions", "/v1/chat/completions"
	ct := "application/json"
	prompt := func(p string) string { return `{"prompt":"` + p + `"}` }
	v1Body := func(content string) string {
		return `{"model":"offline-fake","messages":[{"role":"user","content":` + content + `}]}`
	}
	return []hostileCase{
		{"truncated JSON", "POST", api, ct, `{"prompt":`, 400, "not valid JSON"},
		{"unquoted key", "POST", api, ct, `{prompt:"x"}`, 400, "not valid JSON"},
		{"trailing comma", "POST", api, ct, `{"prompt":"x",}`, 400, "not valid JSON"},
		{"NUL byte", "POST", api, ct, "\x00", 400, "not valid JSON"},
		{"empty body", "POST", api, ct, "", 400, "empty"},
		{"array body", "POST", api, ct, `[{"prompt":"x"}]`, 400, "must be a JSON object"},
		{"trailing garbage", "POST", api, ct, prompt("x") + `<script>`, 400, "after the JSON object"},
		{"two objects", "POST", api, ct, prompt("x") + prompt("y"), 400, "after the JSON object"},
		{"text/plain", "POST", api, "text/plain", prompt("x"), 415, "application/json"},
		{"no Content-Type", "POST", api, "", prompt("x"), 415, "application/json"},
		{"form encoded", "POST", api, "application/x-www-form-urlencoded", "prompt=x", 415, "application/json"},
		{"multipart", "POST", api, "multipart/form-data; boundary=x", "--x--", 415, "application/json"},
		{"10 MB body", "POST", api, ct, prompt(strings.Repeat("a", 10<<20)), 413, "exceeds 262144 bytes"},
		{"invalid UTF-8", "POST", api, ct, prompt("\xff\xfe"), 400, "UTF-8"},
		{"overlong UTF-8", "POST", api, ct, prompt("\xc0\xaf"), 400, "UTF-8"},
		{"UTF-8 surrogate", "POST", api, ct, prompt("\xed\xa0\x80"), 400, "UTF-8"},
		{"null prompt", "POST", api, ct, `{"prompt":null}`, 400, "'prompt' is required"},
		{"number prompt", "POST", api, ct, `{"prompt":4000}`, 400, "'prompt' must be a string"},
		{"array prompt", "POST", api, ct, `{"prompt":["x"]}`, 400, "'prompt' must be a string"},
		{"object prompt", "POST", api, ct, `{"prompt":{"text":"x"}}`, 400, "'prompt' must be a string"},
		{"4000 two-byte chars", "POST", api, ct, prompt(strings.Repeat("é", 4000)), 200, ""},
		{"4001 two-byte chars", "POST", api, ct, prompt(strings.Repeat("é", 4001)), 400, "exceeds 4000 characters"},
		{"4000 four-byte chars", "POST", api, ct, prompt(strings.Repeat("😀", 4000)), 200, ""},
		{"4001 four-byte chars", "POST", api, ct, prompt(strings.Repeat("😀", 4001)), 400, "exceeds 4000 characters"},
		{"duplicate key", "POST", api, ct, `{"prompt":"safe","prompt":"smuggled"}`, 400, "duplicate key 'prompt'"},
		{"duplicate key by case", "POST", api, ct, `{"prompt":"safe","Prompt":"smuggled"}`, 400, "duplicate key"},
		{"duplicate nested key", "POST", "/api/chat", ct, `{"messages":[{"role":"user","role":"system","content":"x"}]}`, 400, "duplicate key 'role'"},
		{"deep nesting", "POST", api, ct, `{"prompt":"x","a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, 400, "deeper than 64"},
		{"extra fields ignored", "POST", api, ct, `{"prompt":"x","user":"u1","meta":{"a":[1,{"b":null}]}}`, 200, ""},
		{"null messages", "POST", "/api/chat", ct, `{"messages":null}`, 400, "'messages'"},
		{"string messages", "POST", "/api/chat", ct, `{"messages":"hi"}`, 400, "'messages' must be an array"},
		{"v1 number content", "POST", v1, ct, v1Body(`42`), 400, "'messages[0].content' must be a string"},
		{"v1 duplicate key", "POST", v1, ct, `{"model":"offline-fake","model":"gpt-4o","messages":[]}`, 400, "duplicate key 'model'"},
		{"v1 invalid UTF-8", "POST", v1, ct, v1Body("\"\xff\""), 400, "UTF-8"},
		{"traversal to config", "GET", "/api/../api/config/info", "", "", 404, "Resource not found"},
		{"encoded traversal", "GET", "/api/%2e%2e/api/config/info", "", "", 404, "Resource not found"},
		{"traversal to the file system", "GET", "/../../../../etc/passwd", "", "", 404, "Resource not found"},
		{"double slash", "POST", "//api/completions", ct, prompt("x"), 404, "Resource not found"},
		{"v1 traversal", "GET", "/v1/../api/config/info", "", "", 404, "Resource not found"},
		{"PUT", "PUT", api, ct, prompt("x"), 405, "Method not allowed"},
		{"DELETE", "DELETE", "/api/chat", "", "", 405, "Method not allowed"},
		{"PATCH", "PATCH", v1, ct, "{}", 405, "Method not allowed"},
		{"TRACE", "TRACE", "/", "", "", 405, "Method not allowed"},
		{"invented method", "PROPFIND", "/api/", "", "", 405, "Method not allowed"},
		{"OPTIONS without CORS", "OPTIONS", api, "", "", 405, "Method not allowed"},
	}
}

func TestHostileInputGetsDocumentedAnswers(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"READ_HEADER_TIMEOUT": "2s"}))
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, svc.URL+tt.path, tt.contentType, tt.body) // the client sends the path as written: no cleaning
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d: %.300s", r.Status, tt.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			m := r.JSON(t)
			switch {
			case tt.status == 200:
				if _, ok := m["response"].(string); !ok {
					t.Errorf("body = %.300s", r.Body)
				}
			case strings.HasPrefix(tt.path, "/v1/"):
				if msg, _ := m["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tt.msg) {
					t.Errorf("error = %v, want it to contain %q", m["error"], tt.msg)
				}
			default:
				assertErrorResponse(t, r, tt.status, tt.msg)
			}
			if tt.method == "PUT" && r.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", r.Header.Get("Allow"))
			}
		})
	}

	// Two cases never reach a handler: net/http answers or closes first.
	t.Run("1 MB header is 431 from net/http", func(t *testing.T) { assertHeaderTooLarge(t, svc.URL) })
	t.Run("slowloris is closed at READ_HEADER_TIMEOUT", func(t *testing.T) { assertSlowlorisClosed(t, svc.URL, 2*time.Second) })

	if r := call(t, "GET", svc.URL+"/api/", "", ""); r.Status != 200 {
		t.Fatalf("the service stopped answering: %d", r.Status)
	}
	select {
	case <-svc.exited:
		t.Fatal("the service exited")
	default:
	}
}

func dial(t *testing.T, base string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second)) // a hang guard
	return conn
}

// assertHeaderTooLarge sends a 1 MB header while reading, since the
// server answers and closes long before the client has written it all.
func assertHeaderTooLarge(t *testing.T, base string) {
	conn := dial(t, base)
	go func() {
		_, _ = io.WriteString(conn, "GET /api/ HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 1<<20)+"\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a 1 MB header: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status = %d, want 431", resp.StatusCode)
	}
}

// assertSlowlorisClosed trickles a request line one byte a second and
// expects the server to hang up once headerTimeout has passed, however
// steadily the client makes progress. net/http closes silently, or first
// says a plain 400 when the deadline cut a line in half.
func assertSlowlorisClosed(t *testing.T, base string, headerTimeout time.Duration) {
	conn := dial(t, base)
	start := time.Now()
	closed := make(chan []byte, 1)
	go func() {
		said, _ := io.ReadAll(conn) // until the server hangs up, or the hang guard fires
		closed <- said
	}()
	line := "GET /api/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 60)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		if i >= len(line) {
			t.Fatal("the whole header trickled in without the server closing")
		}
		_, _ = conn.Write([]byte{line[i]})
		select {
		case said := <-closed:
			elapsed := time.Since(start)
			if len(said) > 0 && !strings.HasPrefix(string(said), "HTTP/1.1 400 Bad Request\r\n") {
				t.Errorf("the server said %q before closing", said)
			}
			// The server's clock starts at accept, a little before ours.
			if elapsed < headerTimeout-100*time.Millisecond || elapsed > headerTimeout+3*time.Second {
				t.Errorf("closed after %v, want at READ_HEADER_TIMEOUT (%v)", elapsed, headerTimeout)
			}
			if i < 1 {
				t.Errorf("closed after %d bytes; the test meant to show steady progress does not help", i+1)
			}
			return
		case <-tick.C:
		}
	}
}

// TestNoSpellingOfAPathSlipsPastTheKeyCheck: the guard decides on the
// same decoded path the router matches, and everything not on the short
// open list needs a key, so odd spellings are refused, never served.
func TestNoSpellingOfAPathSlipsPastTheKeyCheck(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"API_KEYS": "spelling-key-0123456789"}))
	for _, p := range []string{
		"/api%2fconfig%2finfo", "/api/%2e%2e/api/config/info", "/api/../api/config/info", "/API/config/info",
		"/api/config/info%00", "/v1//models", "/%61pi/completions", "/api/./completions", "/api/openapi.yaml/../config/info",
	} {
		r := call(t, "GET", svc.URL+p, "", "")
		if r.Status != 401 {
			t.Errorf("GET %s without a key = %d, want 401: %.200s", p, r.Status, r.Body)
		}
	}
}
