package http

import (
	"container/list"
	"time"
)

// recentMap keeps per-client state in bounded memory: at most max
// entries, the least recently seen evicted first, and entries unseen for
// a while forgotten from the same end. The rate limiter and the auth
// throttle share it; callers hold their own lock.
type recentMap[V any] struct {
	max   int
	order *list.List // of *recentEntry[V], most recently seen first
	index map[string]*list.Element
}

type recentEntry[V any] struct {
	key  string
	seen time.Time
	val  V
}

func newRecentMap[V any](max int) *recentMap[V] {
	return &recentMap[V]{max: max, order: list.New(), index: make(map[string]*list.Element)}
}

// get returns key's entry, seen now, or nil.
func (m *recentMap[V]) get(key string, now time.Time) *recentEntry[V] {
	e, ok := m.index[key]
	if !ok {
		return nil
	}
	m.order.MoveToFront(e)
	r := e.Value.(*recentEntry[V])
	r.seen = now
	return r
}

// peek returns key's entry or nil, leaving it as it was seen.
func (m *recentMap[V]) peek(key string) *recentEntry[V] {
	if e, ok := m.index[key]; ok {
		return e.Value.(*recentEntry[V])
	}
	return nil
}

// add stores a new entry for key, evicting the least recently seen one
// when full: a flood of new keys churns the oldest, never grows memory.
func (m *recentMap[V]) add(key string, val V, now time.Time) *recentEntry[V] {
	if m.order.Len() >= m.max {
		m.removeElement(m.order.Back())
	}
	r := &recentEntry[V]{key: key, seen: now, val: val}
	m.index[key] = m.order.PushFront(r)
	return r
}

// forgetIdle drops entries unseen for idle or longer, from the least
// recent end; each is dropped once, so the cost is amortised constant.
func (m *recentMap[V]) forgetIdle(now time.Time, idle time.Duration) {
	for e := m.order.Back(); e != nil && now.Sub(e.Value.(*recentEntry[V]).seen) >= idle; e = m.order.Back() {
		m.removeElement(e)
	}
}

func (m *recentMap[V]) remove(key string) {
	if e, ok := m.index[key]; ok {
		m.removeElement(e)
	}
}

func (m *recentMap[V]) removeElement(e *list.Element) {
	delete(m.index, e.Value.(*recentEntry[V]).key)
	m.order.Remove(e)
}

func (m *recentMap[V]) len() int { return m.order.Len() }
