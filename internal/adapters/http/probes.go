package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Readiness is what GET /readyz reports about the configuration; the
// composition root decides it once at start-up.
type Readiness struct {
	Provider string   // as LLM_PROVIDER names it
	Auth     string   // key or entra for Azure; key or none otherwise
	Problem  string   // why calls cannot succeed; "" when ready
	Missing  []string // setting names, never their values
}

type readyBody struct {
	Status   string   `json:"status"` // ready, not_ready or draining
	Provider string   `json:"provider"`
	Auth     string   `json:"auth"`
	Reason   string   `json:"reason,omitempty"`
	Missing  []string `json:"missing,omitempty"`
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
func handleReadyz(r Readiness, draining <-chan struct{}) gin.HandlerFunc {
	ready := readyBody{Status: "ready", Provider: r.Provider, Auth: r.Auth}
	notReady := readyBody{Status: "not_ready", Provider: r.Provider, Auth: r.Auth, Reason: r.Problem, Missing: r.Missing}
	drainingBody := readyBody{Status: "draining", Provider: r.Provider, Auth: r.Auth, Reason: "the server is shutting down"}
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		select {
		case <-draining:
			c.JSON(http.StatusServiceUnavailable, drainingBody)
			return
		default:
		}
		if r.Problem != "" {
			c.JSON(http.StatusServiceUnavailable, notReady)
			return
		}
		c.JSON(http.StatusOK, ready)
	}
}
