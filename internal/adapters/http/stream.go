package http

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// streamFormat is how one API spells a stream's events; /api and /v1
// share everything else.
type streamFormat interface {
	start(w *sseWriter) error
	delta(w *sseWriter, d domain.Delta) error
	done(w *sseWriter, out domain.Completion) error
	fail(w *sseWriter, c *gin.Context, err error) error
}

// serveStream answers with Server-Sent Events. The stream exists once
// the upstream has answered 2xx, so an earlier failure is a plain JSON
// error with the same status as the non-streaming endpoint; a later one,
// before the first token too, is an error event.
func serveStream(c *gin.Context, st ports.CompletionStream, err error, opts Options, f streamFormat) {
	if err != nil {
		writeError(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // ingress proxies must not buffer
	if id := st.Completion().UpstreamRequestID; id != "" {
		h.Set(headerUpstreamRequestID, id)
	}
	c.Status(http.StatusOK)
	w := &sseWriter{w: c.Writer, rc: http.NewResponseController(c.Writer), timeout: opts.WriteTimeout}
	if f.start(w) != nil || w.flush() != nil {
		_ = st.Close()
		return
	}
	pump(c, st, w, opts.KeepAlive, f)
}

type received struct {
	d   domain.Delta
	err error
}

// pump relays the model's pieces as they come, on the handler's own
// goroutine: no hand-off per piece. Only the wait for the first piece
// runs beside it, so keep-alives go out while the model is silent. After
// that, a departing client or the drain cancels the request context,
// which ends the upstream read and so Recv (the port promises as much).
func pump(c *gin.Context, st ports.CompletionStream, w *sseWriter, keepAlive time.Duration, f streamFormat) {
	defer st.Close()
	d, err, ok := firstPiece(c, st, w, keepAlive, f)
	if !ok {
		return
	}
	for err == nil {
		if f.delta(w, d) != nil {
			return // the client is gone
		}
		d, err = st.Recv()
	}
	finish(c, st, w, f, err)
}

// firstPiece waits for the model's first piece, sending keep-alive
// comments meanwhile. ok is false when the stream ended without one
// because the client left or the server is shutting down.
func firstPiece(c *gin.Context, st ports.CompletionStream, w *sseWriter, keepAlive time.Duration, f streamFormat) (domain.Delta, error, bool) {
	got := make(chan received, 1)
	go func() {
		d, err := st.Recv()
		got <- received{d, err}
	}()
	stop := func() { _ = st.Close(); <-got } // the goroutine never outlives pump
	ticker := time.NewTicker(keepAlive)
	defer ticker.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case p := <-got:
			return p.d, p.err, true
		case <-ticker.C:
			if w.comment("keep-alive") != nil {
				stop()
				return domain.Delta{}, nil, false
			}
		case <-ctx.Done():
			if cause := shutdownCause(ctx); cause != nil {
				_ = f.fail(w, c, cause) // the client learns why its stream ends
			}
			stop()
			return domain.Delta{}, nil, false
		}
	}
}

// finish ends the stream with its done event, or with the error that
// stopped it. A client that left is told nothing: no one is listening.
func finish(c *gin.Context, st ports.CompletionStream, w *sseWriter, f streamFormat, err error) {
	ctx := c.Request.Context()
	shutdown := shutdownCause(ctx)
	switch {
	case errors.Is(err, io.EOF):
		_ = f.done(w, st.Completion())
	case shutdown != nil:
		_ = f.fail(w, c, shutdown)
	case ctx.Err() != nil:
	default:
		_ = f.fail(w, c, err)
	}
}
