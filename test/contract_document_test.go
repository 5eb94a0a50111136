package test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aoai-api/aoai-api/api"
)

func mustContract(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract(api.YAML())
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return c
}

// TestContractDocumentIsValidAndStrict loads and validates the document,
// then checks the rules that let it catch drift.
func TestContractDocumentIsValidAndStrict(t *testing.T) {
	c := mustContract(t)
	if !strings.HasPrefix(c.doc.OpenAPI, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", c.doc.OpenAPI)
	}
	if c.unmatched == nil || c.unmatched.Responses.Value("404") == nil || c.unmatched.Responses.Value("405") == nil {
		t.Errorf("%s must describe 404 and 405", extUnmatched)
	}
	for _, p := range strictnessProblems(c) {
		t.Error(p)
	}
}

// strictnessProblems lists every place where the document would let drift
// through: a default or ranged status, a response without X-Request-ID,
// an event stream without x-sse-events, and an object schema that does
// not list its required fields or admits unlisted ones.
func strictnessProblems(c *contract) []string {
	var problems []string
	seen := map[*openapi3.Schema]bool{}
	checkResponses := func(where string, responses *openapi3.Responses) {
		if responses.Len() == 0 {
			problems = append(problems, where+": no responses")
		}
		for status, ref := range responses.Map() {
			at := where + " " + status
			if status == "default" {
				problems = append(problems, at+": a default response would let any status through")
				continue
			}
			if _, err := strconv.Atoi(status); err != nil {
				problems = append(problems, at+": only exact statuses, so an unlisted one fails")
				continue
			}
			if h := ref.Value.Headers["X-Request-ID"]; h == nil || !h.Value.Required {
				problems = append(problems, at+": X-Request-ID must be a required header")
			}
			for media, mt := range ref.Value.Content {
				if mt.Schema != nil {
					problems = append(problems, schemaProblems(at+" "+media, mt.Schema.Value, seen)...)
				}
				if media != mediaSSE {
					continue
				}
				events, err := sseEventSchemas(c.doc, mt)
				if err != nil {
					problems = append(problems, at+": "+err.Error())
				}
				for name, s := range events {
					problems = append(problems, schemaProblems(at+" event "+name, s, seen)...)
				}
			}
		}
	}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			checkResponses(method+" "+path, op.Responses)
		}
	}
	if c.unmatched != nil {
		checkResponses(extUnmatched, c.unmatched.Responses)
	}
	for prefix, op := range c.byPrefix {
		checkResponses(extUnmatchedByPrefix+" "+prefix, op.Responses)
	}
	slices.Sort(problems)
	return problems
}

// schemaProblems walks a schema and everything inside it.
func schemaProblems(at string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) []string {
	if s == nil || seen[s] {
		return nil
	}
	seen[s] = true
	var problems []string
	if s.Type.Is("object") || len(s.Properties) > 0 {
		// An object that must be empty ({} in OpenAI's last chunk) has nothing to require.
		empty := s.MaxProps != nil && *s.MaxProps == 0
		if len(s.Required) == 0 && !empty {
			problems = append(problems, at+": an object schema must list its required fields")
		}
		for _, r := range s.Required {
			if s.Properties[r] == nil {
				problems = append(problems, fmt.Sprintf("%s: required %q is not a property", at, r))
			}
		}
		if ap := s.AdditionalProperties; ap.Has == nil || *ap.Has || ap.Schema != nil {
			problems = append(problems, at+": an object schema must set additionalProperties: false")
		}
	}
	for name, p := range s.Properties {
		problems = append(problems, schemaProblems(at+"."+name, p.Value, seen)...)
	}
	if s.Items != nil {
		problems = append(problems, schemaProblems(at+"[]", s.Items.Value, seen)...)
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, ref := range group {
			problems = append(problems, schemaProblems(at+"|", ref.Value, seen)...)
		}
	}
	return problems
}

// TestContractStrictnessCheckBites feeds the check a document breaking
// each rule, so a weakened check cannot pass the real document silently.
func TestContractStrictnessCheckBites(t *testing.T) {
	c, err := loadContract([]byte(`
openapi: 3.0.3
info: {title: loose, version: "1"}
paths:
  /a:
    get:
      responses:
        default: {description: anything}
        5XX: {description: a range}
        "200":
          description: loose
          content:
            application/json:
              schema:
                type: object
                properties:
                  inner: {type: object, required: [x], properties: {x: {type: string}}}
            text/event-stream:
              schema: {type: string}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strictnessProblems(c), "\n")
	for _, want := range []string{
		"GET /a default: a default response would let any status through",
		"GET /a 5XX: only exact statuses",
		"GET /a 200: X-Request-ID must be a required header",
		"GET /a 200 application/json: an object schema must list its required fields",
		"GET /a 200 application/json: an object schema must set additionalProperties: false",
		"GET /a 200 application/json.inner: an object schema must set additionalProperties: false",
		"GET /a 200: a text/event-stream response names no events in x-sse-events",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing problem %q; got:\n%s", want, got)
		}
	}
}
