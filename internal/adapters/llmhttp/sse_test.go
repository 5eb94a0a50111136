package llmhttp_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
)

func TestSSEReaderParsesEvents(t *testing.T) {
	in := ": comment\n\ndata: {\"a\":1}\n\nevent: done\ndata: line1\ndata: line2\n\ndata:nospace\r\n\r\nid: 7\nretry: 100\n\ndata: [DONE]\n\n"
	r := llmhttp.NewSSEReader(strings.NewReader(in), 0)
	want := []llmhttp.Event{
		{Data: []byte(`{"a":1}`)},
		{Name: "done", Data: []byte("line1\nline2")},
		{Data: []byte("nospace")},
		{Data: []byte("[DONE]")},
	}
	for i, w := range want {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Name != w.Name || string(ev.Data) != string(w.Data) {
			t.Errorf("event %d = %q %q, want %q %q", i, ev.Name, ev.Data, w.Name, w.Data)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("end = %v, want io.EOF", err)
	}
}

func TestSSEReaderReportsACutEvent(t *testing.T) {
	r := llmhttp.NewSSEReader(strings.NewReader("data: {\"a\":1}\n\ndata: {\"b\""), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestSSEReaderBoundsLineLength(t *testing.T) {
	r := llmhttp.NewSSEReader(strings.NewReader("data: "+strings.Repeat("x", 2<<20)+"\n\n"), 0)
	if _, err := r.Next(); err == nil {
		t.Error("a 2 MiB line must be refused, not buffered")
	}
}

// counting reports how much of its input a reader has taken.
type counting struct {
	r io.Reader
	n int
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// Data lines with no blank line between them are one event; a hostile
// upstream sending them without end must not grow that event past the
// bound, nor make us read far past it.
func TestSSEReaderBoundsEventSize(t *testing.T) {
	const limit = 64 << 10
	line := "data: " + strings.Repeat("x", 16<<10) + "\n"
	in := &counting{r: strings.NewReader(strings.Repeat(line, 64) + "\n")} // 1 MiB in one event
	r := llmhttp.NewSSEReader(in, limit)
	_, err := r.Next()
	if !errors.Is(err, llmhttp.ErrEventTooLarge) {
		t.Fatalf("err = %v, want ErrEventTooLarge", err)
	}
	if got := llmhttp.EventBufferCap(r); got > limit {
		t.Errorf("event buffer holds %d bytes, over the %d-byte bound", got, limit)
	}
	if in.n > limit+2*len(line)+4096 {
		t.Errorf("read %d bytes of input for a %d-byte bound", in.n, limit)
	}
	if _, again := r.Next(); !errors.Is(again, llmhttp.ErrEventTooLarge) {
		t.Errorf("Next after the bound = %v, want the same error: the stream is unusable", again)
	}
}

func TestSSEReaderAcceptsAnEventOfExactlyTheBound(t *testing.T) {
	const limit = 4096
	half := strings.Repeat("y", limit/2-1)
	r := llmhttp.NewSSEReader(strings.NewReader("data: "+half+"\ndata: "+half+"x\n\n"), limit) // the "\n" joining them counts
	ev, err := r.Next()
	if err != nil || len(ev.Data) != limit {
		t.Fatalf("event of %d bytes, err = %v; want %d bytes", len(ev.Data), err, limit)
	}
}
