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
		c.JSON(http.StatusOK, ledgerOf(led))
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
		out := make([]ledgerBody, len(all))
		for i, led := range all {
			out[i] = ledgerOf(led)
		}
		c.JSON(http.StatusOK, gin.H{"callers": out})
	}
}

type ledgerBody struct {
	Caller string         `json:"caller"`
	Minute tallyBody      `json:"minute"`
	Period tallyBody      `json:"period"`
	Days   []dayTallyBody `json:"days"` // never null
}

type tallyBody struct {
	Requests         int64 `json:"requests"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
	EstimatedTokens  int64 `json:"estimated_tokens"`
}

type dayTallyBody struct {
	Day string `json:"day"`
	tallyBody
}

func ledgerOf(l ports.Ledger) ledgerBody {
	out := ledgerBody{Caller: l.Caller, Minute: tallyBody(l.Minute), Period: tallyBody(l.Period), Days: make([]dayTallyBody, len(l.Days))}
	for i, d := range l.Days {
		out.Days[i] = dayTallyBody{Day: d.Day, tallyBody: tallyBody(d.Tally)}
	}
	return out
}
