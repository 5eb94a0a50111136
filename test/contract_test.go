package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

const (
	extUnmatched         = "x-unmatched-responses"           // responses for requests that match no operation
	extUnmatchedByPrefix = "x-unmatched-responses-by-prefix" // the same, per path prefix with its own error shape
	extSSEDone           = "x-sse-done"                      // a last event's data that is a sentinel, not JSON
	extSSEEvents         = "x-sse-events"                    // event name → payload schema, on a text/event-stream media type
	mediaSSE             = "text/event-stream"
)

// contract is the published OpenAPI document, loaded for validating
// exchanges with the service.
type contract struct {
	doc       *openapi3.T
	router    routers.Router
	unmatched *openapi3.Operation            // nil when the document has no x-unmatched-responses
	byPrefix  map[string]*openapi3.Operation // path prefix → its unmatched responses
}

// loadContract parses and validates an OpenAPI document.
func loadContract(data []byte) (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	unmatched, err := unmatchedOperation(doc, doc.Extensions[extUnmatched])
	if err != nil {
		return nil, err
	}
	byPrefix := map[string]*openapi3.Operation{}
	prefixes, _ := doc.Extensions[extUnmatchedByPrefix].(map[string]any)
	for prefix, ext := range prefixes {
		if byPrefix[prefix], err = unmatchedOperation(doc, ext); err != nil {
			return nil, fmt.Errorf("%s %s: %w", extUnmatchedByPrefix, prefix, err)
		}
	}
	// openapi3filter keeps decoders in a process-wide table; registering
	// the same one again is harmless, and without it every event stream
	// would fail as an unsupported content type.
	openapi3filter.RegisterBodyDecoder(mediaSSE, decodeSSE)
	return &contract{doc: doc, router: router, unmatched: unmatched, byPrefix: byPrefix}, nil
}

// unmatchedOperation turns x-unmatched-responses into an operation, so
// that 404s and 405s go through the same validator as every other answer.
func unmatchedOperation(doc *openapi3.T, v any) (*openapi3.Operation, error) {
	ext, ok := v.(map[string]any)
	if !ok {
		return nil, nil
	}
	responses := openapi3.NewResponses()
	for status, ref := range ext {
		name, err := componentName(ref, "#/components/responses/")
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", extUnmatched, status, err)
		}
		resp := doc.Components.Responses[name]
		if resp == nil {
			return nil, fmt.Errorf("%s %s: no response %q in components", extUnmatched, status, name)
		}
		responses.Set(status, resp)
	}
	return &openapi3.Operation{Responses: responses}, nil
}

// componentName reads {"$ref": prefix+name}, the shape extensions use to
// point at components; the loader does not resolve refs inside extensions.
func componentName(v any, prefix string) (string, error) {
	m, _ := v.(map[string]any)
	ref, _ := m["$ref"].(string)
	name, ok := strings.CutPrefix(ref, prefix)
	if !ok || name == "" {
		return "", fmt.Errorf("want {$ref: %s<name>}, got %v", prefix, v)
	}
	return name, nil
}

// exchange is one request and its response as the client saw them.
type exchange struct {
	req      *http.Request
	reqBody  []byte
	status   int
	header   http.Header
	body     []byte
	complete bool // false when the client closed the body before its end
}

// check validates an exchange against the document: the request too when
// the response is 2xx (deliberately bad requests are exempt), and the
// response always, failing on any status the operation does not list.
func (c *contract) check(ctx context.Context, ex exchange) error {
	req := ex.req.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(ex.reqBody))
	route, params, err := c.router.FindRoute(req)
	matched := err == nil
	switch {
	case matched:
	case errors.Is(err, routers.ErrPathNotFound), errors.Is(err, routers.ErrMethodNotAllowed):
		op := c.unmatchedFor(req.URL.Path)
		if op == nil {
			return fmt.Errorf("no operation for %s %s and no %s", req.Method, req.URL.Path, extUnmatched)
		}
		route = &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: op}
	default:
		return fmt.Errorf("finding the operation: %w", err)
	}

	// Keys are the service's to check, and the tests send wrong ones on purpose.
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: !ex.complete,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if matched && ex.status >= 200 && ex.status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("request: %w", err)
		}
	}
	// ValidateResponse waves through redirects, 304 and HEAD unchecked;
	// a status the document does not list fails here first.
	resp := route.Operation.Responses.Status(ex.status)
	if resp == nil {
		return fmt.Errorf("response: status %d is not in the document", ex.status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.status, Header: ex.header, Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out.SetBodyBytes(ex.body)); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	// ValidateResponse also passes a body where the document lists no content.
	if len(resp.Value.Content) == 0 && len(ex.body) > 0 {
		return fmt.Errorf("response: status %d has a body the document does not describe", ex.status)
	}
	if mt, _, _ := mime.ParseMediaType(ex.header.Get("Content-Type")); mt == mediaSSE {
		return validateSSE(c.doc, route.Operation, ex.status, ex.body, ex.complete)
	}
	return nil
}

// unmatchedFor picks the unmatched responses of the longest prefix that
// covers path, else the document-wide ones.
func (c *contract) unmatchedFor(path string) *openapi3.Operation {
	best, op := "", c.unmatched
	for prefix, o := range c.byPrefix {
		if strings.HasPrefix(path, prefix) && len(prefix) > len(best) {
			best, op = prefix, o
		}
	}
	return op
}
