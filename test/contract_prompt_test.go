package test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestContractPromptLimitCountsCodePoints pins the document's maxLength to
// the server's limit where byte and UTF-16 counts would disagree: 4000
// emoji pass both, 4001 fail both.
func TestContractPromptLimitCountsCodePoints(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	body := func(n int) string { return `{"prompt":"` + strings.Repeat("😀", n) + `"}` }

	// A 2xx makes the contract transport validate the request too.
	if r := postJSON(t, svc.URL+"/api/completions", body(4000)); r.Status != 200 {
		t.Fatalf("4000 code points: status %d: %.200s", r.Status, r.Body)
	}
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", body(4001)), 400, "exceeds 4000")
	if err := documentVerdict(t, "/api/completions", body(4001)); err == nil || !strings.Contains(err.Error(), "maximum string length is 4000") {
		t.Errorf("a 4001-code-point prompt passed the document: %v", err)
	}
}

// documentVerdict asks the document alone whether it admits a request
// body, by pretending the server accepted it: a 2xx is when the contract
// validates requests. The response is a valid one, so any error is the
// request's.
func documentVerdict(t *testing.T, path, body string) error {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Header.Set("Content-Type", "application/json")
	return mustContract(t).check(t.Context(), exchange{
		req: req, reqBody: []byte(body), status: http.StatusOK, complete: true,
		header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}},
		body:   []byte(validCompletion),
	})
}
