package http

import (
	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

type doneEvent struct {
	Usage        usageBody `json:"usage"`
	FinishReason string    `json:"finish_reason"`
	Model        string    `json:"model"`
}

// apiStream is the reference API's stream: data {"delta"} events, then
// event done with usage, or event error with the usual error body.
type apiStream struct{}

func (apiStream) start(*sseWriter) error { return nil }

// delta sends text only: /api asks for one choice and no tools.
func (apiStream) delta(w *sseWriter, d domain.Delta) error {
	if d.Text == "" {
		return nil
	}
	return w.text("", "delta", d.Text)
}

func (apiStream) done(w *sseWriter, out domain.Completion) error {
	return w.event("done", doneEvent{Usage: toUsageBody(out), FinishReason: out.FinishReason(), Model: out.Model})
}

func (apiStream) fail(w *sseWriter, c *gin.Context, err error) error {
	return w.event("error", apiErrorOf(c, describeError(c, err)))
}
