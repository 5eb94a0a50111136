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
	r := llmhttp.NewSSEReader(strings.NewReader(in))
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
	r := llmhttp.NewSSEReader(strings.NewReader("data: {\"a\":1}\n\ndata: {\"b\""))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestSSEReaderBoundsLineLength(t *testing.T) {
	r := llmhttp.NewSSEReader(strings.NewReader("data: " + strings.Repeat("x", 2<<20) + "\n\n"))
	if _, err := r.Next(); err == nil {
		t.Error("a 2 MiB line must be refused, not buffered")
	}
}
