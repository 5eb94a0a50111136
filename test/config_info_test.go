package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeEnvFile writes a .env (or any file) for the binary to find.
func writeEnvFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const fileV1Key = "sk-LEAKCHECK-file-9876543210"

func TestConfigInfoReportsEverySource(t *testing.T) {
	root := t.TempDir()
	writeEnvFile(t, filepath.Join(root, ".env"), strings.Join([]string{
		"AZURE_OPENAI_ENDPOINT=https://from-file.example", // the exported value must win
		"AZURE_OPENAI_API_KEY_V1=" + fileV1Key,
		"LOG_LEVEL=debug",
		"",
	}, "\n"))
	work := filepath.Join(root, "srv", "work") // found walking upward
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	svc := startServiceIn(t, work, map[string]string{
		"AZURE_OPENAI_ENDPOINT": "https://from-env.example",
		"AZURE_OPENAI_API_KEY":  testAPIKey,
	})

	r := call(t, "GET", svc.URL+"/api/config/info", "", "")
	if r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	got := configSettings(t, r.Body)
	want := map[string]map[string]any{
		"AZURE_OPENAI_ENDPOINT":        {"value": "https://from-env.example", "source": "env"},
		"AZURE_OPENAI_DEPLOYMENT_NAME": {"value": nil, "source": "absent"},
		"AZURE_OPENAI_API_VERSION":     {"value": "2024-10-21", "source": "default"},
		"LOG_LEVEL":                    {"value": "debug", "source": "file"},
		"LOG_FORMAT":                   {"value": "json", "source": "env"},
		"PORT":                         {"value": "0", "source": "env"},
		"LLM_PROVIDER":                 {"value": "azure", "source": "default"},
		"LOG_FILE":                     {"value": "./logs/app.log", "source": "default"},
		"AZURE_OPENAI_API_KEY":         {"value": nil, "set": true, "source": "env", "secret": true},
		"AZURE_OPENAI_API_KEY_V1":      {"value": nil, "set": true, "source": "file", "secret": true},
	}
	for key, w := range want {
		if !reflect.DeepEqual(got[key], w) {
			t.Errorf("%s = %v, want %v", key, got[key], w)
		}
	}
	for _, key := range []string{"HOST", "SYSTEM_PROMPT", "UPSTREAM_TIMEOUT", "MAX_BODY_BYTES", "LOG_PROMPTS"} {
		if _, ok := got[key]; !ok {
			t.Errorf("%s missing: every non-secret setting is visible", key)
		}
	}
	if strings.Contains(string(r.Body), "LEAKCHECK") {
		t.Errorf("a secret leaked: %s", r.Body)
	}

	start := svc.waitFor(t, "starting aoai-api")
	if start["env_file"] != filepath.Join(root, ".env") {
		t.Errorf("start-up env_file = %v", start["env_file"])
	}
	cfg, _ := start["config"].(map[string]any)
	if !reflect.DeepEqual(cfg["LOG_LEVEL"], map[string]any{"value": "debug", "source": "file"}) ||
		!reflect.DeepEqual(cfg["AZURE_OPENAI_API_KEY_V1"], map[string]any{"set": true, "source": "file"}) ||
		!reflect.DeepEqual(cfg["AZURE_OPENAI_DEPLOYMENT_NAME"], map[string]any{"source": "absent"}) {
		t.Errorf("start-up config = %v", cfg)
	}
}

func TestEnvFileVariableNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	writeEnvFile(t, filepath.Join(dir, ".env"), "LOG_LEVEL=ERROR\n")
	named := filepath.Join(t.TempDir(), "named.env")
	writeEnvFile(t, named, "SYSTEM_PROMPT=from the named file\n")
	svc := startServiceIn(t, dir, map[string]string{"LLM_PROVIDER": "fake", "ENV_FILE": named})

	m := call(t, "GET", svc.URL+"/api/config/info", "", "").JSON(t)
	if v := m["SYSTEM_PROMPT"]; !reflect.DeepEqual(v, map[string]any{"value": "from the named file", "source": "file"}) {
		t.Errorf("SYSTEM_PROMPT = %v", v)
	}
	if v := m["LOG_LEVEL"]; !reflect.DeepEqual(v, map[string]any{"value": "INFO", "source": "default"}) {
		t.Errorf("LOG_LEVEL = %v: the searched .env must be ignored", v)
	}
}

func TestMalformedEnvFileStopsStartupWithOneClearLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	writeEnvFile(t, path, "LLM_PROVIDER=fake\nthis is not a setting\nAZURE_OPENAI_API_KEY="+testAPIKey+"\n")
	s := mustLaunchIn(t, dir, nil)
	if code := s.waitExit(t); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	out := s.lines()
	if len(out) != 1 || !strings.Contains(out[0], path) || !strings.Contains(out[0], "line 2") {
		t.Errorf("output = %q, want one line naming %s and line 2", out, path)
	}
	if strings.Contains(strings.Join(out, "\n"), "LEAKCHECK") {
		t.Errorf("the error quoted the key: %q", out)
	}
}

// configSettings reads /api/config/info's settings, leaving out "pool",
// which is the models, not a setting.
func configSettings(t *testing.T, body []byte) map[string]map[string]any {
	t.Helper()
	var all map[string]json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("config info: %v: %s", err, body)
	}
	out := map[string]map[string]any{}
	for k, raw := range all {
		if k == "pool" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = v
	}
	return out
}
