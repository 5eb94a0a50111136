package http

import (
	"net"
	"sync/atomic"
	"time"
)

// ConnLimits are what the connection wrapper needs to know about the
// server it serves.
type ConnLimits struct {
	// WriteTimeout bounds every write net/http makes outside a response
	// (100 Continue, its own 400 and 431 answers).
	WriteTimeout time.Duration
}

// WrapListener wraps each accepted connection so that the adapter sees
// what net/http hides from handlers.
func WrapListener(ln net.Listener, limits ConnLimits) net.Listener {
	return &connListener{Listener: ln, limits: limits}
}

type connListener struct {
	net.Listener
	limits ConnLimits
}

func (l *connListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newTrackedConn(c, l.limits), nil
}

// trackedConn is an accepted connection as the adapter watches it.
type trackedConn struct {
	net.Conn
	writeTimeout time.Duration
	writeArmed   atomic.Bool // a write deadline is set; net/http clears it after each response
}

func newTrackedConn(c net.Conn, limits ConnLimits) *trackedConn {
	return &trackedConn{Conn: c, writeTimeout: limits.WriteTimeout}
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
