package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// text quotes into the reused buffer what json.Marshal would have
// encoded: every piece decodes back to itself, invalid UTF-8 as U+FFFD,
// and one event never bleeds into the next.
func TestSSETextEventsDecodeToTheirText(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &sseWriter{w: rec, rc: http.NewResponseController(rec)}
	pieces := []string{"Hello", `quote " backslash \ slash /`, "line\nbreak\ttab\x00nul\x1f", "<b>&amp;</b>", "é 漢字 🙂 \u2028", "bad \xff utf-8", strings.Repeat("x", 5000), ""}
	for _, p := range pieces {
		if err := w.text("", "delta", p); err != nil {
			t.Fatal(err)
		}
	}
	events := strings.Split(strings.TrimSuffix(rec.Body.String(), "\n\n"), "\n\n")
	if len(events) != len(pieces) {
		t.Fatalf("%d events for %d pieces:\n%s", len(events), len(pieces), rec.Body)
	}
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
		var got struct{ Delta string }
		if err := json.Unmarshal([]byte(data), &got); err != nil {
			t.Fatalf("event %d is not JSON: %v: %s", i, err, data)
		}
		if want := strings.ToValidUTF8(pieces[i], string(utf8.RuneError)); got.Delta != want {
			t.Errorf("event %d decodes to %q, want %q", i, got.Delta, want)
		}
	}
	if !bytes.HasPrefix(rec.Body.Bytes(), []byte(`data: {"delta":"Hello"}`+"\n\n")) {
		t.Errorf("first event is %q", rec.Body.String()[:40])
	}
}
