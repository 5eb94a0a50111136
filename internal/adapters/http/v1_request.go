package http

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// v1ChatRequest is OpenAI's chat-completions request. The decoder
// refuses, by name, every member it does not name, at every level; the
// refused rows of v1ChatParams decode into v1Refused to be refused with
// their reason, or let through when null.
type v1ChatRequest struct {
	Model         string           `json:"model"`
	Messages      []v1Message      `json:"messages"`
	Stream        bool             `json:"stream"`
	StreamOptions *v1StreamOptions `json:"stream_options"`

	Temperature         *float64       `json:"temperature"`
	TopP                *float64       `json:"top_p"`
	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	N                   *int           `json:"n"`
	Stop                v1Stop         `json:"stop"`
	Seed                *int64         `json:"seed"`
	PresencePenalty     *float64       `json:"presence_penalty"`
	FrequencyPenalty    *float64       `json:"frequency_penalty"`
	LogitBias           map[string]int `json:"logit_bias"`
	Logprobs            *bool          `json:"logprobs"`
	TopLogprobs         *int           `json:"top_logprobs"`
	User                string         `json:"user"`
	ReasoningEffort     string         `json:"reasoning_effort"`
	Prediction          *v1Prediction  `json:"prediction"`

	Tools             []v1Tool          `json:"tools"`
	ToolChoice        v1ToolChoice      `json:"tool_choice"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls"`
	ResponseFormat    *v1ResponseFormat `json:"response_format"`

	v1Refused `json:",inline"`
}

// v1Refused holds the refused rows of v1ChatParams. It is a named
// embedded type: the decoder inlines no anonymous struct.
type v1Refused struct {
	Modalities       jsontext.Value `json:"modalities"`
	Audio            jsontext.Value `json:"audio"`
	Functions        jsontext.Value `json:"functions"`
	FunctionCall     jsontext.Value `json:"function_call"`
	Store            jsontext.Value `json:"store"`
	Metadata         jsontext.Value `json:"metadata"`
	ServiceTier      jsontext.Value `json:"service_tier"`
	WebSearchOptions jsontext.Value `json:"web_search_options"`
}

// rejectsUnknown makes decodeJSON refuse members the request does not name.
func (*v1ChatRequest) rejectsUnknown() {}

type v1StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type v1Message struct {
	Role       string       `json:"role"`
	Content    v1Content    `json:"content"`
	Name       string       `json:"name"`
	ToolCalls  []v1ToolCall `json:"tool_calls"`
	ToolCallID string       `json:"tool_call_id"`
	Refusal    string       `json:"refusal"`
}

// v1Content is a message's content as the SDKs send it: null, a string
// or an array of parts, decoded in the body's one pass.
type v1Content struct {
	text  string
	parts []v1Part // not nil when the content was an array
}

type v1Part struct {
	Type     string      `json:"type"`
	Text     string      `json:"text"`
	Refusal  string      `json:"refusal"`
	ImageURL *v1ImageURL `json:"image_url"`
}

type v1ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail"`
}

func (c *v1Content) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTextOrList(dec, func() *string { return &c.text }, &c.parts)
}

// decodeTextOrList decodes what OpenAI lets be either: null, a string
// into text(), or an array into list, made non-nil so that an empty
// array is told apart from none.
func decodeTextOrList[T any](dec *jsontext.Decoder, text func() *string, list *[]T) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		return json.UnmarshalDecode(dec, text())
	case '[':
		*list = []T{}
		return json.UnmarshalDecode(dec, list)
	}
	return errors.New("want a string or an array")
}

// jsonKinds words what v1Content accepts, for the decoder's type errors.
func (v1Content) jsonKinds() string { return "a string or an array of content parts" }

type v1ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type v1Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		Parameters  jsontext.Value `json:"parameters"`
		Strict      *bool          `json:"strict"`
	} `json:"function"`
}

// v1ToolChoice is "none", "auto", "required" or a named function.
type v1ToolChoice struct {
	mode     string
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

func (t *v1ToolChoice) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		return json.UnmarshalDecode(dec, &t.mode)
	case '{':
		type plain v1ToolChoice // without this method, so it decodes as an object
		return json.UnmarshalDecode(dec, (*plain)(t), json.RejectUnknownMembers(true))
	}
	return errors.New("want a string or an object")
}

func (v1ToolChoice) jsonKinds() string { return "a string or an object" }

// v1Stop is one sequence or up to four.
type v1Stop []string

func (s *v1Stop) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		var one string
		err := json.UnmarshalDecode(dec, &one)
		*s = v1Stop{one}
		return err
	case '[':
		return json.UnmarshalDecode(dec, (*[]string)(s))
	}
	return errors.New("want a string or an array")
}

func (v1Stop) jsonKinds() string { return "a string or an array of strings" }

type v1ResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		Schema      jsontext.Value `json:"schema"`
		Strict      *bool          `json:"strict"`
	} `json:"json_schema"`
}

// v1Prediction is predicted output; its content is passed on as sent.
type v1Prediction struct {
	Type    string         `json:"type"`
	Content jsontext.Value `json:"content"`
}

