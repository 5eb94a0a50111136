package test

import (
	"strings"
	"testing"
)

// TestChatPageCanBeTurnedOff: CHAT_UI=false reaches the adapter. The
// page's paths answer 404, and the welcome no longer lists them.
func TestChatPageCanBeTurnedOff(t *testing.T) {
	for _, on := range []string{"true", "false"} {
		svc := startService(t, fakeEnv(map[string]string{"CHAT_UI": on}))
		for _, p := range []string{"/chat/", "/chat", "/chat/chat.js", "/chat/chat.css", "/chat/icon.svg"} {
			r := call(t, "GET", svc.URL+p, "", "")
			if on == "false" {
				assertErrorResponse(t, r, 404, "Resource not found")
			} else if r.Status != 200 {
				t.Errorf("CHAT_UI=true: GET %s answered %d", p, r.Status)
			}
		}
		listed := strings.Contains(string(call(t, "GET", svc.URL+"/api/", "", "").Body), `"path":"/chat/"`)
		if listed != (on == "true") {
			t.Errorf("CHAT_UI=%s: the welcome lists the page: %v", on, listed)
		}
	}
}
