package http_test

import (
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func strp(s string) *string { return &s }

func TestConfigInfoShowsSourcesAndHidesSecrets(t *testing.T) {
	settings := []httpadapter.Setting{
		{Key: "AZURE_OPENAI_ENDPOINT", Value: strp("https://x.openai.azure.com"), Source: "env"},
		{Key: "AZURE_OPENAI_DEPLOYMENT_NAME", Source: "absent"},
		{Key: "LOG_FILE", Value: strp(""), Source: "file"},
		{Key: "AZURE_OPENAI_API_KEY", Value: strp("sk-must-not-show"), Source: "env", Secret: true, Set: true},
		{Key: "AZURE_OPENAI_API_KEY_V1", Source: "absent", Secret: true},
	}
	h := httpadapter.NewHandler(zerolog.Nop(), mocks.NewMockCompleter(gomock.NewController(t)),
		httpadapter.Options{Version: "v-test", MaxBodyBytes: 1024, Settings: settings})

	rec := do(h, "GET", "/api/config/info", "", "")
	if rec.Code != 200 {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	decode(t, rec) // checks the JSON content type
	want := `{"AZURE_OPENAI_API_KEY":{"value":null,"set":true,"source":"env","secret":true},` +
		`"AZURE_OPENAI_API_KEY_V1":{"value":null,"set":false,"source":"absent","secret":true},` +
		`"AZURE_OPENAI_DEPLOYMENT_NAME":{"value":null,"source":"absent"},` +
		`"AZURE_OPENAI_ENDPOINT":{"value":"https://x.openai.azure.com","source":"env"},` +
		`"LOG_FILE":{"value":"","source":"file"},"pool":[]}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
}

func TestConfigInfoIsListedAndOnlyAnswersGET(t *testing.T) {
	h, _, _ := newEngine(t)
	assertError(t, do(h, "POST", "/api/config/info", "application/json", `{}`), 405, "Method not allowed")
	if body := do(h, "GET", "/api/", "", "").Body.String(); !strings.Contains(body, `{"method":"GET","path":"/api/config/info"}`) {
		t.Errorf("welcome endpoints lack config info: %s", body)
	}
}
