package domain

import "context"

type correlationKey struct{}

// WithCorrelationID lets driven adapters forward the caller's id upstream,
// so one id traces a request through every hop.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the id set by WithCorrelationID, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
