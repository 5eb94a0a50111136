package http

import (
	"crypto/sha256"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Security is what guards the service. Its zero value guards nothing
// beyond the response headers: no keys, no rate limit, no CORS.
type Security struct {
	// KeyDigests are the SHA-256 digests of the inbound API keys; the
	// adapter never holds a key itself. None means authentication is off.
	KeyDigests [][sha256.Size]byte
	// KeyIDs name keys in logs and the ledger (API_KEY_LIMITS_FILE's
	// ids); a key without one is named by its digest's first 8 hex digits.
	KeyIDs map[[sha256.Size]byte]string
	// Limits meters callers (rate, tokens, quota, ledger), in the process
	// or shared by every replica; nil meters nothing.
	Limits ports.Limits
	// AdminKeyDigests are the keys GET /api/usage/callers accepts.
	AdminKeyDigests [][sha256.Size]byte
	// AuthThrottle locks out addresses that send too many wrong keys;
	// it applies only when keys are on.
	AuthThrottle AuthThrottle
	// CORSOrigins are the browser origins allowed to call; "*" allows
	// any. None means no CORS headers at all.
	CORSOrigins []string
	// TrustedProxies are the CIDRs whose X-Forwarded-For names the
	// client; none means the TCP peer is the client.
	TrustedProxies []string
	// MaxConcurrentPerCaller bounds the model calls one caller (as the
	// rate limit names it) has in flight; 0 means no bound.
	MaxConcurrentPerCaller int
}

// boundaries are the middleware every request passes after correlation,
// logging and recovery, matched or not, so that their refusals are
// logged and carry the correlation id like any other error.
func boundaries(sec Security) []gin.HandlerFunc {
	hs := []gin.HandlerFunc{securityHeaders(), refuseConflictingFraming()}
	if len(sec.CORSOrigins) > 0 {
		hs = append(hs, corsPolicy(sec.CORSOrigins))
	}
	return hs
}

// guards are what the guarded route groups and unmatched requests run:
// the caller's key; metering adds its rate. None when keys are off.
func guards(sec Security) []gin.HandlerFunc {
	var auth *keyring
	var throttle *authThrottle
	if len(sec.KeyDigests) > 0 {
		auth = &keyring{digests: sec.KeyDigests, ids: sec.KeyIDs}
		if sec.AuthThrottle.FailuresPerMinute > 0 {
			throttle = newAuthThrottle(sec.AuthThrottle)
		}
	}
	if auth == nil {
		return nil
	}
	return []gin.HandlerFunc{guard(auth, throttle)}
}

// metering is what the limits port adds after the guard: the request
// rate on every guarded route, and tokens on the model routes.
func metering(sec Security, tokens bool) []gin.HandlerFunc {
	if sec.Limits == nil {
		return nil
	}
	return []gin.HandlerFunc{admit(sec.Limits, tokens)}
}

// guard checks the caller's address against the auth throttle, then its
// key; metering checks its rate next, so strangers cannot drain a key's
// bucket. Routes are guarded unless registered in the public
// group, so a route added later is protected unless someone decides
// otherwise; an unmatched path is guarded too, so that a stranger
// without a key learns nothing of which paths exist.
func guard(auth *keyring, throttle *authThrottle) gin.HandlerFunc {
	return func(c *gin.Context) {
		digest, ok := authenticate(c, auth, throttle, clientIP(c))
		if !ok {
			return
		}
		c.Set(callerBucketKey, "key:"+string(digest[:]))
		c.Next()
	}
}
