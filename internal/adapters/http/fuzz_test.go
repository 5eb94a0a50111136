package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// FuzzDecodeJSON feeds any body to the one decoder and to the request
// checks behind it. Seeds: testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	limits := domain.ChatLimits{MaxChars: 16000, MaxMessages: 50, MaxTokensLimit: 4096}
	served := func(m string) bool { return m == "m" }
	f.Fuzz(func(t *testing.T, body []byte) {
		var prompt promptRequest
		accepted := decodeFuzzed(t, body, &prompt)
		if accepted {
			_, err := domain.ValidatePrompt(prompt.Prompt)
			assertKind(t, err, domain.KindInvalid)
		}
		var chat chatRequest
		if decodeFuzzed(t, body, &chat) {
			in := chat.input()
			_, err := domain.ValidateChat(in.Messages, in.Sampling, limits)
			assertKind(t, err, domain.KindInvalid)
		}
		var v1 v1ChatRequest
		if decodeFuzzed(t, body, &v1) {
			in, err := v1.input(served)
			var de *domain.Error
			if err != nil && (!errors.As(err, &de) || errorTable[de.Kind].status/100 != 4) {
				t.Fatalf("v1 input error %T: %v, want a 4xx", err, err)
			}
			if err == nil {
				_, err := domain.ValidateChat(in.Messages, in.Sampling, limits)
				assertKind(t, err, domain.KindInvalid)
			}
		}
	})
}

// decodeFuzzed decodes body and checks that a refusal is a 400 or 413
// and that anything accepted really is one JSON object with no key twice.
func decodeFuzzed(t *testing.T, body []byte, dst any) bool {
	t.Helper()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	c.Request.Header.Set("Content-Type", "application/json")
	err := decodeJSON(c, 4096, dst)
	if err != nil {
		var de *domain.Error
		if status := errorTable[domain.KindOf(err)].status; !errors.As(err, &de) || (status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge) || de.Msg == "" {
			t.Fatalf("refusal %#v, want a 400 or 413 with a message", err)
		}
		return false
	}
	var obj map[string]json.RawMessage
	if !json.Valid(body) || json.Unmarshal(body, &obj) != nil || obj == nil {
		t.Fatalf("accepted a body that is not one JSON object: %q", body)
	}
	if v := jsontext.Value(bytes.Clone(body)); v.Compact() != nil { // jsontext refuses duplicate names
		t.Fatalf("accepted a body with a name twice or invalid text: %q", body)
	}
	return true
}

func assertKind(t *testing.T, err error, allowed domain.Kind) {
	t.Helper()
	if err != nil && domain.KindOf(err) != allowed {
		t.Fatalf("error %v has kind %q, want %q", err, domain.KindOf(err), allowed)
	}
}

// FuzzRequestID checks that X-Request-ID is echoed only when safe to put
// in headers and logs, and replaced by a UUID otherwise.
// Seeds: testdata/fuzz/FuzzRequestID.
func FuzzRequestID(f *testing.F) {
	h := NewHandler(zerolog.Nop(), nil, Options{})
	f.Fuzz(func(t *testing.T, id string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["X-Request-Id"] = []string{id}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(headerRequestID)
		if got == id && !domain.ValidRequestID(id) {
			t.Fatalf("echoed an unsafe id %q", id)
		}
		if got != id {
			if _, err := uuid.Parse(got); err != nil || len(got) != 36 {
				t.Fatalf("replacement %q is not a UUID", got)
			}
		}
		if domain.ValidRequestID(id) && got != id {
			t.Fatalf("a safe id %q was replaced by %q", id, got)
		}
		for i := 0; i < len(got); i++ {
			if b := got[i]; b < 0x21 || b > 0x7e {
				t.Fatalf("echoed id holds byte %#x", b)
			}
		}
		if len(got) > domain.MaxRequestIDBytes {
			t.Fatalf("echoed id is %d bytes", len(got))
		}
	})
}
