package http

import (
	"context"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// connLimits are what the connection wrapper needs to know about the
// server it serves.
type connLimits struct {
	// MaxHeaderBytes is the server's header limit; past it net/http
	// answers 431 and closes, so the framing sniffer stops looking.
	MaxHeaderBytes int
	// WriteTimeout bounds every write net/http makes outside a response
	// (100 Continue, its own 400 and 431 answers).
	WriteTimeout time.Duration
}

// wrapListener wraps each accepted connection so that the adapter sees
// what net/http hides from handlers: the framing headers each request
// arrived with, and the socket itself, to notice a peer that hung up.
// The server must also use connContext.
func wrapListener(ln net.Listener, limits connLimits) net.Listener {
	return &connListener{Listener: ln, limits: limits}
}

type connListener struct {
	net.Listener
	limits connLimits
}

func (l *connListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newTrackedConn(c, l.limits), nil
}

type connKey struct{}

// connContext is http.Server.ConnContext: it hands every request the
// connection it came on.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

func connOf(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}

// trackedConn is an accepted connection as the adapter watches it.
// net/http reads it from one goroutine at a time, so the sniffer needs
// no lock; what handlers read of it is atomic.
type trackedConn struct {
	net.Conn
	framing      framing
	served       atomic.Int64 // requests handed to the handler so far
	writeTimeout time.Duration
	writeArmed   atomic.Bool // a write deadline is set; net/http clears it after each response
}

func newTrackedConn(c net.Conn, limits connLimits) *trackedConn {
	tc := &trackedConn{Conn: c, writeTimeout: limits.WriteTimeout}
	tc.framing.init(limits.MaxHeaderBytes)
	return tc
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.framing.feed(p[:n])
	return n, err
}

// Write bounds a write that no response deadline covers, so that not
// even net/http's own small answers can wait forever on a client that
// does not read.
func (c *trackedConn) Write(p []byte) (int, error) {
	if c.writeArmed.Load() || c.writeTimeout <= 0 {
		return c.Conn.Write(p)
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	defer c.Conn.SetWriteDeadline(time.Time{})
	return c.Conn.Write(p)
}

func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	c.writeArmed.Store(!t.IsZero())
	return c.Conn.SetWriteDeadline(t)
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	c.writeArmed.Store(!t.IsZero())
	return c.Conn.SetDeadline(t)
}

// CloseWrite lets net/http half-close before it hangs up after an error
// answer, so the client reads the answer rather than a reset.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// nextRequest numbers the requests the handler sees on this connection,
// from 0, in the order the sniffer numbered their headers.
func (c *trackedConn) nextRequest() int64 { return c.served.Add(1) - 1 }

// rawConn is the socket under c, for polling; nil when there is none.
func rawConn(c net.Conn) syscall.RawConn {
	if tc, ok := c.(*trackedConn); ok {
		c = tc.Conn
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
