package test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// streamDocument has the shape the streaming endpoints will take: no
// route serves SSE yet, so the helper is proven on this instead.
const streamDocument = `
openapi: 3.0.3
info: {title: sse, version: "1"}
paths:
  /stream:
    post:
      responses:
        "200":
          description: events
          content:
            text/event-stream:
              schema: {type: string}
              x-sse-events:
                message: {$ref: "#/components/schemas/Delta"}
                done: {$ref: "#/components/schemas/Done"}
  /ping:
    get:
      responses:
        "204": {description: no body}
components:
  schemas:
    Delta:
      type: object
      required: [delta]
      additionalProperties: false
      properties: {delta: {type: string}}
    Done:
      type: object
      required: [finish_reason]
      additionalProperties: false
      properties: {finish_reason: {type: string}}
`

func TestContractSSEEventsAreValidatedBySchema(t *testing.T) {
	c, err := loadContract([]byte(streamDocument))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		complete   bool
		want       string // "" = valid
	}{
		{"deltas then done", "data: {\"delta\":\"Hel\"}\n\ndata: {\"delta\":\"lo\"}\n\nevent: done\ndata: {\"finish_reason\":\"stop\"}\n\n", true, ""},
		{"keep-alive comments and CRLF", ": keep-alive\r\n\r\ndata: {\"delta\":\"a\"}\r\n\r\n", true, ""},
		{"CR line endings", "data: {\"delta\":\"a\"}\r\revent: done\rdata: {\"finish_reason\":\"stop\"}\r\r", true, ""},
		{"data split over lines", "data: {\"delta\":\ndata: \"a\"}\n\n", true, ""},
		{"extra field in an event", "data: {\"delta\":\"a\",\"debug\":1}\n\n", true, `"debug" is unsupported`},
		{"wrong type", "event: done\ndata: {\"finish_reason\":7}\n\n", true, "finish_reason"},
		{"payload of another event", "event: done\ndata: {\"delta\":\"a\"}\n\n", true, "finish_reason"},
		{"event not in x-sse-events", "event: error\ndata: {\"error\":\"x\"}\n\n", true, `"error" is not in x-sse-events`},
		{"data not JSON", "data: hello\n\n", true, "not JSON"},
		{"unknown field", "evnt: done\ndata: {}\n\n", true, `unknown field "evnt"`},
		{"truncated stream", "data: {\"delta\":\"a\"}\n\ndata: {\"del", true, "ends inside an event"},
		{"client stopped early: whole events checked", "data: {\"delta\":\"a\"}\n\ndata: {\"del", false, ""},
		{"client stopped early: bad whole event caught", "data: {\"delta\":1}\n\ndata: {\"del", false, "delta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.check(t.Context(), exchange{
				req:    httptest.NewRequest(http.MethodPost, "/stream", nil),
				status: http.StatusOK, body: []byte(tt.body), complete: tt.complete,
				header: http.Header{"Content-Type": {"text/event-stream"}},
			})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("valid stream rejected: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
}

// kin-openapi passes any body when a response lists no content; check
// closes that gap, so a 204 cannot start carrying an undocumented body.
func TestContractBodyWhereNoneIsDocumented(t *testing.T) {
	c, err := loadContract([]byte(streamDocument))
	if err != nil {
		t.Fatal(err)
	}
	ex := exchange{req: httptest.NewRequest(http.MethodGet, "/ping", nil), status: http.StatusNoContent, complete: true, header: http.Header{}}
	if err := c.check(t.Context(), ex); err != nil {
		t.Fatalf("empty 204 rejected: %v", err)
	}
	ex.body = []byte("surprise")
	if err := c.check(t.Context(), ex); err == nil || !strings.Contains(err.Error(), "does not describe") {
		t.Errorf("err = %v, want the undocumented body reported", err)
	}
}
