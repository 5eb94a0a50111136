package app

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// redactedMark stands where a secret was.
var redactedMark = []byte("[REDACTED]")

// minRedactBytes is the shortest value redacted. Shorter ones are
// placeholders such as "none" or "ollama" that local servers accept;
// replacing them would garble every line (and, in JSON, could cut into
// the syntax) while hiding nothing an attacker could not guess.
const minRedactBytes = 8

// secretValues are the values no log line may carry, each in the forms
// it can take there: as zerolog escapes it inside a JSON string, and as
// it is, longest first so a secret holding another is hidden whole.
// A reload of LLM_CONFIG_FILE may add backend keys while lines are being
// written, so the patterns are swapped whole, never edited in place.
type secretValues struct {
	values   []string
	patterns atomic.Pointer[[][]byte]
}

func newSecretValues(values []string) *secretValues {
	s := &secretValues{}
	s.add(values...)
	return s
}

// add learns more secrets. The config loader calls it, then only the
// reloader's one goroutine: never two at once.
func (s *secretValues) add(values ...string) {
	s.values = append(s.values, values...)
	seen := map[string]bool{}
	var patterns [][]byte
	for _, v := range s.values {
		if len(v) < minRedactBytes {
			continue
		}
		for _, form := range []string{jsonForm(v), v} {
			if !seen[form] {
				seen[form] = true
				patterns = append(patterns, []byte(form))
			}
		}
	}
	slices.SortFunc(patterns, func(a, b []byte) int { return len(b) - len(a) })
	s.patterns.Store(&patterns)
}

// jsonForm is v as zerolog writes it inside a string, whatever its rules.
func jsonForm(v string) string {
	var b bytes.Buffer
	l := zerolog.New(&b)
	l.Log().Str("v", v).Send()
	out, ok := strings.CutPrefix(b.String(), `{"v":"`)
	if out, ok2 := strings.CutSuffix(out, "\"}\n"); ok && ok2 {
		return out
	}
	return v // zerolog wrote nothing (a global level of Disabled): the raw form still counts
}

// redact returns p, or a copy with every secret replaced. It allocates
// only when a secret is found; a line without one costs one search per
// pattern.
func (s *secretValues) redact(p []byte) []byte {
	if s == nil {
		return p
	}
	for _, pat := range *s.patterns.Load() {
		if bytes.Contains(p, pat) {
			p = bytes.ReplaceAll(p, pat, redactedMark) // a copy: zerolog reuses its buffer
		}
	}
	return p
}

// scrubWriter sits between zerolog and every output, text and JSON,
// stdout and LOG_FILE, so that no code path that logs can forget it. It
// sees each event as one JSON line: it redacts the secrets, then escapes
// what zerolog leaves raw inside strings (C1 controls such as U+009B,
// the CSI of 8-bit terminals, U+2028/2029 and other non-printing runes),
// so that a JSON line shown in a terminal cannot drive it either.
type scrubWriter struct {
	out     io.Writer
	secrets *secretValues
}

func (w scrubWriter) Write(p []byte) (int, error) {
	line := w.secrets.redact(p)
	body, nl := bytes.CutSuffix(line, []byte("\n"))
	if esc := escapeUnprintable(body); len(esc) != len(body) {
		line = esc
		if nl {
			line = append(line, '\n')
		}
	}
	if _, err := w.out.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

// escapeUnprintable writes each rune that is not printable (C0, DEL, C1,
// line and paragraph separators, bidi and other format runes) as a JSON
// \u escape, and invalid UTF-8 as \ufffd; it returns p itself when there
// is none, which is the case for nearly every line.
func escapeUnprintable(p []byte) []byte {
	i := 0
	for i < len(p) && p[i] >= 0x20 && p[i] < 0x7f {
		i++
	}
	if i == len(p) {
		return p
	}
	out := append(make([]byte, 0, len(p)+16), p[:i]...)
	for i < len(p) {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case unicode.IsPrint(r):
			out = append(out, p[i:i+size]...)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			out = appendU(appendU(out, hi), lo)
		default:
			out = appendU(out, r)
		}
		i += size
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	out = append(out, `\u`...)
	for shift := 12; shift >= 0; shift -= 4 {
		out = append(out, "0123456789abcdef"[(r>>shift)&0xf])
	}
	return out
}

// textValue formats a field value of a text line. Strings arrive quoted
// by zerolog whenever they need it; values written as JSON (objects,
// lists) may still hold DEL or C1 runes, which are escaped here.
func textValue(i any) string {
	return string(escapeUnprintable(fmt.Appendf(nil, "%s", i)))
}

// textMessage formats the message of a text line: as it is when it is
// plain, else quoted, so a client's path cannot start a new line, move
// the cursor or retitle the terminal through "GET <path> 404".
func textMessage(i any) string {
	if i == nil {
		return ""
	}
	s := fmt.Sprintf("%s", i)
	if needsQuoting(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsQuoting(s string) bool {
	for _, r := range s {
		if r == '"' || r == '\\' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
