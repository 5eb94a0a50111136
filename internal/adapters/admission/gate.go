// Package admission bounds how many upstream calls run at once. Every
// call Azure bills passes through the ChatModel port, so a gate there
// protects the quota for every driving route alike, streams included.
package admission

import (
	"context"
	"math"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// gate is a ChatModel that admits at most max calls to the model at a
// time. A call waits up to wait for a slot and is then refused with
// KindUnavailable, so that load sheds fast instead of piling up.
type gate struct {
	model  ports.ChatModel
	slots  chan struct{}
	wait   time.Duration
	tracer trace.Tracer // nil: no span around a wait
}

// Option adjusts a gate.
type Option func(*gate)

// WithTracer opens a span around each wait for a slot, so a trace shows
// time spent queued apart from the model's.
func WithTracer(t trace.Tracer) Option { return func(g *gate) { g.tracer = t } }

var _ ports.ChatModel = (*gate)(nil)

// Limit wraps model; max <= 0 means no limit and returns model itself.
func Limit(model ports.ChatModel, max int, wait time.Duration, opts ...Option) ports.ChatModel {
	if max <= 0 {
		return model
	}
	g := &gate{model: model, slots: make(chan struct{}, max), wait: wait}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Chat holds a slot for the whole call.
func (g *gate) Chat(ctx context.Context, req ports.Conversation) (domain.Answer, error) {
	if err := g.acquire(ctx); err != nil {
		return domain.Answer{}, err
	}
	defer g.release()
	return g.model.Chat(ctx, req)
}

// Stream holds a slot until the stream is closed or ends, since an open
// stream is an upstream generation still being billed.
func (g *gate) Stream(ctx context.Context, req ports.Conversation) (ports.ChatStream, error) {
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	st, err := g.model.Stream(ctx, req)
	if err != nil {
		g.release()
		return nil, err
	}
	// However the stream ends, at its end or at Close, the slot comes
	// back once, so a caller that forgets Close leaks nothing.
	return ports.Watch(st, ports.StreamHooks{End: func(domain.Answer, error) { g.release() }}), nil
}

// acquire takes a slot, waiting at most g.wait. Errors: KindUnavailable
// when none frees up in time, KindCanceled when the caller leaves first.
func (g *gate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if err := domain.Ended(ctx, "the wait for a model call timed out", nil); err != nil {
		return err
	}
	return g.queue(ctx)
}

// queue waits for a slot, inside a span when tracing.
func (g *gate) queue(ctx context.Context) (err error) {
	if g.tracer != nil {
		var span trace.Span
		_, span = g.tracer.Start(ctx, "admission wait")
		defer func() {
			if err != nil {
				span.SetAttributes(attribute.String("error.type", string(domain.KindOf(err))))
				span.SetStatus(codes.Error, "no slot")
			}
			span.End()
		}()
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return domain.Ended(ctx, "the wait for a model call timed out", nil)
	case <-timer.C:
		return domain.Unavailable("the service is at its limit of concurrent model calls; retry shortly", g.retryAfter())
	}
}

func (g *gate) release() { <-g.slots }

// retryAfter suggests the queue wait, at least a second: a retry sooner
// would most likely meet the same full queue.
func (g *gate) retryAfter() time.Duration {
	return time.Duration(max(1, math.Ceil(g.wait.Seconds()))) * time.Second
}
