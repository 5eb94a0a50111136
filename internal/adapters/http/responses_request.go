package http

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// responsesRequest is OpenAI's Responses request, answered by the same
// use case as chat completions. The decoder refuses, by name, every
// member it does not name, at every level; the refused rows of
// responsesParams decode into responsesRefused to be refused with their
// reason, or let through when null.
type responsesRequest struct {
	Model        string         `json:"model"`
	Input        responsesInput `json:"input"`
	Instructions *string        `json:"instructions"`
	Stream       bool           `json:"stream"`

	MaxOutputTokens   *int                `json:"max_output_tokens"`
	Temperature       *float64            `json:"temperature"`
	TopP              *float64            `json:"top_p"`
	User              string              `json:"user"`
	Reasoning         *responsesReasoning `json:"reasoning"`
	Tools             []responsesTool     `json:"tools"`
	ToolChoice        responsesToolChoice `json:"tool_choice"`
	ParallelToolCalls *bool               `json:"parallel_tool_calls"`
	Text              *responsesText      `json:"text"`

	Include []string `json:"include"` // refused unless it asks for nothing

	responsesRefused `json:",inline"`
}

// responsesRefused holds the refused rows of responsesParams.
type responsesRefused struct {
	Background           jsontext.Value `json:"background"`
	Store                jsontext.Value `json:"store"`
	PreviousResponseID   jsontext.Value `json:"previous_response_id"`
	Conversation         jsontext.Value `json:"conversation"`
	Metadata             jsontext.Value `json:"metadata"`
	Prompt               jsontext.Value `json:"prompt"`
	PromptCacheKey       jsontext.Value `json:"prompt_cache_key"`
	PromptCacheRetention jsontext.Value `json:"prompt_cache_retention"`
	ServiceTier          jsontext.Value `json:"service_tier"`
	Truncation           jsontext.Value `json:"truncation"`
	SafetyIdentifier     jsontext.Value `json:"safety_identifier"`
	MaxToolCalls         jsontext.Value `json:"max_tool_calls"`
	TopLogprobs          jsontext.Value `json:"top_logprobs"`
	StreamOptions        jsontext.Value `json:"stream_options"`
	Modalities           jsontext.Value `json:"modalities"`
	Audio                jsontext.Value `json:"audio"`
}

// rejectsUnknown makes decodeJSON refuse members the request does not name.
func (*responsesRequest) rejectsUnknown() {}

// responsesParams is /v1/responses' table. A member it does not list is
// refused like a refused row, by the decoder.
var responsesParams = []param{
	{"model", translated, "picks the model or pool, as for chat completions"},
	{"input", translated, "a string (one user turn) or message, function_call and function_call_output items, sent as chat turns"},
	{"instructions", translated, "a system turn before the input's, after the operator's system prompt"},
	{"stream", translated, "Responses' named events, translated from the chat stream"},
	{"max_output_tokens", translated, "sent as max_completion_tokens: 1 to MAX_TOKENS_LIMIT"},
	{"temperature", forwarded, "0 to 2"},
	{"top_p", forwarded, "0 to 1"},
	{"user", forwarded, ""},
	{"reasoning", translated, "effort only, sent as reasoning_effort; a summary is refused"},
	{"tools", translated, "function tools, sent as chat tools; strict as given (absent stays absent, the chat default)"},
	{"tool_choice", translated, "none, auto, required or {\"type\": \"function\", \"name\": ...}"},
	{"parallel_tool_calls", forwarded, ""},
	{"text", translated, "format only: text, json_object or json_schema, sent as response_format"},
	{"include", translated, "null, [] and reasoning.encrypted_content (no reasoning items are ever returned) are let through; the rest is refused"},
	{"background", refused, "responses are answered while the client waits; false is let through"},
	{"store", refused, "the service stores no responses; false is let through"},
	{"previous_response_id", refused, "the service stores no responses: send the whole conversation as input"},
	{"conversation", refused, "the service stores no conversations: send the whole conversation as input"},
	{"metadata", refused, "the service stores no responses"},
	{"prompt", refused, "stored prompts live on OpenAI's platform"},
	{"prompt_cache_key", refused, "the backends' prompt caching is the operator's choice"},
	{"prompt_cache_retention", refused, "the backends' prompt caching is the operator's choice"},
	{"service_tier", refused, "the backends' tier is the operator's choice"},
	{"truncation", refused, "the service never drops turns to fit the context"},
	{"safety_identifier", refused, "send user instead"},
	{"max_tool_calls", refused, "it bounds built-in tools, which the service does not run"},
	{"top_logprobs", refused, "logprobs are not relayed on this surface"},
	{"stream_options", refused, "the service sends no obfuscation padding"},
	{"modalities", refused, "no backend relays audio"},
	{"audio", refused, "no backend relays audio"},
}

// includeLetThrough are include values that ask for nothing: the service
// never returns reasoning items, so there is no content to include.
var includeLetThrough = map[string]bool{"reasoning.encrypted_content": true}

type responsesReasoning struct {
	Effort  string  `json:"effort"`
	Summary *string `json:"summary"`
}

// responsesTool is a function tool; any other type leaves Name empty
// and typ set, to be refused by name.
type responsesTool struct {
	typ         string
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Parameters  jsontext.Value `json:"parameters"`
	Strict      *bool          `json:"strict"`
}

