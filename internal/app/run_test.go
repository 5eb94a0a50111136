package app

import (
	"slices"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

func TestReadinessNamesProviderAuthAndMissingKeys(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		auth        string
		problem     bool
		wantMissing []string
	}{
		{"azure key, incomplete", Config{LLMProvider: ProviderAzure, AzureAuth: AuthKey, AzureEndpoint: "https://x"}, "key", true,
			[]string{"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT_NAME"}},
		{"azure key, complete", Config{LLMProvider: ProviderAzure, AzureAuth: AuthKey, AzureEndpoint: "https://x", AzureAPIKeyV1: "k", AzureDeployment: "d"}, "key", false, nil},
		{"azure entra needs no key", Config{LLMProvider: ProviderAzure, AzureAuth: AuthEntra, AzureEndpoint: "https://x", AzureDeployment: "d"}, "entra", false, nil},
		{"openai with a key", Config{LLMProvider: ProviderOpenAI, OpenAIBaseURL: "http://127.0.0.1:1/v1", OpenAIModel: "m", OpenAIAPIKey: "k"}, "key", false, nil},
		{"openai without model", Config{LLMProvider: ProviderOpenAI, OpenAIBaseURL: "http://127.0.0.1:1/v1"}, "none", true, []string{"OPENAI_MODEL"}},
		{"fake", Config{LLMProvider: ProviderFake}, "none", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readiness(tt.cfg)
			if r.Provider != tt.cfg.LLMProvider || r.Auth != tt.auth {
				t.Errorf("provider, auth = %q, %q; want %q, %q", r.Provider, r.Auth, tt.cfg.LLMProvider, tt.auth)
			}
			if (r.Problem != "") != tt.problem || !slices.Equal(r.Missing, tt.wantMissing) {
				t.Errorf("problem %q, missing %v; want problem=%v, missing %v", r.Problem, r.Missing, tt.problem, tt.wantMissing)
			}
		})
	}
}

func mustMetrics(t *testing.T) *metrics.Metrics {
	t.Helper()
	m, _, err := newMetrics()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
