package llmhttp

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// CallLog lets a request that one attempt served write one log line:
// its first attempt's "upstream call" line is held, for the access line
// to carry, instead of written. A second attempt writes the held line,
// then its own, as every later one does. The access-log middleware puts
// it on the request's context.
//
// Attempts are sequential, but a stream's first Recv, and with it a
// failover, runs on a goroutine of its own: hence the mutex.
type CallLog struct {
	mu    sync.Mutex
	state callState
	held  Call
}

type callState uint8

const (
	callsNone    callState = iota // no attempt yet: the first is held
	callsHolding                  // one attempt held
	callsOwn                      // several attempts, or the access line is out: each writes its own line
)

// Call is one attempt's "upstream call" line, fields and logger, not
// yet written.
type Call struct {
	log       *zerolog.Logger // the request's, from the attempt's context
	attempt   *Attempt        // model, backend and number; nil outside a pool
	client    *Client
	elapsed   time.Duration
	status    int
	requestID string
	err       error
}

// WithCallLog returns a context carrying a new record, and the record:
// Send, given that context or one derived from it, holds its first
// attempt's line there.
func WithCallLog(ctx context.Context) (context.Context, *CallLog) {
	return withRecord(ctx, CallLog{})
}

func callLogFrom(ctx context.Context) *CallLog { return recordFrom[CallLog](ctx) }

// hold keeps the request's first attempt; false means the caller writes
// it, after the held one if an attempt is held still.
func (l *CallLog) hold(c Call) bool {
	l.mu.Lock()
	if l.state == callsNone {
		l.state, l.held = callsHolding, c
		l.mu.Unlock()
		return true
	}
	l.mu.Unlock()
	l.next()
	return false
}

// next writes the held line as another attempt starts, so that it
// comes before anything that attempt logs, as close to its own time as
// can be known. Before the first attempt it does nothing.
func (l *CallLog) next() {
	l.mu.Lock()
	holding := l.state == callsHolding
	if holding {
		l.state = callsOwn
	}
	l.mu.Unlock()
	if holding {
		l.held.write()
	}
}

// WriteHeld writes the request's held attempt line now, if it holds
// one: the pool calls it before it waits for a backend, so that a line
// is not written, and stamped, only once the wait is over.
func WriteHeld(ctx context.Context) {
	if l := callLogFrom(ctx); l != nil {
		l.next()
	}
}

// Fold ends the record for the access line: it returns the one attempt
// that served the request, for the access line to carry, or nil when
// there were none or several. Later attempts write their own lines.
func (l *CallLog) Fold() *Call {
	if l.end() {
		return &l.held
	}
	return nil
}

// Close ends the record, writing a held line no access line took, as
// when a panic passes the access log. After Fold it does nothing.
func (l *CallLog) Close() {
	if l.end() {
		l.held.write()
	}
}

// end lets every later attempt write its own line, and reports whether
// one was held: the caller then owns it.
func (l *CallLog) end() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	holding := l.state == callsHolding
	l.state = callsOwn
	return holding
}

// Named adds the attempt's model, backend and number to e. The access
// line adds them first, where the "upstream call" line has them.
func (c *Call) Named(e *zerolog.Event) *zerolog.Event { return c.attempt.Named(e) }

// Fields adds the attempt's upstream fields to e.
func (c *Call) Fields(e *zerolog.Event) *zerolog.Event {
	t := c.client.target
	e.Str("upstream", t.Name).Str(t.ResourceKind, t.Resource).Dur("upstream_latency_ms", c.elapsed).
		Int("upstream_status", c.status)
	if c.err != nil {
		return e.AnErr("upstream_error", c.err)
	}
	return e.Str("upstream_request_id", c.requestID)
}

func (c *Call) write() { c.Fields(c.Named(c.log.Info())).Msg("upstream call") }
