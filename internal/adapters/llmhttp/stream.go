package llmhttp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// StreamLimits bound a stream: First covers everything up to the
// model's first choice, Idle each later gap between events, and
// MaxEventBytes one event's data (DefaultMaxEventBytes when 0).
type StreamLimits struct {
	First         time.Duration
	Idle          time.Duration
	MaxEventBytes int
}

// chunk is the OpenAI-style chat.completion.chunk that compatible
// servers share.
type chunk struct {
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ChatStream reads an upstream chat stream without holding it whole.
type ChatStream struct {
	ctx      context.Context // the caller's, to tell its cancel from ours
	client   *Client
	body     io.ReadCloser
	events   *SSEReader
	cancel   context.CancelFunc
	watchdog *watchdog
	idle     time.Duration
	pending  string // text of the first choice chunk, read while priming
	done     bool
	result   ports.ChatResult
	closed   sync.Once
}

var _ ports.ChatStream = (*ChatStream)(nil)

// OpenStream sends with the usual retries and returns once the model has
// sent its first choice. Azure's leading filter-only chunk, with empty
// choices, does not count: until the first choice, any failure is an
// ordinary error the caller can still answer with a status.
func (c *Client) OpenStream(ctx context.Context, newReq func(context.Context) (*http.Request, error), t StreamLimits) (*ChatStream, error) {
	sctx, cancel := context.WithCancel(ctx)
	wd := newWatchdog(cancel)
	wd.arm(t.First)
	// sendCtx carries the deadline for retry arithmetic; the request itself
	// lives on sctx, which outlives Send.
	sendCtx, sendCancel := context.WithTimeout(sctx, t.First)
	resp, err := c.Send(sendCtx, func(context.Context) (*http.Request, error) { return newReq(sctx) })
	sendCancel()
	if err != nil {
		wd.stop()
		cancel()
		return nil, c.streamError(ctx, wd, err)
	}
	s := &ChatStream{
		ctx: ctx, client: c, body: resp.Body, events: NewSSEReader(resp.Body, t.MaxEventBytes), cancel: cancel, watchdog: wd, idle: t.Idle,
		result: ports.ChatResult{UpstreamRequestID: c.RequestID(resp.Header)},
	}
	if err := s.prime(); err != nil {
		_ = s.Close()
		return nil, err
	}
	wd.arm(t.Idle)
	return s, nil
}

// prime reads up to the first chunk with a choice.
func (s *ChatStream) prime() error {
	for {
		ch, err := s.nextChunk()
		if err != nil {
			return err
		}
		if s.done {
			return domain.Upstream(s.client.target.Name+" ended the stream without an answer", errors.New("[DONE] before any choice"))
		}
		if len(ch.Choices) > 0 {
			s.pending = ch.Choices[0].Delta.Content
			return nil
		}
	}
}

// Recv returns the next piece of text, io.EOF after [DONE].
func (s *ChatStream) Recv() (string, error) {
	if s.pending != "" {
		text := s.pending
		s.pending = ""
		return text, nil
	}
	for !s.done {
		s.watchdog.arm(s.idle)
		ch, err := s.nextChunk()
		if err != nil {
			return "", err
		}
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
			return ch.Choices[0].Delta.Content, nil
		}
	}
	s.watchdog.stop()
	return "", io.EOF
}

// nextChunk reads one event and folds its metadata into the result. At
// [DONE] it marks the stream done and returns an empty chunk.
func (s *ChatStream) nextChunk() (chunk, error) {
	ev, err := s.events.Next()
	if err != nil {
		return chunk{}, s.readError(err)
	}
	if string(ev.Data) == "[DONE]" {
		s.done = true
		return chunk{}, nil
	}
	var ch chunk
	if err := json.Unmarshal(ev.Data, &ch); err != nil {
		return chunk{}, domain.Upstream(s.client.target.Name+" sent a malformed stream event", err)
	}
	if ch.Error != nil {
		return chunk{}, domain.Upstream(s.client.target.Name+" failed during the stream",
			errors.New(upstreamSays(ch.Error.Code, ch.Error.Message)))
	}
	if ch.Model != "" {
		s.result.Model = ch.Model
	}
	if ch.Usage != nil {
		s.result.Tokens = ch.Usage.tokens()
	}
	if len(ch.Choices) > 0 && ch.Choices[0].FinishReason != nil {
		s.result.FinishReason = *ch.Choices[0].FinishReason
	}
	return ch, nil
}

// readError tells a truncated stream, a watchdog timeout and a departed
// client apart; a stream without [DONE] is never a silent success.
func (s *ChatStream) readError(err error) error {
	switch {
	case s.watchdog.fired():
		return domain.Timeout(s.client.target.Name+" stopped sending data in time", err)
	case s.ctx.Err() != nil:
		return s.client.ReadError(s.ctx, err)
	case errors.Is(err, ErrEventTooLarge) || errors.Is(err, bufio.ErrTooLong):
		return domain.Upstream(s.client.target.Name+" sent a malformed stream event", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Upstream(s.client.target.Name+" ended the stream before it was complete", io.ErrUnexpectedEOF)
	}
	return s.client.ReadError(s.ctx, err)
}

// Result is complete once Recv has returned io.EOF.
func (s *ChatStream) Result() ports.ChatResult { return s.result }

// Close cancels the upstream request at once and releases the connection.
func (s *ChatStream) Close() error {
	s.closed.Do(func() {
		s.watchdog.stop()
		s.cancel()
		_ = s.body.Close()
	})
	return nil
}

// streamError turns a watchdog cancellation into the timeout it was.
func (c *Client) streamError(ctx context.Context, wd *watchdog, err error) error {
	if wd.fired() && ctx.Err() == nil {
		return domain.Timeout(c.target.Name+" did not answer in time", err)
	}
	return err
}

// watchdog cancels a stream when a phase takes too long; fired tells a
// timeout from a caller's cancel.
type watchdog struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel context.CancelFunc
	hit    bool
}

func newWatchdog(cancel context.CancelFunc) *watchdog { return &watchdog{cancel: cancel} }

func (w *watchdog) arm(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	if d > 0 {
		w.timer = time.AfterFunc(d, w.fire)
	}
}

func (w *watchdog) fire() {
	w.mu.Lock()
	w.hit = true
	w.mu.Unlock()
	w.cancel()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hit
}
