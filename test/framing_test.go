package test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A request with both Content-Length and Transfer-Encoding is refused
// with 400 and the connection closed (RFC 9112 §6.3), so nothing
// pipelined behind it is read; requests whose bodies merely contain such
// text are served as usual.
func TestConflictingFramingIs400AndCloses(t *testing.T) {
	svc := startService(t, fakeEnv(nil))
	// A body that reads like a smuggled request: refused for its media
	// type, then skipped by net/http, never taken for a header.
	lookalike := "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
	plain := "POST /api/completions HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(lookalike)) + "\r\n\r\n" + lookalike
	body := `{"prompt":"hi"}`
	chunked := "POST /api/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strconv.FormatInt(int64(len(body)), 16) + ";ext=\"a;b\"\r\n" + body + "\r\n0\r\n\r\n"
	smuggling := "POST /api/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"0\r\n\r\n"
	// net/http answers "OPTIONS *" itself unless told not to; the handler
	// must see every request to pair it with the sniffer's count.
	star := "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"
	behind := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

	conn := dial(t, svc.URL)
	if _, err := io.WriteString(conn, plain+chunked+star+smuggling+behind); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	for _, want := range []struct {
		name   string
		status int
	}{{"a body that reads like a request", 415}, {"a chunked body with an extension", 200}, {"OPTIONS *", 404}} {
		resp := readResponse(t, rd)
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != want.status {
			t.Errorf("%s: %d, want %d", want.name, resp.StatusCode, want.status)
		}
	}
	resp := readResponse(t, rd)
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !resp.Close || !strings.Contains(string(raw), "both Content-Length and Transfer-Encoding") {
		t.Errorf("conflicting framing = %d, Connection: close %v: %s", resp.StatusCode, resp.Close, raw)
	}
	req, _ := http.NewRequest(http.MethodPost, svc.URL+"/api/completions", strings.NewReader(""))
	ex := exchange{req: req, status: resp.StatusCode, header: resp.Header, body: raw, complete: true}
	if err := client.Transport.(*contractTransport).contract.check(context.Background(), ex); err != nil {
		t.Errorf("the 400 is not the documented one: %v", err)
	}
	if rest, err := io.ReadAll(rd); err != nil || len(rest) > 0 { // the hang guard turns a kept connection into an error
		t.Errorf("after the 400 the service answered %q (%v); want the connection closed", rest, err)
	}
}

func readResponse(t *testing.T, rd *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}
