package test

import (
	"crypto/sha256"
	"encoding/hex"
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
