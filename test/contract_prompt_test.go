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

	// The document must reject what the server rejects.
	req := httptest.NewRequest(http.MethodPost, "/api/completions", nil)
	req.Header.Set("Content-Type", "application/json")
	err := mustContract(t).check(t.Context(), exchange{
		req: req, reqBody: []byte(body(4001)), status: http.StatusOK, complete: true,
		header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}},
		body:   []byte(validCompletion),
	})
	if err == nil || !strings.Contains(err.Error(), "maximum string length is 4000") {
		t.Errorf("a 4001-code-point prompt passed the document: %v", err)
	}
}
