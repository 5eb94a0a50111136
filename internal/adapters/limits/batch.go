package limits

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Charges to the shared store are summed in memory per caller and
// minute and sent together, one pipeline at most every flush interval:
// one pipeline per answer was most of the store's work per request.
const (
	defaultFlushEvery = 100 * time.Millisecond
	defaultMaxPending = 10_000
)

// pendingKey is a caller's minute: a charge is booked into the minute
// (and so the day and period) it was made in, however late it is sent.
type pendingKey struct {
	caller string
	minute time.Time
}

// pending is what a caller spent in one minute and is not yet sent.
type pending struct {
	caller ports.Caller
	policy Policy
	at     time.Time // the latest charge's: its TTLs are set, as its own pipeline would have
	tally  ports.Tally
	// estimated: some charge was, so estimated_tokens is written even
	// when it sums to 0, as one charge's pipeline writes it.
	estimated bool
}

func (p *pending) add(now time.Time, s ports.Spent) {
	if now.After(p.at) {
		p.at = now
	}
	addTally(&p.tally, spentTally(s))
	p.estimated = p.estimated || s.Estimated
}

// batch holds the charges not yet sent to the shared store.
type batch struct {
	mu       sync.Mutex
	pending  map[pendingKey]*pending
	stop     func() bool // the armed flush's; nil when none is armed
	closed   bool        // Close ran: nothing is held any more
	inflight int         // batches being sent
	sent     *sync.Cond  // on mu: inflight fell to 0
}

// enqueue adds a charge, arming the flush if none is armed, or sending
// at once when too many callers wait: memory stays bounded.
func (l *Limiter) enqueue(c ports.Caller, now time.Time, s ports.Spent) {
	b := &l.batch
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		// Past shutdown the shared store's client is closing: a charge
		// from a request that outlived the drain stays in the process.
		_ = l.local.charge(context.Background(), l.policy(c), c, now, s)
		return
	}
	k := pendingKey{c.Key, now.UTC().Truncate(time.Minute)}
	p := b.pending[k]
	if p == nil {
		p = &pending{caller: c, policy: l.policy(c), at: now}
		b.pending[k] = p
	}
	p.add(now, s)
	if b.stop == nil {
		b.stop = l.opt.AfterFunc(l.opt.FlushEvery, l.flushArmed)
	}
	var full []*pending
	if len(b.pending) > l.opt.MaxPending {
		full = b.takeLocked()
	}
	b.mu.Unlock()
	if full != nil {
		go l.send(full) // off the caller's path; the armed flush sends what follows
	}
}

// takeLocked empties the batch, oldest charge first, so that a store
// that rolls its windows (Memory) sees the minutes in order, and counts
// it in flight. Callers hold mu.
func (b *batch) takeLocked() []*pending {
	if len(b.pending) == 0 {
		return nil
	}
	out := make([]*pending, 0, len(b.pending))
	for _, p := range b.pending {
		out = append(out, p)
	}
	clear(b.pending)
	slices.SortFunc(out, func(x, y *pending) int { return x.at.Compare(y.at) })
	b.inflight++
	return out
}

// flushArmed is the armed timer's: the next charge arms it again.
func (l *Limiter) flushArmed() {
	b := &l.batch
	b.mu.Lock()
	b.stop = nil
	out := b.takeLocked()
	b.mu.Unlock()
	l.send(out)
}

// send charges a taken batch in one call to the shared store, as call
// does any other: on a failure, failing open, the process's store is
// charged instead; failing closed, the charges are lost, as one
// answer's were. The batch may be large and is off the model path, so
// it has the ledger reads' longer bound.
func (l *Limiter) send(out []*pending) {
	if out == nil {
		return
	}
	_, _ = callWithin(context.Background(), l, l.offPathTimeout(), func(ctx context.Context, s store) (struct{}, error) {
		return struct{}{}, s.chargeAll(ctx, out)
	})
	b := &l.batch
	b.mu.Lock()
	if b.inflight--; b.inflight == 0 {
		b.sent.Broadcast()
	}
	b.mu.Unlock()
}

// Flush sends every pending charge now and returns once every charge
// made before it has landed (or fallen back on the process's store).
// Without a shared store there is nothing to send: charges are in place.
func (l *Limiter) Flush() {
	if l.shared == nil {
		return
	}
	b := &l.batch
	b.mu.Lock()
	out := b.takeLocked()
	b.mu.Unlock()
	l.send(out)
	b.mu.Lock()
	for b.inflight > 0 {
		b.sent.Wait()
	}
	b.mu.Unlock()
}

// Close flushes what is pending and disarms the flush, for shutdown,
// before the shared store's client is closed; later charges are kept in
// the process.
func (l *Limiter) Close() {
	if l.shared == nil {
		return
	}
	b := &l.batch
	b.mu.Lock()
	b.closed = true
	if b.stop != nil {
		b.stop() // if it already fired, it finds the batch that Flush leaves empty
		b.stop = nil
	}
	b.mu.Unlock()
	l.Flush()
}
