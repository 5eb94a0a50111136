package test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	urlPassword = "LEAKCHECK-url-password"
	urlQueryKey = "LEAKCHECK-url-query-key"
	openAIKey   = "sk-LEAKCHECK-openai-0123456789"
)

// TestSecretsAreRedactedFromTextLogs runs the text format, where every
// value is re-encoded for people, against an upstream that echoes both
// the key it got and the URL it was called on, and a client that puts
// its own key in a path. No secret may reach stdout or LOG_FILE, and the
// credentials in OPENAI_BASE_URL are masked in /api/config/info and in
// the start-up log.
func TestSecretsAreRedactedFromTextLogs(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		azureError(w, http.StatusUnauthorized, "invalid_api_key",
			"Incorrect API key provided: "+r.Header.Get("Authorization")+" for "+r.URL.String())
	}))
	t.Cleanup(up.Close)
	base := strings.Replace(up.URL, "http://", "http://user:"+urlPassword+"@", 1) + "/v1?key=" + urlQueryKey
	dir := t.TempDir()
	svc := startTextService(t, dir, map[string]string{
		"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": base, "OPENAI_API_KEY": openAIKey, "OPENAI_MODEL": "m",
		"API_KEYS": inboundKeyEnv, "LOG_LEVEL": "DEBUG",
	})

	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "X-API-Key", inboundKeyEnv); r.Status != 502 {
		t.Errorf("upstream 401 = %d %s, want 502", r.Status, r.Body)
	}
	if r := call(t, "GET", svc.URL+"/v1/models/"+inboundKeyEnv, "", "", "X-API-Key", inboundKeyEnv); r.Status != 404 {
		t.Errorf("a key in the path = %d, want 404", r.Status)
	}
	info := call(t, "GET", svc.URL+"/api/config/info", "", "", "X-API-Key", inboundKeyEnv)
	cfg := configSettings(t, info.Body)
	masked := strings.Replace(up.URL, "http://", "http://***@", 1) + "/v1?***"
	if got := cfg["OPENAI_BASE_URL"]["value"]; got != masked {
		t.Errorf("OPENAI_BASE_URL in /api/config/info = %v, want %s", got, masked)
	}
	svc.stop(t)

	file, err := os.ReadFile(filepath.Join(dir, "logs", "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"stdout": strings.Join(svc.lines(), "\n"), "LOG_FILE": string(file)} {
		if strings.Contains(out, "LEAKCHECK") {
			t.Errorf("%s holds a secret:\n%s", name, out)
		}
		if !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%s shows no redaction, so the echo never reached the log and this proves nothing:\n%s", name, out)
		}
		if !strings.Contains(out, `"OPENAI_BASE_URL":{"source":"env","value":"`+masked+`"}`) {
			t.Errorf("%s: the start-up line does not show %s", name, masked)
		}
	}
}
