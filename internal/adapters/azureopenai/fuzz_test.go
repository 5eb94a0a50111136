package azureopenai

import (
	"slices"
	"testing"
)

// FuzzContentFilterCategories parses any 400 body as Azure's content
// filter refusal: the categories come out sorted, each once, bounded in
// number and spelling, and only for a body that says it is a filter refusal.
// Seeds: testdata/fuzz/FuzzContentFilterCategories.
func FuzzContentFilterCategories(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		cats, ok := contentFilterCategories(body)
		if !ok {
			if cats != nil {
				t.Fatalf("categories %q for a body that is no filter refusal", cats)
			}
			return
		}
		if !slices.IsSorted(cats) || len(slices.Compact(slices.Clone(cats))) != len(cats) {
			t.Fatalf("categories %q are not sorted and distinct", cats)
		}
		if len(cats) > maxCategories || slices.ContainsFunc(cats, func(c string) bool { return !validCategory(c) }) {
			t.Fatalf("categories %q are not bounded", cats)
		}
	})
}
