package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
)

const (
	headerAPIKey  = "X-API-Key"
	callerKey     = "caller"
	authChallenge = `Bearer realm="aoai-api"`
)

var (
	errKeyMissing = fail(kindMissingKey, "")
	errKeyInvalid = fail(kindInvalidKey, "")
)

// keyring holds digests only. Comparing digests of equal length, and
// every one of them each time, keeps the time taken independent of how
// much of a guess was right and of which key matched.
type keyring struct {
	digests [][sha256.Size]byte
	ids     map[[sha256.Size]byte]string
}

func (k *keyring) match(presented string) ([sha256.Size]byte, bool) {
	d := sha256.Sum256([]byte(presented))
	found := 0
	for i := range k.digests {
		found |= subtle.ConstantTimeCompare(d[:], k.digests[i][:])
	}
	return d, found == 1
}

// authenticate answers 401 itself when the caller has no valid key, and
// 429 when its address is locked out by the throttle t (nil for none),
// before its key is compared. A caller is named in logs by a digest
// prefix: enough to tell clients apart, useless for recovering the key.
func authenticate(c *gin.Context, k *keyring, t *authThrottle, addr string) ([sha256.Size]byte, bool) {
	key, sent := presentedKey(c.Request.Header)
	var tk ticket
	if t != nil {
		var wait time.Duration
		var first bool
		if tk, wait, first = t.admit(addr, sent); wait > 0 {
			if first {
				zerolog.Ctx(c.Request.Context()).Warn().Str("client_ip", addr).Dur("retry_after", wait).
					Msg("too many wrong API keys from one address; refusing it until its minute is over")
			}
			writeError(c, errAuthThrottled(wait))
			return [sha256.Size]byte{}, false
		}
	}
	if !sent {
		c.Header("WWW-Authenticate", authChallenge)
		writeError(c, errKeyMissing)
		return [sha256.Size]byte{}, false
	}
	digest, ok := k.match(key)
	if !ok {
		c.Header("WWW-Authenticate", authChallenge+`, error="invalid_token"`)
		writeError(c, errKeyInvalid)
		return [sha256.Size]byte{}, false // the attempt stays counted
	}
	if t != nil {
		t.forgive(tk)
	}
	id, named := k.ids[digest]
	if !named {
		id = callerID(digest)
	}
	c.Set(callerKey, id)
	l := zerolog.Ctx(c.Request.Context()).With().Str(callerKey, id).Logger()
	c.Request = c.Request.WithContext(l.WithContext(c.Request.Context()))
	return digest, true
}

// presentedKey reads Authorization: Bearer (what the OpenAI SDKs send),
// else X-API-Key. Any other Authorization scheme counts as a wrong key.
func presentedKey(h http.Header) (string, bool) {
	if v := h.Get("Authorization"); v != "" {
		scheme, token, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", true
		}
		return strings.TrimSpace(token), true
	}
	if v := h.Get(headerAPIKey); v != "" {
		return v, true
	}
	return "", false
}

// callerID is the first 8 hex digits of the key's SHA-256.
func callerID(digest [sha256.Size]byte) string { return hex.EncodeToString(digest[:4]) }
