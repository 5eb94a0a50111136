package http

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestFramingFindsTheRequestThatCarriesBothHeaders(t *testing.T) {
	get := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	smuggled := "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n" // a body that reads like a request
	const noConflict = -1
	tests := []struct {
		name     string
		stream   string
		conflict int64
		requests int64 // header blocks the sniffer found, showing it kept in step
	}{
		{"Content-Length only", "POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get, noConflict, 2},
		{"Transfer-Encoding only", "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + get, noConflict, 2},
		{"both", "POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 1},
		{"both, any case and order", "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nHost: x\r\nCONTENT-LENGTH: 3\r\n\r\n", 0, 1},
		{"both in the second pipelined request", get + "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", 1, 2},
		{"header text inside a Content-Length body", "POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(smuggled)) + "\r\n\r\n" +
			smuggled + get, noConflict, 2},
		{"header text inside a chunked body, with extensions", "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
			chunk(smuggled[:20], `;name="va;l"`) + chunk(smuggled[20:], " ") + "0;last\r\nX-Trailer: 1\r\n\r\n" +
			get + "POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", 2, 3},
		{"a folded line is no field", "POST / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n" + get, noConflict, 2},
		{"a folded Content-Length value", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\t \r\n\r\nabc" + get, noConflict, 2},
		{"bare LF line ends", "POST / HTTP/1.1\nHost: x\nContent-Length: 2\n\nhi" + "GET / HTTP/1.1\nTransfer-Encoding: chunked\nContent-Length: 1\n\n", 1, 2},
		{"Transfer-Encoding is no framing on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"GET / HTTP/1.0\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 2},
		{"CRLF after a POST body", "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\n" + get, noConflict, 2},
		{"a name that only starts like one", "POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encodings: chunked\r\n\r\n" + get, noConflict, 2},
		{"an invalid length stops the sniffer", "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n12" + get, noConflict, 1},
		{"lengths that disagree stop it", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n12" + get, noConflict, 1},
		{"an oversized header stops it", "GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n" + get, noConflict, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, split := range []string{"whole", "bytes", "random"} {
				var f framing
				f.init(4096)
				feedIn(&f, []byte(tt.stream), split)
				if got := f.conflict.Load(); got != tt.conflict {
					t.Errorf("%s: conflict at %d, want %d", split, got, tt.conflict)
				}
				if f.requests != tt.requests {
					t.Errorf("%s: %d header blocks seen, want %d", split, f.requests, tt.requests)
				}
			}
		})
	}
}

// The refusal also checks the request line, so a count out of step
// could never refuse an innocent request in the conflicting one's place.
func TestFramingKnowsTheRefusedRequestLineAgain(t *testing.T) {
	var f framing
	f.init(4096)
	f.feed([]byte("GET /healthz HTTP/1.1\r\n\r\nPOST /api/chat?x=1 HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	if f.conflict.Load() != 1 {
		t.Fatalf("conflict at %d, want 1", f.conflict.Load())
	}
	for line, want := range map[string]bool{
		"POST /api/chat?x=1 HTTP/1.1":  true,
		"GET /healthz HTTP/1.1":        false,
		"POST /api/chat?x=2 HTTP/1.0":  false,
		"POST /api/chat?xy=1 HTTP/1.1": false,
		"":                             false,
	} {
		if got := f.refused.is(line); got != want {
			t.Errorf("is(%q) = %v, want %v", line, got, want)
		}
	}
}

// chunk frames data as one chunk, with ext after its size.
func chunk(data, ext string) string { return fmt.Sprintf("%X%s\r\n%s\r\n", len(data), ext, data) }

func feedIn(f *framing, b []byte, split string) {
	switch split {
	case "whole":
		f.feed(b)
	case "bytes":
		for i := range b {
			f.feed(b[i : i+1])
		}
	default:
		r := rand.New(rand.NewPCG(1, 2))
		for len(b) > 0 {
			n := min(len(b), 1+r.IntN(17))
			f.feed(b[:n])
			b = b[n:]
		}
	}
}

// Whatever a client sends, the sniffer neither panics nor names a
// request it has not seen, however the bytes are split.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), uint8(3))
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\n\r\n"), uint8(1))
	f.Add([]byte("GET / HTTP/1.1\nX: a\n b\nContent-Length: 0\n\n\r\n"), uint8(7))
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		var whole, split framing
		whole.init(4096)
		split.init(4096)
		whole.feed(stream)
		n := int(step%16) + 1
		for b := stream; len(b) > 0; b = b[min(n, len(b)):] {
			split.feed(b[:min(n, len(b))])
		}
		if whole.conflict.Load() != split.conflict.Load() || whole.requests != split.requests {
			t.Fatalf("the split changed what was found: %d/%d vs %d/%d", whole.conflict.Load(), whole.requests, split.conflict.Load(), split.requests)
		}
		if c := whole.conflict.Load(); c >= whole.requests {
			t.Fatalf("conflict at %d of %d requests", c, whole.requests)
		}
	})
}
