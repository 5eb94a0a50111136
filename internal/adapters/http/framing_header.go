package http

import (
	"math"
	"strings"
)

// headerBlock is what one request's header has shown so far.
type headerBlock struct {
	lines        int // lines completed, the request line included
	bytes        int64
	line         requestLine // what is kept of the request line
	post, http10 bool
	hasCL, hasTE bool
	clBad        bool
	clSet        bool
	cl           int64

	field    fieldKind // the field being read, which a folded line continues
	name     [len("transfer-encoding") + 1]byte
	nameLen  int
	inValue  bool // past the field name's colon, or in a folded line
	clDigits decimal
}

type fieldKind uint8

const (
	fieldOther fieldKind = iota
	fieldContentLength
	fieldTransferEncoding
)

func (f *framing) headerByte(b byte, start bool) {
	blk := &f.blk
	if blk.lines == 0 { // the request line
		blk.line.add(b)
		return
	}
	if start {
		if b == ' ' || b == '\t' { // obsolete line folding: the field's value goes on
			blk.inValue = true
			blk.value(b)
			return
		}
		blk.endField()
	}
	if blk.inValue {
		blk.value(b)
		return
	}
	if b == ':' {
		blk.inValue = true
		blk.field = kindOf(blk.name[:blk.nameLen])
		switch blk.field {
		case fieldContentLength:
			blk.hasCL, blk.clDigits = true, decimal{}
		case fieldTransferEncoding:
			blk.hasTE = true
		}
		return
	}
	if blk.nameLen < len(blk.name) {
		blk.name[blk.nameLen] = lower(b)
		blk.nameLen++
	}
}

func (f *framing) endHeaderLine(n int64) {
	blk := &f.blk
	blank := n == 0
	if blk.lines == 0 {
		if blank || !blk.readVersion() {
			f.stop() // net/http refuses the request and closes
			return
		}
		blk.line.n = n
		blk.post = string(blk.line.head[:blk.line.headLen]) == "POST "
		blk.lines++
		return
	}
	if !blank {
		blk.lines++
		return
	}
	blk.endField()
	f.requests++
	switch {
	case blk.hasCL && blk.hasTE:
		f.refused = blk.line
		f.conflict.Store(f.requests - 1)
		f.stop() // the connection closes at this request
	case blk.hasTE && !blk.http10: // net/http ignores Transfer-Encoding on HTTP/1.0
		f.state, f.chunk = inChunkSize, chunkLine{}
	case blk.hasCL && blk.clBad:
		f.stop()
	case blk.hasCL && blk.cl > 0:
		f.state, f.remain = inBody, blk.cl
	default:
		f.nextHeader()
	}
}

// readVersion reads HTTP/x.y off the end of the request line.
func (blk *headerBlock) readVersion() bool {
	t := blk.line.tail[len(blk.line.tail)-blk.line.tailLen:]
	if len(t) < len("HTTP/1.1") {
		return false
	}
	v := t[len(t)-len("HTTP/1.1"):]
	if string(v[:6]) != "HTTP/1" || v[6] != '.' || !isDigit(v[7]) {
		return false // net/http serves HTTP/1.x only
	}
	blk.http10 = v[7] == '0'
	return true
}

// requestLine is what the sniffer keeps of a request line: its length
// and a few bytes from each end, enough to know it again.
type requestLine struct {
	n       int64
	head    [5]byte // the first bytes: the method
	headLen int
	tail    [8]byte // the last: the version
	tailLen int
}

func (l *requestLine) add(b byte) {
	if l.headLen < len(l.head) {
		l.head[l.headLen] = b
		l.headLen++
	}
	if b != '\r' { // the line's end; net/http refuses a CR anywhere else
		copy(l.tail[:], l.tail[1:])
		l.tail[len(l.tail)-1] = b
		l.tailLen = min(l.tailLen+1, len(l.tail))
	}
}

// is says whether line, as net/http parsed it, is this one.
func (l requestLine) is(line string) bool {
	return int64(len(line)) == l.n && strings.HasPrefix(line, string(l.head[:l.headLen])) &&
		strings.HasSuffix(line, string(l.tail[len(l.tail)-l.tailLen:]))
}

func (blk *headerBlock) value(b byte) {
	if blk.field == fieldContentLength {
		blk.clDigits.add(b)
	}
}

// endField settles a Content-Length once its folded lines are in. Like
// net/http, several are allowed only when they agree.
func (blk *headerBlock) endField() {
	if blk.field == fieldContentLength {
		n, ok := blk.clDigits.value()
		switch {
		case !ok || blk.clSet && n != blk.cl:
			blk.clBad = true
		default:
			blk.cl, blk.clSet = n, true
		}
	}
	blk.field, blk.nameLen, blk.inValue = fieldOther, 0, false
}

func kindOf(name []byte) fieldKind {
	switch string(name) {
	case "content-length":
		return fieldContentLength
	case "transfer-encoding":
		return fieldTransferEncoding
	}
	return fieldOther
}

// decimal reads a Content-Length value: optional blanks around digits.
type decimal struct {
	n      int64
	digits bool
	after  bool // blanks after the digits
	bad    bool
}

func (d *decimal) add(b byte) {
	switch {
	case b == ' ' || b == '\t' || b == '\r':
		d.after = d.digits
	case isDigit(b) && !d.after && d.n <= (math.MaxInt64-int64(b-'0'))/10:
		d.n, d.digits = d.n*10+int64(b-'0'), true
	default:
		d.bad = true
	}
}

func (d decimal) value() (int64, bool) { return d.n, d.digits && !d.bad }

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
