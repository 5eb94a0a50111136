package app

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// isolate clears every setting (the list comes from Config itself) and
// ENV_FILE for this test only; t.Setenv restores them afterwards.
func isolate(t *testing.T) {
	t.Helper()
	for _, f := range configFields() {
		unsetenv(t, f.key)
	}
	unsetenv(t, envFileVar)
}

func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "") // registers the restore
	_ = os.Unsetenv(key)
}

// load resolves the config as Run does, from a fresh empty directory.
func load(t *testing.T) (Resolved, error) {
	t.Helper()
	return loadFrom(t, t.TempDir())
}

func loadFrom(t *testing.T, dir string) (Resolved, error) {
	t.Helper()
	return LoadConfig(dir)
}

func TestLoadConfigDefaults(t *testing.T) {
	isolate(t)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	if cfg.AzureAPIVersion != "2024-10-21" || cfg.LLMProvider != "azure" || cfg.Host != "127.0.0.1" ||
		cfg.Port != 5009 || cfg.UpstreamTimeout != 120*time.Second ||
		cfg.UpstreamMaxRetries != 3 || cfg.UpstreamMaxRetryWait != 30*time.Second ||
		cfg.StreamIdleTimeout != time.Minute || cfg.chatLimits() != (domain.ChatLimits{MaxChars: 16000, MaxMessages: 50, MaxTokensLimit: 4096}) || cfg.SystemPrompt == "" ||
		cfg.LogFile != "./logs/app.log" || cfg.LogPrompts {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.ShutdownDelay != 5*time.Second || cfg.ShutdownTimeout != 25*time.Second || cfg.MetricsPort != "" || len(cfg.TrustedProxies) != 0 {
		t.Errorf("drain and metrics defaults = %+v", cfg)
	}
	if _, got := cfg.missing(); !slices.Equal(got, []string{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT_NAME"}) {
		t.Errorf("missing = %v", got)
	}
	if cfg.StreamKeepAlive != 15*time.Second || cfg.UpstreamMaxEventSize != 1<<20 {
		t.Errorf("stream defaults: keep-alive %v, event bound %d", cfg.StreamKeepAlive, cfg.UpstreamMaxEventSize)
	}
	if cfg.AzureAuth != AuthKey || cfg.OpenAIBaseURL != "https://api.openai.com/v1" {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestLoadConfigRejectsBadValuesNamingTheVariable(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"PORT", "abc", `invalid PORT="abc"`},
		{"PORT", "70000", "invalid PORT=70000"},
		{"LLM_PROVIDER", "bedrock", `invalid LLM_PROVIDER="bedrock"`},
		{"UPSTREAM_TIMEOUT", "90", `invalid UPSTREAM_TIMEOUT="90": want a Go duration`},
		{"UPSTREAM_TIMEOUT", "-1s", "invalid UPSTREAM_TIMEOUT=-1s"},
		{"LOG_LEVEL", "loud", `invalid LOG_LEVEL="loud"`},
		{"LOG_FORMAT", "xml", `invalid LOG_FORMAT="xml"`},
		{"MAX_BODY_BYTES", "0", "invalid MAX_BODY_BYTES=0"},
		{"UPSTREAM_MAX_RETRIES", "-1", "invalid UPSTREAM_MAX_RETRIES=-1"},
		{"STREAM_IDLE_TIMEOUT", "0s", "invalid STREAM_IDLE_TIMEOUT=0s"},
		{"STREAM_KEEPALIVE_INTERVAL", "0s", "invalid STREAM_KEEPALIVE_INTERVAL=0s"},
		{"STREAM_KEEPALIVE_INTERVAL", "2h", "invalid STREAM_KEEPALIVE_INTERVAL=2h0m0s"},
		{"UPSTREAM_MAX_EVENT_BYTES", "1023", "invalid UPSTREAM_MAX_EVENT_BYTES=1023"},
		{"UPSTREAM_MAX_EVENT_BYTES", "67108865", "invalid UPSTREAM_MAX_EVENT_BYTES=67108865"},
		{"UPSTREAM_MAX_EVENT_BYTES", "-1", "invalid UPSTREAM_MAX_EVENT_BYTES=-1"},
		{"CHAT_ALLOW_SYSTEM", "maybe", `invalid CHAT_ALLOW_SYSTEM="maybe": want a boolean`},
		{"CHAT_MAX_MESSAGES", "0", "invalid CHAT_MAX_MESSAGES=0"},
		{"MAX_TOKENS_LIMIT", "0", "invalid MAX_TOKENS_LIMIT=0"},
		{"UPSTREAM_MAX_RETRY_WAIT", "-5s", "invalid UPSTREAM_MAX_RETRY_WAIT=-5s"},
		{"LOG_PROMPTS", "yes", `invalid LOG_PROMPTS="yes": want a boolean`},
		{"SHUTDOWN_DELAY", "-1s", "invalid SHUTDOWN_DELAY=-1s"},
		{"SHUTDOWN_TIMEOUT", "0s", "invalid SHUTDOWN_TIMEOUT=0s"},
		{"SHUTDOWN_TIMEOUT", "25", `invalid SHUTDOWN_TIMEOUT="25": want a Go duration`},
		{"METRICS_PORT", "metrics", `invalid METRICS_PORT="metrics"`},
		{"METRICS_PORT", "70000", `invalid METRICS_PORT="70000"`},
		{"METRICS_PORT", "5009", "invalid METRICS_PORT=5009: it must differ from PORT"},
		{"RATE_LIMIT_RPS", "-1", "invalid RATE_LIMIT_RPS=-1"},
		{"RATE_LIMIT_RPS", "fast", `invalid RATE_LIMIT_RPS="fast": want a number`},
		{"RATE_LIMIT_BURST", "0", "invalid RATE_LIMIT_BURST=0"},
		{"RATE_LIMIT_MAX_CALLERS", "0", "invalid RATE_LIMIT_MAX_CALLERS=0"},
		{"MAX_CONCURRENT_UPSTREAM", "-2", "invalid MAX_CONCURRENT_UPSTREAM=-2"},
		{"UPSTREAM_QUEUE_TIMEOUT", "-1s", "invalid UPSTREAM_QUEUE_TIMEOUT=-1s"},
		{"READ_HEADER_TIMEOUT", "0s", "invalid READ_HEADER_TIMEOUT=0s"},
		{"READ_TIMEOUT", "0s", "invalid READ_TIMEOUT=0s"},
		{"IDLE_TIMEOUT", "0s", "invalid IDLE_TIMEOUT=0s"},
		{"MAX_HEADER_BYTES", "100", "invalid MAX_HEADER_BYTES=100"},
		{"TRUSTED_PROXIES", "10.0.0.0/8,ingress", `invalid TRUSTED_PROXIES entry "ingress"`},
		{"CORS_ALLOWED_ORIGINS", "https://app.example/", `invalid CORS_ALLOWED_ORIGINS entry "https://app.example/"`},
		{"CORS_ALLOWED_ORIGINS", "app.example", `invalid CORS_ALLOWED_ORIGINS entry "app.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			isolate(t)
			t.Setenv(tt.key, tt.value)
			_, err := load(t)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line starting %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfigAcceptsPythonLogLevelsAndProviderCase(t *testing.T) {
	for _, lvl := range []string{"debug", "INFO", "Warning", "WARN", "error", "CRITICAL"} {
		isolate(t)
		t.Setenv("LOG_LEVEL", lvl)
		t.Setenv("LLM_PROVIDER", " Fake ")
		res, err := load(t)
		if err != nil || res.Config.LLMProvider != ProviderFake {
			t.Errorf("LOG_LEVEL=%s: cfg.LLMProvider=%q err=%v", lvl, res.Config.LLMProvider, err)
		}
	}
}

func TestAzureKeyFallsBackToV1(t *testing.T) {
	tests := []struct{ key, v1, want string }{
		{"primary", "secondary", "primary"},
		{"", "secondary", "secondary"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := (Config{AzureAPIKey: tt.key, AzureAPIKeyV1: tt.v1}).azureKey(); got != tt.want {
			t.Errorf("azureKey(%q, %q) = %q, want %q", tt.key, tt.v1, got, tt.want)
		}
	}
	cfg := Config{LLMProvider: ProviderAzure, AzureAuth: AuthKey, AzureEndpoint: "https://x", AzureAPIKeyV1: "k", AzureDeployment: "d"}
	if _, m := cfg.missing(); len(m) != 0 {
		t.Errorf("with the _V1 key set nothing is missing, got %v", m)
	}
}

func TestMissingDependsOnProviderAndAuth(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		what string
		want []string
	}{
		{"azure key", Config{LLMProvider: ProviderAzure, AzureAuth: AuthKey}, "Azure OpenAI configuration incomplete",
			[]string{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT_NAME"}},
		{"azure entra needs no key", Config{LLMProvider: ProviderAzure, AzureAuth: AuthEntra, AzureDeployment: "d"}, "Azure OpenAI configuration incomplete",
			[]string{"AZURE_OPENAI_ENDPOINT"}},
		{"openai", Config{LLMProvider: ProviderOpenAI, OpenAIBaseURL: "http://localhost:8000/v1"}, "OpenAI-compatible configuration incomplete",
			[]string{"OPENAI_MODEL"}},
		{"openai without a key is complete", Config{LLMProvider: ProviderOpenAI, OpenAIBaseURL: "http://x/v1", OpenAIModel: "llama3"}, "OpenAI-compatible configuration incomplete", nil},
		{"fake needs nothing", Config{LLMProvider: ProviderFake}, "", nil},
	}
	for _, tt := range tests {
		what, got := tt.cfg.missing()
		if what != tt.what || !slices.Equal(got, tt.want) {
			t.Errorf("%s: missing() = %q %v, want %q %v", tt.name, what, got, tt.what, tt.want)
		}
	}
}

func TestLoadConfigRejectsUnknownAuthMode(t *testing.T) {
	isolate(t)
	t.Setenv("AZURE_OPENAI_AUTH", "password")
	if _, err := load(t); err == nil || !strings.Contains(err.Error(), "AZURE_OPENAI_AUTH") {
		t.Errorf("err = %v", err)
	}
}
