package app

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"reflect"
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
	StreamKeepAlive      time.Duration `envconfig:"STREAM_KEEPALIVE_INTERVAL" default:"15s"`    // comments before a stream's first token
	UpstreamMaxEventSize int           `envconfig:"UPSTREAM_MAX_EVENT_BYTES" default:"1048576"` // one upstream stream event's data
	FakeStreamDelay      time.Duration `envconfig:"FAKE_STREAM_DELAY" default:"40ms"`
	ChatAllowSystem      bool          `envconfig:"CHAT_ALLOW_SYSTEM" default:"false"`
	OpenAIAllowSystem    bool          `envconfig:"OPENAI_COMPAT_ALLOW_SYSTEM" default:"true"` // SDKs send system and developer turns
	OpenAIMaxN           int           `envconfig:"OPENAI_COMPAT_MAX_N" default:"4"`
	ChatMaxChars         int           `envconfig:"CHAT_MAX_CHARS" default:"16000"`
	ChatMaxMessages      int           `envconfig:"CHAT_MAX_MESSAGES" default:"50"`
	ChatUI               bool          `envconfig:"CHAT_UI" default:"true"` // the chat page at /chat/
	MaxTokensLimit       int           `envconfig:"MAX_TOKENS_LIMIT" default:"4096"`
	MaxBodyBytes         int64         `envconfig:"MAX_BODY_BYTES" default:"262144"`
	LogLevel             string        `envconfig:"LOG_LEVEL" default:"INFO"`
	LogFormat            string        `envconfig:"LOG_FORMAT" default:"text"`
	LogFile              string        `envconfig:"LOG_FILE" default:"./logs/app.log"` // set empty for stdout only
	LogPrompts           bool          `envconfig:"LOG_PROMPTS" default:"false"`       // prompt and response text at DEBUG
	ShutdownDelay        time.Duration `envconfig:"SHUTDOWN_DELAY" default:"5s"`       // after SIGTERM, keep accepting while endpoints drop the pod
	ShutdownTimeout      time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s"`    // then wait this long for in-flight requests and streams
	MetricsPort          string        `envconfig:"METRICS_PORT"`                      // empty: /metrics on PORT; else its own listener

	// Backend pools; docs/pools.md explains them.
	LLMConfigFile          string        `envconfig:"LLM_CONFIG_FILE"`                       // the models and their backends; empty = one backend from the settings above
	LLMConfigPollInterval  time.Duration `envconfig:"LLM_CONFIG_POLL_INTERVAL" default:"5s"` // how often the file is checked for a change
	UpstreamAttemptTimeout time.Duration `envconfig:"UPSTREAM_ATTEMPT_TIMEOUT" default:"0s"` // one attempt's wait for response headers; 0 = none
	BackendCooldown        time.Duration `envconfig:"BACKEND_COOLDOWN" default:"5s"`         // a throttle that names no wait
	BackendCooldownMax     time.Duration `envconfig:"BACKEND_COOLDOWN_MAX" default:"60s"`
	BackendEjectFailures   int           `envconfig:"BACKEND_EJECT_FAILURES" default:"5"`
	BackendEjectBase       time.Duration `envconfig:"BACKEND_EJECT_BASE" default:"10s"`
	BackendEjectMax        time.Duration `envconfig:"BACKEND_EJECT_MAX" default:"5m"`

	// Hardening; config_security.go validates these and README's
	// Security section explains them.
	APIKeys               []string      `envconfig:"API_KEYS" secret:"true"`      // inbound keys, comma-separated
	APIKeysFile           string        `envconfig:"API_KEYS_FILE" secret:"true"` // one inbound key per line
	RateLimitRPS          float64       `envconfig:"RATE_LIMIT_RPS" default:"0"`  // per caller; 0 = off
	RateLimitBurst        int           `envconfig:"RATE_LIMIT_BURST" default:"10"`
	RateLimitMaxCallers   int           `envconfig:"RATE_LIMIT_MAX_CALLERS" default:"10000"`
	AuthFailuresPerMinute int           `envconfig:"AUTH_FAILURES_PER_MINUTE" default:"20"`
	TrustedProxies        []string      `envconfig:"TRUSTED_PROXIES"`                     // CIDRs whose X-Forwarded-For is believed
	CORSAllowedOrigins    []string      `envconfig:"CORS_ALLOWED_ORIGINS"`                // empty = no CORS
	MaxConcurrentUpstream int           `envconfig:"MAX_CONCURRENT_UPSTREAM" default:"0"` // 0 = unlimited
	UpstreamQueueTimeout  time.Duration `envconfig:"UPSTREAM_QUEUE_TIMEOUT" default:"2s"`
	ReadHeaderTimeout     time.Duration `envconfig:"READ_HEADER_TIMEOUT" default:"10s"`
	ReadTimeout           time.Duration `envconfig:"READ_TIMEOUT" default:"30s"`
	IdleTimeout           time.Duration `envconfig:"IDLE_TIMEOUT" default:"120s"`
	MaxHeaderBytes        int           `envconfig:"MAX_HEADER_BYTES" default:"65536"`

	// What one client connection may hold; README's Security section
	// explains them.
	WriteTimeout           time.Duration `envconfig:"WRITE_TIMEOUT" default:"30s"`           // per response from its first byte; per stream event
	MaxConcurrentPerCaller int           `envconfig:"MAX_CONCURRENT_PER_CALLER" default:"0"` // model calls in flight per caller; 0 = no bound

	// Limits and the usage ledger; config_limits.go validates these and
	// docs/limits.md explains them.
	RedisURL           string        `envconfig:"REDIS_URL"`                           // empty = limits in the process
	RedisPassword      string        `envconfig:"REDIS_PASSWORD" secret:"true"`        // when not in the URL
	RedisTimeout       time.Duration `envconfig:"REDIS_TIMEOUT" default:"50ms"`        // each Redis call
	LimitsStoreFailure string        `envconfig:"LIMITS_STORE_FAILURE" default:"open"` // open or closed
	TokenRateLimitTPM  int           `envconfig:"TOKEN_RATE_LIMIT_TPM" default:"0"`    // per caller; 0 = off
	TokenQuota         int           `envconfig:"TOKEN_QUOTA" default:"0"`             // per caller per period; 0 = off
	TokenQuotaPeriod   string        `envconfig:"TOKEN_QUOTA_PERIOD" default:"day"`    // day or month, UTC
	AdminAPIKeys       []string      `envconfig:"ADMIN_API_KEYS" secret:"true"`        // keys for GET /api/usage/callers
	APIKeyLimitsFile   string        `envconfig:"API_KEY_LIMITS_FILE"`                 // YAML: inbound keys by id, with their own limits

	// Tracing, under the OpenTelemetry SDK's own names; tracing_config.go
	// validates these and docs/operations.md#tracing explains them. With
	// no endpoint, tracing is off.
	OTelEndpoint       string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT"`        // http/protobuf: /v1/traces is appended
	OTelTracesEndpoint string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"` // used as it is; wins over the one above
	OTelProtocol       string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL" default:"http/protobuf"`
	OTelHeaders        string `envconfig:"OTEL_EXPORTER_OTLP_HEADERS" secret:"true"`        // key=value,… often a collector's token
	OTelTracesHeaders  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_HEADERS" secret:"true"` // replaces the one above when set
	OTelServiceName    string `envconfig:"OTEL_SERVICE_NAME" default:"aoai-api"`
	OTelResourceAttrs  string `envconfig:"OTEL_RESOURCE_ATTRIBUTES"`
	OTelSampler        string `envconfig:"OTEL_TRACES_SAMPLER" default:"parentbased_always_on"`
	OTelSamplerArg     string `envconfig:"OTEL_TRACES_SAMPLER_ARG"` // the ratio of the traceidratio samplers
	OTelSDKDisabled    bool   `envconfig:"OTEL_SDK_DISABLED" default:"false"`
	OTelMaxQueueSize   int    `envconfig:"OTEL_BSP_MAX_QUEUE_SIZE" default:"2048"` // ours too: the drop counter must know it

	// inboundKeyDigests are the SHA-256 digests of API_KEYS and the lines
	// of API_KEYS_FILE, read once by LoadConfig. Not a setting: unexported
	// fields are skipped by envconfig and by the source report.
	inboundKeyDigests [][sha256.Size]byte
	adminKeyDigests   [][sha256.Size]byte // ADMIN_API_KEYS, also inbound keys when those are on
	keyLimits         []keyLimits         // API_KEY_LIMITS_FILE's keys, read by LoadConfig
	// logSecrets are the values the logger redacts (secret settings,
	// inbound keys, credentials in URLs). A pointer, so that printing a
	// Config shows an address rather than the keys.
	logSecrets *secretValues
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
	Models   []llmModel
	// lookup reads a variable as the settings are read: the environment,
	// then the .env file. api_key_env names are resolved through it.
	lookup func(string) (string, bool)
	// fileVersion is the LLM_CONFIG_FILE content the models came from.
	fileVersion fileVersion
}

