package test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestContractCoversEveryRoute compares the routes of the running
// service's Gin router, which its welcome page lists, with the document's
// operations: every route needs an operation and every operation a route.
func TestContractCoversEveryRoute(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	r := call(t, "GET", svc.URL+"/api/", "", "")
	var welcome struct {
		Endpoints []struct{ Method, Path string } `json:"endpoints"`
	}
	if err := json.Unmarshal(r.Body, &welcome); err != nil || len(welcome.Endpoints) == 0 {
		t.Fatalf("no endpoints in the welcome (%v): %s", err, r.Body)
	}
	routes := map[string]bool{}
	for _, e := range welcome.Endpoints {
		routes[e.Method+" "+openAPIPath(e.Path)] = true
	}
	operations := map[string]bool{}
	for path, item := range mustContract(t).doc.Paths.Map() {
		for method := range item.Operations() {
			operations[method+" "+path] = true
		}
	}
	for route := range routes {
		if !operations[route] {
			t.Errorf("route %s has no operation in api/openapi.yaml", route)
		}
	}
	for op := range operations {
		if !routes[op] {
			t.Errorf("operation %s in api/openapi.yaml has no route", op)
		}
	}
}

// openAPIPath writes a Gin route in OpenAPI's template syntax.
func openAPIPath(ginPath string) string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func TestContractGinPathToOpenAPI(t *testing.T) {
	for in, want := range map[string]string{
		"/":                  "/",
		"/api/":              "/api/",
		"/api/completions":   "/api/completions",
		"/x/:id":             "/x/{id}",
		"/x/:id/y":           "/x/{id}/y",
		"/v1/*path":          "/v1/{path}",
		"/api/openapi.json":  "/api/openapi.json",
		"/a/:first/:second/": "/a/{first}/{second}/",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}
