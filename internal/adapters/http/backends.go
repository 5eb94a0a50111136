package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// ModelBackends is one model's backends, as they are now: the
// composition root reads them from the pool on every call, so a reload
// or a cooldown shows at once.
type ModelBackends struct {
	Name     string
	Backends []Backend
}

// Backend is one backend's live state and what an operator may see of
// its configuration; never a key.
type Backend struct {
	Name     string
	Priority int
	Weight   int
	State    string            // healthy, cooling, ejected, probing or broken
	Until    time.Time         // set while unavailable until a known time
	About    map[string]string // provider, endpoint, deployment, key variable…
	Problem  string            // why it could not be built; "" when it was
}

// usable reports whether the backend would take a request now.
func (b Backend) usable() bool {
	return b.Problem == "" && (b.State == "healthy" || (b.State != "probing" && b.Until.IsZero()))
}

type backendStateBody struct {
	Name     string  `json:"name"`
	State    string  `json:"state"`
	Until    *string `json:"until"` // RFC 3339, while unavailable until then
	Priority int     `json:"priority"`
	Weight   int     `json:"weight"`
}

type modelStateBody struct {
	Name     string             `json:"name"`
	Backends []backendStateBody `json:"backends"`
}

// handleBackends is GET /api/backends: each backend's state now.
func handleBackends(backends func() []ModelBackends) gin.HandlerFunc {
	return func(c *gin.Context) {
		models := backends()
		out := struct {
			Models []modelStateBody `json:"models"`
		}{Models: make([]modelStateBody, 0, len(models))}
		for _, m := range models {
			mb := modelStateBody{Name: m.Name, Backends: make([]backendStateBody, 0, len(m.Backends))}
			for _, b := range m.Backends {
				bb := backendStateBody{Name: b.Name, State: b.State, Priority: b.Priority, Weight: b.Weight}
				if !b.Until.IsZero() {
					until := b.Until.UTC().Format(time.RFC3339)
					bb.Until = &until
				}
				mb.Backends = append(mb.Backends, bb)
			}
			out.Models = append(out.Models, mb)
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, out)
	}
}
