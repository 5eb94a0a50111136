package http

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The sniffer frames as net/http does: behind a real server, whatever
// the client sends, no request that net/http framed without
// Transfer-Encoding is the one the sniffer numbered as conflicting.
// (The request-line check is left out here, so the count alone must be
// right.) Seeds run with go test; go test -fuzz explores further.
func FuzzFramingAgreesWithNetHTTP(f *testing.F) {
	for _, seed := range []string{
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\nHost: x\nX: a\n b\nContent-Length: 0\n\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab\r\nGET / HTTP/1.1\r\nHost: y\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	var mu sync.Mutex
	var wrong []string
	srv := &http.Server{
		DisableGeneralOptionsHandler: true, // as the service's server
		ConnContext:                  connContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tc := connOf(r.Context()).(*trackedConn)
			if tc.framing.conflict.Load() == tc.nextRequest() && len(r.TransferEncoding) == 0 && r.ProtoAtLeast(1, 1) {
				mu.Lock()
				wrong = append(wrong, r.Method+" "+r.RequestURI)
				mu.Unlock()
			}
			_, _ = io.Copy(io.Discard, r.Body)
		}),
	}
	go func() { _ = srv.Serve(wrapListener(ln, connLimits{MaxHeaderBytes: 4096, WriteTimeout: time.Second})) }()
	f.Cleanup(func() { _ = srv.Close() })
	f.Fuzz(func(t *testing.T, stream []byte) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second)) // a hang guard
		go func() {
			_, _ = c.Write(stream)
			_ = c.(*net.TCPConn).CloseWrite()
		}()
		_, _ = io.Copy(io.Discard, c) // until the server has answered all and hung up
		mu.Lock()
		defer mu.Unlock()
		if len(wrong) > 0 {
			t.Fatalf("refused in another request's place: %v, for %q", wrong, stream)
		}
	})
}
