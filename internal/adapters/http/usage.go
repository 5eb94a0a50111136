package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// handleUsage answers the caller's own ledger.
func handleUsage(l ports.Limits) gin.HandlerFunc {
	return func(c *gin.Context) {
		led, err := l.Usage(c.Request.Context(), meteredCaller(c))
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, ledgerBody(led))
	}
}

// handleUsageCallers is the operator's view of every caller. Caller ids
// may be client addresses, so with no admin key configured nobody sees it.
func handleUsageCallers(l ports.Limits, admins *keyring) gin.HandlerFunc {
	return func(c *gin.Context) {
		key, ok := presentedKey(c.Request.Header)
		if _, admin := admins.match(key); !ok || len(admins.digests) == 0 || !admin {
			writeError(c, fail(kindAdminOnly, ""))
			return
		}
		all, err := l.Callers(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		out := make([]ports.Ledger, len(all))
		for i, led := range all {
			out[i] = ledgerBody(led)
		}
		c.JSON(http.StatusOK, gin.H{"callers": out})
	}
}

// usageBody never answers null for the days.
func ledgerBody(l ports.Ledger) ports.Ledger {
	if l.Days == nil {
		l.Days = []ports.DayTally{}
	}
	return l
}
