package test

import (
	"strings"
	"testing"
)

// TestContractChatRangesMatchTheServer pins the chat request schema to the
// server's rules at their edges: what the server accepts must pass the
// document (a 2xx makes the transport validate the request), and what the
// schema can express the server rejects must fail both.
func TestContractChatRangesMatchTheServer(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "CHAT_ALLOW_SYSTEM": "true"})
	chat := func(extra string) string {
		return `{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]` + extra + `}`
	}
	for _, body := range []string{
		chat(``),
		chat(`,"temperature":0,"max_tokens":1`),
		chat(`,"temperature":2,"max_tokens":4096`),
		chat(`,"temperature":null,"max_tokens":null`),
	} {
		if r := postJSON(t, svc.URL+"/api/chat", body); r.Status != 200 {
			t.Errorf("%s: status %d: %s", body, r.Status, r.Body)
		}
	}

	for _, tt := range []struct{ body, server, document string }{
		{`{"messages":[]}`, "'messages' is required", "minimum number of items is 1"},
		{chat(`,"temperature":-0.1`), "'temperature'", "number must be at least 0"},
		{chat(`,"temperature":2.01`), "'temperature'", "number must be at most 2"},
		{chat(`,"max_tokens":0`), "'max_tokens'", "number must be at least 1"},
		{`{"messages":[{"role":"tool","content":"x"}]}`, "'messages[0].role'", "not one of the allowed values"},
		{`{"messages":[{"role":"user","content":""}]}`, "'messages[0].content' is required", "minimum string length is 1"},
	} {
		assertErrorResponse(t, postJSON(t, svc.URL+"/api/chat", tt.body), 400, tt.server)
		if err := documentVerdict(t, "/api/chat", tt.body); err == nil || !strings.Contains(err.Error(), tt.document) {
			t.Errorf("%s: document verdict %v, want one mentioning %q", tt.body, err, tt.document)
		}
	}
}
