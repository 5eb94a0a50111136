package app

import (
	"fmt"
	"net/url"
	"strings"
)

// validateLimits checks the store and the token limits' words; their
// numbers are checked by validateRanges.
func (c *Config) validateLimits() error {
	c.RedisURL = strings.TrimSpace(c.RedisURL)
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return fmt.Errorf("invalid REDIS_URL: want redis://host:port or rediss://host:port")
		}
	}
	switch {
	case c.LimitsStoreFailure != "open" && c.LimitsStoreFailure != "closed":
		return fmt.Errorf("invalid LIMITS_STORE_FAILURE=%q: want open or closed", c.LimitsStoreFailure)
	case c.TokenQuotaPeriod != "day" && c.TokenQuotaPeriod != "month":
		return fmt.Errorf("invalid TOKEN_QUOTA_PERIOD=%q: want day or month", c.TokenQuotaPeriod)
	}
	return nil
}
