package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

// scriptStream hands out pieces the test feeds it, one at a time.
type scriptStream struct {
	ctx        context.Context // the one the use case was called with, as a real stream's
	pieces     chan piece
	closed     chan struct{}
	once       sync.Once
	completion domain.Completion
}

type piece struct {
	text  string
	delta domain.Delta // used whole when text is empty
	err   error
}

func newScriptStream() *scriptStream {
	return &scriptStream{ctx: context.Background(), pieces: make(chan piece), closed: make(chan struct{}),
		completion: domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Model: "gpt-4o", UpstreamRequestID: "apim-s", Tokens: domain.TokenUsage{Prompt: intp(3), Completion: intp(2), Total: intp(5)}}, Usage: domain.Usage{PromptChars: 5, ResponseChars: 7}}}
}

// Recv honours the port's promise: it returns once the context is done.
func (s *scriptStream) Recv() (domain.Delta, error) {
	select {
	case p := <-s.pieces:
		if p.text != "" {
			p.delta.Text = p.text
		}
		return p.delta, p.err
	case <-s.closed:
		return domain.Delta{}, domain.Canceled(context.Canceled)
	case <-s.ctx.Done():
		return domain.Delta{}, domain.Canceled(s.ctx.Err())
	}
}

// open is what the mocked use case answers: the stream, bound to the
// request's context.
func (s *scriptStream) open(ctx context.Context, _ any) (ports.CompletionStream, error) {
	s.ctx = ctx
	return s, nil
}
func (s *scriptStream) Completion() domain.Completion { return s.completion }
func (s *scriptStream) Close() error                  { s.once.Do(func() { close(s.closed) }); return nil }

var _ ports.CompletionStream = (*scriptStream)(nil)

func newStreamServer(t *testing.T, keepAlive time.Duration) (*httptest.Server, *mocks.MockCompleter) {
	t.Helper()
	h, svc, _ := engineWith(t, httpadapter.Options{MaxBodyBytes: 1 << 20, KeepAlive: keepAlive})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, svc
}

func postStream(t *testing.T, url, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "stream-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// readBlock reads one SSE block (up to the blank line).
func readBlock(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v (so far %q)", err, b.String())
		}
		if line == "\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

func TestCompletionsStreamRelaysPiecesAsTheyCome(t *testing.T) {
	srv, svc := newStreamServer(t, time.Hour)
	st := newScriptStream()
	svc.EXPECT().CompleteStream(gomock.Any(), "héllo").DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/api/completions/stream", `{"prompt":"héllo"}`)

	for k, want := range map[string]string{
		"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
		"X-Request-ID": "stream-1", "X-Upstream-Request-ID": "apim-s",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	r := bufio.NewReader(resp.Body)
	// Each piece is fed only after the previous one was read, so the
	// client sees it before the model has finished: nothing buffers.
	for _, text := range []string{"Hel", "lo \"x\"", "😀"} {
		st.pieces <- piece{text: text}
		block := readBlock(t, r)
		want, _ := json.Marshal(map[string]string{"delta": text})
		if block != "data: "+string(want)+"\n" {
			t.Errorf("block = %q, want data %s", block, want)
		}
	}
	st.pieces <- piece{err: io.EOF}
	done := readBlock(t, r)
	wantDone := `event: done` + "\n" + `data: {"usage":{"prompt_chars":5,"response_chars":7,"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},"finish_reason":"stop","model":"gpt-4o"}` + "\n"
	if done != wantDone {
		t.Errorf("done = %q\nwant %q", done, wantDone)
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("data after done: %q", rest)
	}
}

func TestStreamErrorBeforeStartIsPlainJSON(t *testing.T) {
	srv, svc := newStreamServer(t, time.Hour)
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).Return(nil, domain.Throttled("slow down", 3*time.Second, nil))
	resp := postStream(t, srv.URL+"/api/chat/stream", `{"messages":[{"role":"user","content":"x"}]}`)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || resp.Header.Get("Content-Type") != jsonCT {
		t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	if string(body) != `{"error":"slow down","correlation_id":"stream-1"}` {
		t.Errorf("body = %s", body)
	}
}

func TestStreamErrorAfterStartIsAnErrorEvent(t *testing.T) {
	srv, svc := newStreamServer(t, time.Hour)
	st := newScriptStream()
	svc.EXPECT().CompleteStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/api/completions/stream", `{"prompt":"x"}`)
	r := bufio.NewReader(resp.Body)
	st.pieces <- piece{text: "part"}
	readBlock(t, r)
	st.pieces <- piece{err: domain.Timeout("Azure OpenAI stopped sending data in time", context.DeadlineExceeded)}
	if got := readBlock(t, r); got != "event: error\n"+`data: {"error":"Azure OpenAI stopped sending data in time","correlation_id":"stream-1"}`+"\n" {
		t.Errorf("error event = %q", got)
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("the stream must end after an error event; got %q", rest)
	}
}

func TestKeepAliveOnlyBeforeTheFirstToken(t *testing.T) {
	srv, svc := newStreamServer(t, 5*time.Millisecond)
	st := newScriptStream()
	svc.EXPECT().CompleteStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/api/completions/stream", `{"prompt":"x"}`)
	r := bufio.NewReader(resp.Body)
	if got := readBlock(t, r); got != ": keep-alive\n" {
		t.Fatalf("first block = %q, want a keep-alive comment", got)
	}
	// Drain keep-alives until the token shows; after it none may follow.
	st.pieces <- piece{text: "tok"}
	for {
		b := readBlock(t, r)
		if b == ": keep-alive\n" {
			continue
		}
		if b != "data: {\"delta\":\"tok\"}\n" {
			t.Fatalf("block = %q", b)
		}
		break
	}
	st.pieces <- piece{err: io.EOF}
	if got := readBlock(t, r); !strings.HasPrefix(got, "event: done\n") {
		t.Errorf("after the first token got %q, want the done event and no keep-alive", got)
	}
}

func TestClientDisconnectClosesTheStream(t *testing.T) {
	srv, svc := newStreamServer(t, time.Hour)
	st := newScriptStream()
	svc.EXPECT().CompleteStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/api/completions/stream", `{"prompt":"x"}`)
	st.pieces <- piece{text: "a"}
	readBlock(t, bufio.NewReader(resp.Body))
	_ = resp.Body.Close()
	select {
	case <-st.closed:
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("the model's stream was not closed after the client left")
	}
}

func TestStreamValidationErrorIsJSON(t *testing.T) {
	srv, svc := newStreamServer(t, time.Hour)
	svc.EXPECT().CompleteStream(gomock.Any(), "").Return(nil, domain.InvalidField("prompt", "'prompt' is required"))
	resp := postStream(t, srv.URL+"/api/completions/stream", `{}`)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != jsonCT {
		t.Errorf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
