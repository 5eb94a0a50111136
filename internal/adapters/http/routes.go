package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// registerRoutes puts every route in the group that says what it is:
// public (no key: load balancers, probes, scrapers, people exploring the
// API, and nothing that spends quota or shows configuration), guarded,
// and the /v1 surface, guarded and in OpenAI's error shape. The model
// routes add the per-caller bound and the hang-up watch. It returns the
// public routes: the one list of what needs no key.
func registerRoutes(e *gin.Engine, svc ports.Completer, opts Options) []endpoint {
	guard, modelCalls := guards(opts.Security), modelCallGuards(opts) // one instance each: /api and /v1 share their counts
	public := e.Group("")
	probes := public.Group("", quiet)
	// The rate is metered once per request: the model groups meter it
	// with their tokens, the others alone.
	rate, tokens := metering(opts.Security, false), metering(opts.Security, true)
	keyed := e.Group("", guard...)
	guarded := keyed.Group("", rate...)
	models := keyed.Group("", append(tokens, modelCalls...)...)
	v1Keyed := e.Group(v1Prefix, append([]gin.HandlerFunc{withShape(openAIShape)}, guard...)...)
	v1 := v1Keyed.Group("", rate...)
	v1Models := v1Keyed.Group("", append(tokens, modelCalls...)...)
	unmatched := append(append([]gin.HandlerFunc{}, guard...), rate...)
	e.NoRoute(append(unmatched, func(c *gin.Context) { writeError(c, fail(kindNotFound, "")) })...)
	e.NoMethod(append(unmatched, func(c *gin.Context) { writeError(c, fail(kindMethodNotAllowed, "")) })...)

	welcome := &welcomeBody{Service: "aoai-api", Version: opts.Version}
	home := handleHome(welcome)
	public.GET("/", home)
	public.GET("/api", home)
	public.GET("/api/", home)
	public.GET("/api/openapi.yaml", handleDocument("application/yaml", opts.OpenAPIYAML))
	public.GET("/api/openapi.json", handleDocument("application/json", opts.OpenAPIJSON))
	probes.GET("/healthz", handleHealthz)
	probes.GET("/readyz", handleReadyz(opts.Readiness, opts.Draining, opts.Backends))
	if opts.Metrics != nil {
		probes.GET("/metrics", gin.WrapH(opts.Metrics))
	}
	if opts.ChatUI {
		registerChatPage(public)
	}
	open := listEndpoints(e.Routes())

	models.POST("/api/completions", handleCompletions(svc, opts.MaxBodyBytes))
	models.POST("/api/completions/stream", handleCompletionsStream(svc, opts))
	models.POST("/api/chat", handleChat(svc, opts.MaxBodyBytes))
	models.POST("/api/chat/stream", handleChatStream(svc, opts))
	guarded.GET("/api/config/info", handleConfigInfo(opts.Settings, opts.Backends))
	guarded.GET("/api/backends", handleBackends(opts.Backends))
	if l := opts.Security.Limits; l != nil {
		guarded.GET("/api/usage", handleUsage(l))
		guarded.GET("/api/usage/callers", handleUsageCallers(l, &keyring{digests: opts.Security.AdminKeyDigests}))
	}
	v1Models.POST("/chat/completions", handleV1Chat(opts.OpenAI, opts))
	v1Models.POST("/responses", handleResponses(opts.OpenAI, opts))
	v1.GET("/models", handleV1Models(opts.Models))
	v1.GET("/models/:model", handleV1Model(opts.Models))

	welcome.Endpoints = listEndpoints(e.Routes())
	return open
}

type endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

func (e endpoint) String() string { return e.Method + " " + e.Path }

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
