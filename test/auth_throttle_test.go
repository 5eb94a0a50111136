package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Twenty wrong keys from one address are answered 401; from then on the
// address gets 429 for the rest of its minute, a right key included,
// since the refusal comes before any key is compared.
func TestWrongKeysLockTheClientAddressOut(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"API_KEYS": inboundKeyEnv}))
	for i := range 20 {
		r := call(t, "GET", svc.URL+"/v1/models", "", "", "Authorization", "Bearer guess-"+strconv.Itoa(i)+"-0123456789abcdef")
		if r.Status != 401 {
			t.Fatalf("wrong key %d = %d, want 401", i+1, r.Status)
		}
	}
	v1 := call(t, "GET", svc.URL+"/v1/models", "", "", "Authorization", "Bearer guess-20-0123456789abcdef")
	if v1.Status != 429 || v1.JSON(t)["error"].(map[string]any)["code"] != "too_many_auth_failures" {
		t.Errorf("wrong key 21 = %d %s, want 429 too_many_auth_failures", v1.Status, v1.Body)
	}
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "X-API-Key", inboundKeyEnv)
	assertErrorResponse(t, r, 429, "Too many wrong API keys")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After = %q, want the seconds left of the minute", r.Header.Get("Retry-After"))
	}
	if r := call(t, "GET", svc.URL+"/healthz", "", ""); r.Status != 200 {
		t.Errorf("probes are open to a locked-out address: %d", r.Status)
	}
	svc.stop(t)
	warnings := svc.logEntries("too many wrong API keys from one address; refusing it until its minute is over")
	if len(warnings) != 1 || warnings[0]["level"] != "WARNING" || warnings[0]["client_ip"] != "127.0.0.1" {
		t.Errorf("lockout warnings = %v, want one WARNING naming the address", warnings)
	}
}

func TestStartupRefusesShortOrEmptyInboundKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "api-keys")
	if err := os.WriteFile(file, []byte(inboundKeyFile+"\nLEAKCHECK-short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"API_KEYS": inboundKeyEnv + ",LEAKCHECK-short"}, "invalid API_KEYS: entry 2 is shorter than 16 characters"},
		{map[string]string{"API_KEYS_FILE": file}, "invalid API_KEYS_FILE: the key on line 2 is shorter than 16 characters"},
		{map[string]string{"API_KEYS": " , "}, "invalid API_KEYS: it holds separators but no key"},
	} {
		s := mustLaunch(t, fakeEnv(tt.env))
		if code := s.waitExit(t); code != 1 {
			t.Errorf("%v: exit code = %d, want 1", tt.env, code)
		}
		out := strings.Join(s.lines(), "\n")
		if len(s.lines()) != 1 || !strings.Contains(out, tt.want) || strings.Contains(out, "LEAKCHECK") || strings.Contains(out, file) {
			t.Errorf("%v: output = %q, want one line saying %q that quotes no key or path", tt.env, out, tt.want)
		}
	}
}
