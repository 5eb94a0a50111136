package pool

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// attempt is one backend's open stream within a request.
type attempt struct {
	ports.ChatStream
	m     *member
	start time.Time
	first time.Time // its first piece; zero before
	span  span
	ended sync.Once // the span and the call's metrics, once however it ends
}

// finish ends the attempt's span and reports the call, once: at its
// end, at a failure, or at Close.
func (a *attempt) finish(ctx context.Context, r *request, err error) {
	a.ended.Do(func() {
		a.span.end(ctx, err)
		var res domain.Answer
		if err == nil {
			res = a.Result()
		}
		r.called(a.m, a.start, res, err)
		if n := res.Tokens.Completion; err == nil && !a.first.IsZero() && n != nil && *n > 1 {
			r.p.opts.Observer.Generated(r.g.name, a.m.Name, r.p.opts.Now().Sub(a.first)/time.Duration(*n-1))
		}
	})
}

// stream moves to another backend when its current one fails before
// the first piece of text: the client has seen nothing but keep-alives,
// so nothing it holds is contradicted. From the first piece on, a
// failure is the stream's end.
type stream struct {
	ctx  context.Context
	conv ports.Conversation
	req  *request

	mu      sync.Mutex // Close may come from another goroutine while Recv moves on
	cur     *attempt
	closed  bool
	started bool // only Recv's goroutine reads or writes it
}

func (s *stream) Recv() (domain.Delta, error) {
	for {
		cur := s.current()
		d, err := cur.Recv()
		switch {
		case err == nil || errors.Is(err, io.EOF):
			if !s.started {
				s.started = true
				s.req.settle(s.ctx, cur.m, cur.start, nil)
				if err == nil {
					s.firstPiece(cur)
				}
			}
			if err != nil {
				cur.finish(s.ctx, s.req, nil)
			}
			return d, err
		case s.started:
			s.req.p.changed(cur.m, cur.m.health.report(s.req.p.opts.Now(), failureOutcome(s.ctx, err), 0, err, s.req.p.opts.Health))
			cur.finish(s.ctx, s.req, err)
			return domain.Delta{}, err
		}
		_ = cur.Close()
		cur.finish(s.ctx, s.req, err)
		if s.req.settle(s.ctx, cur.m, cur.start, err) {
			return domain.Delta{}, err
		}
		next, err := s.req.open(s.ctx, s.conv)
		if err != nil {
			return domain.Delta{}, err
		}
		if !s.swap(next) {
			return domain.Delta{}, domain.Canceled(context.Canceled)
		}
	}
}

// firstPiece marks the model's time to its first piece.
func (s *stream) firstPiece(a *attempt) {
	a.first = s.req.p.opts.Now()
	after := a.first.Sub(a.start)
	a.span.firstToken(after)
	s.req.p.opts.Observer.FirstToken(s.req.g.name, a.m.Name, after)
}

// failureOutcome is what a failure after the first piece says about the
// backend: a cut stream counts towards its ejection, a departed client
// does not.
func failureOutcome(ctx context.Context, err error) outcome {
	if o, _ := classify(ctx, err); o == outcomeAbandoned {
		return outcomeAbandoned
	}
	return outcomeFailed
}

func (s *stream) current() *attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// swap installs the next backend's stream unless Close came first.
func (s *stream) swap(next *attempt) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = next.Close()
		return false
	}
	s.cur = next
	return true
}

func (s *stream) Result() domain.Answer { return s.current().Result() }

func (s *stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	err := s.cur.Close()
	s.cur.finish(s.ctx, s.req, domain.Canceled(ports.ErrClosedEarly)) // a no-op once the stream ended by itself
	return err
}
