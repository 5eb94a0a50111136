package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// children caches a vector's children by their label values. Every
// request looks up a few series whose labels repeat; prometheus hashes
// each value and takes its own lock per lookup, while a Go map with an
// array key costs one hash and no allocation. Only vectors whose series
// are never deleted are cached, so a child here is always the exported one.
type children[K comparable, M any] struct {
	mu       sync.RWMutex
	m        map[K]M
	newChild func(K) M
}

func newChildren[K comparable, M any](newChild func(K) M) *children[K, M] {
	return &children[K, M]{m: map[K]M{}, newChild: newChild}
}

func (c *children[K, M]) get(k K) M {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.newChild(k)
	c.mu.Lock()
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// requestSeries are one route, method and status's two series.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func (m *Metrics) cacheChildren() {
	m.byRequest = newChildren(func(k requestKey) requestSeries {
		s := strconv.Itoa(k.status)
		return requestSeries{m.requests.WithLabelValues(k.route, k.method, s), m.requestDuration.WithLabelValues(k.route, k.method, s)}
	})
	m.byUpstream = newChildren(func(k upstreamKey) requestSeries {
		s := "error" // no response arrived
		if k.status > 0 {
			s = strconv.Itoa(k.status)
		}
		return requestSeries{m.upstreamCalls.WithLabelValues(k.provider, s), m.upstreamDuration.WithLabelValues(k.provider, s)}
	})
	m.byCall = newChildren(func(k [5]string) prometheus.Observer { return m.genAI.duration.WithLabelValues(k[:]...) })
	m.byUsage = newChildren(func(k [5]string) prometheus.Observer { return m.genAI.tokens.WithLabelValues(k[:]...) })
}
