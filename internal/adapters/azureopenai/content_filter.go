package azureopenai

import (
	"encoding/json"
	"slices"
	"sort"
)

// filterError covers both spellings Azure uses: the spec's inner_error /
// content_filter_results and real traffic's innererror /
// content_filter_result.
type filterError struct {
	Error struct {
		Code       string      `json:"code"`
		InnerError *innerError `json:"innererror"`
		InnerSpec  *innerError `json:"inner_error"`
	} `json:"error"`
}

type innerError struct {
	Code          string                     `json:"code"`
	Results       map[string]json.RawMessage `json:"content_filter_result"`
	ResultsInSpec map[string]json.RawMessage `json:"content_filter_results"`
}

// contentFilterCategories reports whether a 400 body is a content-filter
// refusal and which categories were filtered, sorted and each named once.
func contentFilterCategories(body []byte) ([]string, bool) {
	var fe filterError
	if json.Unmarshal(body, &fe) != nil {
		return nil, false
	}
	inner := fe.Error.InnerError
	if inner == nil {
		inner = fe.Error.InnerSpec
	}
	isFilter := fe.Error.Code == "content_filter" || (inner != nil && inner.Code == "ResponsibleAIPolicyViolation")
	if !isFilter {
		return nil, false
	}
	cats := []string{}
	if inner != nil {
		for _, results := range []map[string]json.RawMessage{inner.Results, inner.ResultsInSpec} {
			for name, raw := range results {
				var r struct {
					Filtered bool `json:"filtered"`
				}
				if validCategory(name) && json.Unmarshal(raw, &r) == nil && r.Filtered {
					cats = append(cats, name)
				}
			}
		}
	}
	sort.Strings(cats)
	cats = slices.Compact(cats) // a body may carry both spellings of one result
	return cats[:min(len(cats), maxCategories)], true
}

// maxCategories is more than Azure has; past it a body is not a real one.
const maxCategories = 32

// validCategory admits Azure's snake_case names (hate, self_harm,
// protected_material_code, …). The name is echoed to clients and logged,
// so anything else an upstream might put there is dropped.
func validCategory(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; (b < 'a' || b > 'z') && (b < '0' || b > '9') && b != '_' {
			return false
		}
	}
	return true
}
