package test

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
)

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	Name string // "message" when the stream gave none
	Data string
}

// sseReader reads a text/event-stream one event at a time, as it
// arrives, following the WHATWG parsing rules but refusing unknown
// fields, since our server writes only event, data, id, retry and
// comments. The contract check, the streaming tests and the consumer
// example all read streams through it.
type sseReader struct {
	r      *bufio.Reader
	skipLF bool // the last line ended in CR, so an LF right after belongs to it
}

func newSSEReader(r io.Reader) *sseReader { return &sseReader{r: bufio.NewReader(r)} }

// next returns the next event, skipping comments such as keep-alives. At
// the end of the stream it returns io.EOF, or io.ErrUnexpectedEOF when
// the stream stops inside an event: a truncated stream.
func (s *sseReader) next() (sseEvent, error) {
	var name string
	var data []string
	pending := false
	for {
		line, err := s.line()
		if err != nil {
			if errors.Is(err, io.EOF) && (pending || line != "") {
				err = io.ErrUnexpectedEOF
			}
			return sseEvent{}, err
		}
		if line == "" {
			if len(data) > 0 {
				return sseEvent{Name: cmp.Or(name, "message"), Data: strings.Join(data, "\n")}, nil
			}
			name, pending = "", false
			continue
		}
		pending = true
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			name = value
		case "data":
			data = append(data, value)
		case "id", "retry":
		default:
			return sseEvent{}, fmt.Errorf("unknown field %q", field)
		}
	}
}

// line ends a line at CR, LF or CRLF. A CR ends it at once instead of
// peeking for an LF, which on a live stream could wait for the next event.
func (s *sseReader) line() (string, error) {
	var b []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return string(b), err
		}
		if s.skipLF {
			s.skipLF = false
			if c == '\n' {
				continue
			}
		}
		switch c {
		case '\r':
			s.skipLF = true
			return string(b), nil
		case '\n':
			return string(b), nil
		}
		b = append(b, c)
	}
}
