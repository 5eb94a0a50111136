package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	unitAzureKey   = "sk-unit-azure-0123456789"
	unitInboundKey = "inbound-unit-key-0123456789"
	unitQuotedKey  = `inbound"quoted\key-0123456789` // escaped inside JSON strings
)

func TestLogsRedactEverySecretInTextAndJSON(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			isolate(t)
			keys := filepath.Join(t.TempDir(), "keys")
			writeFile(t, keys, unitQuotedKey+"\n")
			t.Setenv("AZURE_OPENAI_API_KEY", unitAzureKey)
			t.Setenv("API_KEYS", unitInboundKey)
			t.Setenv("API_KEYS_FILE", keys)
			t.Setenv("OPENAI_BASE_URL", "https://user:"+unitURLPass+"@llm.example/v1?key="+unitURLQuery)
			res, err := load(t)
			if err != nil {
				t.Fatal(err)
			}
			cfg := res.Config
			cfg.LogFormat, cfg.LogFile = format, filepath.Join(t.TempDir(), "app.log")
			var stdout bytes.Buffer
			log, closeLog := openLogger(&stdout, cfg)
			echo := errors.New(`upstream 401: {"error":{"message":"bad api-key ` + unitAzureKey + `"}}`)
			log.Error().Err(echo).Str("path", "/v1/models/"+unitInboundKey).Str("key", unitQuotedKey).
				Msg(`Post "https://user:` + unitURLPass + `@llm.example/v1/chat/completions?key=` + unitURLQuery + `": EOF`)
			logStartup(log, res)
			closeLog()
			file, err := os.ReadFile(cfg.LogFile)
			if err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"stdout": stdout.String(), "LOG_FILE": string(file)} {
				for _, secret := range []string{unitAzureKey, unitInboundKey, `quoted`, unitURLPass, unitURLQuery, keys} {
					if strings.Contains(out, secret) {
						t.Errorf("%s holds %q:\n%s", name, secret, out)
					}
				}
				if n := strings.Count(out, "[REDACTED]"); n < 5 {
					t.Errorf("%s: %d redactions, want one per secret written:\n%s", name, n, out)
				}
			}
		})
	}
}

// Whatever a client puts in a path, each event stays one line and no
// byte reaches the terminal that it would act on.
func TestLogsEscapeControlCharactersFromClients(t *testing.T) {
	hostile := "/x\n12:00:00.000 INF forged\r\x1b]0;owned\a\x1b[2J\x7f\u009b31m\u2028\u2029\u202e\xff"
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			log := newLogger("INFO", format, nil, &out)
			log.Info().Str("path", hostile).Interface("nested", map[string]string{"v": hostile}).Msg("GET " + hostile + " 404")
			line, rest, _ := strings.Cut(out.String(), "\n")
			if rest != "" {
				t.Fatalf("one event wrote more than one line: %q", out.String())
			}
			assertPrintable(t, line)
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("not JSON: %v: %q", err, line)
				}
				if want := strings.ToValidUTF8(hostile, "\ufffd"); m["path"] != want {
					t.Errorf("path = %q, want %q back: the escapes must lose nothing", m["path"], want)
				}
				return
			}
			if !strings.Contains(line, `"GET /x\n12:00:00.000 INF forged\r\x1b]0;owned\a`) {
				t.Errorf("the message is not quoted with its escapes: %q", line)
			}
		})
	}
}

func assertPrintable(t *testing.T, line string) {
	t.Helper()
	if !utf8.ValidString(line) {
		t.Errorf("invalid UTF-8: %q", line)
	}
	for i, r := range line {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			t.Errorf("raw %U at byte %d: %q", r, i, line)
		}
	}
}

func TestPlainTextLinesAreLeftAlone(t *testing.T) {
	var out bytes.Buffer
	log := newLogger("INFO", "text", nil, &out)
	log.Info().Str("path", "/api/chat").Int("status", 200).Msg("POST /api/chat 200")
	if got := out.String(); !strings.Contains(got, "POST /api/chat 200 path=/api/chat status=200") {
		t.Errorf("line = %q", got)
	}
}

func BenchmarkScrubWriter(b *testing.B) {
	var keys []string
	for i := range 20 {
		keys = append(keys, strings.Repeat("k", 24)+string(rune('a'+i)))
	}
	w := scrubWriter{out: io.Discard, secrets: newSecretValues(keys)}
	line := []byte(`{"level":"INFO","correlation_id":"5f0c3a52-7d1e-4a43-9c55-0b6a1f2e9d10","method":"POST","path":"/api/completions","status":200,"latency_ms":412.87,"client_ip":"10.1.2.3","bytes":289,"ts":"2025-08-17T08:21:55.123Z","msg":"POST /api/completions 200"}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = w.Write(line)
	}
}
