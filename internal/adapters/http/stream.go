package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/ports"
)

type deltaEvent struct {
	Delta string `json:"delta"`
}

type doneEvent struct {
	Usage        usageBody `json:"usage"`
	FinishReason string    `json:"finish_reason"`
	Model        string    `json:"model"`
}

// serveStream answers with Server-Sent Events. The stream exists only
// once the model committed, so an earlier failure is a plain JSON error
// with the same status as the non-streaming endpoint.
func serveStream(c *gin.Context, st ports.CompletionStream, err error, opts Options) {
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
	if w.flush() != nil {
		_ = st.Close()
		return
	}
	pump(c, st, w, opts.KeepAlive)
}

type received struct {
	text string
	err  error
}

// pump relays the model's pieces as they come. Recv runs in its own
// goroutine so keep-alives and a departing client are noticed while the
// model is silent; the goroutine always ends before pump returns.
func pump(c *gin.Context, st ports.CompletionStream, w *sseWriter, keepAlive time.Duration) {
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
				out := st.Completion()
				_ = w.event("done", doneEvent{Usage: toUsageBody(out.Usage), FinishReason: out.FinishReason, Model: out.Model})
				return
			case p.err != nil:
				_, body, _ := describeError(c, p.err)
				_ = w.event("error", body)
				return
			}
			if tick != nil { // keep-alives only cover the wait for the first token
				ticker.Stop()
				tick = nil
			}
			if w.event("", deltaEvent{Delta: p.text}) != nil {
				return // the client is gone
			}
		case <-tick:
			if w.comment("keep-alive") != nil {
				return
			}
		case <-c.Request.Context().Done():
			return
		}
	}
}

// sseWriter writes events with a fresh write deadline each, so a long
// stream is never cut by a whole-response timeout and a stuck client is.
type sseWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	timeout time.Duration
}

func (s *sseWriter) event(name string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(name)+len(data)+16)
	if name != "" {
		buf = append(append(append(buf, "event: "...), name...), '\n')
	}
	buf = append(append(append(buf, "data: "...), data...), "\n\n"...)
	return s.write(buf)
}

func (s *sseWriter) comment(text string) error {
	return s.write([]byte(": " + text + "\n\n"))
}

func (s *sseWriter) write(b []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout)) // unsupported in tests' recorders
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.flush()
}

func (s *sseWriter) flush() error {
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
