package ports_test

import (
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

type heard struct {
	mu     sync.Mutex
	pieces []string
	ends   []error
	last   domain.Answer
}

func (h *heard) hooks() ports.StreamHooks {
	return ports.StreamHooks{
		Piece: func(d domain.Delta) { h.mu.Lock(); h.pieces = append(h.pieces, d.Text); h.mu.Unlock() },
		End:   func(a domain.Answer, err error) { h.mu.Lock(); h.ends = append(h.ends, err); h.last = a; h.mu.Unlock() },
	}
}

func drain(st ports.ChatStream) error {
	for {
		if _, err := st.Recv(); err != nil {
			return err
		}
	}
}

func TestWatchEndsOnceAtEOFWithTheAnswer(t *testing.T) {
	var h heard
	st := ports.Watch(&chatmodeltest.Script{Texts: []string{"a", "b"}, End: io.EOF, Answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Model: "m"}}, h.hooks())
	if err := drain(st); !errors.Is(err, io.EOF) {
		t.Fatalf("drain: %v", err)
	}
	_, _ = st.Recv() // a second EOF must not end it twice
	_ = st.Close()
	if len(h.ends) != 1 || h.ends[0] != nil || h.last.FinishReason() != "stop" {
		t.Errorf("ends = %v, answer %+v; want one nil end with the answer", h.ends, h.last)
	}
	if len(h.pieces) != 2 {
		t.Errorf("pieces = %q", h.pieces)
	}
}

func TestWatchEndsOnceWithTheFailure(t *testing.T) {
	var h heard
	cut := domain.Upstream("cut", nil)
	st := ports.Watch(&chatmodeltest.Script{Texts: []string{"a"}, End: cut}, h.hooks())
	_ = drain(st)
	_ = st.Close()
	if len(h.ends) != 1 || !errors.Is(h.ends[0], cut) {
		t.Errorf("ends = %v, want the failure once", h.ends)
	}
}

func TestWatchEndsOnceWhenClosedEarly(t *testing.T) {
	var h heard
	inner := &chatmodeltest.Script{Texts: []string{"a", "b"}, End: io.EOF, Answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Model: "m"}}
	st := ports.Watch(inner, h.hooks())
	_, _ = st.Recv()
	var wg sync.WaitGroup
	for range 4 { // Close may come from any goroutine, more than once
		wg.Add(1)
		go func() { defer wg.Done(); _ = st.Close() }()
	}
	wg.Wait()
	if len(h.ends) != 1 || !errors.Is(h.ends[0], ports.ErrClosedEarly) || inner.Closed() != 4 {
		t.Errorf("ends = %v, inner closed %d times", h.ends, inner.Closed())
	}
}
