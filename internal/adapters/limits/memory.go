package limits

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Memory keeps every caller's counters in the process, at most
// maxCallers of them: the least recently seen is forgotten first, so a
// flood of new callers churns memory but never grows it.
type Memory struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *memCaller, most recently seen first
	index map[string]*list.Element
}

type memCaller struct {
	key, id string
	tat     time.Time // GCRA's theoretical arrival time
	minute  string
	minuteT ports.Tally
	period  string
	periodT ports.Tally
	days    map[string]ports.Tally
}

// NewMemory bounds the process's limits to maxCallers callers.
func NewMemory(maxCallers int) *Memory {
	return &Memory{max: max(maxCallers, 1), order: list.New(), index: make(map[string]*list.Element)}
}

func (m *Memory) get(caller ports.Caller, create bool) *memCaller {
	key := caller.Key
	if e, ok := m.index[key]; ok {
		m.order.MoveToFront(e)
		return e.Value.(*memCaller)
	}
	if !create {
		return nil
	}
	if m.order.Len() >= m.max {
		old := m.order.Back()
		delete(m.index, old.Value.(*memCaller).key)
		m.order.Remove(old)
	}
	c := &memCaller{key: key, id: caller.ID, days: make(map[string]ports.Tally)}
	m.index[key] = m.order.PushFront(c)
	return c
}

// roll starts afresh the windows that have passed.
func (c *memCaller) roll(sp spans) {
	if c.minute != sp.minute {
		c.minute, c.minuteT = sp.minute, ports.Tally{}
	}
	if c.period != sp.period {
		c.period, c.periodT = sp.period, ports.Tally{}
	}
}

func (m *Memory) admit(_ context.Context, p Policy, caller ports.Caller, now time.Time, tokens bool) (ports.Admission, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.get(caller, true)
	sp := spansAt(now, p.QuotaPeriod)
	c.roll(sp)
	var a ports.Admission
	switch {
	case tokens && p.Quota > 0 && c.periodT.TotalTokens >= p.Quota:
		a.Refused, a.RetryAfter = ports.RefusedQuota, sp.periodLeft
	case tokens && p.TPM > 0 && c.minuteT.TotalTokens >= p.TPM:
		a.Refused, a.RetryAfter = ports.RefusedTokens, sp.minuteLeft
	}
	var remaining int64
	var reset time.Duration
	if e := p.emission(); e > 0 && a.Refused == "" {
		tat := c.tat
		if tat.Before(now) {
			tat = now
		}
		tolerance := e * time.Duration(p.Burst)
		next := tat.Add(e)
		if allowAt := next.Add(-tolerance); now.Before(allowAt) {
			a.Refused, a.RetryAfter = ports.RefusedRequests, allowAt.Sub(now)
			reset = tat.Sub(now)
		} else {
			c.tat = next
			reset = next.Sub(now)
			remaining = int64((tolerance - reset) / e)
		}
	}
	a.Requests, a.Tokens = windows(p, sp, remaining, reset, c.minuteT.TotalTokens)
	return a, nil
}

// spentTally is one answer's charge.
func spentTally(s ports.Spent) ports.Tally {
	t := ports.Tally{Requests: 1, PromptTokens: s.Prompt, CompletionTokens: s.Completion, TotalTokens: total(s)}
	if s.Estimated {
		t.EstimatedTokens = total(s)
	}
	return t
}

func addTally(t *ports.Tally, d ports.Tally) {
	t.Requests += d.Requests
	t.PromptTokens += d.PromptTokens
	t.CompletionTokens += d.CompletionTokens
	t.TotalTokens += d.TotalTokens
	t.EstimatedTokens += d.EstimatedTokens
}

func (m *Memory) charge(_ context.Context, p Policy, caller ports.Caller, now time.Time, s ports.Spent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chargeTally(p, caller, now, spentTally(s))
	return nil
}

// chargeAll takes the shared store's batch when it fails, failing open.
func (m *Memory) chargeAll(_ context.Context, batch []*pending) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range batch {
		m.chargeTally(p.policy, p.caller, p.at, p.tally)
	}
	return nil
}

func (m *Memory) chargeTally(p Policy, caller ports.Caller, now time.Time, t ports.Tally) {
	c := m.get(caller, true)
	sp := spansAt(now, p.QuotaPeriod)
	c.roll(sp)
	addTally(&c.minuteT, t)
	addTally(&c.periodT, t)
	d := c.days[sp.day]
	addTally(&d, t)
	c.days[sp.day] = d
	if len(c.days) > ledgerDays {
		keep := make(map[string]ports.Tally, ledgerDays)
		for _, day := range lastDays(now) {
			if t, ok := c.days[day]; ok {
				keep[day] = t
			}
		}
		c.days = keep
	}
}

func (m *Memory) usage(_ context.Context, ps []Policy, cs []ports.Caller, now time.Time) ([]ports.Ledger, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ports.Ledger, len(cs))
	for i, caller := range cs {
		l := &out[i]
		l.Caller = caller.ID
		c := m.get(caller, false)
		if c == nil {
			continue
		}
		sp := spansAt(now, ps[i].QuotaPeriod)
		if c.minute == sp.minute {
			l.Minute = c.minuteT
		}
		if c.period == sp.period {
			l.Period = c.periodT
		}
		for _, day := range lastDays(now) {
			if t, ok := c.days[day]; ok {
				l.Days = append(l.Days, ports.DayTally{Day: day, Tally: t})
			}
		}
	}
	return out, nil
}

func (m *Memory) callers(context.Context, time.Time) ([]ports.Caller, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ports.Caller, 0, len(m.index))
	for e := m.order.Front(); e != nil; e = e.Next() {
		if c := e.Value.(*memCaller); len(c.days) > 0 && len(out) < maxListed { // charged, as Redis lists them
			out = append(out, ports.Caller{Key: c.key, ID: c.id})
		}
	}
	return out, nil
}
