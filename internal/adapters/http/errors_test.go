package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// TestErrorTable is the one test of how failures are answered: every
// kind's status and code, in both shapes, with the headers and fields
// that ride along, and nothing of the private cause.
func TestErrorTable(t *testing.T) {
	filtered := domain.ContentFiltered([]string{"hate", "violence"}, errors.New("secret cause"))
	filtered.UpstreamRequestID = "apim-1"
	throttled := domain.Throttled("rate limited", 37*time.Second+100*time.Millisecond, errors.New("secret cause"))
	throttled.UpstreamRequestID = "apim-2"
	tests := []struct {
		name             string
		err              error
		status           int
		code, msg, param string
		retryAfter       string
		upstreamID       string
		categories       string
	}{
		{"invalid", domain.InvalidField("messages[0].role", "'messages[0].role' may not be system"), 400, "invalid_value", "may not be system", "messages[0].role", "", "", ""},
		{"content filter", filtered, 400, "content_filter", "blocked by the content filter", "", "", "apim-1", `["hate","violence"]`},
		{"body not JSON", badRequest("request body is not valid JSON"), 400, "invalid_request", "not valid JSON", "", "", "", ""},
		{"wrong type", failField(kindInvalidType, "prompt", "'prompt' must be a string"), 400, "invalid_type", "must be a string", "prompt", "", "", ""},
		{"missing model", failField(kindMissingParam, "model", "'model' is required"), 400, "missing_required_parameter", "is required", "model", "", "", ""},
		{"unsupported", unsupported("tools", nil), 400, "unsupported_parameter", "'tools' is not supported", "tools", "", "", ""},
		{"framing", errConflictingFraming, 400, "conflicting_framing", "Content-Length and Transfer-Encoding", "", "", "", ""},
		{"no key", errKeyMissing, 401, "missing_api_key", "An API key is required", "", "", "", ""},
		{"wrong key", errKeyInvalid, 401, "invalid_api_key", "not valid", "", "", "", ""},
		{"origin", errOriginNotAllowed, 403, "origin_not_allowed", "origin is not allowed", "", "", "", ""},
		{"not found", fail(kindNotFound, ""), 404, "not_found", "Resource not found", "", "", "", ""},
		{"unknown model", domain.UnknownModel("gpt-5"), 404, "model_not_found", "'gpt-5' does not exist", "model", "", "", ""},
		{"method", fail(kindMethodNotAllowed, ""), 405, "method_not_allowed", "Method not allowed", "", "", "", ""},
		{"too large", fail(kindTooLarge, "request body exceeds 9 bytes"), 413, "request_too_large", "exceeds 9 bytes", "", "", "", ""},
		{"media type", errUnsupportedMedia, 415, "unsupported_media_type", "application/json", "", "", "", ""},
		{"throttled upstream", throttled, 429, "rate_limit_exceeded", "rate limited", "", "38", "apim-2", ""},
		{"throttled without a hint", domain.Throttled("rate limited", 0, nil), 429, "rate_limit_exceeded", "rate limited", "", "1", "", ""},
		{"rate limit", retryIn(fail(kindRateLimited, ""), 200*time.Millisecond), 429, "rate_limit_exceeded", "Rate limit exceeded", "", "1", "", ""},
		{"failed keys", errAuthThrottled(40 * time.Second), 429, "too_many_auth_failures", "Too many wrong API keys", "", "40", "", ""},
		{"caller busy", errCallerBusy, 429, "too_many_concurrent_requests", "too many model calls", "", "1", "", ""},
		{"misconfigured", domain.Misconfigured("Azure OpenAI configuration incomplete: missing AZURE_OPENAI_ENDPOINT"), 500, "misconfigured", "missing AZURE_OPENAI_ENDPOINT", "", "", "", ""},
		{"unknown error is masked", errors.New("secret cause"), 500, "internal_error", "Internal server error", "", "", "", ""},
		{"upstream", domain.Upstream("Azure OpenAI returned status 500", errors.New("secret cause")), 502, "upstream_error", "returned status 500", "", "", "", ""},
		{"at capacity", domain.Unavailable("at its limit", 1500*time.Millisecond), 503, "service_unavailable", "at its limit", "", "2", "", ""},
		{"shutting down", ErrShuttingDown, 503, "server_shutting_down", "shutting down", "", "1", "", ""},
		{"timeout", domain.Timeout("did not answer in time", context.DeadlineExceeded), 504, "upstream_timeout", "did not answer in time", "", "", "", ""},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/chat", "/v1/chat/completions"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				rec := httptest.NewRecorder()
				c, _ := gin.CreateTestContext(rec)
				c.Request = httptest.NewRequest(http.MethodPost, path, nil)
				c.Set(correlationKey, "cid-1")
				writeError(c, tt.err)
				if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter || rec.Header().Get(headerUpstreamRequestID) != tt.upstreamID {
					t.Fatalf("%d Retry-After %q upstream id %q; want %d %q %q", rec.Code, rec.Header().Get("Retry-After"),
						rec.Header().Get(headerUpstreamRequestID), tt.status, tt.retryAfter, tt.upstreamID)
				}
				if strings.Contains(rec.Body.String(), "secret cause") {
					t.Fatalf("the private cause leaked: %s", rec.Body)
				}
				var body struct {
					Error             json.RawMessage `json:"error"`
					CorrelationID     string          `json:"correlation_id"`
					UpstreamRequestID string          `json:"upstream_request_id"`
					Categories        []string        `json:"categories"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				if path == "/api/chat" {
					var msg string
					_ = json.Unmarshal(body.Error, &msg)
					cats, _ := json.Marshal(body.Categories)
					if !strings.Contains(msg, tt.msg) || body.CorrelationID != "cid-1" || body.UpstreamRequestID != tt.upstreamID ||
						(tt.categories != "" && string(cats) != tt.categories) {
						t.Errorf("body = %s", rec.Body)
					}
					return
				}
				var e struct {
					Message, Type string
					Code, Param   *string
				}
				_ = json.Unmarshal(body.Error, &e)
				if !strings.Contains(e.Message, tt.msg) || e.Code == nil || *e.Code != tt.code || e.Type != openAIErrorType(tt.status) ||
					(tt.param == "") != (e.Param == nil) || (e.Param != nil && *e.Param != tt.param) {
					t.Errorf("body = %s, want code %q param %q", rec.Body, tt.code, tt.param)
				}
			})
		}
	}
}

func TestEveryKindInTheTableHasAStatusAndCode(t *testing.T) {
	for kind, r := range errorTable {
		if r.status == 0 || r.code == "" {
			t.Errorf("%s renders as %+v", kind, r)
		}
	}
}
