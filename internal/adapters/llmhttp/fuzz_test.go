package llmhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// canned answers every request with the same fuzzed response, so a fuzz
// run never touches the network.
type canned struct {
	status int
	header http.Header
	body   []byte
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Header: c.header.Clone(), Body: io.NopCloser(bytes.NewReader(c.body)), Request: r}, nil
}

func fuzzClient(resp canned) *llmhttp.ChatClient {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	c := llmhttp.New(&http.Client{Transport: resp}, target, llmhttp.WithClock(clk.Now))
	return llmhttp.NewChatClient(c, llmhttp.Endpoint{URL: "http://upstream.invalid/chat", Timeout: time.Hour, IdleTimeout: time.Hour})
}

var portKinds = map[domain.Kind]bool{
	domain.KindUpstream: true, domain.KindThrottled: true, domain.KindTimeout: true,
	domain.KindContentFiltered: true, domain.KindCanceled: true, domain.KindMisconfigured: true,
}

// assertPortError holds an adapter to the port's promise: a *domain.Error
// of a documented kind, with a message a client can be shown.
func assertPortError(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || !portKinds[de.Kind] || de.Msg == "" {
		t.Fatalf("error %#v is not a documented *domain.Error", err)
	}
	if de.RetryAfter < 0 {
		t.Fatalf("a wait of %v: hints must never wrap negative", de.RetryAfter)
	}
}

// FuzzChatResponse parses any status, Retry-After and body as an Azure
// or OpenAI chat answer. Seeds: testdata/fuzz/FuzzChatResponse.
func FuzzChatResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, retryAfter string, body []byte) {
		code := 200 + int(status)%400
		h := http.Header{"Retry-After": {retryAfter}, "Retry-After-Ms": {retryAfter}, "Content-Type": {"application/json"}}
		res, err := fuzzClient(canned{status: code, header: h, body: body}).Chat(context.Background(), ports.Conversation{})
		if err != nil {
			assertPortError(t, err)
			return
		}
		if code >= 300 {
			t.Fatalf("status %d accepted as an answer: %+v", code, res)
		}
		if len(res.Text()) > len(body) {
			t.Fatalf("text of %d bytes from a body of %d", len(res.Text()), len(body))
		}
	})
}

// FuzzSSEReader parses any bytes as an event stream under any event
// bound: it must end, never hand out more than it read, and never hold
// more event data than the bound however the lines come. Seeds:
// testdata/fuzz/FuzzSSEReader.
func FuzzSSEReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, limit uint16, in []byte) {
		maxEvent := 1 + int(limit)
		r := llmhttp.NewSSEReader(bytes.NewReader(in), maxEvent)
		for events := 0; ; events++ {
			ev, err := r.Next()
			if held := llmhttp.EventBufferCap(r); held > maxEvent {
				t.Fatalf("event buffer holds %d bytes, bound %d", held, maxEvent)
			}
			if err != nil {
				if errors.Is(err, llmhttp.ErrEventTooLarge) && len(in) <= maxEvent {
					t.Fatalf("%d-byte input refused as over a %d-byte bound", len(in), maxEvent)
				}
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, bufio.ErrTooLong) &&
					!errors.Is(err, llmhttp.ErrEventTooLarge) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if len(ev.Data) > maxEvent {
				t.Fatalf("event of %d bytes, bound %d", len(ev.Data), maxEvent)
			}
			if len(ev.Data) > len(in) || len(ev.Name) > len(in) {
				t.Fatalf("event larger than the input: %q", ev.Data)
			}
			if 2*events > len(in) { // every event needs a field line and a blank line
				t.Fatalf("%d events from %d bytes", events, len(in))
			}
		}
	})
}

// FuzzChatStream runs any body through the streaming client as a 200
// event stream: it opens or fails with a documented error, and Recv ends.
// Seeds: testdata/fuzz/FuzzChatStream.
func FuzzChatStream(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"Content-Type": {"text/event-stream"}}
		st, err := fuzzClient(canned{status: 200, header: h, body: body}).Stream(context.Background(), ports.Conversation{})
		if err != nil {
			assertPortError(t, err)
			return
		}
		defer st.Close()
		text := 0
		for i := 0; ; i++ {
			piece, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				assertPortError(t, err)
				break
			}
			if text += len(piece.Text); text > len(body) || i > len(body) {
				t.Fatalf("%d bytes of text in %d pieces from a %d-byte body", text, i, len(body))
			}
		}
	})
}
