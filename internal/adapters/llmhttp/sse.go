package llmhttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEventBytes bounds one upstream event's data when the
// endpoint names no bound: far above any real chunk.
const DefaultMaxEventBytes = 1 << 20

// lineSlack is what one line may hold beside an event's worth of data:
// its field name, the colon and the space.
const lineSlack = 64

// ErrEventTooLarge reports an event whose data lines, with no blank line
// to end it, add up to more than the reader's bound.
var ErrEventTooLarge = errors.New("stream event too large")

// Event is one server-sent event.
type Event struct {
	Name string // "" for the default "message"
	Data []byte // data lines joined by "\n"; valid until the next call
}

// SSEReader parses the text/event-stream format: data lines accumulate
// until a blank line dispatches them; comment lines are skipped. What it
// holds is bounded whatever the upstream sends: one line, and one event's
// data.
type SSEReader struct {
	sc       *bufio.Scanner
	data     []byte
	name     string
	maxEvent int
	err      error // sticky: after a bound is hit, the stream is unusable
}

// NewSSEReader reads events from r whose data is at most maxEvent bytes
// (DefaultMaxEventBytes when maxEvent <= 0); a line may be a little
// longer, for its field name.
func NewSSEReader(r io.Reader, maxEvent int) *SSEReader {
	if maxEvent <= 0 {
		maxEvent = DefaultMaxEventBytes
	}
	maxLine := maxEvent + lineSlack
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(4096, maxLine)), maxLine)
	return &SSEReader{sc: sc, maxEvent: maxEvent}
}

// Next returns the next event, io.EOF at a clean end of input, or
// io.ErrUnexpectedEOF when the input stops inside an event. A line over
// its bound is bufio.ErrTooLong; an event over its bound ErrEventTooLarge.
func (r *SSEReader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	ev, err := r.next()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		r.err = err
	}
	return ev, err
}

func (r *SSEReader) next() (Event, error) {
	r.data, r.name = r.data[:0], ""
	pending, hasData := false, false
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if pending {
				return Event{Name: r.name, Data: r.data}, nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if err := r.appendData(value, hasData); err != nil {
				return Event{}, err
			}
			pending, hasData = true, true
		case "event":
			r.name = string(value)
			pending = true
		}
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, err
	}
	if pending {
		return Event{}, io.ErrUnexpectedEOF
	}
	return Event{}, io.EOF
}

// appendData adds one data line, refusing to pass the bound, and grows
// the buffer no further than the bound either.
func (r *SSEReader) appendData(value []byte, sep bool) error {
	n := len(r.data) + len(value)
	if sep {
		n++
	}
	if n > r.maxEvent {
		return fmt.Errorf("%w: data over %d bytes", ErrEventTooLarge, r.maxEvent)
	}
	if n > cap(r.data) {
		grown := make([]byte, len(r.data), min(max(2*cap(r.data), n), r.maxEvent))
		copy(grown, r.data)
		r.data = grown
	}
	if sep {
		r.data = append(r.data, '\n')
	}
	r.data = append(r.data, value...)
	return nil
}
