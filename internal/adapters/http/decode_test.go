package http

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

type decodeTarget struct {
	Prompt   string `json:"prompt"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	MaxTokens *int `json:"max_tokens"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, body string
		status     int    // 0 = accepted
		wantErr    string // part of the message
	}{
		{"flat", `{"prompt":"a","extra":1}`, 0, ""},
		{"same key in sibling objects", `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}`, 0, ""},
		{"brackets inside strings do not nest", `{"prompt":"` + strings.Repeat("[{", 200) + `\"[["}`, 0, ""},
		{"escaped quote keeps the string open", `{"prompt":"\"[[[[","a":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, 0, ""},
		{"huge number in an unknown field", `{"a":1e999}`, 0, ""},
		{"trailing whitespace", "{\"a\":1}\n\t ", 0, ""},
		{"field name case as encoding/json", `{"PROMPT":"x"}`, 0, ""},
		{"nested 64 deep", `{"a":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, 0, ""},
		{"nested 65 deep", `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, 400, "deeper than 64"},
		{"duplicate", `{"a":1,"a":2}`, 400, "duplicate key 'a'"},
		{"duplicate after nested value", `{"a":{"b":1},"a":2}`, 400, "duplicate key 'a'"},
		{"duplicate deep", `{"m":[{"c":[{"t":"x","t":"y"}]}]}`, 400, "duplicate key 't'"},
		{"duplicate field by case", `{"Prompt":"a","pROMPT":"b"}`, 400, "duplicate key"},
		{"duplicate nested field by case", `{"messages":[{"role":"user","ROLE":"system"}]}`, 400, "duplicate key"},
		{"long duplicate is not echoed", `{"` + strings.Repeat("x", 100) + `":1,"` + strings.Repeat("x", 100) + `":2}`, 400, "duplicate key"},
		{"trailing object", `{"a":1}{"a":1}`, 400, "after the JSON object"},
		{"trailing bracket", `{"a":1}]`, 400, "after the JSON object"},
		{"trailing word", `{"a":1} true`, 400, "after the JSON object"},
		{"array", `[{"prompt":"x"}]`, 400, "must be a JSON object"},
		{"string", `"x"`, 400, "must be a JSON object"},
		{"unclosed", `{"a":[1,2}`, 400, "not valid JSON"},
		{"missing value", `{"a":}`, 400, "not valid JSON"},
		{"empty", ``, 400, "empty"},
		{"blank", " \n", 400, "empty"},
		{"invalid UTF-8 in a string", "{\"prompt\":\"\xff\"}", 400, "UTF-8"},
		{"invalid UTF-8 in an unknown field", "{\"x\":\"\xc0\xaf\"}", 400, "UTF-8"},
		{"wrong type names the field", `{"prompt":1}`, 400, "'prompt' must be a string"},
		{"wrong nested type names the index", `{"messages":[{"role":1}]}`, 400, "'messages[0].role' must be a string"},
		{"fraction into an integer", `{"max_tokens":1.5}`, 400, "'max_tokens' must be an integer"},
		{"too big", `{"prompt":"` + strings.Repeat("a", 5000) + `"}`, 413, "exceeds 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst decodeTarget
			err := decodeBody(t, tt.body, &dst)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || errorTable[de.Kind].status != tt.status || !strings.Contains(de.Msg, tt.wantErr) {
				t.Fatalf("got %#v, want %d containing %q", err, tt.status, tt.wantErr)
			}
		})
	}
}

func TestDecodeJSONNamesTypeErrorParam(t *testing.T) {
	var dst decodeTarget
	err := decodeBody(t, `{"messages":[{"role":"user"},{"content":["x"]}]}`, &dst)
	if de, ok := err.(*domain.Error); !ok || de.Field != "messages[1].content" || errorTable[de.Kind].code != "invalid_type" {
		t.Fatalf("got %#v", err)
	}
}

func TestDecodeJSONRefusesOtherMediaTypes(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	c.Request.Header.Set("Content-Type", "text/plain")
	if err := decodeJSON(c, 4096, &decodeTarget{}); err != errUnsupportedMedia {
		t.Fatalf("got %v", err)
	}
}

func decodeBody(t testing.TB, body string, dst any) error {
	t.Helper()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
	c.Request.Header.Set("Content-Type", "application/vnd.api+json")
	return decodeJSON(c, 4096, dst)
}
