// Package api holds the published HTTP contract. The service serves
// these exact bytes and the tests in test/ hold every response to them,
// so the document cannot drift from the code.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"

	"github.com/goccy/go-yaml"
)

//go:embed openapi.yaml
var document []byte

// YAML returns the OpenAPI document as published. It is a copy, so no
// caller can change what the others serve.
func YAML() []byte { return bytes.Clone(document) }

// JSON converts the document to indented JSON, keeping its key order.
// It parses YAML, so call it once at start-up, not per request.
func JSON() ([]byte, error) {
	raw, err := yaml.YAMLToJSON(document)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
