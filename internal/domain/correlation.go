package domain

import "context"

type correlationKey struct{}

// MaxRequestIDBytes bounds a request id we accept, ours or a provider's.
const MaxRequestIDBytes = 128

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

// ValidRequestID admits ids safe to echo into headers, bodies and logs:
// 1 to 128 bytes of [A-Za-z0-9._:-]. A client's X-Request-ID and a
// provider's request id pass the same test, as both are echoed.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9',
			b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}