func (t *responsesTool) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTyped(dec, func(typ string) any {
		t.typ = typ
		if typ == "function" {
			type plain responsesTool // without this method
			return (*plain)(t)
		}
		return nil
	})
}

func (responsesTool) jsonKinds() string { return "an object" }

// responsesToolChoice is "none", "auto", "required" or a named function.
type responsesToolChoice struct {
	mode   string
	object bool // the choice was an object, of type typ
	typ    string
	name   string
}

func (t *responsesToolChoice) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		return json.UnmarshalDecode(dec, &t.mode)
	case '{':
		t.object = true
		return decodeTyped(dec, func(typ string) any {
			t.typ = typ
			if typ == "function" {
				return &struct {
					Type *string `json:"type"`
					Name *string `json:"name"`
				}{&t.typ, &t.name}
			}
			return nil
		})
	}
	return errors.New("want a string or an object")
}

func (responsesToolChoice) jsonKinds() string { return "a string or an object" }

type responsesText struct {
	Format *responsesFormat `json:"format"`
}

type responsesFormat struct {
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Schema      jsontext.Value `json:"schema"`
	Strict      *bool          `json:"strict"`
}

func (f *responsesFormat) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTyped(dec, func(typ string) any {
		f.Type = typ
		switch typ {
		case "text", "json_object":
			return &struct {
				Type *string `json:"type"`
			}{&f.Type}
		case "json_schema":
			type plain responsesFormat
			return (*plain)(f)
		}
		return nil
	})
}

func (responsesFormat) jsonKinds() string { return "an object" }

// input checks what only this surface has and translates the rest into
// the conversation chat completions would send, for the same domain
// validation; fields are the domain's names, to be put back in ours.
func (r *responsesRequest) input(served func(string) bool) (ports.Conversation, fieldMap, error) {
	if err := r.refused(); err != nil {
		return ports.Conversation{}, nil, err
	}
	if r.Model == "" {
		return ports.Conversation{}, nil, failField(kindMissingParam, "model", "'model' is required")
	}
	if !served(r.Model) {
		return ports.Conversation{}, nil, domain.UnknownModel(r.Model)
	}
	conv := ports.Conversation{Model: r.Model, Sampling: domain.Sampling{
		Temperature: r.Temperature, TopP: r.TopP, MaxCompletionTokens: r.MaxOutputTokens, User: r.User,
	}}
	if r.Reasoning != nil {
		conv.ReasoningEffort = r.Reasoning.Effort
	}
	names := append(fieldMap{}, responsesFieldNames...)
	var err error
	if conv.Messages, names, err = r.messages(names); err != nil {
		return ports.Conversation{}, nil, err
	}
	if conv.Tools, err = r.tools(); err != nil {
		return ports.Conversation{}, nil, err
	}
	if r.Text != nil {
		conv.Format, err = r.Text.Format.format()
	}
	return conv, names, err
}

// refused answers the members the request type names only to refuse
// most of their values.
func (r *responsesRequest) refused() error {
	if err := refuseListed(&r.responsesRefused, responsesParams); err != nil {
		return err
	}
	for i, v := range r.Include {
		if !includeLetThrough[v] {
			field := fmt.Sprintf("include[%d]", i)
			return domain.Unsupported(field, fmt.Sprintf("'%s' is not supported by this service: it returns no extra output data", field))
		}
	}
	if r.Reasoning != nil && r.Reasoning.Summary != nil {
		return domain.Unsupported("reasoning.summary", "'reasoning.summary' is not supported by this service: chat completions return no reasoning summaries")
	}
	return nil
}

func (r *responsesRequest) tools() (domain.Tools, error) {
	t := domain.Tools{Parallel: r.ParallelToolCalls}
	for i, d := range r.Tools {
		field := fmt.Sprintf("tools[%d].type", i)
		switch d.typ {
		case "function":
		case "":
			return t, domain.InvalidField(field, fmt.Sprintf("'%s' is required", field))
		default:
			return t, domain.Unsupported(field, fmt.Sprintf("'%s' %q is not supported by this service: it relays function tools only", field, d.typ))
		}
		t.Defs = append(t.Defs, domain.Tool{Name: d.Name, Description: d.Description, Parameters: schemaOf(d.Parameters), Strict: d.Strict})
	}
	switch c := r.ToolChoice; {
	case !c.object && c.mode == "":
	case !c.object && (c.mode == "none" || c.mode == "auto" || c.mode == "required"):
		t.Choice.Mode = domain.ToolMode(c.mode)
	case c.object && c.typ == "function" && c.name != "":
		t.Choice = domain.ToolChoice{Mode: domain.ToolFunction, Name: c.name}
	case c.object && c.typ != "" && c.typ != "function":
		return t, domain.Unsupported("tool_choice.type", fmt.Sprintf("'tool_choice.type' %q is not supported by this service: it relays function tools only", c.typ))
	default:
		return t, domain.InvalidField("tool_choice", "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"name\": ...}")
	}
	return t, nil
}

func (f *responsesFormat) format() (*domain.Format, error) {
	if f == nil {
		return nil, nil
	}
	return formatOf(domain.Format{Type: domain.FormatType(f.Type), Name: f.Name, Description: f.Description, Schema: schemaOf(f.Schema), Strict: f.Strict}, "text.format.type")
}
