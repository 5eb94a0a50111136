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
func handleConfigInfo(settings []Setting) gin.HandlerFunc {
	body := make(map[string]settingBody, len(settings))
	for _, s := range settings {
		b := settingBody{Value: s.Value, Source: s.Source}
		if s.Secret {
			b = settingBody{Set: &s.Set, Source: s.Source, Secret: true}
		}
		body[s.Key] = b
	}
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store") // it describes this process, now
		c.JSON(http.StatusOK, body)
	}
}
