package azureopenai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// specFile is an unmodified copy of Azure/azure-rest-api-specs'
// inference/stable/2024-10-21/inference.json (sha256 8efc665c…bf47).
const specFile = "testdata/azure-openai-inference-stable-2024-10-21.json"

// spec is the Azure data-plane contract, loaded once per test.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

func loadSpec(t *testing.T) spec {
	t.Helper()
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	// The file's image-generation examples break their own schemas
	// (a timestamp written as a string); nothing here uses them.
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("the spec does not validate: %v", err)
	}
	fixJSONSchemaErratum(t, doc)
	// gorilla/mux matches a host variable as one DNS label, so the
	// router is built for the server spelled with its default endpoint.
	servers := doc.Servers
	doc.Servers = openapi3.Servers{{URL: "https://" + servers[0].Variables["endpoint"].Default + "/openai"}}
	router, err := gorillamux.NewRouter(doc)
	doc.Servers = servers
	if err != nil {
		t.Fatal(err)
	}
	return spec{doc: doc, router: router}
}

// fixJSONSchemaErratum drops "type" from the required members of
// ResponseFormatJsonSchema.json_schema. The 2024-10-21 file lists it
// there, though json_schema has no such property: "type" belongs to the
// enclosing response_format, which requires it already. OpenAI's spec
// and the later Azure ones require only "name", and so does the service.
// Without the fix no json_schema request could pass.
func fixJSONSchemaErratum(t *testing.T, doc *openapi3.T) {
	t.Helper()
	js := doc.Components.Schemas["ResponseFormatJsonSchema"].Value.Properties["json_schema"].Value
	if !slices.Contains(js.Required, "type") || js.Properties["type"] != nil {
		t.Fatalf("json_schema requires %q with properties %v: the erratum is gone, drop this fix", js.Required, slices.Collect(maps.Keys(js.Properties)))
	}
	js.Required = slices.DeleteFunc(slices.Clone(js.Required), func(s string) bool { return s == "type" })
}

// validate checks a captured request against the spec's operation,
// found by its router at the spec's own server.
func (s spec) validate(t *testing.T, got captured) {
	t.Helper()
	req, err := http.NewRequest(got.method, "https://"+s.doc.Servers[0].Variables["endpoint"].Default+got.uri, bytes.NewReader(got.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = got.header.Clone()
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s matches no operation: %v", got.method, got.uri, err)
	}
	if route.Path != "/deployments/{deployment-id}/chat/completions" || route.Method != http.MethodPost {
		t.Fatalf("route = %s %s", route.Method, route.Path)
	}
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	})
	if err != nil {
		t.Errorf("request breaks the 2024-10-21 spec: %v\nbody: %s", err, got.body)
	}
}

// requestProperties are the members the spec's request schema names,
// over its allOf.
func (s spec) requestProperties() map[string]bool {
	op := s.doc.Paths.Find("/deployments/{deployment-id}/chat/completions").Post
	body := op.RequestBody.Value.Content.Get("application/json").Schema.Value
	names := map[string]bool{}
	for _, sub := range append([]*openapi3.SchemaRef{{Value: body}}, body.AllOf...) {
		for name := range sub.Value.Properties {
			names[name] = true
		}
	}
	return names
}

type captured struct {
	method, uri string
	header      http.Header
	body        []byte
}