// LoadConfig resolves each key from the process environment, then the
// .env file found from dir, then Config's defaults, and rejects values
// the service cannot run with in one line naming the variable. It writes
// nothing: envconfig reads the environment and the defaults, and the
// file's values are decoded into the fields the environment left alone,
// by envconfig's own rules (decodeSetting).
func LoadConfig(dir string) (Resolved, error) {
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
	var cfg Config
	if err := envconfig.Process("", &cfg); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return Resolved{}, invalidValue(pe.KeyName, pe.Value, pe.TypeName)
		}
		return Resolved{}, err
	}
	inEnv := make(map[string]bool)
	v := reflect.ValueOf(&cfg).Elem()
	for _, f := range configFields() {
		_, inEnv[f.key] = os.LookupEnv(f.key)
		raw, inFile := file[f.key]
		if inEnv[f.key] || !inFile {
			continue // exported values win; the default stays where neither has the key
		}
		if err := decodeSetting(v.Field(f.index), raw); err != nil {
			return Resolved{}, invalidValue(f.key, raw, typeName(v.Field(f.index).Type()))
		}
	}
	if err := cfg.validate(); err != nil {
		return Resolved{}, err
	}
	if err := cfg.loadInboundKeys(); err != nil {
		return Resolved{}, err
	}
	cfg.logSecrets.add(cfg.tracingSecrets()...)
	res := Resolved{Config: cfg, Settings: settingsOf(cfg, inEnv, file), EnvFile: path, lookup: func(k string) (string, bool) {
		if v, ok := os.LookupEnv(k); ok {
			return v, true
		}
		v, ok := file[k]
		return v, ok
	}}
	if err := res.loadKeyLimits(); err != nil {
		return Resolved{}, err
	}
	if res.Models, res.fileVersion, err = res.readModels(); err != nil {
		return Resolved{}, err
	}
	return res, nil
}

