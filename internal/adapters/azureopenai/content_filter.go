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
				if json.Unmarshal(raw, &r) == nil && r.Filtered {
					cats = append(cats, name)
				}
			}
		}
	}
	sort.Strings(cats)
	return slices.Compact(cats), true // a body may carry both spellings of one result
}