// input checks what only this surface has (the model, the wire shapes)
// and hands the rest to the same domain validation as /api/chat.
func (r *v1ChatRequest) input(served func(string) bool) (ports.Conversation, error) {
	if err := refuseListed(&r.v1Refused, v1ChatParams); err != nil {
		return ports.Conversation{}, err
	}
	if r.Model == "" {
		return ports.Conversation{}, failField(kindMissingParam, "model", "'model' is required")
	}
	if !served(r.Model) {
		return ports.Conversation{}, domain.UnknownModel(r.Model)
	}
	conv := ports.Conversation{Model: r.Model, Messages: make([]domain.Message, len(r.Messages)), Sampling: domain.Sampling{
		Temperature: r.Temperature, TopP: r.TopP, MaxTokens: r.MaxTokens, MaxCompletionTokens: r.MaxCompletionTokens,
		N: r.N, Stop: r.Stop, Seed: r.Seed, PresencePenalty: r.PresencePenalty, FrequencyPenalty: r.FrequencyPenalty,
		LogitBias: r.LogitBias, Logprobs: r.Logprobs, TopLogprobs: r.TopLogprobs, User: r.User, ReasoningEffort: r.ReasoningEffort,
	}}
	for i, m := range r.Messages {
		conv.Messages[i] = m.message()
	}
	var err error
	if conv.Sampling.Prediction, err = r.Prediction.value(); err != nil {
		return ports.Conversation{}, err
	}
	if conv.Tools, err = r.tools(); err != nil {
		return ports.Conversation{}, err
	}
	conv.Format, err = r.ResponseFormat.format()
	return conv, err
}

func (m v1Message) message() domain.Message {
	out := domain.Message{Role: domain.Role(m.Role), Content: m.Content.text, Name: m.Name, ToolCallID: m.ToolCallID, Refusal: m.Refusal}
	if m.Content.parts != nil {
		out.Parts = make([]domain.Part, len(m.Content.parts))
		for i, p := range m.Content.parts {
			out.Parts[i] = p.part()
		}
	}
	for _, t := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, domain.ToolCall{ID: t.ID, Name: t.Function.Name, Arguments: t.Function.Arguments})
	}
	return out
}

func (p v1Part) part() domain.Part {
	out := domain.Part{Type: domain.PartType(p.Type), Text: p.Text}
	switch {
	case p.ImageURL != nil:
		out.ImageURL, out.Detail = p.ImageURL.URL, p.ImageURL.Detail
	case out.Type == domain.PartRefusal:
		out.Text = p.Refusal
	}
	return out
}

func (r *v1ChatRequest) tools() (domain.Tools, error) {
	t := domain.Tools{Parallel: r.ParallelToolCalls}
	for i, d := range r.Tools {
		if d.Type != "function" {
			field := fmt.Sprintf("tools[%d].type", i)
			return t, domain.Unsupported(field, fmt.Sprintf("'%s' must be function: this service relays function tools only", field))
		}
		f := d.Function
		t.Defs = append(t.Defs, domain.Tool{Name: f.Name, Description: f.Description, Parameters: schemaOf(f.Parameters), Strict: f.Strict})
	}
	c := r.ToolChoice
	switch {
	case c.mode == "" && c.Type == "":
	case c.mode != "" && slices.Contains([]string{"none", "auto", "required"}, c.mode):
		t.Choice.Mode = domain.ToolMode(c.mode)
	case c.mode == "" && c.Type == "function" && c.Function.Name != "":
		t.Choice = domain.ToolChoice{Mode: domain.ToolFunction, Name: c.Function.Name}
	default:
		return t, domain.InvalidField("tool_choice", "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}")
	}
	return t, nil
}

func (f *v1ResponseFormat) format() (*domain.Format, error) {
	if f == nil {
		return nil, nil
	}
	out := domain.Format{Type: domain.FormatType(f.Type)}
	if s := f.JSONSchema; s != nil {
		out.Name, out.Description, out.Schema, out.Strict = s.Name, s.Description, schemaOf(s.Schema), s.Strict
	} else if out.Type == domain.FormatJSONSchema {
		return nil, domain.InvalidField("response_format.json_schema", "'response_format.json_schema' is required for type json_schema")
	}
	return formatOf(out, "response_format.type")
}

// formatOf is a format in either surface's spelling, once its type is
// one the service forwards; typeField names the type in the request.
func formatOf(f domain.Format, typeField string) (*domain.Format, error) {
	switch f.Type {
	case domain.FormatText, domain.FormatJSONObject:
		return &domain.Format{Type: f.Type}, nil // a schema sent beside them means nothing
	case domain.FormatJSONSchema:
		return &f, nil
	}
	return nil, domain.InvalidField(typeField, fmt.Sprintf("'%s' must be text, json_object or json_schema", typeField))
}

// schemaOf is a schema as the client wrote it; null is no schema.
func schemaOf(v jsontext.Value) domain.JSON {
	if v.Kind() == 'n' {
		return nil
	}
	return domain.JSON(v)
}

func (p *v1Prediction) value() (domain.JSON, error) {
	if p == nil {
		return nil, nil
	}
	if p.Type != "content" || len(p.Content) == 0 {
		return nil, domain.InvalidField("prediction", "'prediction' must be {\"type\": \"content\", \"content\": ...}")
	}
	b, _ := json.Marshal(p) // re-encoded from what was just decoded
	return domain.JSON(b), nil
}
