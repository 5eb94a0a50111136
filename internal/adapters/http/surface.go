package http

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// shape is the error shape of one API surface.
type shape int

const (
	apiShape    shape = iota // the reference's {"error", "correlation_id"}
	openAIShape              // OpenAI's {"error": {"message", "type", "code", "param"}}
)

// v1Prefix is the OpenAI-compatible surface's root; its route group and
// the answers given before routing both derive from it.
const v1Prefix = "/v1"

const shapeKey = "error_shape"

// withShape is a route group's surface: every error on its routes takes
// the surface's shape.
func withShape(s shape) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(shapeKey, s)
		c.Next()
	}
}

// shapeOf is the request's surface: its route group's, or, for answers
// given before routing or when no route matched (x-unmatched-responses-
// by-prefix in the contract), the surface the path is under.
func shapeOf(c *gin.Context) shape {
	if s, ok := c.Get(shapeKey); ok {
		return s.(shape)
	}
	if p := c.Request.URL.Path; p == v1Prefix || strings.HasPrefix(p, v1Prefix+"/") {
		return openAIShape
	}
	return apiShape
}
