package llmhttp

import (
	"bufio"
	"bytes"
	"io"
)

// maxSSELine bounds one line of an upstream event stream, so a hostile
// upstream cannot make us buffer without limit.
const maxSSELine = 1 << 20

// Event is one server-sent event.
type Event struct {
	Name string // "" for the default "message"
	Data []byte // data lines joined by "\n"; valid until the next call
}

// SSEReader parses the text/event-stream format: data lines accumulate
// until a blank line dispatches them; comment lines are skipped.
type SSEReader struct {
	sc   *bufio.Scanner
	data []byte
	name string
}

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	return &SSEReader{sc: sc}
}

// Next returns the next event, io.EOF at a clean end of input, or
// io.ErrUnexpectedEOF when the input stops inside an event.
func (r *SSEReader) Next() (Event, error) {
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
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
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
