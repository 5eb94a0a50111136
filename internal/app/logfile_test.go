package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var tsPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`) // RFC 3339, ms, UTC

func jsonLines(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestLoggerWritesStdoutAndTheFileInTheReferenceShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "nested", "app.log") // the directories do not exist yet
	var stdout bytes.Buffer
	log, closeLog := openLogger(&stdout, Config{LogLevel: "info", LogFormat: "json", LogFile: path})
	log.Info().Msg("hello")
	log.Warn().Msg("careful")
	log.Debug().Msg("hidden at INFO")
	closeLog()

	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, stdout.Bytes()) {
		t.Errorf("file and stdout differ:\n%s\n%s", file, stdout.Bytes())
	}
	lines := jsonLines(t, file)
	if len(lines) != 2 {
		t.Fatalf("lines = %v, want 2 (DEBUG filtered)", lines)
	}
	for i, want := range []struct{ level, msg string }{{"INFO", "hello"}, {"WARNING", "careful"}} {
		m := lines[i]
		if m["level"] != want.level || m["msg"] != want.msg {
			t.Errorf("line %d = %v, want level %s msg %s", i, m, want.level, want.msg)
		}
		if ts, _ := m["ts"].(string); !tsPattern.MatchString(ts) {
			t.Errorf("ts = %v, want RFC 3339 with milliseconds in UTC", m["ts"])
		}
	}
}

func TestLoggerAppendsToAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "earlier line\n")
	log, closeLog := openLogger(&bytes.Buffer{}, Config{LogLevel: "INFO", LogFormat: "text", LogFile: path})
	log.Info().Msg("later line")
	closeLog()
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), "earlier line\n") || !strings.Contains(string(raw), "later line") {
		t.Errorf("file = %q, want the old line kept and the new one appended", raw)
	}
}

func TestUnopenableLogFileIsReportedOnceAndStdoutGoesOn(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	writeFile(t, blocker, "")
	path := filepath.Join(blocker, "app.log") // its parent is a file, even for root
	var stdout bytes.Buffer
	log, closeLog := openLogger(&stdout, Config{LogLevel: "INFO", LogFormat: "json", LogFile: path})
	log.Info().Msg("still serving")
	closeLog()

	lines := jsonLines(t, stdout.Bytes())
	if len(lines) != 2 {
		t.Fatalf("stdout = %s, want the report and the later line", stdout.Bytes())
	}
	if r := lines[0]; r["level"] != "ERROR" || r["log_file"] != path || !strings.Contains(r["msg"].(string), "stdout only") {
		t.Errorf("report = %v", r)
	}
	if lines[1]["msg"] != "still serving" {
		t.Errorf("after the report: %v", lines[1])
	}
}
