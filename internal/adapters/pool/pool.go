// Package pool spreads each model over several backends, Azure
// deployments in many regions or any other ports.ChatModel: it picks the
// lowest priority tier with an available backend, weighted within the
// tier, fails over before the first byte, and keeps each backend's
// health (cooldowns, ejections, half-open probes). It is a decorator of
// the driven port, so the use case and the HTTP adapter see one model.
package pool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Backend is one deployment of a model.
type Backend struct {
	Name     string // unique within its model
	Provider string // azure, openai or fake: for metrics and traces
	Priority int    // lower tiers are tried first
	Weight   int    // its share within the tier
	Model    ports.ChatModel
	// Key identifies the backend across reloads: one whose key is
	// unchanged keeps its health.
	Key string
	// About is what an operator is shown of its configuration, never a
	// secret; Problem says why it could not be built ("" when it was).
	// The pool only passes them on to Snapshot.
	About   map[string]string
	Problem string
}

// Model is a name clients ask for and the backends that serve it.
type Model struct {
	Name     string
	Aliases  []string // other names clients may use for it
	Backends []Backend
}

// Retry bounds one request's attempts across all backends.
type Retry struct {
	MaxAttempts  int           // 1 + UPSTREAM_MAX_RETRIES
	MaxRetryWait time.Duration // the longest wait for a backend to recover
	BaseBackoff  time.Duration // before trying a backend that just failed again
	MaxBackoff   time.Duration
}

// Options are the pool's injectable parts; zero values take real time.
type Options struct {
	// Timeout bounds a whole request, failovers and waits included
	// (UPSTREAM_TIMEOUT); a stream's, up to its first piece.
	Timeout  time.Duration
	Health   Policy
	Retry    Retry
	Observer Observer
	// Log hears every state change; requests log through their context.
	Log zerolog.Logger
	// Tracer opens each attempt's client span; nil traces nothing.
	Tracer trace.Tracer
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Rand   func() float64 // in [0, 1)
}

// Pool is a ports.ChatModel over every configured model's backends. Its
// models can be swapped while it serves (a reload); a request keeps the
// set it started with.
type Pool struct {
	opts Options
	mu   sync.RWMutex
	set  *modelSet
}

type modelSet struct {
	order  []string // the first serves requests that name no model
	names  []string // every name a client may use, in configured order
	byName map[string]*group
}

type group struct {
	name    string
	members []*member // by priority, then as configured
}

type member struct {
	Backend
	model  string
	health *health
}

var _ ports.ChatModel = (*Pool)(nil)

// New builds a pool over models, which must be valid: at least one
// model, each with at least one backend, names unique.
func New(models []Model, o Options) *Pool {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 120 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Retry.BaseBackoff <= 0 {
		o.Retry.BaseBackoff = 500 * time.Millisecond
	}
	if o.Retry.MaxBackoff <= 0 {
		o.Retry.MaxBackoff = 8 * time.Second
	}
	p := &Pool{opts: o}
	p.set = p.build(models, nil)
	return p
}

// Swap replaces the models for requests that start from now on. A
// backend whose model, name and Key are unchanged keeps its health,
// except that a broken one gets a fresh start: a reload is how an
// operator says its deployment or identity has been fixed.
func (p *Pool) Swap(models []Model) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set = p.build(models, p.set)
}

func (p *Pool) build(models []Model, old *modelSet) *modelSet {
	known := map[[3]string]*health{}
	if old != nil {
		for _, g := range old.byName {
			for _, m := range g.members {
				known[[3]string{m.model, m.Name, m.Key}] = m.health
			}
		}
	}
	set := &modelSet{byName: make(map[string]*group, len(models))}
	for _, md := range models {
		g := &group{name: md.Name}
		for _, b := range md.Backends {
			h := known[[3]string{md.Name, b.Name, b.Key}]
			if h == nil || h.brokenBy() != nil {
				h = newHealth()
			}
			g.members = append(g.members, &member{Backend: b, model: md.Name, health: h})
			p.opts.Observer.State(md.Name, b.Name, string(h.state))
			delete(known, [3]string{md.Name, b.Name, b.Key})
		}
		slices.SortStableFunc(g.members, func(a, b *member) int { return a.Priority - b.Priority })
		set.order = append(set.order, md.Name)
		for _, name := range append([]string{md.Name}, md.Aliases...) {
			set.byName[name] = g
			if name != "" {
				set.names = append(set.names, name)
			}
		}
	}
	for id := range known { // what is left was dropped or changed
		if !set.has(id[0], id[1]) {
			p.opts.Observer.Removed(id[0], id[1])
		}
	}
	return set
}

func (s *modelSet) has(model, backend string) bool {
	if g, ok := s.byName[model]; ok {
		for _, m := range g.members {
			if m.Name == backend {
				return true
			}
		}
	}
	return false
}

// Models lists every name a client may ask for, in configured order.
// The slice is the current set's own, never changed once built (a
// reload builds a new one), so callers share it without a copy: /v1
// reads it on every request. It is read-only.
func (p *Pool) Models() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.set.names
}

func (p *Pool) group(name string) (*group, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if name == "" {
		name = p.set.order[0]
	}
	g, ok := p.set.byName[name]
	if !ok {
		return nil, domain.UnknownModel(name)
	}
	return g, nil
}

// groupFor is the conversation's group, once every backend in it can
// take every parameter the conversation sets: failover must never land
// on one that would drop a parameter, so one that cannot refuses it.
func (p *Pool) groupFor(conv ports.Conversation) (*group, error) {
	g, err := p.group(conv.Model)
	if err != nil {
		return nil, err
	}
	for _, m := range g.members {
		taker, ok := m.Model.(ports.ParamTaker)
		if !ok {
			continue
		}
		for _, param := range conv.Params() {
			if !taker.Takes(param) {
				return nil, domain.Unsupported(param, fmt.Sprintf("'%s' is not supported by model '%s': its backend %s cannot take it", param, g.name, m.Name))
			}
		}
	}
	return g, nil
}

// Chat asks the model's backends in turn; see ports.ChatModel.
func (p *Pool) Chat(ctx context.Context, conv ports.Conversation) (domain.Answer, error) {
	g, err := p.groupFor(conv)
	if err != nil {
		return domain.Answer{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	r := p.newRequest(g)
	for {
		m, err := r.next(ctx)
		if err != nil {
			return domain.Answer{}, err
		}
		start := p.opts.Now()
		actx, sp := r.startAttempt(ctx, m, conv)
		ans, err := m.Model.Chat(r.logged(actx, m), conv)
		sp.end(ctx, err)
		r.called(m, start, ans, err)
		if r.settle(ctx, m, start, err) {
			return ans, err
		}
	}
}

// Stream opens the model's stream on the first backend that answers,
// and may move to another until the first piece of text has arrived.
func (p *Pool) Stream(ctx context.Context, conv ports.Conversation) (ports.ChatStream, error) {
	g, err := p.groupFor(conv)
	if err != nil {
		return nil, err
	}
	r := p.newRequest(g)
	st, err := r.open(ctx, conv)
	if err != nil {
		return nil, err
	}
	return &stream{ctx: ctx, conv: conv, req: r, cur: st}, nil // a typed nil never escapes: st is set
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
