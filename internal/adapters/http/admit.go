package http

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

var kindOfRefusal = map[ports.Refusal]domain.Kind{
	ports.RefusedRequests: kindRateLimited,
	ports.RefusedTokens:   kindTokensLimited,
	ports.RefusedQuota:    kindQuotaExceeded,
}

// admit asks the limits port whether the caller may go on: the request
// rate everywhere it runs, and on the model routes (tokens) the minute's
// tokens and the quota too, whose headers those routes answer with. It
// runs after the key, so that a caller is its key when keys are on.
func admit(l ports.Limits, tokens bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller := meteredCaller(c)
		a, err := l.Admit(c.Request.Context(), caller, tokens)
		if err != nil {
			writeError(c, err)
			return
		}
		if tokens {
			setLimitHeaders(c, "requests", a.Requests)
			setLimitHeaders(c, "tokens", a.Tokens)
		}
		if a.Refused != "" {
			writeError(c, retryIn(fail(kindOfRefusal[a.Refused], ""), a.RetryAfter))
			return
		}
		c.Request = c.Request.WithContext(ports.WithCaller(c.Request.Context(), caller))
		c.Next()
	}
}

// setLimitHeaders writes OpenAI's x-ratelimit-* headers for a limit that
// is set: integers, and the reset as a duration in whole seconds.
func setLimitHeaders(c *gin.Context, what string, w ports.Window) {
	if w.Limit <= 0 {
		return
	}
	h := c.Writer.Header()
	h.Set("x-ratelimit-limit-"+what, strconv.FormatInt(w.Limit, 10))
	h.Set("x-ratelimit-remaining-"+what, strconv.FormatInt(w.Remaining, 10))
	h.Set("x-ratelimit-reset-"+what, (time.Duration(math.Ceil(w.Reset.Seconds())) * time.Second).String())
}

// limitHeaders are what CORS exposes of the above.
const limitHeaders = "x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, " +
	"x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens"

// meteredCaller is callerOf as the store keys it (the full digest, in
// hex) and as the ledger names it (the log's caller id, or the address).
func meteredCaller(c *gin.Context) ports.Caller {
	key := callerOf(c)
	if raw, ok := strings.CutPrefix(key, "key:"); ok {
		return ports.Caller{Key: "key:" + hex.EncodeToString([]byte(raw)), ID: c.GetString(callerKey)}
	}
	return ports.Caller{Key: key, ID: clientIP(c)}
}