// azureServer captures each request and answers it as Azure would:
// a chat completion, or an event stream when one was asked for.
func azureServer(t *testing.T) (*httptest.Server, <-chan captured) {
	t.Helper()
	reqs := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reqs <- captured{method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
		var asked struct{ Stream bool }
		_ = json.Unmarshal(body, &asked)
		if !asked.Stream {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, okBody)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`[DONE]`,
		} {
			_, _ = io.WriteString(w, "data: "+ev+"\n\n")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, reqs
}

func azureClient(srv *httptest.Server, version string) azureopenai.Client {
	return azureopenai.New(azureopenai.Config{Endpoint: srv.URL, APIKey: "k", Deployment: "dep", APIVersion: version, Timeout: 10 * time.Second}, srv.Client())
}

// send has the adapter send conv, as a whole answer or a stream, and
// returns the request the upstream saw.
func send(t *testing.T, c azureopenai.Client, reqs <-chan captured, conv ports.Conversation, stream bool) captured {
	t.Helper()
	if !stream {
		if _, err := c.Chat(context.Background(), conv); err != nil {
			t.Fatal(err)
		}
		return <-reqs
	}
	st, err := c.Stream(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	return <-reqs
}

func ptr[T any](v T) *T { return &v }

const weatherParams = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`

// everyField uses every member of the spec's chat request that the
// service carries, and the two it does not define.
func everyField() ports.Conversation {
	return ports.Conversation{
		Messages: []domain.Message{
			{Role: domain.RoleSystem, Content: "You are terse.", Name: "ops"},
			{Role: domain.RoleDeveloper, Content: "Answer in French."},
			{Role: domain.RoleUser, Name: "ada", Parts: []domain.Part{
				{Type: domain.PartText, Text: "What is in these images, and the weather there?"},
				{Type: domain.PartImageURL, ImageURL: "https://example.com/oslo.png", Detail: "high"},
				{Type: domain.PartImageURL, ImageURL: "data:image/png;base64,iVBORw0KGgo=", Detail: "auto"},
			}},
			{Role: domain.RoleAssistant, ToolCalls: []domain.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}},
			{Role: domain.RoleTool, Content: "12°C, clear", ToolCallID: "call_1"},
			{Role: domain.RoleAssistant, Content: "Oslo: 12°C.", Name: "bot"},
			{Role: domain.RoleAssistant, Refusal: "I can't help with that."},
			{Role: domain.RoleAssistant, Parts: []domain.Part{{Type: domain.PartText, Text: "Part one."}, {Type: domain.PartRefusal, Text: "Not that."}}},
			{Role: domain.RoleUser, Content: "Thanks"},
		},
		Sampling: domain.Sampling{
			Temperature: ptr(0.7), TopP: ptr(0.9), MaxTokens: ptr(256), N: ptr(2), Stop: []string{"\n\n", "END"},
			Seed: ptr(int64(42)), PresencePenalty: ptr(0.5), FrequencyPenalty: ptr(-0.5),
			LogitBias: map[string]int{"50256": -100, "1234": 5}, Logprobs: ptr(true), TopLogprobs: ptr(3), User: "user-42",
			ReasoningEffort: "low", Prediction: domain.JSON(`{"type":"content","content":"Oslo: 12°C."}`),
		},
		Tools: domain.Tools{
			Defs: []domain.Tool{
				{Name: "get_weather", Description: "Current weather in a city", Parameters: domain.JSON(weatherParams), Strict: ptr(true)},
				{Name: "get_time"},
			},
			Choice:   domain.ToolChoice{Mode: domain.ToolAuto},
			Parallel: ptr(false),
		},
		Format: &domain.Format{Type: domain.FormatText},
	}
}

// everyFieldWire is everyField as the 2024-10-21 wire must carry it:
// each member as given, the developer turn as a system one.
const everyFieldWire = `{
 "messages": [
  {"role":"system","content":"You are terse.","name":"ops"},
  {"role":"system","content":"Answer in French."},
  {"role":"user","name":"ada","content":[
    {"type":"text","text":"What is in these images, and the weather there?"},
    {"type":"image_url","image_url":{"url":"https://example.com/oslo.png","detail":"high"}},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"auto"}}]},
  {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
  {"role":"tool","content":"12°C, clear","tool_call_id":"call_1"},
  {"role":"assistant","content":"Oslo: 12°C.","name":"bot"},
  {"role":"assistant","content":null,"refusal":"I can't help with that."},
  {"role":"assistant","content":[{"type":"text","text":"Part one."},{"type":"refusal","refusal":"Not that."}]},
  {"role":"user","content":"Thanks"}],
 "temperature":0.7, "top_p":0.9, "max_tokens":256, "n":2, "stop":["\n\n","END"], "seed":42,
 "presence_penalty":0.5, "frequency_penalty":-0.5, "logit_bias":{"50256":-100,"1234":5},
 "logprobs":true, "top_logprobs":3, "user":"user-42",
 "reasoning_effort":"low", "prediction":{"type":"content","content":"Oslo: 12°C."},
 "tools":[
  {"type":"function","function":{"name":"get_weather","description":"Current weather in a city","parameters":` + weatherParams + `,"strict":true}},
  {"type":"function","function":{"name":"get_time"}}],
 "tool_choice":"auto", "parallel_tool_calls":false,
 "response_format":{"type":"text"}
}`

// notInSpec are what the service forwards though the 2024-10-21 request
// schema does not name them; it allows unnamed members, so they pass.
var notInSpec = []string{"reasoning_effort", "prediction", "stream_options"}

func TestEveryRequestFieldMeetsTheSpecAndIsForwardedUnchanged(t *testing.T) {
	sp := loadSpec(t)
	defined := sp.requestProperties()
	for _, name := range notInSpec {
		if defined[name] {
			t.Errorf("the spec defines %q now: check it as a member, not an extra", name)
		}
	}
	tests := []struct {
		name   string
		change func(*ports.Conversation)
		stream bool
		wire   map[string]any // members that differ from everyFieldWire; nil deletes one
	}{
		{name: "tool_choice auto, text format"},
		{"tool_choice none", func(c *ports.Conversation) { c.Tools.Choice.Mode = domain.ToolNone }, false, map[string]any{"tool_choice": "none"}},
		{"tool_choice required", func(c *ports.Conversation) { c.Tools.Choice.Mode = domain.ToolRequired }, false, map[string]any{"tool_choice": "required"}},
		{"tool_choice function", func(c *ports.Conversation) {
			c.Tools.Choice = domain.ToolChoice{Mode: domain.ToolFunction, Name: "get_weather"}
		}, false, map[string]any{"tool_choice": map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}}},
		{"tool_choice default", func(c *ports.Conversation) { c.Tools.Choice = domain.ToolChoice{} }, false, map[string]any{"tool_choice": nil}},
		{"json_object", func(c *ports.Conversation) { c.Format = &domain.Format{Type: domain.FormatJSONObject} }, false,
			map[string]any{"response_format": map[string]any{"type": "json_object"}}},
		{"json_schema strict", func(c *ports.Conversation) {
			c.Format = &domain.Format{Type: domain.FormatJSONSchema, Name: "weather", Description: "A forecast", Schema: domain.JSON(weatherParams), Strict: ptr(true)}
		}, false, map[string]any{"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{
			"name": "weather", "description": "A forecast", "schema": decode(weatherParams), "strict": true}}}},
		// A client's null schema is no schema, as the domain reads it;
		// the spec's are objects, never null.
		{"null schemas", func(c *ports.Conversation) {
			c.Tools.Defs[0].Parameters = domain.JSON("null")
			c.Format = &domain.Format{Type: domain.FormatJSONSchema, Name: "weather", Schema: domain.JSON("null")}
		}, false, map[string]any{
			"tools": []any{
				map[string]any{"type": "function", "function": map[string]any{"name": "get_weather", "description": "Current weather in a city", "strict": true}},
				map[string]any{"type": "function", "function": map[string]any{"name": "get_time"}},
			},
			"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "weather"}},
		}},
		// An empty part array passes the domain beside tool calls, but
		// the spec's arrays hold at least one part.
		{"empty parts beside tool calls", func(c *ports.Conversation) { c.Messages[3].Parts = []domain.Part{} }, false, nil},
		{"max_completion_tokens", func(c *ports.Conversation) { c.MaxTokens, c.MaxCompletionTokens = nil, ptr(300) }, false,
			map[string]any{"max_tokens": nil, "max_completion_tokens": 300.0}},
		{"streamed", nil, true, map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reqs := azureServer(t)
			conv := everyField()
			if tt.change != nil {
				tt.change(&conv)
			}
			got := send(t, azureClient(srv, "2024-10-21"), reqs, conv, tt.stream)

			want := decode(everyFieldWire).(map[string]any)
			for k, v := range tt.wire {
				if v == nil {
					delete(want, k)
				} else {
					want[k] = v
				}
			}
			sent := decode(string(got.body)).(map[string]any)
			assertSameMembers(t, sent, want)
			for _, name := range notInSpec {
				if v, ok := want[name]; ok && !reflect.DeepEqual(sent[name], v) {
					t.Errorf("extra %q = %v, want %v as given", name, sent[name], v)
				}
			}
			sp.validate(t, got)
		})
	}
}

// The developer role came with 2024-12-01-preview: older dated versions
// get the turn as a system one, newer ones and v1 as it was sent.
func TestDeveloperTurnsByAPIVersion(t *testing.T) {
	for version, want := range map[string]string{
		"2024-10-21":             "system",
		"2024-08-01-preview":     "system",
		"2024-12-01-preview":     "developer",
		"2025-01-01-preview":     "developer",
		azureopenai.APIVersionV1: "developer",
	} {
		t.Run(version, func(t *testing.T) {
			srv, reqs := azureServer(t)
			conv := ports.Conversation{Messages: []domain.Message{
				{Role: domain.RoleDeveloper, Content: "Answer in French."},
				{Role: domain.RoleSystem, Content: "You are terse."},
				{Role: domain.RoleUser, Content: "Hi"},
			}}
			for _, stream := range []bool{false, true} {
				got := send(t, azureClient(srv, version), reqs, conv, stream)
				var body struct {
					Messages []struct{ Role, Content string }
				}
				if err := json.Unmarshal(got.body, &body); err != nil {
					t.Fatal(err)
				}
				roles := []string{body.Messages[0].Role, body.Messages[1].Role, body.Messages[2].Role}
				if !slices.Equal(roles, []string{want, "system", "user"}) || body.Messages[0].Content != "Answer in French." {
					t.Errorf("stream %v: roles %q, want the developer turn as %s", stream, roles, want)
				}
			}
		})
	}
}

func decode(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

// assertSameMembers compares two request bodies member by member, so a
// failure names what was changed, dropped or added.
func assertSameMembers(t *testing.T, got, want map[string]any) {
	t.Helper()
	names := slices.Collect(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		g, inGot := got[k]
		w, inWant := want[k]
		switch {
		case !inGot:
			t.Errorf("%q dropped, want %v", k, w)
		case !inWant:
			t.Errorf("%q = %v added, want it absent", k, g)
		case k == "messages":
			assertSameMessages(t, g, w)
		case !reflect.DeepEqual(g, w):
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("%q = %s\nwant %s", k, gj, wj)
		}
	}
}

func assertSameMessages(t *testing.T, got, want any) {
	t.Helper()
	g, _ := got.([]any)
	w, _ := want.([]any)
	if len(g) != len(w) {
		t.Errorf("%d messages sent, want %d", len(g), len(w))
		return
	}
	for i := range w {
		if !reflect.DeepEqual(g[i], w[i]) {
			gj, _ := json.Marshal(g[i])
			wj, _ := json.Marshal(w[i])
			t.Errorf("messages[%d] = %s\nwant %s", i, gj, wj)
		}
	}
}
