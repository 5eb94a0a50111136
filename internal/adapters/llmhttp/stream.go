package llmhttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// StreamLimits bound a stream. First is the budget up to the model's
// first choice, the request and its retries included; Idle bounds each
// later wait for an event. Both count only time spent waiting on the
// upstream. MaxEventBytes bounds one event's data (DefaultMaxEventBytes
// when 0).
type StreamLimits struct {
	First         time.Duration
	Idle          time.Duration
	MaxEventBytes int
}

// chunk is the OpenAI-style chat.completion.chunk that compatible
// servers share.
type chunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content   string `json:"content"`
			Refusal   string `json:"refusal"`
			ToolCalls []struct {
				Index    int          `json:"index"`
				ID       string       `json:"id"`
				Function wireFunction `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
		Logprobs     domain.JSON `json:"logprobs"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *wireError `json:"error"`
}

// deltas are the chunk's pieces that carry something: a role-only or a
// finish-only delta is not a piece.
func (ch *chunk) deltas(out []domain.Delta) []domain.Delta {
	for _, c := range ch.Choices {
		if c.Index < 0 || c.Index >= maxChoices {
			continue // no client asked for it: n is bounded far below
		}
		d := domain.Delta{Choice: c.Index, Text: c.Delta.Content, Refusal: c.Delta.Refusal, Logprobs: c.Logprobs}
		for _, t := range c.Delta.ToolCalls {
			d.ToolCalls = append(d.ToolCalls, domain.ToolCallDelta{Index: t.Index, ID: t.ID, Name: t.Function.Name, Arguments: t.Function.Arguments})
		}
		if d.Text != "" || d.Refusal != "" || len(d.ToolCalls) > 0 || len(d.Logprobs) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// ChatStream reads an upstream chat stream without holding it whole.
type ChatStream struct {
	ctx       context.Context // the caller's, to tell its cancel from ours
	client    *Client
	body      io.ReadCloser
	events    *SSEReader
	cancel    context.CancelFunc
	watchdog  *watchdog
	limits    StreamLimits
	firstLeft time.Duration // what remains of limits.First until the first choice
	chosen    bool          // a chunk with a choice has arrived
	done      bool
	pending   []domain.Delta // a chunk's pieces not yet returned
	id        string         // the completion's id, for the trace
	result    domain.Answer
	closed    sync.Once
}

var _ ports.ChatStream = (*ChatStream)(nil)

// OpenStream makes one attempt and returns as soon as the upstream has
// answered 2xx, so the caller can start its own stream (and
// its keep-alives) while the model thinks. Until then a failure is an
// ordinary error the caller can still answer with a status; after it,
// failures come from Recv.
func (c *Client) OpenStream(ctx context.Context, newReq func(context.Context) (*http.Request, error), l StreamLimits) (*ChatStream, error) {
	sctx, cancel := context.WithCancel(ctx)
	wd := newWatchdog(cancel, c.afterFunc)
	start := c.now()
	wd.arm(l.First)
	// sendCtx bounds the wait for the answer's headers; the request
	// itself lives on sctx, which outlives Send.
	sendCtx, sendCancel := sctx, context.CancelFunc(func() {})
	if l.First > 0 {
		sendCtx, sendCancel = context.WithTimeout(sctx, l.First)
	}
	resp, err := c.Send(sendCtx, func(context.Context) (*http.Request, error) { return newReq(sctx) })
	sendCancel()
	wd.disarm()
	if err != nil {
		cancel()
		return nil, c.streamError(ctx, wd, err)
	}
	c.traceResponse(ctx, resp, nil)
	return &ChatStream{
		ctx: ctx, client: c, body: resp.Body, events: NewSSEReader(resp.Body, l.MaxEventBytes), cancel: cancel,
		watchdog: wd, limits: l, firstLeft: l.First - c.now().Sub(start),
		result: domain.Answer{UpstreamRequestID: c.RequestID(resp.Header)},
	}, nil
}

// Recv returns the next piece, io.EOF after [DONE]. Azure's leading
// filter-only chunk, with empty choices, is not a choice.
func (s *ChatStream) Recv() (domain.Delta, error) {
	for len(s.pending) == 0 && !s.done {
		ch, err := s.nextChunk()
		if err != nil {
			return domain.Delta{}, err
		}
		if len(ch.Choices) > 0 {
			s.chosen = true
			s.pending = ch.deltas(s.pending)
		}
	}
	if len(s.pending) > 0 {
		d := s.pending[0]
		s.pending = s.pending[1:]
		return d, nil
	}
	if !s.chosen {
		return domain.Delta{}, s.client.badAnswer(s.ctx, errors.New("[DONE] before any choice"), s.client.target.Name+" ended the stream without an answer")
	}
	s.client.traceAnswer(s.ctx, nil, s.id, s.result) // the response was traced at OpenStream
	return domain.Delta{}, io.EOF
}

// nextChunk reads one event and folds its metadata into the result. At
// [DONE] it marks the stream done and returns an empty chunk.
func (s *ChatStream) nextChunk() (chunk, error) {
	ev, err := s.read()
	if err != nil {
		return chunk{}, s.readError(err)
	}
	if string(ev.Data) == "[DONE]" {
		s.done = true
		return chunk{}, nil
	}
	var ch chunk
	if err := unmarshalAnswer(ev.Data, &ch); err != nil {
		return chunk{}, s.client.badAnswer(s.ctx, err, s.client.target.Name+" sent a malformed stream event")
	}
	if ch.Error != nil {
		return chunk{}, s.failed(s.client.target.Name+" failed during the stream", errors.New(ch.Error.says()))
	}
	if ch.Model != "" {
		s.result.Model = ch.Model
	}
	if ch.ID != "" {
		s.id = ch.ID
	}
	if ch.Usage != nil {
		s.result.Tokens = ch.Usage.tokens()
	}
	for _, c := range ch.Choices {
		if c.FinishReason != nil && c.Index >= 0 && c.Index < maxChoices {
			s.result.Choices = grow(s.result.Choices, c.Index)
			s.result.Choices[c.Index].FinishReason = *c.FinishReason
		}
	}
	return ch, nil
}

// maxChoices bounds the choices a stream may name, so an upstream's
// index cannot make us allocate without limit.
const maxChoices = 128

// grow makes room for choice i.
func grow(cs []domain.Choice, i int) []domain.Choice {
	for len(cs) <= i {
		cs = append(cs, domain.Choice{})
	}
	return cs
}

// read waits for one event with the watchdog armed for just that wait:
// what is left of the first-choice budget, or the idle bound after it.
func (s *ChatStream) read() (Event, error) {
	if s.chosen {
		s.watchdog.arm(s.limits.Idle)
		defer s.watchdog.disarm()
		return s.events.Next()
	}
	if s.limits.First <= 0 {
		return s.events.Next() // no bound asked for
	}
	start := s.client.now()
	s.watchdog.arm(max(s.firstLeft, time.Nanosecond)) // a spent budget fires at once
	ev, err := s.events.Next()
	s.watchdog.disarm()
	s.firstLeft -= s.client.now().Sub(start)
	return ev, err
}

// readError tells a truncated stream, a watchdog timeout and a departed
// client apart; a stream without [DONE] is never a silent success.
func (s *ChatStream) readError(err error) error {
	switch {
	case s.watchdog.fired() && s.ctx.Err() == nil:
		msg := s.client.target.Name + " did not answer in time"
		if s.chosen {
			msg = s.client.target.Name + " stopped sending data in time"
		}
		e := domain.Timeout(msg, err)
		e.Fault = domain.FaultTransient
		return e
	case errors.Is(err, ErrEventTooLarge) || errors.Is(err, bufio.ErrTooLong):
		return s.client.badAnswer(s.ctx, err, s.client.target.Name+" sent a malformed stream event")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return s.failed(s.client.target.Name+" ended the stream before it was complete", io.ErrUnexpectedEOF)
	}
	return s.failed(s.client.target.Name+" response was cut short", err)
}

// failed is a failure of this stream, through the one classifier.
func (s *ChatStream) failed(msg string, cause error) error { return s.client.broken(s.ctx, cause, msg) }

// Result is complete once Recv has returned io.EOF.
func (s *ChatStream) Result() domain.Answer { return s.result }

// Close cancels the upstream request at once and releases the connection.
func (s *ChatStream) Close() error {
	s.closed.Do(func() {
		s.watchdog.disarm()
		s.cancel()
		_ = s.body.Close()
	})
	return nil
}

// streamError turns a watchdog cancellation into the timeout it was.
func (c *Client) streamError(ctx context.Context, wd *watchdog, err error) error {
	if wd.fired() && ctx.Err() == nil {
		e := domain.Timeout(c.target.Name+" did not answer in time", err)
		e.Fault = domain.FaultTransient
		return e
	}
	return err
}
