package http

import (
	"strings"
	"testing"
)

func TestJSONShape(t *testing.T) {
	tests := []struct {
		name, body string
		wantErr    string // "" = accepted
	}{
		{"flat", `{"prompt":"a","extra":1}`, ""},
		{"same key in sibling objects", `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}`, ""},
		{"key equal to a value", `{"a":"b","b":"a"}`, ""},
		{"empty containers", `{"a":{},"b":[],"c":[{}]}`, ""},
		{"huge number is still JSON", `{"a":1e999}`, ""},
		{"trailing whitespace", "{\"a\":1}\n\t ", ""},
		{"nested 64 deep", `{"a":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, ""},
		{"nested 65 deep", `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, "deeper than 64"},
		{"duplicate", `{"a":1,"a":2}`, "duplicate key 'a'"},
		{"duplicate after nested value", `{"a":{"b":1},"a":2}`, "duplicate key 'a'"},
		{"duplicate deep", `{"m":[{"c":[{"t":"x","t":"y"}]}]}`, "duplicate key 't'"},
		{"duplicate by case", `{"Prompt":1,"pROMPT":2}`, "duplicate key"},
		{"duplicate by Kelvin sign", "{\"k\":1,\"\u212a\":2}", "duplicate key"},
		{"long duplicate is not echoed", `{"` + strings.Repeat("x", 100) + `":1,"` + strings.Repeat("x", 100) + `":2}`, "duplicate key"},
		{"trailing object", `{"a":1}{"a":1}`, "after the JSON object"},
		{"trailing bracket", `{"a":1}]`, "after the JSON object"},
		{"trailing word", `{"a":1} true`, "after the JSON object"},
		{"unclosed", `{"a":[1,2}`, "not valid JSON"},
		{"missing value", `{"a":}`, "not valid JSON"},
		{"empty", ``, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSONShape([]byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && len(err.Error()) > 120 {
				t.Errorf("message too long to be safe to echo: %d bytes", len(err.Error()))
			}
		})
	}
}
