package azureopenai

import (
	"fmt"
	"strings"
	"testing"
)

// Category names are the upstream's words, echoed to clients and logs:
// only short snake_case names pass, and only so many of them.
func TestContentFilterCategoriesAreBounded(t *testing.T) {
	results := []string{`"hate":{"filtered":true}`, `"self_harm":{"filtered":true}`,
		fmt.Sprintf(`%q:{"filtered":true}`, "x\n{\"level\":\"error\"}"),
		fmt.Sprintf(`%q:{"filtered":true}`, strings.Repeat("a", 65)),
		`"Hate Speech":{"filtered":true}`}
	for i := range 100 {
		results = append(results, fmt.Sprintf(`"zz%03d":{"filtered":true}`, i))
	}
	body := `{"error":{"code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{` +
		strings.Join(results, ",") + `}}}}`
	cats, ok := contentFilterCategories([]byte(body))
	if !ok {
		t.Fatal("a filter refusal was not recognised")
	}
	if len(cats) != maxCategories {
		t.Errorf("%d categories, want at most %d", len(cats), maxCategories)
	}
	for _, c := range cats {
		if !validCategory(c) {
			t.Errorf("category %q passed on", c)
		}
	}
	if cats[0] != "hate" || cats[1] != "self_harm" || cats[2] != "zz000" {
		t.Errorf("categories = %q, want the valid ones, sorted", cats)
	}
}
