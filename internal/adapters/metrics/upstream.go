package metrics

import "time"

// Upstream reports one provider's attempts and retries; it fulfils
// llmhttp.Observer without this package importing llmhttp.
type Upstream struct {
	m        *Metrics
	provider string
}

// Upstream binds the provider label, as LLM_PROVIDER names it.
func (m *Metrics) Upstream(provider string) Upstream {
	m.retries.WithLabelValues(provider) // zero from the start, for rate()
	return Upstream{m: m, provider: provider}
}

// Attempt counts one call; status 0 means no response arrived.
func (u Upstream) Attempt(status int, elapsed time.Duration) {
	s := u.m.byUpstream.get(upstreamKey{u.provider, status})
	s.count.Inc()
	s.duration.Observe(elapsed.Seconds())
}

// Retried counts an attempt after a request's first, on a backend of
// provider; it fulfils pool.Observer.
func (m *Metrics) Retried(provider string) { m.retries.WithLabelValues(provider).Inc() }
