package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// checkJSON wants the route's success body, or its error shape with
// Retry-After where the status promises one.
func checkJSON(resp *http.Response, body []byte, v1 bool) error {
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		return fmt.Errorf("status %d with Content-Type %q: %.200s", resp.StatusCode, ct, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("status %d, body not JSON: %.200s", resp.StatusCode, body)
	}
	switch {
	case resp.StatusCode == 200 && v1:
		if _, ok := m["choices"].([]any); !ok {
			return fmt.Errorf("no choices: %.200s", body)
		}
	case resp.StatusCode == 200:
		if _, ok := m["response"].(string); !ok {
			return fmt.Errorf("no response: %.200s", body)
		}
	case v1:
		if e, _ := m["error"].(map[string]any); e == nil || e["message"] == "" {
			return fmt.Errorf("status %d without an OpenAI error: %.200s", resp.StatusCode, body)
		}
	default:
		if msg, _ := m["error"].(string); msg == "" || m["correlation_id"] != resp.Header.Get("X-Request-ID") {
			return fmt.Errorf("status %d without our error shape: %.200s", resp.StatusCode, body)
		}
	}
	if (resp.StatusCode == 429 || resp.StatusCode == 503) && resp.Header.Get("Retry-After") == "" {
		return fmt.Errorf("%d without Retry-After", resp.StatusCode)
	}
	return nil
}

// checkStream wants every event to be JSON and the stream to end in
// exactly one way: done ([DONE] on /v1), or an error event.
func checkStream(h http.Header, body []byte, v1 bool) error {
	if ct := h.Get("Content-Type"); ct != "text/event-stream" {
		return fmt.Errorf("stream with Content-Type %q", ct)
	}
	var name, last string
	var lastName string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			if data != "[DONE]" && !json.Valid([]byte(data)) {
				return fmt.Errorf("event data is not JSON: %q", data)
			}
			last, lastName, name = data, name, ""
		}
	}
	switch {
	case v1 && last == "[DONE]", !v1 && lastName == "done":
		return nil
	case v1 && strings.HasPrefix(last, `{"error":{`), !v1 && lastName == "error" && strings.HasPrefix(last, `{"error":"`):
		return nil
	}
	return fmt.Errorf("stream ended with neither done nor an error event: %.300s", body)
}
