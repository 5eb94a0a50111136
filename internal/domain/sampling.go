package domain

import (
	"fmt"
	"regexp"
	"slices"
)

// Sampling are the generation parameters a client may set; nil or empty
// means the model's default.
type Sampling struct {
	Temperature         *float64
	TopP                *float64
	MaxTokens           *int // sent as max_tokens
	MaxCompletionTokens *int // sent as max_completion_tokens: o-series and gpt-5 take only this
	N                   *int
	Stop                []string
	Seed                *int64
	PresencePenalty     *float64
	FrequencyPenalty    *float64
	LogitBias           map[string]int
	Logprobs            *bool
	TopLogprobs         *int
	User                string
	ReasoningEffort     string
	Prediction          JSON // predicted output, passed through
}

// Bounds the upstream APIs define.
const (
	MinTemperature  = 0.0
	MaxTemperature  = 2.0
	MaxStops        = 4
	MaxTopLogprobs  = 20
	MaxTools        = 128
	maxLogitBias    = 100
	maxPenalty      = 2.0
	maxLogitEntries = 1024
)

// ReasoningEfforts are the values reasoning_effort may take.
var ReasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh"}

// inRange is false for NaN too.
func inRange(v *float64, lo, hi float64) bool { return v == nil || (*v >= lo && *v <= hi) }

func validateSampling(s Sampling, lim ChatLimits) error {
	between := func(field string, lo, hi any) error {
		return InvalidField(field, fmt.Sprintf("'%s' must be between %v and %v", field, lo, hi))
	}
	maxN := max(lim.MaxN, 1)
	switch {
	case !inRange(s.Temperature, MinTemperature, MaxTemperature):
		return between("temperature", MinTemperature, MaxTemperature)
	case !inRange(s.TopP, 0, 1):
		return between("top_p", 0, 1)
	case !inRange(s.PresencePenalty, -maxPenalty, maxPenalty):
		return between("presence_penalty", -maxPenalty, maxPenalty)
	case !inRange(s.FrequencyPenalty, -maxPenalty, maxPenalty):
		return between("frequency_penalty", -maxPenalty, maxPenalty)
	case s.MaxTokens != nil && (*s.MaxTokens < 1 || *s.MaxTokens > lim.MaxTokensLimit):
		return between("max_tokens", 1, lim.MaxTokensLimit)
	case s.MaxCompletionTokens != nil && (*s.MaxCompletionTokens < 1 || *s.MaxCompletionTokens > lim.MaxTokensLimit):
		return between("max_completion_tokens", 1, lim.MaxTokensLimit)
	case s.N != nil && (*s.N < 1 || *s.N > maxN):
		return between("n", 1, maxN)
	case s.TopLogprobs != nil && (*s.TopLogprobs < 0 || *s.TopLogprobs > MaxTopLogprobs):
		return between("top_logprobs", 0, MaxTopLogprobs)
	case s.TopLogprobs != nil && (s.Logprobs == nil || !*s.Logprobs):
		return InvalidField("top_logprobs", "'top_logprobs' needs 'logprobs' set to true")
	case len(s.Stop) > MaxStops:
		return InvalidField("stop", fmt.Sprintf("'stop' may hold at most %d sequences", MaxStops))
	case slices.Contains(s.Stop, ""):
		return InvalidField("stop", "'stop' sequences may not be empty")
	case len(s.LogitBias) > maxLogitEntries:
		return InvalidField("logit_bias", fmt.Sprintf("'logit_bias' may hold at most %d tokens", maxLogitEntries))
	case s.ReasoningEffort != "" && !slices.Contains(ReasoningEfforts, s.ReasoningEffort):
		return InvalidField("reasoning_effort", "'reasoning_effort' must be one of none, minimal, low, medium, high or xhigh")
	}
	for tok, bias := range s.LogitBias {
		// The key first, so that only a token id is ever echoed.
		if !tokenID.MatchString(tok) {
			return InvalidField("logit_bias", "'logit_bias' keys must be token ids")
		}
		if bias < -maxLogitBias || bias > maxLogitBias {
			return between("logit_bias["+tok+"]", -maxLogitBias, maxLogitBias)
		}
	}
	return nil
}

var (
	tokenID      = regexp.MustCompile(`^[0-9]{1,10}$`)
	functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// ValidateTools checks the functions a client offers the model, how it
// may call them, and the answer's format.
func ValidateTools(t Tools, f *Format) error {
	if len(t.Defs) > MaxTools {
		return InvalidField("tools", fmt.Sprintf("'tools' may hold at most %d functions", MaxTools))
	}
	for i, d := range t.Defs {
		field := fmt.Sprintf("tools[%d].function", i)
		if !functionName.MatchString(d.Name) {
			return InvalidField(field+".name", fmt.Sprintf("'%s.name' must be 1 to 64 letters, digits, '_' or '-'", field))
		}
		if !isObject(d.Parameters) {
			return InvalidField(field+".parameters", fmt.Sprintf("'%s.parameters' must be a JSON Schema object", field))
		}
		if slices.ContainsFunc(t.Defs[:i], func(o Tool) bool { return o.Name == d.Name }) {
			return InvalidField(field+".name", fmt.Sprintf("'%s.name' repeats an earlier function's name", field)) // the model's call could not say which
		}
	}
	switch c := t.Choice; {
	case (c.Mode == ToolRequired || c.Mode == ToolFunction) && len(t.Defs) == 0:
		return InvalidField("tool_choice", "'tool_choice' needs 'tools'")
	case c.Mode == ToolFunction && !slices.ContainsFunc(t.Defs, func(d Tool) bool { return d.Name == c.Name }):
		return InvalidField("tool_choice", "'tool_choice' names a function that is not in 'tools'")
	}
	if f != nil && f.Type == FormatJSONSchema {
		if !functionName.MatchString(f.Name) {
			return InvalidField("response_format.json_schema.name", "'response_format.json_schema.name' must be 1 to 64 letters, digits, '_' or '-'")
		}
		if !isObject(f.Schema) {
			return InvalidField("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object")
		}
	}
	return nil
}

// isObject is true for an absent value or one that starts an object; the
// decoder has already checked that it is valid JSON.
func isObject(j JSON) bool {
	for _, b := range j {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return string(j) == "null"
	}
	return true
}
