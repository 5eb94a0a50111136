package test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// leakMarker is in every key this test hands the service.
const leakMarker = "LEAKCHECK"

// TestSecretsNeverLeak drives every route the router lists, in every way
// that reaches a different code path, and then looks for the keys in all
// the service wrote.
func TestSecretsNeverLeak(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if strings.Contains(req.Messages[len(req.Messages)-1].Content, "fail upstream") {
			// An auth failure that quotes the key back, as a hostile or
			// careless upstream may: its message is logged as the cause.
			azureError(w, http.StatusUnauthorized, "401", "Access denied: key "+req.Header.Get("api-key")+" is not valid for this resource.")
			return
		}
		azureReply(w, req)
	})
	keyed := azureEnv(up)
	keyed["API_KEYS"] = inboundKeyEnv
	scenarios := map[string]struct {
		env map[string]string
		hdr []string // sent with every request
	}{
		"azure":         {env: azureEnv(up)},
		"misconfigured": {env: map[string]string{"AZURE_OPENAI_API_KEY": testAPIKey}},
		"inbound keys":  {env: keyed, hdr: []string{"X-API-Key", inboundKeyEnv}},
	}
	for name, sc := range scenarios {
		env := sc.env
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeEnvFile(t, filepath.Join(dir, ".env"), "AZURE_OPENAI_API_KEY_V1="+fileV1Key+"\n")
			env["LOG_LEVEL"] = "DEBUG" // the most a log ever says
			env["LOG_PROMPTS"] = "true"
			svc := startServiceIn(t, dir, env)

			statuses := map[int]int{}
			responses := driveEveryRoute(t, svc.URL, sc.hdr...)
			if sc.hdr != nil { // and with a wrong key that looks like one
				responses = append(responses, driveEveryRoute(t, svc.URL, "Authorization", "Bearer wrong-"+leakMarker)...)
			}
			for _, r := range responses {
				statuses[r.Status]++
				if strings.Contains(string(r.Body), leakMarker) {
					t.Errorf("a response body holds a key: %s", r.Body)
				}
				for k, vs := range r.Header {
					if strings.Contains(k+strings.Join(vs, ","), leakMarker) {
						t.Errorf("response header %s holds a key", k)
					}
				}
			}
			svc.stop(t) // all of stdout is in, the log file closed

			for _, l := range svc.lines() {
				if strings.Contains(l, leakMarker) {
					t.Errorf("stdout holds a key: %s", l)
				}
			}
			file, err := os.ReadFile(filepath.Join(dir, "logs", "app.log"))
			if err != nil || len(file) == 0 {
				t.Fatalf("log file: %v (%d bytes)", err, len(file))
			}
			if strings.Contains(string(file), leakMarker) {
				t.Error("the log file holds a key")
			}
			assertExercised(t, statuses)
		})
	}
}

// assertExercised keeps the test honest: a run that never reached the
// interesting paths would prove nothing.
func assertExercised(t *testing.T, statuses map[int]int) {
	t.Helper()
	serverErrors := 0
	for status, n := range statuses {
		if status >= 500 {
			serverErrors += n
		}
	}
	for _, s := range []int{200, 400, 404, 405, 415} {
		if statuses[s] == 0 {
			t.Errorf("no response with status %d (got %v)", s, statuses)
		}
	}
	if serverErrors == 0 {
		t.Errorf("no upstream or configuration failure answered (got %v)", statuses)
	}
}

var pathParam = regexp.MustCompile(`[:*][^/]*`)

// driveEveryRoute asks the welcome page which routes exist, so routes
// added later are covered, and calls each with good, bad, failing and
// misdirected requests.
func driveEveryRoute(t *testing.T, base string, hdr ...string) []response {
	t.Helper()
	welcome := call(t, "GET", base+"/api/", "", "", hdr...)
	var body struct {
		Endpoints []struct{ Method, Path string } `json:"endpoints"`
	}
	if err := json.Unmarshal(welcome.Body, &body); err != nil || len(body.Endpoints) == 0 {
		t.Fatalf("welcome endpoints: %v: %s", err, welcome.Body)
	}
	seen := map[string]bool{}
	out := []response{welcome, call(t, "GET", base+"/no/such/route", "", "", hdr...)}
	for _, ep := range body.Endpoints {
		seen[ep.Method+" "+ep.Path] = true
		url := base + pathParam.ReplaceAllString(ep.Path, "x")
		for _, b := range []string{`{"prompt":"hello"}`, `{"prompt":"please fail upstream"}`, `{}`, `{"prompt":`, ``} {
			out = append(out, call(t, ep.Method, url, "application/json", b, hdr...))
		}
		out = append(out,
			call(t, ep.Method, url, "text/plain", "hello", hdr...),
			call(t, http.MethodPatch, url, "application/json", `{}`, hdr...),
			call(t, ep.Method, strings.TrimSuffix(url, "/")+"/nope", "", "", hdr...),
		)
	}
	for _, must := range []string{"POST /api/completions", "GET /api/config/info"} {
		if !seen[must] {
			t.Errorf("the router does not list %s: %v", must, body.Endpoints)
		}
	}
	return out
}
