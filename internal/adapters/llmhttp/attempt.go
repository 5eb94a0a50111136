package llmhttp

import (
	"context"

	"github.com/rs/zerolog"
)

// Attempt names one backend attempt on its log lines: the model, the
// backend and the attempt's number within the request. The pool puts it
// on each attempt's context. It costs one small allocation, where a
// child logger per attempt cost a 500-byte buffer and a context copy.
type Attempt struct {
	Model, Backend string
	N              int
}

// WithAttempt returns ctx naming the attempt a: the "upstream call" line
// of a call made with it, and the access line that line folds into,
// carry a's fields.
func WithAttempt(ctx context.Context, a Attempt) context.Context {
	ctx, _ = withRecord(ctx, a)
	return ctx
}

func attemptFrom(ctx context.Context) *Attempt { return recordFrom[Attempt](ctx) }

// Named adds the attempt's names to e, in the order every line that
// names an attempt has them; a nil Attempt adds none.
func (a *Attempt) Named(e *zerolog.Event) *zerolog.Event {
	if a == nil {
		return e
	}
	return e.Str("model", a.Model).Str("backend", a.Backend).Int("attempt", a.N)
}
