package llmhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

const (
	filterOnlyChunk = `{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}`
	roleChunk       = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`
	finishChunk     = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop","content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],"usage":null}`
	usageChunk      = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}`
)

func contentChunk(s string) string {
	return fmt.Sprintf(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null,"content_filter_results":{}}],"usage":null}`, s)
}

// sseServer streams the given data payloads, flushing each, then ends
// with [DONE] unless truncated. gate, when set, is waited on before each
// payload after the first.
func sseServer(t *testing.T, payloads []string, withDone bool, gate chan struct{}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("x-request-id", "stream-req-1")
		for i, p := range payloads {
			if gate != nil && i > 0 {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
			_, _ = fmt.Fprintf(w, "data: %s\n\n", p)
			w.(http.Flusher).Flush()
		}
		if withDone {
			_, _ = io.WriteString(w, "data: [DONE]\n\n")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func open(t *testing.T, ctx context.Context, url string, l llmhttp.StreamLimits, opts ...llmhttp.Option) (*llmhttp.ChatStream, error) {
	t.Helper()
	c := llmhttp.New(http.DefaultClient, target, opts...)
	st, err := c.OpenStream(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	}, l)
	if st != nil {
		t.Cleanup(func() { _ = st.Close() })
	}
	return st, err
}

func drainStream(st *llmhttp.ChatStream) ([]string, error) {
	var out []string
	for {
		text, err := st.Recv()
		if err != nil {
			return out, err
		}
		out = append(out, text.Text)
	}
}

var generous = llmhttp.StreamLimits{First: time.Minute, Idle: time.Minute}

func TestStreamParsesAzureChunks(t *testing.T) {
	srv := sseServer(t, []string{filterOnlyChunk, roleChunk, contentChunk("Hel"), contentChunk("lo \"you\""), finishChunk, usageChunk}, true, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainStream(st)
	if err != io.EOF {
		t.Fatalf("end = %v", err)
	}
	if strings.Join(got, "|") != `Hel|lo "you"` {
		t.Errorf("pieces = %q", got)
	}
	r := st.Result()
	if r.FinishReason() != "stop" || r.Model != "gpt-4o-2024-08-06" || r.UpstreamRequestID != "stream-req-1" {
		t.Errorf("result = %+v", r)
	}
	if r.Tokens.Prompt == nil || *r.Tokens.Prompt != 10 || *r.Tokens.Completion != 3 || *r.Tokens.Total != 13 {
		t.Errorf("tokens = %+v", r.Tokens)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Errorf("Recv after the end = %v, want io.EOF again", err)
	}
}

func TestStreamWithoutUsageLeavesTokensNil(t *testing.T) {
	srv := sseServer(t, []string{roleChunk, contentChunk("x"), finishChunk}, true, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drainStream(st); err != io.EOF {
		t.Fatal(err)
	}
	if st.Result().Tokens.Total != nil {
		t.Error("tokens must stay nil when the upstream sends no usage")
	}
}

func TestTruncatedStreamIsAnError(t *testing.T) {
	srv := sseServer(t, []string{roleChunk, contentChunk("partial")}, false, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drainStream(st)
	if domain.KindOf(err) != domain.KindUpstream || !strings.Contains(err.Error(), "before it was complete") {
		t.Errorf("err = %v, want an upstream error for the missing [DONE]", err)
	}
	if len(got) != 1 || got[0] != "partial" {
		t.Errorf("pieces = %q", got)
	}
}

// Once the upstream has answered 2xx the stream is open, so a failure
// before the first choice comes from Recv: the caller has already
// started its own stream and reports it there.
func TestStreamFailuresAfterTheUpstreamAnsweredComeFromRecv(t *testing.T) {
	tests := []struct {
		name     string
		payloads []string
		done     bool
		want     string
	}{
		{"only filter chunk then cut", []string{filterOnlyChunk}, false, "before it was complete"},
		{"done without a choice", []string{filterOnlyChunk}, true, "without an answer"},
		{"malformed first chunk", []string{`{"choices":[`}, true, "malformed stream event"},
		{"error event", []string{`{"error":{"code":"server_error","message":"overloaded"}}`}, true, "failed during the stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sseServer(t, tt.payloads, tt.done, nil)
			st, err := open(t, context.Background(), srv.URL, generous)
			if err != nil {
				t.Fatalf("OpenStream = %v, want an open stream after the 2xx", err)
			}
			got, err := drainStream(st)
			if len(got) != 0 || domain.KindOf(err) != domain.KindUpstream || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("pieces %q, err = %v, want an upstream error containing %q", got, err, tt.want)
			}
			if _, again := st.Recv(); domain.KindOf(again) != domain.KindUpstream {
				t.Errorf("Recv after the failure = %v, want it again", again)
			}
		})
	}
}

func TestStreamStatusErrorsUseTheStatusMapping(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	_, err := open(t, context.Background(), srv.URL, generous)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindThrottled || de.RetryAfter != 7*time.Second {
		t.Errorf("err = %v, want throttled with 7s", err)
	}
}

func TestStreamIdleTimeoutIsATimeout(t *testing.T) {
	gate := make(chan struct{}) // never opened: the upstream goes silent after its first chunk
	srv := sseServer(t, []string{roleChunk, contentChunk("never")}, true, gate)
	st, err := open(t, context.Background(), srv.URL, llmhttp.StreamLimits{First: time.Minute, Idle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = drainStream(st)
	if domain.KindOf(err) != domain.KindTimeout {
		t.Errorf("err = %v, want timeout", err)
	}
}

func TestStreamFirstChunkTimeout(t *testing.T) {
	gate := make(chan struct{})
	srv := sseServer(t, []string{filterOnlyChunk, roleChunk}, true, gate) // headers and the filter chunk, then silence
	st, err := open(t, context.Background(), srv.URL, llmhttp.StreamLimits{First: 50 * time.Millisecond, Idle: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); domain.KindOf(err) != domain.KindTimeout || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("err = %v, want timeout: the filter-only chunk is not a start", err)
	}
}

func TestStreamCloseCancelsTheUpstream(t *testing.T) {
	sawDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "data: %s\n\n", roleChunk)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(sawDone)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := open(t, ctx, srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := st.Recv(); errc <- err }()
	cancel() // the client leaves mid-stream
	select {
	case <-sawDone:
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("the upstream never saw its request end")
	}
	if err := <-errc; domain.KindOf(err) != domain.KindCanceled {
		t.Errorf("Recv err = %v, want canceled", err)
	}
}
