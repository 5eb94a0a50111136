package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Readiness is what GET /readyz reports about the settings, decided
// once at start-up; the backends are read on each call.
type Readiness struct {
	Provider string   // as LLM_PROVIDER names it
	Auth     string   // key or entra for Azure; key or none otherwise
	Problem  string   // why calls cannot succeed; "" when ready
	Missing  []string // setting names, never their values
	// LimitsStore says where limits are kept now ("process", "redis" or
	// "degraded"); nil reports nothing. It never fails readiness.
	LimitsStore func() string
}

type readyBody struct {
	Status   string           `json:"status"` // ready, not_ready or draining
	Provider string           `json:"provider"`
	Auth     string           `json:"auth"`
	Reason   string           `json:"reason,omitempty"`
	Limits   string           `json:"limits_store,omitempty"`
	Missing  []string         `json:"missing,omitempty"`
	Models   []readyModelBody `json:"models"`
}

// readyModelBody lists a model's usable backends. Their upstream state
// never fails readiness: every replica sees the same upstreams, and
// failing them all would empty the Service at once.
type readyModelBody struct {
	Name   string   `json:"name"`
	Usable []string `json:"usable"`
}

// readyModels lists each model's usable backends, and names the first
// model none of whose backends could be built: a configuration problem.
func readyModels(models []ModelBackends) ([]readyModelBody, string) {
	out := make([]readyModelBody, 0, len(models))
	problem := ""
	for _, m := range models {
		rm := readyModelBody{Name: m.Name, Usable: []string{}}
		built := false
		for _, b := range m.Backends {
			built = built || b.Problem == ""
			if b.usable() {
				rm.Usable = append(rm.Usable, b.Name)
			}
		}
		if !built && problem == "" && len(m.Backends) > 0 {
			problem = m.Backends[0].Problem
		}
		out = append(out, rm)
	}
	return out, problem
}

// handleHealthz is liveness: the process answers, so it is alive. It
// checks nothing external, or an Azure outage would restart every pod.
func handleHealthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// handleReadyz is readiness: 503 while calls cannot succeed for want of
// settings, and from the first moment of a drain, so that endpoints
// stop sending traffic before the listener closes.
func handleReadyz(r Readiness, draining <-chan struct{}, backends func() []ModelBackends) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		models, problem := readyModels(backends())
		body := readyBody{Status: "ready", Provider: r.Provider, Auth: r.Auth, Models: models}
		if r.LimitsStore != nil {
			body.Limits = r.LimitsStore()
		}
		select {
		case <-draining:
			body.Status, body.Reason = "draining", "the server is shutting down"
			c.JSON(http.StatusServiceUnavailable, body)
			return
		default:
		}
		if r.Problem != "" {
			problem = r.Problem
		}
		if problem != "" {
			body.Status, body.Reason, body.Missing = "not_ready", problem, r.Missing
			c.JSON(http.StatusServiceUnavailable, body)
			return
		}
		c.JSON(http.StatusOK, body)
	}
}
