package test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

// In the process, without Redis: the caller sees its own usage, named by
// its key's id; only an admin key sees every caller, and with no admin
// key configured nobody does.
func TestUsageRoutesInProcess(t *testing.T) {
	const user, admin = "user-key-0123456789abcdef", "admin-key-0123456789abcdef"
	up := newAzureUpstream(t, azureReply) // 21 tokens an answer
	env := azureEnv(up)
	env["API_KEYS"] = user
	bearer := func(k string) []string { return []string{"Authorization", "Bearer " + k} }

	svc := startService(t, env)
	if r := call(t, "GET", svc.URL+"/api/usage/callers", "", "", bearer(user)...); r.Status != 403 {
		t.Errorf("no ADMIN_API_KEYS: %d, want 403", r.Status)
	}

	env["ADMIN_API_KEYS"] = admin
	svc = startService(t, env)
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, bearer(user)...); r.Status != 200 {
		t.Fatalf("completion: %d %s", r.Status, r.Body)
	}
	sum := sha256.Sum256([]byte(user))
	id := hex.EncodeToString(sum[:4])
	body := usageOfWith(t, svc, bearer(user), func(_, p map[string]any) bool { return p["total_tokens"] == float64(21) })
	if body["caller"] != id || len(body["days"].([]any)) != 1 {
		t.Errorf("own usage = %v, want caller %s and one day", body, id)
	}
	assertErrorResponse(t, call(t, "GET", svc.URL+"/api/usage/callers", "", "", bearer(user)...), 403, "ADMIN_API_KEYS")
	r := call(t, "GET", svc.URL+"/api/usage/callers", "", "", bearer(admin)...)
	callers := r.JSON(t)["callers"].([]any)
	if r.Status != 200 || len(callers) != 1 || callers[0].(map[string]any)["caller"] != id {
		t.Errorf("admin view = %d %s", r.Status, r.Body)
	}
}

// API_KEY_LIMITS_FILE's keys are inbound keys with limits of their own,
// named by their ids in the ledger.
func TestAPIKeyLimitsFileGivesKeysTheirOwnLimits(t *testing.T) {
	const tight, roomy = "tight-key-0123456789abcdef", "roomy-key-0123456789abcdef"
	dir := t.TempDir()
	path := dir + "/keys.yaml"
	if err := os.WriteFile(path, []byte("keys:\n  - id: tight\n    api_key_env: TIGHT_KEY\n    rate_limit_burst: 1\n  - id: roomy\n    api_key_env: ROOMY_KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := startService(t, fakeEnv(map[string]string{"API_KEY_LIMITS_FILE": path, "TIGHT_KEY": tight, "ROOMY_KEY": roomy,
		"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "1000"})) // roomy keeps it: polling its usage below spends no scarce request
	post := func(k string) response {
		return postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "Authorization", "Bearer "+k)
	}
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`); r.Status != 401 {
		t.Errorf("the file's keys turn keys on: without one = %d", r.Status)
	}
	if r := post(tight); r.Status != 200 || r.Header.Get("x-ratelimit-limit-requests") != "1" {
		t.Fatalf("tight, first: %d, limit %q", r.Status, r.Header.Get("x-ratelimit-limit-requests"))
	}
	assertErrorResponse(t, post(tight), 429, "Rate limit exceeded")
	for i := range 3 {
		if r := post(roomy); r.Status != 200 || r.Header.Get("x-ratelimit-limit-requests") != "1000" {
			t.Fatalf("roomy keeps the default burst: request %d = %d, limit %q", i, r.Status, r.Header.Get("x-ratelimit-limit-requests"))
		}
	}
	body := usageOfWith(t, svc, []string{"Authorization", "Bearer " + roomy}, func(m, _ map[string]any) bool { return m["requests"] == float64(3) })
	if body["caller"] != "roomy" {
		t.Errorf("caller = %v, want the file's id", body["caller"])
	}
}
