package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Setting is one configuration key as GET /api/config/info shows it. The
// composition root computes the list at start-up; a secret arrives
// without its value and this adapter would drop one anyway.
type Setting struct {
	Key    string
	Value  *string // nil when absent; ignored for a secret
	Source string  // env, file, default or absent
	Secret bool
	Set    bool // whether a secret has a value
}

type settingBody struct {
	Value  *string `json:"value"`
	Set    *bool   `json:"set,omitempty"`
	Source string  `json:"source"`
	Secret bool    `json:"secret,omitempty"`
}

// handleConfigInfo answers with one entry per key, so an operator can see
// which source won without reading the process environment.
// The pool's models and backends, under "pool", follow reloads.
func handleConfigInfo(settings []Setting, backends func() []ModelBackends) gin.HandlerFunc {
	fixed := make(map[string]any, len(settings)+1)
	for _, s := range settings {
		b := settingBody{Value: s.Value, Source: s.Source}
		if s.Secret {
			b = settingBody{Set: &s.Set, Source: s.Source, Secret: true}
		}
		fixed[s.Key] = b
	}
	return func(c *gin.Context) {
		body := make(map[string]any, len(fixed)+1)
		for k, v := range fixed {
			body[k] = v
		}
		body["pool"] = poolBody(backends())
		c.Header("Cache-Control", "no-store") // it describes this process, now
		c.JSON(http.StatusOK, body)
	}
}

type poolModelBody struct {
	Name     string            `json:"name"`
	Backends []poolBackendBody `json:"backends"`
}

type poolBackendBody struct {
	Name     string            `json:"name"`
	Priority int               `json:"priority"`
	Weight   int               `json:"weight"`
	Settings map[string]string `json:"settings"` // provider, endpoint, deployment, api_key_env…: never a key
}

func poolBody(models []ModelBackends) []poolModelBody {
	out := make([]poolModelBody, 0, len(models))
	for _, m := range models {
		pm := poolModelBody{Name: m.Name, Backends: make([]poolBackendBody, 0, len(m.Backends))}
		for _, b := range m.Backends {
			pm.Backends = append(pm.Backends, poolBackendBody{Name: b.Name, Priority: b.Priority, Weight: b.Weight, Settings: b.About})
		}
		out = append(out, pm)
	}
	return out
}
