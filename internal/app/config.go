package app

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// Config is the one place that lists every setting; names match the
// reference's environment variables. Tags drive everything else: default
// values, the source report, and secret:"true" for values that must only
// ever be shown as set or not set.
type Config struct {
	AzureEndpoint        string        `envconfig:"AZURE_OPENAI_ENDPOINT"`
	AzureAPIKey          string        `envconfig:"AZURE_OPENAI_API_KEY" secret:"true"`
	AzureAPIKeyV1        string        `envconfig:"AZURE_OPENAI_API_KEY_V1" secret:"true"`
	AzureDeployment      string        `envconfig:"AZURE_OPENAI_DEPLOYMENT_NAME"`
	AzureAPIVersion      string        `envconfig:"AZURE_OPENAI_API_VERSION" default:"2024-10-21"` // or v1
	AzureAuth            string        `envconfig:"AZURE_OPENAI_AUTH" default:"key"`               // key or entra
	OpenAIBaseURL        string        `envconfig:"OPENAI_BASE_URL" default:"https://api.openai.com/v1"`
	OpenAIAPIKey         string        `envconfig:"OPENAI_API_KEY" secret:"true"`
	OpenAIModel          string        `envconfig:"OPENAI_MODEL"`
	OpenAICompatModels   []string      `envconfig:"OPENAI_COMPAT_MODELS"` // what /v1 accepts as "model"; default: the deployment or model
	LLMProvider          string        `envconfig:"LLM_PROVIDER" default:"azure"`
	Host                 string        `envconfig:"HOST" default:"127.0.0.1"`
	Port                 int           `envconfig:"PORT" default:"5009"`
	SystemPrompt         string        `envconfig:"SYSTEM_PROMPT" default:"You are a helpful assistant."`
	UpstreamTimeout      time.Duration `envconfig:"UPSTREAM_TIMEOUT" default:"120s"`
	UpstreamMaxRetries   int           `envconfig:"UPSTREAM_MAX_RETRIES" default:"3"`
	UpstreamMaxRetryWait time.Duration `envconfig:"UPSTREAM_MAX_RETRY_WAIT" default:"30s"`
	StreamIdleTimeout    time.Duration `envconfig:"STREAM_IDLE_TIMEOUT" default:"60s"`
	FakeStreamDelay      time.Duration `envconfig:"FAKE_STREAM_DELAY" default:"40ms"`
	ChatAllowSystem      bool          `envconfig:"CHAT_ALLOW_SYSTEM" default:"false"`
	ChatMaxChars         int           `envconfig:"CHAT_MAX_CHARS" default:"16000"`
	ChatMaxMessages      int           `envconfig:"CHAT_MAX_MESSAGES" default:"50"`
	MaxTokensLimit       int           `envconfig:"MAX_TOKENS_LIMIT" default:"4096"`
	MaxBodyBytes         int64         `envconfig:"MAX_BODY_BYTES" default:"262144"`
	LogLevel             string        `envconfig:"LOG_LEVEL" default:"INFO"`
	LogFormat            string        `envconfig:"LOG_FORMAT" default:"text"`
	LogFile              string        `envconfig:"LOG_FILE" default:"./logs/app.log"` // set empty for stdout only
	LogPrompts           bool          `envconfig:"LOG_PROMPTS" default:"false"`       // prompt and response text at DEBUG
	ShutdownDelay        time.Duration `envconfig:"SHUTDOWN_DELAY" default:"5s"`       // after SIGTERM, keep accepting while endpoints drop the pod
	ShutdownTimeout      time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s"`    // then wait this long for in-flight requests and streams
	MetricsPort          string        `envconfig:"METRICS_PORT"`                      // empty: /metrics on PORT; else its own listener

	// Hardening; config_security.go validates these and README's
	// Security section explains them.
	APIKeys               []string      `envconfig:"API_KEYS" secret:"true"`      // inbound keys, comma-separated
	APIKeysFile           string        `envconfig:"API_KEYS_FILE" secret:"true"` // one inbound key per line
	RateLimitRPS          float64       `envconfig:"RATE_LIMIT_RPS" default:"0"`  // per caller; 0 = off
	RateLimitBurst        int           `envconfig:"RATE_LIMIT_BURST" default:"10"`
	RateLimitMaxCallers   int           `envconfig:"RATE_LIMIT_MAX_CALLERS" default:"10000"`
	TrustedProxies        []string      `envconfig:"TRUSTED_PROXIES"`                     // CIDRs whose X-Forwarded-For is believed
	CORSAllowedOrigins    []string      `envconfig:"CORS_ALLOWED_ORIGINS"`                // empty = no CORS
	MaxConcurrentUpstream int           `envconfig:"MAX_CONCURRENT_UPSTREAM" default:"0"` // 0 = unlimited
	UpstreamQueueTimeout  time.Duration `envconfig:"UPSTREAM_QUEUE_TIMEOUT" default:"2s"`
	ReadHeaderTimeout     time.Duration `envconfig:"READ_HEADER_TIMEOUT" default:"10s"`
	ReadTimeout           time.Duration `envconfig:"READ_TIMEOUT" default:"30s"`
	IdleTimeout           time.Duration `envconfig:"IDLE_TIMEOUT" default:"120s"`
	MaxHeaderBytes        int           `envconfig:"MAX_HEADER_BYTES" default:"65536"`
	DebugEndpoints        bool          `envconfig:"DEBUG_ENDPOINTS" default:"false"` // tests only

	// What one client connection may hold; README's Security section
	// explains them.
	WriteTimeout           time.Duration `envconfig:"WRITE_TIMEOUT" default:"30s"`           // per response from its first byte; per stream event
	MaxConcurrentPerCaller int           `envconfig:"MAX_CONCURRENT_PER_CALLER" default:"0"` // model calls in flight per caller; 0 = no bound

	// inboundKeyDigests are the SHA-256 digests of API_KEYS and the lines
	// of API_KEYS_FILE, read once by LoadConfig. Not a setting: unexported
	// fields are skipped by envconfig and by the source report.
	inboundKeyDigests [][sha256.Size]byte
}