// readModels reads LLM_CONFIG_FILE, or defines the one model of the
// single-backend settings, and teaches the logger every backend key. The
// version is what the reloader compares the file with later.
func (res Resolved) readModels() ([]llmModel, fileVersion, error) {
	if res.Config.LLMConfigFile == "" {
		return envModels(res.Config), fileVersion{}, nil
	}
	src, err := os.ReadFile(res.Config.LLMConfigFile)
	if err != nil {
		return nil, fileVersion{}, fileError(err)
	}
	models, err := res.parseModels(src)
	return models, versionOf(src, nil), err
}

// parseModels validates the file's content and teaches the logger the
// keys of its backends before any of them can be used.
func (res Resolved) parseModels(src []byte) ([]llmModel, error) {
	f, err := parseLLMFile(res.Config.LLMConfigFile, src, res.lookup)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, m := range f.Models {
		for _, b := range m.Backends {
			keys = append(keys, b.apiKey)
		}
	}
	res.Config.logSecrets.add(keys...)
	return f.Models, nil
}

func invalidValue(key, value, typeName string) error {
	return fmt.Errorf("invalid %s=%q: want a %s", key, value, typeHint(typeName))
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
	if err := c.validateRanges(); err != nil {
		return err
	}
	switch {
	case c.LLMProvider != ProviderAzure && c.LLMProvider != ProviderOpenAI && c.LLMProvider != ProviderFake:
		return fmt.Errorf("invalid LLM_PROVIDER=%q: want azure, openai or fake", c.LLMProvider)
	case c.AzureAuth != AuthKey && c.AzureAuth != AuthEntra:
		return fmt.Errorf("invalid AZURE_OPENAI_AUTH=%q: want key or entra", c.AzureAuth)
	}
	if err := c.validateMetricsPort(); err != nil {
		return err
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	if err := c.validateTracing(); err != nil {
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

// openAILimits are /v1's: the same bounds, with the turns and choices
// OpenAI's clients send.
func (c Config) openAILimits() domain.ChatLimits {
	l := c.chatLimits()
	l.AllowSystem, l.AllowTools, l.MaxN = c.OpenAIAllowSystem, true, c.OpenAIMaxN
	return l
}
