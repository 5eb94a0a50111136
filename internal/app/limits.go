package app

import (
	"errors"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/adapters/limits"
	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

// newLimiter meters callers in the process, or in Redis when REDIS_URL
// is set, with the process's own limits to fall back on. The returned
// func, run once the server has drained, sends the charges still held
// for Redis and then closes the client.
func newLimiter(cfg Config, log zerolog.Logger, m *metrics.Metrics) (*limits.Limiter, func(), error) {
	local := limits.NewMemory(cfg.RateLimitMaxCallers)
	def := limits.Policy{RPS: cfg.RateLimitRPS, Burst: cfg.RateLimitBurst, TPM: int64(cfg.TokenRateLimitTPM),
		Quota: int64(cfg.TokenQuota), QuotaPeriod: cfg.TokenQuotaPeriod}
	opt := limits.Options{
		Policy: def, PerCaller: cfg.keyPolicies(def),
		Timeout: cfg.RedisTimeout, FailOpen: cfg.LimitsStoreFailure == "open", Log: log, Observer: m,
	}
	if cfg.RedisURL == "" {
		return limits.New(nil, local, opt), func() {}, nil
	}
	ro, err := redisOptions(cfg)
	if err != nil {
		return nil, nil, err
	}
	rdb := redis.NewClient(ro)
	l := limits.New(limits.NewRedis(rdb), local, opt)
	return l, func() { l.Close(); _ = rdb.Close() }, nil
}

// redisOptions is REDIS_URL with the service's own bounds on every call.
func redisOptions(cfg Config) (*redis.Options, error) {
	ro, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, errors.New("invalid REDIS_URL: it cannot be parsed") // the error could quote a password
	}
	if ro.Password == "" {
		ro.Password = cfg.RedisPassword
	}
	// Every call is bounded by REDIS_TIMEOUT; the client's own timeouts
	// match, so a Redis that never answers holds no connection longer.
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = cfg.RedisTimeout, cfg.RedisTimeout, cfg.RedisTimeout
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = -1 // one attempt within the timeout: a retry would only overshoot it
	if ro.Protocol == 0 {
		// RESP2 unless the URL asks (?protocol=3): with RESP3 the client
		// looks for push notifications around every command, a cost on
		// each admit, and the limits use nothing RESP3 adds.
		ro.Protocol = 2
	}
	return ro, nil
}

// withLimitsStore shows the store's state in /readyz's body.
func withLimitsStore(r httpadapter.Readiness, l *limits.Limiter) httpadapter.Readiness {
	r.LimitsStore = l.Store
	return r
}
