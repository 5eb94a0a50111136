package http

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// streamFormat is how one API spells a stream's events; /api and /v1
// share everything else.
type streamFormat interface {
	start(w *sseWriter) error
	delta(w *sseWriter, text string) error
	done(w *sseWriter, out domain.Completion) error
	fail(w *sseWriter, c *gin.Context, err error) error
}

// serveStream answers with Server-Sent Events. The stream exists only
// once the model committed, so an earlier failure is a plain JSON error
// with the same status as the non-streaming endpoint.
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
	text string
	err  error
}

// pump relays the model's pieces as they come. Recv runs in its own
// goroutine so keep-alives and a departing client are noticed while the
// model is silent; the goroutine always ends before pump returns.
func pump(c *gin.Context, st ports.CompletionStream, w *sseWriter, keepAlive time.Duration, f streamFormat) {
	pieces, stop := make(chan received), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			text, err := st.Recv()
			select {
			case pieces <- received{text, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		_ = st.Close() // unblocks a Recv waiting on the upstream
		wg.Wait()
	}()

	ticker := time.NewTicker(keepAlive)
	defer ticker.Stop()
	tick := ticker.C
	for {
		select {
		case p := <-pieces:
			switch {
			case errors.Is(p.err, io.EOF):
				_ = f.done(w, st.Completion())
				return
			case p.err != nil:
				_ = f.fail(w, c, p.err)
				return
			}
			if tick != nil { // keep-alives only cover the wait for the first token
				ticker.Stop()
				tick = nil
			}
			if f.delta(w, p.text) != nil {
				return // the client is gone
			}
		case <-tick:
			if w.comment("keep-alive") != nil {
				return
			}
		case <-c.Request.Context().Done():
			if cause := shutdownCause(c.Request.Context()); cause != nil {
				_ = f.fail(w, c, cause) // the client learns why its stream ends
			}
			return
		}
	}
}
