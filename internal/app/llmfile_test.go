package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodLLMFile = `models:
  - name: gpt-4o  # the first model serves /api
    backends:
      - name: eastus-ptu
        provider: azure
        endpoint: https://eastus.openai.azure.com
        deployment: gpt-4o
        api_key_env: AOAI_EASTUS_KEY
        priority: 1
        weight: 3
      - name: sweden-paygo
        provider: azure
        endpoint: https://sweden.openai.azure.com
        deployment: gpt-4o
        api_version: v1
        auth: entra
        priority: 2
  - name: gpt-4o-mini
    backends:
      - name: local-vllm
        provider: openai
        base_url: http://vllm.ml.svc:8000/v1
        model: Qwen/Qwen2.5-7B-Instruct
      - name: offline
        provider: fake
`

func lookupFrom(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func writeLLMFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pool.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadLLMFile(t *testing.T) {
	f, err := readLLMFile(writeLLMFile(t, goodLLMFile), lookupFrom(map[string]string{"AOAI_EASTUS_KEY": "k-east"}))
	if err != nil {
		t.Fatal(err)
	}
	east, sweden, vllm := f.Models[0].Backends[0], f.Models[0].Backends[1], f.Models[1].Backends[0]
	switch {
	case len(f.Models) != 2 || f.Models[1].Name != "gpt-4o-mini":
		t.Errorf("models = %+v", f.Models)
	case east.apiKey != "k-east" || east.priority() != 1 || east.weight() != 3 || east.APIVersion != "2024-10-21" || east.Auth != AuthKey:
		t.Errorf("east = %+v, want its key resolved and the defaults applied", east)
	case sweden.apiKey != "" || sweden.Auth != AuthEntra || sweden.priority() != 2 || sweden.weight() != 1:
		t.Errorf("sweden = %+v", sweden)
	case vllm.BaseURL != "http://vllm.ml.svc:8000/v1" || vllm.priority() != 1:
		t.Errorf("vllm = %+v", vllm)
	}
}

func TestReadLLMFileNamesTheLineAndField(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodLLMFile, old, new, 1) }
	tests := []struct {
		name, body string
		want       string
	}{
		{"unknown key", replace("        weight: 3\n", "        wieght: 3\n"), `line 10: unknown field "wieght"`},
		{"duplicate backend", replace("name: sweden-paygo", "name: eastus-ptu"), "line 11: models[0].backends[1].name: \"eastus-ptu\" names a backend twice"},
		{"duplicate model", replace("name: gpt-4o-mini", "name: gpt-4o"), "line 18: models[1].name: \"gpt-4o\" names a model twice"},
		{"missing provider", replace("        provider: openai\n", ""), "line 20: models[1].backends[0].provider: is required"},
		{"unknown provider", replace("provider: openai", "provider: bedrock"), "line 21: models[1].backends[0].provider: \"bedrock\""},
		{"missing endpoint", replace("        endpoint: https://eastus.openai.azure.com\n", ""), "line 4: models[0].backends[0].endpoint: is required for provider azure"},
		{"unset key variable", replace("AOAI_EASTUS_KEY", "AOAI_NOWHERE"), "line 8: models[0].backends[0].api_key_env: names AOAI_NOWHERE, which is not set"},
		{"weight out of range", replace("weight: 3", "weight: 1001"), "line 10: models[0].backends[0].weight: 1001 is out of range: want 1-1000"},
		{"priority out of range", replace("priority: 2", "priority: 0"), "line 17: models[0].backends[1].priority: 0 is out of range: want 1-100"},
		{"field of another provider", replace("        model: Qwen/Qwen2.5-7B-Instruct\n", "        model: Qwen/Qwen2.5-7B-Instruct\n        deployment: x\n"), "models[1].backends[0].deployment: does not apply to provider openai"},
		{"no models", "models: []\n", "models: want at least one model"},
		{"not YAML", "models: [\n", "LLM_CONFIG_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeLLMFile(t, tt.body)
			_, err := readLLMFile(p, lookupFrom(map[string]string{"AOAI_EASTUS_KEY": "k"}))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v\nwant it to name %s and contain %q", err, p, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the message must be one line: %q", err)
			}
		})
	}
}
