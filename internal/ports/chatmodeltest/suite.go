// Package chatmodeltest is the one suite every ports.ChatModel adapter
// must pass, in the way of testing/fstest, so swapping adapters can never
// silently change behaviour. Each adapter's tests call Run with a Harness.
package chatmodeltest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Options are what the suite needs to vary per case.
type Options struct {
	Timeout     time.Duration
	IdleTimeout time.Duration
}

// Harness builds the adapter under test.
type Harness struct {
	// New returns a model whose upstream, if it has one, is served by
	// upstream: the harness checks its own URL and auth, then delegates.
	// New registers its cleanups (servers, idle connections) on t.
	New func(t *testing.T, upstream http.Handler, o Options) ports.ChatModel
	// HasUpstream is false for offline adapters, for which the upstream
	// failure cases do not exist.
	HasUpstream bool
}

var request = ports.Conversation{Messages: []domain.Message{
	{Role: domain.RoleSystem, Content: "Be brief."},
	{Role: domain.RoleUser, Content: "Say hello"},
}}

var generous = Options{Timeout: 10 * time.Second, IdleTimeout: 10 * time.Second}

// Run executes every case against h.
func Run(t *testing.T, h Harness) {
	t.Run("chat and stream agree", func(t *testing.T) { chatAndStreamAgree(t, h) })
	t.Run("cancel mid-stream", func(t *testing.T) { cancelMidStream(t, h) })
	if !h.HasUpstream {
		return
	}
	t.Run("upstream answer", func(t *testing.T) { upstreamAnswer(t, h) })
	t.Run("stream order", func(t *testing.T) { streamOrder(t, h) })
	t.Run("failures", func(t *testing.T) { failures(t, h) })
	t.Run("truncated stream", func(t *testing.T) { truncatedStream(t, h) })
	t.Run("timeout", func(t *testing.T) { timeout(t, h) })
}

// noLeaks must be the first cleanup registered, so it runs last.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func drain(t *testing.T, st ports.ChatStream) []string {
	t.Helper()
	var out []string
	for {
		d, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		out = append(out, d.Text)
	}
}

func chatAndStreamAgree(t *testing.T, h Harness) {
	noLeaks(t)
	m := h.New(t, wireHandler(okAnswer), generous)
	whole, err := m.Chat(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Stream(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pieces := drain(t, st)
	if whole.Text() == "" || strings.Join(pieces, "") != whole.Text() {
		t.Errorf("stream joins to %q, chat says %q", strings.Join(pieces, ""), whole.Text())
	}
	if r := st.Result(); r.FinishReason() != whole.FinishReason() || r.Model != whole.Model {
		t.Errorf("stream result %+v differs from chat %+v", r, whole)
	}
}

func upstreamAnswer(t *testing.T, h Harness) {
	noLeaks(t)
	res, err := h.New(t, wireHandler(okAnswer), generous).Chat(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text() != "Hello world" || res.FinishReason() != "stop" || res.Model != "model-x" {
		t.Errorf("result = %+v", res)
	}
	if tk := res.Tokens; tk.Prompt == nil || *tk.Prompt != 9 || *tk.Completion != 2 || *tk.Total != 11 {
		t.Errorf("tokens = %+v", tk)
	}
}

func streamOrder(t *testing.T, h Harness) {
	noLeaks(t)
	st, err := h.New(t, wireHandler(okAnswer), generous).Stream(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := drain(t, st); strings.Join(got, "|") != "Hel|lo| world" {
		t.Errorf("pieces = %q, want Hel|lo| world in order", got)
	}
	r := st.Result()
	if r.FinishReason() != "stop" || r.Tokens.Total == nil || *r.Tokens.Total != 11 {
		t.Errorf("result = %+v", r)
	}
}

func failures(t *testing.T, h Harness) {
	for _, f := range failureCases {
		t.Run(f.name, func(t *testing.T) {
			noLeaks(t)
			m := h.New(t, wireHandler(f.answer), generous)
			_, err := m.Chat(context.Background(), request)
			if got := domain.KindOf(err); got != f.kind {
				t.Errorf("Chat: kind = %q (%v), want %q", got, err, f.kind)
			}
			st, err := m.Stream(context.Background(), request)
			if f.afterStart {
				if err != nil {
					t.Fatalf("Stream: %v, want it open: the upstream answered 2xx", err)
				}
				defer st.Close()
				_, err = st.Recv()
			} else if st != nil {
				_ = st.Close()
				t.Errorf("Stream opened on a failed answer")
			}
			if got := domain.KindOf(err); got != f.kind {
				t.Errorf("Stream: kind = %q (%v), want %q", got, err, f.kind)
			}
		})
	}
}

func truncatedStream(t *testing.T, h Harness) {
	noLeaks(t)
	st, err := h.New(t, wireHandler(cutAnswer), generous).Stream(context.Background(), request)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		_, err := st.Recv()
		if err == nil {
			continue
		}
		if domain.KindOf(err) != domain.KindUpstream {
			t.Errorf("end of a cut stream = %v, want an upstream error, never io.EOF", err)
		}
		return
	}
}

func timeout(t *testing.T, h Harness) {
	noLeaks(t)
	quick := Options{Timeout: 100 * time.Millisecond, IdleTimeout: time.Hour}
	m := h.New(t, wireHandler(silentAnswer), quick)
	if _, err := m.Chat(context.Background(), request); domain.KindOf(err) != domain.KindTimeout {
		t.Errorf("Chat: %v, want timeout", err)
	}
	if _, err := m.Stream(context.Background(), request); domain.KindOf(err) != domain.KindTimeout {
		t.Errorf("Stream: %v, want timeout", err)
	}
	// Headers at once, then no choice: the stream opens, and Timeout
	// still bounds the wait for the first choice.
	st, err := h.New(t, wireHandler(headersOnlyAnswer), quick).Stream(context.Background(), request)
	if err != nil {
		t.Fatalf("Stream: %v, want it open at the 2xx", err)
	}
	defer st.Close()
	if _, err := st.Recv(); domain.KindOf(err) != domain.KindTimeout {
		t.Errorf("Recv before the first choice: %v, want timeout", err)
	}
}

func cancelMidStream(t *testing.T, h Harness) {
	noLeaks(t)
	sawDone := make(chan struct{})
	m := h.New(t, wireHandler(hangingAnswer(sawDone)), Options{Timeout: 10 * time.Second, IdleTimeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := m.Stream(ctx, request)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Recv(); err != nil {
		t.Fatalf("first piece: %v", err)
	}
	cancel()
	for {
		_, err := st.Recv()
		if err == nil {
			continue // pieces already in flight
		}
		if domain.KindOf(err) != domain.KindCanceled {
			t.Errorf("after cancel: %v, want canceled", err)
		}
		break
	}
	if h.HasUpstream {
		select {
		case <-sawDone:
		case <-time.After(10 * time.Second): // hang guard
			t.Error("the upstream never saw its request end")
		}
	}
}
