package http

import (
	"math"
	"net/http"
	"sync/atomic"
)

type framingState uint8

const (
	inHeader    framingState = iota // request line and fields, up to the blank line
	inBody                          // Content-Length bytes still to come
	inChunkSize                     // a chunk-size line, extensions included
	inChunkData                     // a chunk's bytes
	inChunkEnd                      // the CRLF after a chunk's bytes
	inTrailer                       // trailer fields after the last chunk
	stopped                         // nothing more to learn on this connection
)

// maxChunkLine is net/http's limit on a chunk-size line; past it, and
// past maxTrailer, net/http fails the body and closes.
const (
	maxChunkLine = 4096
	maxTrailer   = 4096
)

// framing follows HTTP/1.1 framing over the bytes a connection reads,
// the way net/http frames them, to find where each header block is. It
// keeps a few bytes per line, never a whole header. Where it cannot
// tell how net/http will frame what follows (a malformed length, an
// oversized header), it stops: net/http then answers an error and
// closes, or at worst a conflict goes unseen. It never reads a body as
// a header, so it never refuses a request wrongly.
type framing struct {
	state     framingState
	maxHeader int64        // header bytes net/http reads at most before 431
	conflict  atomic.Int64 // index of the first request with both headers; -1 for none
	refused   requestLine  // that request's line, set before conflict
	requests  int64        // header blocks completed so far

	lineLen int64 // bytes of the current line, its LF excluded
	lastCR  bool  // the line's last byte so far is CR
	remain  int64 // body, chunk or CRLF bytes still to skip
	skipCR  int   // leading CR or LF net/http skips after a POST

	blk   headerBlock
	chunk chunkLine
}

func (f *framing) init(maxHeaderBytes int) {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = http.DefaultMaxHeaderBytes
	}
	f.maxHeader = int64(maxHeaderBytes) + 4096 // net/http's own slack
	f.conflict.Store(-1)
}

func (f *framing) stop() { f.state = stopped }

// feed takes the bytes net/http has just read, in order.
func (f *framing) feed(p []byte) {
	for len(p) > 0 {
		switch f.state {
		case stopped:
			return
		case inBody, inChunkData, inChunkEnd:
			n := min(f.remain, int64(len(p)))
			p, f.remain = p[n:], f.remain-n
			if f.remain == 0 {
				f.partDone()
			}
		default:
			f.lineByte(p[0])
			p = p[1:]
		}
	}
}

// partDone moves on when a body, a chunk or its CRLF has been skipped.
func (f *framing) partDone() {
	switch f.state {
	case inBody:
		f.nextHeader()
	case inChunkData:
		f.state, f.remain = inChunkEnd, 2
	case inChunkEnd:
		f.state, f.chunk = inChunkSize, chunkLine{}
	}
}

func (f *framing) lineByte(b byte) {
	if f.state == inHeader {
		if f.blk.bytes++; f.blk.bytes > f.maxHeader {
			f.stop()
			return
		}
		if f.skipCR > 0 && f.blk.lines == 0 && f.lineLen == 0 {
			if b == '\r' || b == '\n' {
				f.skipCR--
				return
			}
			f.skipCR = 0
		}
	}
	if b == '\n' {
		n := f.lineLen // without its CR, as net/http reads a line
		if f.lastCR {
			n--
		}
		f.lineLen, f.lastCR = 0, false
		f.endLine(n)
		return
	}
	start := f.lineLen == 0
	f.lineLen++
	f.lastCR = b == '\r'
	switch f.state {
	case inHeader:
		f.headerByte(b, start)
	case inChunkSize:
		if f.lineLen > maxChunkLine || !f.chunk.add(b) {
			f.stop()
		}
	case inTrailer:
		if f.chunk.trailer++; f.chunk.trailer > maxTrailer {
			f.stop()
		}
	}
}

func (f *framing) endLine(n int64) {
	blank := n == 0
	switch f.state {
	case inHeader:
		f.endHeaderLine(n)
	case inChunkSize:
		size, ok := f.chunk.size()
		switch {
		case !ok:
			f.stop()
		case size == 0:
			f.state = inTrailer
		default:
			f.state, f.remain = inChunkData, size
		}
	case inTrailer:
		if blank {
			f.nextHeader()
		}
	}
}

// nextHeader starts on the next request. After a POST, net/http skips
// up to four CR or LF bytes that old clients send after the body.
func (f *framing) nextHeader() {
	post := f.blk.post
	f.state, f.blk = inHeader, headerBlock{}
	f.skipCR = 0
	if post {
		f.skipCR = 4
	}
}

// chunkLine reads a chunk-size line: hex digits, then an extension or
// blanks that net/http ignores. trailer counts trailer bytes instead.
type chunkLine struct {
	n       uint64
	digits  int
	done    bool // past the digits
	trailer int64
}

func (c *chunkLine) add(b byte) bool {
	if c.done {
		return true
	}
	v, ok := hexValue(b)
	if !ok {
		c.done = true
		return true
	}
	if c.digits++; c.digits > 16 { // net/http's limit too
		return false
	}
	c.n = c.n<<4 | uint64(v)
	return true
}

// size is false for a line with no size, or one too large to ever end.
func (c chunkLine) size() (int64, bool) {
	return int64(c.n), c.digits > 0 && c.n <= math.MaxInt64
}

func hexValue(b byte) (byte, bool) {
	switch {
	case isDigit(b):
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}
