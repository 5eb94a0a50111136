package llmhttp

import (
	"fmt"
	"unicode/utf8"
)

// What an upstream wrote reaches our logs only through error causes, and
// only this much of it: a body that quotes our key, or just rambles,
// must not become a log line of any length.
const (
	maxMessageExcerpt = 512
	maxCodeExcerpt    = 64
)

// upstreamSays is the upstream's own code and message, bounded, for a cause.
func upstreamSays(code any, message string) string {
	return fmt.Sprintf("code %s: %s", excerpt(fmt.Sprint(code), maxCodeExcerpt), excerpt(message, maxMessageExcerpt))
}

// excerpt cuts s to at most n bytes, on a rune boundary, and says so.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…[cut]"
}
