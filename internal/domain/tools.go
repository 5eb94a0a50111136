package domain

// JSON is a value passed through as it was written: a tool's parameter
// schema, a model's logprobs. The core never looks inside it.
type JSON []byte

// MarshalJSON writes the value as it is; an empty one is null.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps a copy of the value as written; null is empty.
func (j *JSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*j = nil
		return nil
	}
	*j = append((*j)[:0], b...)
	return nil
}

// Tools are the functions a model may call, and how it may call them.
type Tools struct {
	Defs     []Tool
	Choice   ToolChoice
	Parallel *bool // parallel_tool_calls; nil the model's default
}

// Tool is one function a model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  JSON  // a JSON Schema object; empty means none
	Strict      *bool // whether the model must follow Parameters exactly
}

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode ToolMode
	Name string // ToolFunction: the function to call
}

// ToolMode is how a model may use its tools.
type ToolMode string

const (
	ToolDefault  ToolMode = ""         // the model's default
	ToolNone     ToolMode = "none"     // never call one
	ToolAuto     ToolMode = "auto"     // its choice
	ToolRequired ToolMode = "required" // call at least one
	ToolFunction ToolMode = "function" // call the one named
)

// Format is the shape the answer's text must take.
type Format struct {
	Type        FormatType
	Name        string // FormatJSONSchema
	Description string
	Schema      JSON
	Strict      *bool
}

// FormatType is response_format's type.
type FormatType string

const (
	FormatText       FormatType = "text"
	FormatJSONObject FormatType = "json_object"
	FormatJSONSchema FormatType = "json_schema"
)