// Providers that LLM_PROVIDER may name.
const (
	ProviderAzure  = "azure"
	ProviderOpenAI = "openai"
	ProviderFake   = "fake"
)

// Azure authentication modes that AZURE_OPENAI_AUTH may name.
const (
	AuthKey   = "key"
	AuthEntra = "entra"
)

// Resolved is the effective configuration and where each key came from.
type Resolved struct {
	Config   Config
	Settings []Setting // one per Config field, in declaration order
	EnvFile  string    // the .env file read; "" when none was found
}

// LoadProcessConfig resolves the settings of this process, searching for
// .env from the working directory.
func LoadProcessConfig() (Resolved, error) {
	dir, err := os.Getwd()
	if err != nil {
		return Resolved{}, fmt.Errorf("working directory: %w", err)
	}
	return LoadConfig(dir, os.Setenv)
}

// LoadConfig resolves each key from the exported environment, then the
// .env file found from dir, then Config's defaults, and rejects values
// the service cannot run with in one line naming the variable. envconfig
// reads only the process environment, so file values the environment
// lacks are exported through setenv first; tests pass t.Setenv so that
// nothing outlives them.
func LoadConfig(dir string, setenv func(key, value string) error) (Resolved, error) {
	path, err := findEnvFile(dir)
	if err != nil {
		return Resolved{}, err
	}
	var file map[string]string
	if path != "" {
		if file, err = readEnvFile(path); err != nil {
			return Resolved{}, err
		}
	}
	inEnv := make(map[string]bool)
	for _, f := range configFields() {
		_, inEnv[f.key] = os.LookupEnv(f.key) // the snapshot before the file lands
	}
	for k, v := range file {
		if _, ok := os.LookupEnv(k); ok {
			continue // exported values win
		}
		if err := setenv(k, v); err != nil {
			return Resolved{}, fmt.Errorf("env file %s: cannot export %q: %w", path, k, err)
		}
	}
	var cfg Config
	if err := envconfig.Process("", &cfg); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return Resolved{}, fmt.Errorf("invalid %s=%q: want a %s", pe.KeyName, pe.Value, typeHint(pe.TypeName))
		}
		return Resolved{}, err
	}
	if err := cfg.validate(); err != nil {
		return Resolved{}, err
	}
	if err := cfg.loadInboundKeys(); err != nil {
		return Resolved{}, err
	}
	return Resolved{Config: cfg, Settings: settingsOf(cfg, inEnv, file), EnvFile: path}, nil
}

func typeHint(typeName string) string {
	switch typeName {
	case "time.Duration":
		return "Go duration such as 90s or 2m"
	case "int", "int64":
		return "whole number"
	case "bool":
		return "boolean such as true or false"
	case "float64":
		return "number such as 2 or 0.5"
	}
	return typeName
}

