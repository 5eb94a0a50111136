package test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aoai-api/aoai-api/api"
)

// TestContractServedDocumentIsThePublishedOne checks that the service
// serves the document these tests enforce: the YAML byte for byte, and
// JSON that a separate parser reads as the same document.
func TestContractServedDocumentIsThePublishedOne(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})

	y := call(t, "GET", svc.URL+"/api/openapi.yaml", "", "")
	if y.Status != 200 || y.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("yaml: status %d, Content-Type %q", y.Status, y.Header.Get("Content-Type"))
	}
	if !bytes.Equal(y.Body, api.YAML()) {
		t.Error("/api/openapi.yaml differs from api/openapi.yaml")
	}

	j := call(t, "GET", svc.URL+"/api/openapi.json", "", "")
	if j.Status != 200 || j.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("json: status %d, Content-Type %q", j.Status, j.Header.Get("Content-Type"))
	}
	if !json.Valid(j.Body) {
		t.Fatalf("/api/openapi.json is not JSON: %.200s", j.Body)
	}
	if fromYAML, fromJSON := canonical(t, y.Body), canonical(t, j.Body); fromYAML != fromJSON {
		t.Errorf("the JSON document differs from the YAML one:\nyaml: %.300s\njson: %.300s", fromYAML, fromJSON)
	}
}

// canonical loads a document with kin-openapi's own YAML parser, not the
// one the service converts with, and re-encodes it with sorted keys.
func canonical(t *testing.T, data []byte) string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
