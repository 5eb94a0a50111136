package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// Config is the one place that lists every setting; names match the
// reference's environment variables.
type Config struct {
	AzureEndpoint        string        `envconfig:"AZURE_OPENAI_ENDPOINT"`
	AzureAPIKey          string        `envconfig:"AZURE_OPENAI_API_KEY" secret:"true"`
	AzureAPIKeyV1        string        `envconfig:"AZURE_OPENAI_API_KEY_V1" secret:"true"`
	AzureDeployment      string        `envconfig:"AZURE_OPENAI_DEPLOYMENT_NAME"`
	AzureAPIVersion      string        `envconfig:"AZURE_OPENAI_API_VERSION" default:"2024-10-21"`
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
}

// Providers that LLM_PROVIDER may name.
const (
	ProviderAzure = "azure"
	ProviderFake  = "fake"
)

// LoadConfig reads the process environment and rejects values the
// service cannot run with, naming the variable in one line.
func LoadConfig() (Config, error) {
	var cfg Config
	if err := envconfig.Process("", &cfg); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return cfg, fmt.Errorf("invalid %s=%q: want a %s", pe.KeyName, pe.Value, typeHint(pe.TypeName))
		}
		return cfg, err
	}
	return cfg, cfg.validate()
}

func typeHint(typeName string) string {
	switch typeName {
	case "time.Duration":
		return "Go duration such as 90s or 2m"
	case "int", "int64":
		return "whole number"
	case "bool":
		return "boolean (true or false)"
	}
	return typeName
}

func (c *Config) validate() error {
	c.LLMProvider = strings.ToLower(strings.TrimSpace(c.LLMProvider))
	switch {
	case c.LLMProvider != ProviderAzure && c.LLMProvider != ProviderFake:
		return fmt.Errorf("invalid LLM_PROVIDER=%q: want azure or fake", c.LLMProvider)
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
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if _, err := parseFormat(c.LogFormat); err != nil {
		return err
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

// missingAzure names the variables the azure provider still needs.
func (c Config) missingAzure() []string {
	var missing []string
	if strings.TrimSpace(c.AzureEndpoint) == "" {
		missing = append(missing, "AZURE_OPENAI_ENDPOINT")
	}
	if c.azureKey() == "" {
		missing = append(missing, "AZURE_OPENAI_API_KEY")
	}
	if strings.TrimSpace(c.AzureDeployment) == "" {
		missing = append(missing, "AZURE_OPENAI_DEPLOYMENT_NAME")
	}
	return missing
}

func (c Config) chatLimits() domain.ChatLimits {
	return domain.ChatLimits{
		MaxChars: c.ChatMaxChars, MaxMessages: c.ChatMaxMessages,
		MaxTokensLimit: c.MaxTokensLimit, AllowSystem: c.ChatAllowSystem,
	}
}
