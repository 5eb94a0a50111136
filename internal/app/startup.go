package app

import (
	"strings"

	"github.com/rs/zerolog"
)

// logStartup prints the effective configuration with each key's source,
// so an operator sees at once which of env, .env or a default won.
// Secrets appear only as set or not set.
func logStartup(log zerolog.Logger, res Resolved) {
	cfg := res.Config
	config := zerolog.Dict()
	for _, s := range res.Settings {
		entry := zerolog.Dict().Str("source", string(s.Source))
		switch {
		case s.Secret:
			entry = entry.Bool("set", s.Set)
		case s.Source != SourceAbsent:
			entry = entry.Str("value", s.Value)
		}
		config = config.Dict(s.Key, entry)
	}
	ev := log.Info().Str("version", version).Str("revision", revision).Str("env_file", res.EnvFile).Dict("config", config)
	switch _, missing := cfg.missing(); {
	case cfg.LLMConfigFile != "": // the file's backends are complete or refused
		ev = ev.Strs("models", modelNames(res.Models)).Int("backends", countBackends(res.Models))
	case len(missing) > 0:
		ev = ev.Strs("missing", missing)
	}
	if cfg.LLMProvider == ProviderAzure && cfg.LLMConfigFile == "" {
		ev = ev.Str("azure_auth", cfg.AzureAuth) // the mode, never a key or token
	}
	ev.Msg("starting aoai-api")
	if unused := unusedSingleBackend(res); len(unused) > 0 {
		log.Warn().Strs("unused", unused).Msg("LLM_CONFIG_FILE defines the backends: these single-backend settings are set but unused")
	}
	if cfg.LogPrompts {
		log.Warn().Msg("LOG_PROMPTS is on: prompt and response text are logged at DEBUG")
	}
}

// unusedSingleBackend names the single-backend settings that are set
// although LLM_CONFIG_FILE defines the backends, so that an operator who
// moved to a file sees what no longer counts. A variable that an
// api_key_env names is used. Names only: a value may be a key.
func unusedSingleBackend(res Resolved) []string {
	if res.Config.LLMConfigFile == "" {
		return nil
	}
	named := map[string]bool{}
	for _, m := range res.Models {
		for _, b := range m.Backends {
			named[b.APIKeyEnv] = true
		}
	}
	var out []string
	for _, s := range res.Settings {
		if s.Set && (s.Source == SourceEnv || s.Source == SourceFile) && singleBackend(s.Key) && !named[s.Key] {
			out = append(out, s.Key)
		}
	}
	return out
}

func singleBackend(key string) bool {
	switch key {
	case "LLM_PROVIDER", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_API_KEY", "OPENAI_COMPAT_MODELS":
		return true
	}
	return strings.HasPrefix(key, "AZURE_OPENAI_")
}
