package app

import "github.com/rs/zerolog"

// logSecurity says plainly at start-up what guards the service, and
// above all when nothing stops a stranger from spending the quota. open
// are the routes served without a key, as the HTTP adapter lists them.
func logSecurity(log zerolog.Logger, cfg Config, open []string) {
	if n := len(cfg.inboundKeyDigests); n > 0 {
		log.Info().Int("keys", n).Strs("open_routes", open).Msg("inbound authentication is on: an API key is required on every route but the open ones")
		if cfg.AuthFailuresPerMinute == 0 {
			log.Warn().Msg("AUTH_FAILURES_PER_MINUTE is 0: wrong API keys are never throttled, so keys can be guessed at full speed")
		}
	} else {
		log.Warn().Msg("inbound authentication is OFF: API_KEYS and API_KEYS_FILE are empty, so anyone who can reach the service can spend the quota")
	}
	if cfg.RateLimitRPS > 0 {
		log.Info().Float64("rps", cfg.RateLimitRPS).Int("burst", cfg.RateLimitBurst).Bool("trusted_proxies", len(cfg.TrustedProxies) > 0).
			Msg("rate limit is on, per API key or else per client IP")
	}
	if cfg.OpenAIAllowSystem {
		// SDKs send system and developer turns, so /v1 takes them; the
		// operator must know that callers can instruct the model too.
		log.Warn().Bool("system_prompt_set", cfg.SystemPrompt != "").
			Msg("/v1 accepts clients' system and developer messages (OPENAI_COMPAT_ALLOW_SYSTEM=true): any caller can add instructions after SYSTEM_PROMPT")
	}
	store := "process"
	if cfg.RedisURL != "" {
		store = "redis"
	}
	log.Info().Str("store", store).Str("on_failure", cfg.LimitsStoreFailure).Int("tpm", cfg.TokenRateLimitTPM).
		Int("quota", cfg.TokenQuota).Str("quota_period", cfg.TokenQuotaPeriod).Int("per_key_limits", len(cfg.keyLimits)).
		Msg("caller limits and the usage ledger")
}
