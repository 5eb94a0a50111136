package chatmodeltest

import (
	"sync/atomic"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Script is a ports.ChatStream that yields Texts in order, then ends
// with End (io.EOF for a clean end); Result is Answer. Tests of the
// model port's users and decorators play it instead of a model.
type Script struct {
	Texts  []string
	End    error
	Answer domain.Answer
	closed atomic.Int32
}

var _ ports.ChatStream = (*Script)(nil)

func (s *Script) Recv() (domain.Delta, error) {
	if len(s.Texts) == 0 {
		return domain.Delta{}, s.End
	}
	t := s.Texts[0]
	s.Texts = s.Texts[1:]
	return domain.Delta{Text: t}, nil
}

func (s *Script) Result() domain.Answer { return s.Answer }

// Close counts its calls; it may come from any goroutine.
func (s *Script) Close() error {
	s.closed.Add(1)
	return nil
}

// Closed is how many times Close was called.
func (s *Script) Closed() int { return int(s.closed.Load()) }
