package http

import (
	"errors"
	"io"
)

// maxJSONDepth is far beyond any valid request (a chat is five levels
// deep). jsontext's own bound is a fixed 10000, so the body is counted
// as it streams in: the same pass that reads it, not a second parse.
const maxJSONDepth = 64

var errTooDeep = errors.New("JSON nests too deep")

// depthLimiter fails a read once brackets outside strings nest deeper
// than max. It tracks only what that needs: string and escape state.
type depthLimiter struct {
	r        io.Reader
	max      int
	depth    int
	inString bool
	escaped  bool
}

func (d *depthLimiter) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	for _, b := range p[:n] {
		switch {
		case d.escaped:
			d.escaped = false
		case d.inString:
			d.escaped = b == '\\'
			d.inString = b != '"'
		case b == '"':
			d.inString = true
		case b == '{' || b == '[':
			if d.depth++; d.depth > d.max {
				return n, errTooDeep
			}
		case b == '}' || b == ']':
			d.depth--
		}
	}
	return n, err
}
