package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var textListening = regexp.MustCompile(`\blistening\b.*\baddr=(\S+)`)

// startTextService runs the binary with LOG_FORMAT=text, whose lines the
// JSON helpers cannot read, and waits for its listening line.
func startTextService(t *testing.T, dir string, env map[string]string) *service {
	t.Helper()
	env["LOG_FORMAT"] = "text"
	s := mustLaunchIn(t, dir, env)
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, l := range s.lines() {
			if m := textListening.FindStringSubmatch(l); m != nil {
				s.URL = "http://" + m[1]
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("service exited before listening:\n%s", strings.Join(s.lines(), "\n"))
		case <-tick.C:
			if time.Now().After(deadline) {
				t.Fatalf("no listening line within 15s:\n%s", strings.Join(s.lines(), "\n"))
			}
		}
	}
}

// forgingPath holds a newline followed by a fake log line, a carriage
// return, an OSC that retitles the terminal, a CSI that clears it, DEL,
// the 8-bit CSI U+009B, U+2028 and a bidi override.
const forgingPath = "/x%0a12:00:00.000%20INF%20forged%0d%1b]0;owned%07%1b[2J%7f%c2%9b31m%e2%80%a8%e2%80%ae"

var textLine = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} [A-Z]{3} `)

func TestClientBytesCannotForgeLogLines(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"LLM_PROVIDER": "fake"}
			var svc *service
			if format == "text" {
				svc = startTextService(t, dir, env)
			} else {
				svc = startServiceIn(t, dir, env)
			}
			if r := call(t, "GET", svc.URL+forgingPath, "", ""); r.Status != 404 {
				t.Fatalf("status = %d", r.Status)
			}
			svc.stop(t)
			file, err := os.ReadFile(filepath.Join(dir, "logs", "app.log"))
			if err != nil {
				t.Fatal(err)
			}
			for name, lines := range map[string][]string{
				"stdout":   svc.lines(),
				"LOG_FILE": strings.Split(strings.TrimSuffix(string(file), "\n"), "\n"),
			} {
				access := 0
				for _, l := range lines {
					assertInertLine(t, name, format, l)
					if strings.Contains(l, "/x") {
						access++
					}
				}
				if access != 1 {
					t.Errorf("%s: %d lines name the path, want the access line alone:\n%s", name, access, strings.Join(lines, "\n"))
				}
			}
		})
	}
}

// assertInertLine checks that a line is a whole event, not a piece of
// one, and holds nothing a terminal acts on.
func assertInertLine(t *testing.T, name, format, l string) {
	t.Helper()
	if format == "text" && !textLine.MatchString(l) {
		t.Errorf("%s: a line that is not an event of its own: %q", name, l)
	}
	if format == "json" && !json.Valid([]byte(l)) {
		t.Errorf("%s: a line that is not JSON: %q", name, l)
	}
	if !utf8.ValidString(l) {
		t.Errorf("%s: invalid UTF-8: %q", name, l)
	}
	for _, r := range l {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			t.Errorf("%s: raw %U in %q", name, r, l)
			return
		}
	}
}
