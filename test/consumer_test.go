package test

import (
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestConsumerCompletesThroughAzure(t *testing.T) {
	svc := startService(t, azureEnv(newAzureUpstream(t, azureReply)))
	c := &consumerClient{baseURL: svc.URL, http: client}

	got, err := c.Complete(withTest(t.Context(), t), "héllo")
	if err != nil {
		t.Fatal(err)
	}
	if got.Response != "echo: héllo" || got.Model != "gpt-4o-2024-08-06" || got.FinishReason != "stop" {
		t.Errorf("completion = %+v", got)
	}
	u := got.Usage
	if u.PromptChars != 5 || u.ResponseChars != 11 || u.TotalTokens == nil || *u.TotalTokens != 21 {
		t.Errorf("usage = %+v", u)
	}
}

func TestConsumerSeesNullTokensFromTheFakeModel(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	got, err := (&consumerClient{baseURL: svc.URL, http: client}).Complete(withTest(t.Context(), t), "Hello")
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "offline-fake" || got.Usage.PromptTokens != nil || got.Usage.TotalTokens != nil {
		t.Errorf("completion = %+v", got)
	}
}

func TestConsumerReadsTypedErrors(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	_, err := (&consumerClient{baseURL: svc.URL, http: client}).Complete(withTest(t.Context(), t), "   ")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.Status != 400 || apiErr.Message != "'prompt' is required" || apiErr.CorrelationID == "" ||
		apiErr.CorrelationID != apiErr.RequestID {
		t.Errorf("error = %+v", apiErr)
	}
}

func TestConsumerChatsThroughAzure(t *testing.T) {
	svc := startService(t, azureEnv(newAzureUpstream(t, azureReply)))
	c := &consumerClient{baseURL: svc.URL, http: client}
	temperature, maxTokens := 0.2, 50
	got, err := c.Chat(withTest(t.Context(), t), ChatRequest{
		Messages: []ChatMessage{
			{Role: "user", Content: "hi"},
			{Role: "assistant", Content: "hello"},
			{Role: "user", Content: "again"},
		},
		Temperature: &temperature, MaxTokens: &maxTokens,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Response != "echo: again" || got.Usage.PromptChars != 12 || got.Usage.TotalTokens == nil || *got.Usage.TotalTokens != 21 {
		t.Errorf("chat = %+v", got)
	}
}

// TestConsumerStreamsAChat reads a streamed chat event by event and
// checks that the deltas add up to the non-streamed answer.
func TestConsumerStreamsAChat(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "FAKE_STREAM_DELAY": "1ms"})
	c := &consumerClient{baseURL: svc.URL, http: client}
	in := ChatRequest{Messages: []ChatMessage{{Role: "user", Content: "Tell me a story"}}}
	whole, err := c.Chat(withTest(t.Context(), t), in)
	if err != nil {
		t.Fatal(err)
	}
	var deltas []string
	done, err := c.ChatStream(withTest(t.Context(), t), in, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(deltas, ""); got != whole.Response || len(deltas) < 2 {
		t.Errorf("%d deltas joined to %q, want %q in pieces", len(deltas), got, whole.Response)
	}
	if done.Model != "offline-fake" || done.FinishReason != "stop" || done.Usage != whole.Usage {
		t.Errorf("done = %+v, want the usage of %+v", done, whole)
	}
}

func TestConsumerReadsAContentFilterRefusal(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) { azureContentFilter(w) })
	svc := startService(t, azureEnv(up))
	c := &consumerClient{baseURL: svc.URL, http: client}
	_, err := c.ChatStream(withTest(t.Context(), t), ChatRequest{Messages: []ChatMessage{{Role: "user", Content: "x"}}}, func(string) {
		t.Error("a refused chat streamed a delta")
	})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.Status != 400 || apiErr.MidStream || !slices.Equal(apiErr.Categories, []string{"self_harm", "violence"}) ||
		apiErr.UpstreamRequestID != "apim-e2e-1" {
		t.Errorf("error = %+v", apiErr)
	}
}

// TestConsumerTypesMatchContract is the pin a frontend keeps: its types
// name exactly the document's properties, pointers exactly where the
// document says nullable. APIError holds every error schema at once.
func TestConsumerTypesMatchContract(t *testing.T) {
	schemas := mustContract(t).doc.Components.Schemas
	for _, tt := range []struct {
		typ     reflect.Type
		schemas []string
	}{
		{reflect.TypeFor[CompletionRequest](), []string{"CompletionRequest"}},
		{reflect.TypeFor[ChatRequest](), []string{"ChatRequest"}},
		{reflect.TypeFor[ChatMessage](), []string{"ChatMessage"}},
		{reflect.TypeFor[Completion](), []string{"Completion"}},
		{reflect.TypeFor[Usage](), []string{"Usage"}},
		{reflect.TypeFor[StreamDelta](), []string{"StreamDelta"}},
		{reflect.TypeFor[StreamDone](), []string{"StreamDone"}},
		{reflect.TypeFor[APIError](), []string{"Error", "UpstreamError", "ModelError"}},
	} {
		props := map[string]*openapi3.Schema{}
		for _, name := range tt.schemas {
			s := schemas[name]
			if s == nil {
				t.Errorf("no schema %s", name)
				continue
			}
			for p, ref := range s.Value.Properties {
				props[p] = ref.Value
			}
		}
		var fields []string
		for f := range tt.typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			fields = append(fields, name)
			if p := props[name]; p != nil && p.Nullable != (f.Type.Kind() == reflect.Pointer) {
				t.Errorf("%s.%s: nullable %v, but the Go field is %s", tt.typ.Name(), name, p.Nullable, f.Type)
			}
		}
		slices.Sort(fields)
		if names := slices.Sorted(maps.Keys(props)); !slices.Equal(fields, names) {
			t.Errorf("%s: Go fields %v, document properties %v", tt.typ.Name(), fields, names)
		}
	}
}
