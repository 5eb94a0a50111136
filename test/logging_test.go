package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var tsPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`) // RFC 3339, ms, UTC

func TestAccessAndUpstreamLogShape(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	svc := startService(t, azureEnv(up))

	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hello"}`, "X-Forwarded-For", "203.0.113.9") // no proxy is trusted
	if r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	id := r.Header.Get("X-Request-ID")
	svc.stop(t) // every line is out, the file closed

	// One attempt served it: one line, the access line, carrying the
	// attempt's model, backend and upstream fields.
	access := onlyEntry(t, svc.logEntries("POST /api/completions 200"), id)
	wantKeys := []string{"attempt", "backend", "bytes", "client_ip", "correlation_id", "deployment", "latency_ms", "level", "method", "model", "msg",
		"path", "status", "ts", "upstream", "upstream_latency_ms", "upstream_request_id", "upstream_status"}
	if got := keysOf(access); strings.Join(got, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("access fields = %v, want %v", got, wantKeys)
	}
	if ts, _ := access["ts"].(string); !tsPattern.MatchString(ts) {
		t.Errorf("ts = %v, want RFC 3339 with milliseconds in UTC", access["ts"])
	}
	if lat, ok := access["latency_ms"].(float64); !ok || lat < 0 {
		t.Errorf("latency_ms = %#v, want a non-negative number", access["latency_ms"])
	}
	if access["level"] != "INFO" || access["method"] != "POST" || access["path"] != "/api/completions" ||
		access["status"] != 200.0 || access["client_ip"] != "127.0.0.1" || access["bytes"] != float64(len(r.Body)) {
		t.Errorf("access = %v", access)
	}
	if access["attempt"] != 1.0 || access["backend"] == nil || access["model"] == nil || access["upstream"] != "Azure OpenAI" ||
		access["deployment"] != testDeployment || access["upstream_status"] != 200.0 || access["upstream_request_id"] != "apim-e2e-1" {
		t.Errorf("access upstream fields = %v", access)
	}
	if _, ok := access["upstream_latency_ms"].(float64); !ok {
		t.Errorf("upstream_latency_ms = %#v, want a number", access["upstream_latency_ms"])
	}
	if calls := withID(svc.logEntries("upstream call"), id); len(calls) != 0 {
		t.Errorf("upstream call lines = %v, want none: the access line has them", calls)
	}

	// The file gets the same lines as stdout.
	raw, err := os.ReadFile(filepath.Join(svc.Dir, "logs", "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !containsEntry(raw, access) {
		t.Errorf("the log file lacks the access line %v:\n%s", access, raw)
	}
}

func TestPromptTextIsLoggedOnlyWithTheOptIn(t *testing.T) {
	for _, optIn := range []string{"", "true"} {
		up := newAzureUpstream(t, azureReply)
		env := azureEnv(up)
		env["LOG_LEVEL"] = "DEBUG"
		if optIn != "" {
			env["LOG_PROMPTS"] = optIn
		}
		svc := startService(t, env)
		postJSON(t, svc.URL+"/api/completions", `{"prompt":"my private question"}`)
		svc.stop(t) // every line is out
		logged := strings.Contains(strings.Join(svc.lines(), "\n"), "my private question")
		if logged != (optIn == "true") {
			t.Errorf("LOG_PROMPTS=%q: prompt logged = %v", optIn, logged)
		}
	}
}

func TestEmptyLogFileMeansStdoutOnly(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "LOG_FILE": ""})
	r := call(t, "GET", svc.URL+"/api/", "", "")
	svc.stop(t)
	onlyEntry(t, svc.logEntries("GET /api/ 200"), r.Header.Get("X-Request-ID"))
	if _, err := os.Stat(filepath.Join(svc.Dir, "logs")); !os.IsNotExist(err) {
		t.Errorf("logs/ exists (err %v) though LOG_FILE is empty", err)
	}
}

func TestUnopenableLogFileIsReportedOnceAndServingGoesOn(t *testing.T) {
	dir := t.TempDir()
	writeEnvFile(t, filepath.Join(dir, "blocker"), "a file where a directory should be\n")
	svc := startServiceIn(t, dir, map[string]string{"LLM_PROVIDER": "fake", "LOG_FILE": "blocker/app.log"})
	for range 3 {
		if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`); r.Status != 200 {
			t.Fatalf("status = %d: %s", r.Status, r.Body)
		}
	}
	svc.stop(t)
	reports := svc.logEntries("cannot open the log file; logging to stdout only")
	if len(reports) != 1 || reports[0]["level"] != "ERROR" || reports[0]["log_file"] != "blocker/app.log" {
		t.Errorf("reports = %v, want exactly one ERROR naming the file", reports)
	}
	if n := len(svc.logEntries("POST /api/completions 200")); n != 3 {
		t.Errorf("%d access lines on stdout, want 3", n)
	}
}

func TestShutdownFlushesTheLogFile(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	svc.stop(t)
	raw, err := os.ReadFile(filepath.Join(svc.Dir, "logs", "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"msg":"stopped"`)) { // the very last line
		t.Errorf("log file lacks the last line:\n%s", raw)
	}
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withID keeps the entries carrying the correlation id.
func withID(entries []map[string]any, id string) []map[string]any {
	var out []map[string]any
	for _, e := range entries {
		if e["correlation_id"] == id {
			out = append(out, e)
		}
	}
	return out
}

// onlyEntry returns the one entry carrying the correlation id.
func onlyEntry(t *testing.T, entries []map[string]any, id string) map[string]any {
	t.Helper()
	found := withID(entries, id)
	if len(found) != 1 {
		t.Fatalf("%d entries with correlation_id %q, want 1: %v", len(found), id, entries)
	}
	return found[0]
}

// containsEntry reports whether a JSON log holds a line equal to want.
func containsEntry(raw []byte, want map[string]any) bool {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && reflect.DeepEqual(m, want) {
			return true
		}
	}
	return false
}
