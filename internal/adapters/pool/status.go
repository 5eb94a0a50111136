package pool

import "time"

// ModelStatus is one model's backends as they are now.
type ModelStatus struct {
	Name     string
	Backends []BackendStatus
}

// BackendStatus is one backend's live state. Until is set while it is
// unavailable for a known time: cooling, ejected or broken.
type BackendStatus struct {
	Name     string
	Priority int
	Weight   int
	State    State
	Until    time.Time
	About    map[string]string
	Problem  string
}

// Usable reports whether the backend would take a request now.
func (b BackendStatus) Usable() bool {
	return b.State == StateHealthy || b.Until.IsZero() && b.State != StateProbing
}

// Snapshot reads every backend's state, models in configured order and
// backends by priority.
func (p *Pool) Snapshot() []ModelStatus {
	p.mu.RLock()
	set := p.set
	p.mu.RUnlock()
	now := p.opts.Now()
	out := make([]ModelStatus, 0, len(set.order))
	for _, name := range set.order {
		g := set.byName[name]
		ms := ModelStatus{Name: name, Backends: make([]BackendStatus, 0, len(g.members))}
		for _, m := range g.members {
			state, until, _ := m.health.view(now)
			ms.Backends = append(ms.Backends, BackendStatus{Name: m.Name, Priority: m.Priority, Weight: m.Weight,
				State: state, Until: until, About: m.About, Problem: m.Problem})
		}
		out = append(out, ms)
	}
	return out
}
