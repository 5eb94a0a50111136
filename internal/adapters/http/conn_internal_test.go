package http

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair is a loopback connection: the server side wrapped as the
// listener wraps it, and the client side.
func tcpPair(t *testing.T, limits connLimits) (*trackedConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := wrapListener(ln, limits).Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return server.(*trackedConn), client
}

// net/http's own writes (100 Continue, its 400 and 431) come with no
// deadline; the connection bounds them, so a client that reads nothing
// cannot hold one forever. A deadline a response set is left alone.
func TestWritesOutsideAResponseAreBounded(t *testing.T) {
	server, _ := tcpPair(t, connLimits{WriteTimeout: 100 * time.Millisecond})
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := server.Write(chunk); err != nil { // the client never reads
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write: %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second): // a hang guard
		t.Fatal("a write to a client that reads nothing never ended")
	}

	armed, _ := tcpPair(t, connLimits{WriteTimeout: time.Nanosecond})
	if err := armed.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := armed.Write([]byte("HTTP/1.1 200 OK\r\n")); err != nil {
		t.Errorf("a write under the response's own deadline: %v", err)
	}
}
