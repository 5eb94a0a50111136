package ports

import (
	"errors"
	"io"
	"sync"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// ErrClosedEarly is what StreamHooks.End hears when a stream was closed
// before it ended by itself: the client left, or the server gave up.
var ErrClosedEarly = errors.New("stream closed before its end")

// StreamHooks are what a decorator of the model port wants to hear of
// a stream. Either may be nil.
type StreamHooks struct {
	// Piece hears each piece that Recv returns.
	Piece func(d domain.Delta)
	// End runs exactly once, however the stream ends: with a nil error
	// and the final answer at io.EOF, with the failure Recv returned, or
	// with ErrClosedEarly when Close came first (the answer is then
	// empty: Close may race a Recv still filling it).
	End func(res domain.Answer, err error)
}

// Watch is the one stream-end mechanism that every decorator of the
// model port shares, so none keeps a "done" flag of its own.
func Watch(st ChatStream, h StreamHooks) ChatStream {
	return &watched{ChatStream: st, hooks: h}
}

type watched struct {
	ChatStream
	hooks StreamHooks
	once  sync.Once
}

func (w *watched) Recv() (domain.Delta, error) {
	d, err := w.ChatStream.Recv()
	switch {
	case err == nil:
		if w.hooks.Piece != nil {
			w.hooks.Piece(d)
		}
	case errors.Is(err, io.EOF):
		w.end(w.ChatStream.Result(), nil)
	default:
		w.end(domain.Answer{}, err)
	}
	return d, err
}

func (w *watched) Close() error {
	err := w.ChatStream.Close()
	w.end(domain.Answer{}, ErrClosedEarly)
	return err
}

func (w *watched) end(res domain.Answer, err error) {
	w.once.Do(func() {
		if w.hooks.End != nil {
			w.hooks.End(res, err)
		}
	})
}
