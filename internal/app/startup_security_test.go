package app

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestStartupWarnsWhenWrongKeysAreNeverThrottled(t *testing.T) {
	const warning = "AUTH_FAILURES_PER_MINUTE is 0: wrong API keys are never throttled"
	for _, perMinute := range []int{0, 20} {
		var out bytes.Buffer
		cfg := Config{inboundKeyDigests: [][sha256.Size]byte{{}}, AuthFailuresPerMinute: perMinute}
		logSecurity(newLogger("INFO", "json", nil, &out), cfg, nil)
		if got := strings.Contains(out.String(), warning); got != (perMinute == 0) {
			t.Errorf("AUTH_FAILURES_PER_MINUTE=%d: warned = %v:\n%s", perMinute, got, out.String())
		}
	}
}
