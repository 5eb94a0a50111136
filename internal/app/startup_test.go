package app

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func TestStartupNamesTheSingleBackendSettingsAFileLeavesUnused(t *testing.T) {
	const unusedMsg = "LLM_CONFIG_FILE defines the backends: these single-backend settings are set but unused"
	const endpoint, key = "https://old-single.example", "sk-named-by-api-key-env-0123"
	single := []string{
		"AZURE_OPENAI_ENDPOINT", endpoint, "AZURE_OPENAI_API_KEY", key, "OPENAI_MODEL", "gpt-old",
		"LLM_PROVIDER", "openai", "AZURE_OPENAI_DEPLOYMENT_NAME", "", // empty: configures nothing
	}
	file := "models:\n  - name: m\n    backends:\n      - {name: a, provider: azure, endpoint: https://a.example, deployment: d, api_key_env: AZURE_OPENAI_API_KEY}\n"
	for _, withFile := range []bool{true, false} {
		isolate(t)
		for i := 0; i < len(single); i += 2 {
			t.Setenv(single[i], single[i+1])
		}
		if withFile {
			t.Setenv("LLM_CONFIG_FILE", writeLLMFile(t, file))
		}
		res, err := load(t)
		if err != nil {
			t.Fatal(err)
		}
		logs := &lockedBuffer{}
		logStartup(newLogger("INFO", "json", res.Config.logSecrets, logs), res)
		unused := logs.entries(unusedMsg)
		start := logs.entry("starting aoai-api")
		if !withFile {
			if len(unused) != 0 {
				t.Errorf("without a file: %v, want no such line", unused)
			}
			continue
		}
		// The key variable is named by api_key_env, so it is used; only
		// names are printed, never values.
		want := []string{"AZURE_OPENAI_ENDPOINT", "OPENAI_MODEL", "LLM_PROVIDER"}
		if len(unused) != 1 || unused[0]["level"] != "WARNING" || !slices.Equal(strs(unused[0]["unused"]), want) {
			t.Errorf("unused lines = %v, want one WARNING naming %v", unused, want)
		}
		if line, _ := json.Marshal(unused); bytes.Contains(line, []byte(endpoint)) || bytes.Contains(line, []byte("gpt-old")) || bytes.Contains(line, []byte(key)) {
			t.Errorf("a value reached the unused line: %s", line)
		}
		if start["missing"] != nil || start["azure_auth"] != nil || !slices.Equal(strs(start["models"]), []string{"m"}) || start["backends"] != 1.0 {
			t.Errorf("start line = %v, want the file's models, and nothing about the single backend's missing settings", start)
		}
	}
}
