package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// sseWriter writes events with a fresh write deadline each, so a long
// stream is never cut by a whole-response timeout and a stuck client is.
type sseWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	timeout time.Duration
	buf     []byte // the event being written: one stream writes from one goroutine
}

// event writes one event; an empty name is the default "message".
func (s *sseWriter) event(name string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return s.raw(name, data)
}

func (s *sseWriter) raw(name string, data []byte) error {
	return s.write(append(s.begin(name), data...))
}

// text writes {"<member>":"<text>"}, the shape of most pieces of a
// stream, quoting text straight into the event: a long piece is copied
// once, with no reflection and no allocation once the buffer has grown.
func (s *sseWriter) text(name, member, text string) error {
	b := append(append(append(s.begin(name), `{"`...), member...), `":`...)
	b, _ = jsontext.AppendQuote(b, text) // invalid UTF-8 becomes U+FFFD, as json.Marshal makes it
	return s.write(append(b, '}'))
}

// begin starts an event in the reused buffer, up to its data.
func (s *sseWriter) begin(name string) []byte {
	b := s.buf[:0]
	if name != "" {
		b = append(append(append(b, "event: "...), name...), '\n')
	}
	return append(b, "data: "...)
}

func (s *sseWriter) comment(text string) error {
	return s.write(append(append(s.buf[:0], ": "...), text...))
}

func (s *sseWriter) write(b []byte) error {
	b = append(b, "\n\n"...)
	s.buf = b[:0]
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout)) // unsupported in tests' recorders
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.flush()
}

func (s *sseWriter) flush() error {
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
