package http_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

// shutdownServer serves the engine with a base context the test cancels
// as the real server does at its shutdown deadline.
func shutdownServer(t *testing.T) (*httptest.Server, *mocks.MockCompleter, context.CancelCauseFunc) {
	t.Helper()
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	base, abort := context.WithCancelCause(context.Background())
	srv := httptest.NewUnstartedServer(httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{MaxBodyBytes: 1 << 20, KeepAlive: time.Hour, Models: models("m")}))
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Start()
	t.Cleanup(func() { abort(nil); srv.Close() })
	return srv, svc, abort
}

func TestStreamOpenAtTheShutdownDeadlineGetsAnErrorEvent(t *testing.T) {
	srv, svc, abort := shutdownServer(t)
	st := newScriptStream()
	svc.EXPECT().CompleteStream(gomock.Any(), "hi").DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/api/completions/stream", `{"prompt":"hi"}`)
	r := bufio.NewReader(resp.Body)
	st.pieces <- piece{text: "Hel"}
	if b := readBlock(t, r); b != `data: {"delta":"Hel"}`+"\n" {
		t.Fatalf("first block = %q", b)
	}
	abort(httpadapter.ErrShuttingDown)
	b := readBlock(t, r)
	if !strings.HasPrefix(b, "event: error\n") || !strings.Contains(b, "shutting down") || !strings.Contains(b, `"correlation_id":"stream-1"`) {
		t.Errorf("block at the deadline = %q, want an error event saying the server is shutting down", b)
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("after the error event: %q", rest)
	}
	select {
	case <-st.closed:
	case <-time.After(5 * time.Second):
		t.Error("the model's stream was not closed")
	}
}

func TestV1StreamAtTheDeadlineGetsOpenAIsErrorShape(t *testing.T) {
	srv, svc, abort := shutdownServer(t)
	st := newScriptStream()
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	readBlock(t, r) // the role chunk
	abort(httpadapter.ErrShuttingDown)
	b := readBlock(t, r)
	if !strings.Contains(b, `"code":"server_shutting_down"`) || !strings.Contains(b, `"type":"server_error"`) {
		t.Errorf("block at the deadline = %q", b)
	}
}

func TestRequestInFlightAtTheDeadlineIs503(t *testing.T) {
	srv, svc, abort := shutdownServer(t)
	arrived := make(chan struct{})
	svc.EXPECT().Complete(gomock.Any(), "slow").DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		close(arrived)
		<-ctx.Done() // as an upstream call does: the cancel reaches it
		return domain.Completion{}, domain.Canceled(ctx.Err())
	})
	go func() { <-arrived; abort(httpadapter.ErrShuttingDown) }()
	req, _ := http.NewRequest("POST", srv.URL+"/api/completions", strings.NewReader(`{"prompt":"slow"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(body), "shutting down") {
		t.Errorf("status %d, body %s; want 503 naming the shutdown, not the client's 499", resp.StatusCode, body)
	}
}
