package test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
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

// TestConsumerTypesMatchContract is the pin a frontend keeps: its types
// name exactly the document's properties, pointers exactly where the
// document says nullable.
func TestConsumerTypesMatchContract(t *testing.T) {
	schemas := mustContract(t).doc.Components.Schemas
	for schema, typ := range map[string]reflect.Type{
		"CompletionRequest": reflect.TypeFor[CompletionRequest](),
		"Completion":        reflect.TypeFor[Completion](),
		"Usage":             reflect.TypeFor[Usage](),
		"Error":             reflect.TypeFor[APIError](),
	} {
		s := schemas[schema]
		if s == nil {
			t.Errorf("no schema %s", schema)
			continue
		}
		var fields []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			fields = append(fields, name)
			if p := s.Value.Properties[name]; p != nil && p.Value.Nullable != (f.Type.Kind() == reflect.Pointer) {
				t.Errorf("%s.%s: nullable %v, but the Go field is %s", schema, name, p.Value.Nullable, f.Type)
			}
		}
		var props []string
		for name := range s.Value.Properties {
			props = append(props, name)
		}
		slices.Sort(fields)
		slices.Sort(props)
		if !slices.Equal(fields, props) {
			t.Errorf("%s: Go fields %v, document properties %v", typ.Name(), fields, props)
		}
	}
}
