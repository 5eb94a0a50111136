package http

import (
	"context"
	"errors"
)

// ErrShuttingDown is the cause with which the server cancels every
// request's context when the shutdown deadline passes (see
// context.WithCancelCause and http.Server.BaseContext). Handlers then
// answer 503, and an open stream sends its error event before it ends,
// instead of being cut with no word.
var ErrShuttingDown error = fail(kindShuttingDown, "")

// shutdownCause returns ErrShuttingDown when the server, not the client,
// ended ctx; else nil.
func shutdownCause(ctx context.Context) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrShuttingDown) {
		return cause
	}
	return nil
}
