package app

import "github.com/rs/zerolog"

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
	if _, missing := cfg.missing(); len(missing) > 0 {
		ev = ev.Strs("missing", missing)
	}
	if cfg.LLMProvider == ProviderAzure {
		ev = ev.Str("azure_auth", cfg.AzureAuth) // the mode, never a key or token
	}
	ev.Msg("starting aoai-api")
	if cfg.LogPrompts {
		log.Warn().Msg("LOG_PROMPTS is on: prompt and response text are logged at DEBUG")
	}
}