func (c *Config) validate() error {
	c.LLMProvider = strings.ToLower(strings.TrimSpace(c.LLMProvider))
	c.AzureAuth = strings.ToLower(strings.TrimSpace(c.AzureAuth))
	switch {
	case c.LLMProvider != ProviderAzure && c.LLMProvider != ProviderOpenAI && c.LLMProvider != ProviderFake:
		return fmt.Errorf("invalid LLM_PROVIDER=%q: want azure, openai or fake", c.LLMProvider)
	case c.AzureAuth != AuthKey && c.AzureAuth != AuthEntra:
		return fmt.Errorf("invalid AZURE_OPENAI_AUTH=%q: want key or entra", c.AzureAuth)
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("invalid PORT=%d: want 0-65535", c.Port)
	case c.UpstreamTimeout <= 0:
		return fmt.Errorf("invalid UPSTREAM_TIMEOUT=%s: want a positive duration", c.UpstreamTimeout)
	case c.UpstreamMaxRetries < 0 || c.UpstreamMaxRetries > 10:
		return fmt.Errorf("invalid UPSTREAM_MAX_RETRIES=%d: want 0-10", c.UpstreamMaxRetries)
	case c.UpstreamMaxRetryWait < 0:
		return fmt.Errorf("invalid UPSTREAM_MAX_RETRY_WAIT=%s: want a duration of zero or more", c.UpstreamMaxRetryWait)
	case c.StreamIdleTimeout <= 0:
		return fmt.Errorf("invalid STREAM_IDLE_TIMEOUT=%s: want a positive duration", c.StreamIdleTimeout)
	case c.FakeStreamDelay < 0:
		return fmt.Errorf("invalid FAKE_STREAM_DELAY=%s: want a duration of zero or more", c.FakeStreamDelay)
	case c.ChatMaxChars < 1:
		return fmt.Errorf("invalid CHAT_MAX_CHARS=%d: want 1 or more", c.ChatMaxChars)
	case c.ChatMaxMessages < 1:
		return fmt.Errorf("invalid CHAT_MAX_MESSAGES=%d: want 1 or more", c.ChatMaxMessages)
	case c.MaxTokensLimit < 1:
		return fmt.Errorf("invalid MAX_TOKENS_LIMIT=%d: want 1 or more", c.MaxTokensLimit)
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("invalid MAX_BODY_BYTES=%d: want a positive size", c.MaxBodyBytes)
	case c.ShutdownDelay < 0:
		return fmt.Errorf("invalid SHUTDOWN_DELAY=%s: want a duration of zero or more", c.ShutdownDelay)
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("invalid SHUTDOWN_TIMEOUT=%s: want a positive duration", c.ShutdownTimeout)
	}
	if err := c.validateMetricsPort(); err != nil {
		return err
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if _, err := parseFormat(c.LogFormat); err != nil {
		return err
	}
	return nil
}

// validateMetricsPort allows empty (metrics on PORT) or a port other
// than PORT; 0 picks a free one, as PORT=0 does.
func (c *Config) validateMetricsPort() error {
	c.MetricsPort = strings.TrimSpace(c.MetricsPort)
	if c.MetricsPort == "" {
		return nil
	}
	p, err := strconv.Atoi(c.MetricsPort)
	switch {
	case err != nil || p < 0 || p > 65535:
		return fmt.Errorf("invalid METRICS_PORT=%q: want a port 0-65535, or empty to serve /metrics on PORT", c.MetricsPort)
	case p != 0 && p == c.Port:
		return fmt.Errorf("invalid METRICS_PORT=%d: it must differ from PORT, or be empty to share it", p)
	}
	return nil
}

// azureKey applies the reference's fallback to the _V1 duplicate.
func (c Config) azureKey() string {
	if c.AzureAPIKey != "" {
		return c.AzureAPIKey
	}
	return c.AzureAPIKeyV1
}

// missing names the settings the selected provider still needs, and
// how to say so; the service still starts without them.
func (c Config) missing() (what string, keys []string) {
	blank := func(v string) bool { return strings.TrimSpace(v) == "" }
	switch c.LLMProvider {
	case ProviderOpenAI:
		if blank(c.OpenAIBaseURL) {
			keys = append(keys, "OPENAI_BASE_URL")
		}
		if blank(c.OpenAIModel) {
			keys = append(keys, "OPENAI_MODEL")
		}
		return "OpenAI-compatible configuration incomplete", keys
	case ProviderAzure:
		if blank(c.AzureEndpoint) {
			keys = append(keys, "AZURE_OPENAI_ENDPOINT")
		}
		if c.AzureAuth == AuthKey && c.azureKey() == "" {
			keys = append(keys, "AZURE_OPENAI_API_KEY")
		}
		if blank(c.AzureDeployment) {
			keys = append(keys, "AZURE_OPENAI_DEPLOYMENT_NAME")
		}
		return "Azure OpenAI configuration incomplete", keys
	}
	return "", nil
}

func (c Config) chatLimits() domain.ChatLimits {
	return domain.ChatLimits{
		MaxChars: c.ChatMaxChars, MaxMessages: c.ChatMaxMessages,
		MaxTokensLimit: c.MaxTokensLimit, AllowSystem: c.ChatAllowSystem,
	}
}
