package llmhttp

import "context"

// recordCtx is a context and one record of type T in one allocation:
// the call log and each attempt's names ride on every request's path.
type recordCtx[T any] struct {
	context.Context
	v T
}

// recordKey[T] finds the nearest T on a context; each T is its own key.
type recordKey[T any] struct{}

func (c *recordCtx[T]) Value(key any) any {
	if _, ok := key.(recordKey[T]); ok {
		return &c.v
	}
	return c.Context.Value(key)
}

// withRecord returns ctx carrying v, and the record as the context holds it.
func withRecord[T any](ctx context.Context, v T) (context.Context, *T) {
	c := &recordCtx[T]{Context: ctx, v: v}
	return c, &c.v
}

// recordFrom is the nearest T on ctx; nil when there is none.
func recordFrom[T any](ctx context.Context) *T {
	v, _ := ctx.Value(recordKey[T]{}).(*T)
	return v
}
