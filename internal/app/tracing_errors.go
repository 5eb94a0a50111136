package app

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// exportErrorEvery is how often at most a failing export is logged: a
// collector that is away fails every batch, and the drop counter already
// says how many.
const exportErrorEvery = 30 * time.Second

// exportErrors logs failed exports through our logger, so that they are
// JSON when the logs are and pass the redactor. Handed to the SDK, they
// would reach otel.Handle, whose default prints to stderr, unredacted,
// and whose only hook is a process global.
type exportErrors struct {
	log        zerolog.Logger
	now        func() time.Time
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newExportErrors(log zerolog.Logger) *exportErrors {
	return &exportErrors{log: log, now: time.Now}
}

// report logs err, or counts it as suppressed when one was logged less
// than exportErrorEvery ago; the next line says how many were.
func (h *exportErrors) report(err error) {
	h.mu.Lock()
	now := h.now()
	if !h.last.IsZero() && now.Sub(h.last) < exportErrorEvery {
		h.suppressed++
		h.mu.Unlock()
		return
	}
	suppressed := h.suppressed
	h.last, h.suppressed = now, 0
	h.mu.Unlock()
	h.log.Warn().Err(err).Int("suppressed", suppressed).Msg("tracing: spans not exported (counted in aoai_api_trace_spans_dropped_total)")
}
