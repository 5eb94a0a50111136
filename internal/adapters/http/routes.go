package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/ports"
)

func registerRoutes(e *gin.Engine, svc ports.Completer, opts Options) {
	welcome := &welcomeBody{Service: "aoai-api", Version: opts.Version}
	home := handleHome(welcome)
	e.GET("/", home)
	e.GET("/api", home)
	e.GET("/api/", home)
	model := e.Group("", modelCallGuards(opts)...)
	model.POST("/api/completions", handleCompletions(svc, opts.MaxBodyBytes))
	model.POST("/api/completions/stream", handleCompletionsStream(svc, opts))
	model.POST("/api/chat", handleChat(svc, opts.MaxBodyBytes))
	model.POST("/api/chat/stream", handleChatStream(svc, opts))
	model.POST("/v1/chat/completions", handleV1Chat(svc, opts))
	e.GET("/v1/models", handleV1Models(opts.Models))
	e.GET("/v1/models/:model", handleV1Model(opts.Models))
	e.GET("/api/config/info", handleConfigInfo(opts.Settings))
	e.GET("/api/openapi.yaml", handleDocument("application/yaml", opts.OpenAPIYAML))
	e.GET("/api/openapi.json", handleDocument("application/json", opts.OpenAPIJSON))
	e.GET("/healthz", handleHealthz)
	e.GET("/readyz", handleReadyz(opts.Readiness, opts.Draining))
	if opts.Metrics != nil {
		e.GET("/metrics", gin.WrapH(opts.Metrics))
	}

	welcome.Endpoints = listEndpoints(e.Routes())
}

type endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// listEndpoints derives the welcome page's list from the router, so it
// cannot drift from what is served.
func listEndpoints(routes gin.RoutesInfo) []endpoint {
	eps := make([]endpoint, 0, len(routes))
	for _, r := range routes {
		if r.Method == http.MethodHead || r.Method == http.MethodOptions {
			continue
		}
		eps = append(eps, endpoint{Method: r.Method, Path: r.Path})
	}
	return eps
}
