package test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenRoutesAreOneList holds the three places that name the routes
// served without a key to the one list the service derives from its
// public route group: the start-up log, the OpenAPI document's
// `security: []` and the README. Then it asks the service itself: every
// operation answers without a key exactly when it is open.
func TestOpenRoutesAreOneList(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "API_KEYS": "open-routes-key-0123456789"})
	entries := svc.logEntries("inbound authentication is on: an API key is required on every route but the open ones")
	if len(entries) != 1 {
		t.Fatalf("no start-up line naming the open routes")
	}
	var served []string
	for _, r := range entries[0]["open_routes"].([]any) {
		served = append(served, r.(string))
	}
	slices.Sort(served)

	var inDocument []string
	doc := mustContract(t).doc
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				inDocument = append(inDocument, method+" "+path)
			}
		}
	}
	slices.Sort(inDocument)
	if !slices.Equal(served, inDocument) {
		t.Errorf("open routes: the service %v, the OpenAPI document %v", served, inDocument)
	}

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?s)Open without a key[^:]*:(.*?)\. Every other`).FindSubmatch(readme)
	if line == nil {
		t.Fatal(`README has no "Open without a key …: … . Every other" sentence`)
	}
	var inREADME []string
	for _, m := range regexp.MustCompile("`([A-Z]+ [^`]+)`").FindAllSubmatch(line[1], -1) {
		inREADME = append(inREADME, string(m[1]))
	}
	slices.Sort(inREADME)
	if !slices.Equal(served, inREADME) {
		t.Errorf("open routes: the service %v, the README %v", served, inREADME)
	}

	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			url := svc.URL + strings.ReplaceAll(path, "{model}", "offline-fake")
			r := call(t, method, url, "application/json", "{}")
			open := op.Security != nil && len(*op.Security) == 0
			if (r.Status == http.StatusUnauthorized) == open {
				t.Errorf("%s %s without a key: %d, open = %v", method, path, r.Status, open)
			}
		}
	}
}
