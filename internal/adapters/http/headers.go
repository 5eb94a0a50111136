package http

import "github.com/gin-gonic/gin"

// apiPolicy is the Content-Security-Policy of every response but the
// chat page's: JSON and event streams load nothing and run nothing.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'"

// pagePolicy is the chat page's: its own files only, no inline script or
// style, no plugins, no form posts, never framed, and DOM sinks such as
// innerHTML refused outright (Trusted Types), so model text can only
// ever reach the page as text.
const pagePolicy = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// securityHeaders go on every response, errors included. The service
// answers JSON or event streams, and its one page is its own, so nothing
// should sniff, frame, cache or leak a referrer from them.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		for _, kv := range fixedHeaders {
			h[kv.name] = kv.value
		}
		c.Next()
	}
}

// fixedHeaders are securityHeaders' values, canonical and built once:
// assigning a shared slice costs no allocation per response, and
// nothing appends to or edits a response header's values in place.
var fixedHeaders = []struct {
	name  string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cache-Control", []string{"no-store"}}, // answers are per caller and often paid for
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{apiPolicy}},
}

// pageSecurity replaces the policy for the chat page's routes. Replace,
// never add: a browser enforces every policy it is sent, and the API's
// default-src 'none' would block the page's own script.
func pageSecurity() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Writer.Header().Set("Content-Security-Policy", pagePolicy)
		c.Next()
	}
}
