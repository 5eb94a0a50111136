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

// set is what the client set of the refused rows, by name.
func (f *responsesRefused) set() map[string]jsontext.Value {
	return map[string]jsontext.Value{
		"background": f.Background, "store": f.Store, "previous_response_id": f.PreviousResponseID, "conversation": f.Conversation, "metadata": f.Metadata,
		"prompt": f.Prompt, "prompt_cache_key": f.PromptCacheKey, "prompt_cache_retention": f.PromptCacheRetention,
		"service_tier": f.ServiceTier, "truncation": f.Truncation, "safety_identifier": f.SafetyIdentifier,
		"max_tool_calls": f.MaxToolCalls, "top_logprobs": f.TopLogprobs, "stream_options": f.StreamOptions,
		"modalities": f.Modalities, "audio": f.Audio,
	}
}

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

// responsesInput is a string (one user turn) or an array of items.
type responsesInput struct {
	text  *string
	items []responsesItem // not nil when the input was an array
}

func (in *responsesInput) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		in.text = new(string)
		return json.UnmarshalDecode(dec, in.text)
	case '[':
		in.items = []responsesItem{}
		return json.UnmarshalDecode(dec, &in.items)
	}
	return errors.New("want a string or an array")
}

func (responsesInput) jsonKinds() string { return "a string or an array of input items" }

// responsesItem is one input item; its type picks which field is set.
// None is set for a type the service does not take.
type responsesItem struct {
	typ  string
	msg  *responsesMessage
	call *responsesCall
	out  *responsesCallOutput
}

type responsesMessage struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`     // an output item sent back: ignored
	Status  string           `json:"status"` // the same
	Role    string           `json:"role"`
	Content responsesContent `json:"content"`
}

type responsesCall struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Status    string `json:"status"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type responsesCallOutput struct {
	Type   string           `json:"type"`
	ID     string           `json:"id"`
	Status string           `json:"status"`
	CallID string           `json:"call_id"`
	Output responsesContent `json:"output"`
}

func (it *responsesItem) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTyped(dec, func(typ string) any {
		it.typ = typ
		switch typ {
		case "", "message":
			it.msg = &responsesMessage{}
			return it.msg
		case "function_call":
			it.call = &responsesCall{}
			return it.call
		case "function_call_output":
			it.out = &responsesCallOutput{}
			return it.out
		}
		return nil
	})
}

func (responsesItem) jsonKinds() string { return "an object" }

// responsesContent is a string or an array of content parts.
type responsesContent struct {
	text  string
	parts []responsesPart // not nil when the content was an array
}

func (c *responsesContent) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		return json.UnmarshalDecode(dec, &c.text)
	case '[':
		c.parts = []responsesPart{}
		return json.UnmarshalDecode(dec, &c.parts)
	}
	return errors.New("want a string or an array")
}

func (responsesContent) jsonKinds() string { return "a string or an array of content parts" }

// responsesPart is one content part, of any type; only the members of
// its type decode.
type responsesPart struct {
	Type        string         `json:"type"`
	Text        string         `json:"text"`
	ImageURL    string         `json:"image_url"`
	Detail      string         `json:"detail"`
	Refusal     string         `json:"refusal"`
	Annotations jsontext.Value `json:"annotations"` // output_text sent back: ignored
	Logprobs    jsontext.Value `json:"logprobs"`
}

func (p *responsesPart) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTyped(dec, func(typ string) any {
		p.Type = typ
		switch typ {
		case "input_text":
			return &struct {
				Type *string `json:"type"`
				Text *string `json:"text"`
			}{&p.Type, &p.Text}
		case "input_image":
			return &struct {
				Type     *string `json:"type"`
				ImageURL *string `json:"image_url"`
				Detail   *string `json:"detail"`
			}{&p.Type, &p.ImageURL, &p.Detail}
		case "output_text":
			return &struct {
				Type        *string         `json:"type"`
				Text        *string         `json:"text"`
				Annotations *jsontext.Value `json:"annotations"`
				Logprobs    *jsontext.Value `json:"logprobs"`
			}{&p.Type, &p.Text, &p.Annotations, &p.Logprobs}
		case "refusal":
			return &struct {
				Type    *string `json:"type"`
				Refusal *string `json:"refusal"`
			}{&p.Type, &p.Refusal}
		}
		return nil
	})
}

func (responsesPart) jsonKinds() string { return "an object" }

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

// decodeTyped decodes an object whose "type" member says which members
// it may have: pick returns where to decode it, or nil for a type the
// service does not take, whose members are then not looked at. Errors
// name the member from the body's root, as the decoder's own do.
func decodeTyped(dec *jsontext.Decoder, pick func(typ string) any) error {
	if dec.PeekKind() != '{' {
		return errors.New("want an object")
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	at := dec.StackPointer()
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe, strictJSON); err != nil {
		return relocate(at, err)
	}
	dst := pick(probe.Type)
	if dst == nil {
		return nil
	}
	return relocate(at, json.Unmarshal(raw, dst, strictMembers))
}

// relocate makes an error found inside a value name its place in the
// whole body.
func relocate(at jsontext.Pointer, err error) error {
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		sem.JSONPointer = at + sem.JSONPointer
		return sem
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		syn.JSONPointer = at + syn.JSONPointer
		return syn
	}
	return err
}

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
	set := r.responsesRefused.set()
	if string(r.Background) == "false" { // what the service does anyway
		delete(set, "background")
	}
	if err := refuseListed(set, responsesParams); err != nil {
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

// messages turns instructions and input into chat turns. A function
// call joins the assistant turn before it, so parallel calls, and text
// said before them, are one turn with tool calls, as chat sends them.
func (r *responsesRequest) messages(names fieldMap) ([]domain.Message, fieldMap, error) {
	var msgs []domain.Message
	from := func(sub, ours string) {
		names = append(names, fieldRename{fmt.Sprintf("messages[%d]%s", len(msgs), sub), ours})
	}
	if r.Instructions != nil && *r.Instructions != "" { // "" asks for none
		from("", "instructions")
		from(".role", "instructions")
		from(".content", "instructions")
		msgs = append(msgs, domain.Message{Role: domain.RoleSystem, Content: *r.Instructions})
	}
	switch {
	case r.Input.text != nil:
		from("", "input")
		from(".content", "input")
		msgs = append(msgs, domain.Message{Role: domain.RoleUser, Content: *r.Input.text})
		return msgs, names, nil
	case len(r.Input.items) == 0:
		return nil, nil, failField(kindMissingParam, "input", "'input' is required: a string or at least one item")
	}
	for j, it := range r.Input.items {
		at := fmt.Sprintf("input[%d]", j)
		switch {
		case it.msg != nil:
			m, err := it.msg.message(at)
			if err != nil {
				return nil, nil, err
			}
			from("", at)
			msgs = append(msgs, m)
		case it.call != nil:
			if n := len(msgs); n == 0 || msgs[n-1].Role != domain.RoleAssistant {
				from("", at)
				msgs = append(msgs, domain.Message{Role: domain.RoleAssistant})
			}
			last := &msgs[len(msgs)-1]
			call := fmt.Sprintf("messages[%d].tool_calls[%d]", len(msgs)-1, len(last.ToolCalls))
			names = append(names, fieldRename{call, at}, fieldRename{call + ".id", at + ".call_id"}, fieldRename{call + ".function.name", at + ".name"})
			last.ToolCalls = append(last.ToolCalls, domain.ToolCall{ID: it.call.CallID, Name: it.call.Name, Arguments: it.call.Arguments})
		case it.out != nil:
			m := domain.Message{Role: domain.RoleTool, ToolCallID: it.out.CallID, Content: it.out.Output.text}
			var err error
			if m.Parts, err = it.out.Output.domainParts(at+".output", domain.RoleTool); err != nil {
				return nil, nil, err
			}
			from("", at)
			from(".role", at+".type")
			from(".content", at+".output")
			from(".tool_call_id", at+".call_id")
			msgs = append(msgs, m)
		default:
			return nil, nil, unsupportedItem(at, it.typ)
		}
	}
	return msgs, names, nil
}

func unsupportedItem(at, typ string) error {
	why := "this service relays message, function_call and function_call_output items"
	if typ == "item_reference" {
		why = "the service stores no items: send them whole"
	}
	field := at + ".type"
	return domain.Unsupported(field, fmt.Sprintf("'%s' %q is not supported by this service: %s", field, typ, why))
}

// message is a message item's turn. Responses has no tool role: a
// tool's result is a function_call_output item.
func (m *responsesMessage) message(at string) (domain.Message, error) {
	out := domain.Message{Role: domain.Role(m.Role), Content: m.Content.text}
	if out.Role == domain.RoleTool {
		field := at + ".role"
		return out, domain.InvalidField(field, fmt.Sprintf("'%s' must be user, assistant, system or developer: send a tool's result as a function_call_output item", field))
	}
	var err error
	out.Parts, err = m.Content.domainParts(at+".content", out.Role)
	return out, err
}

// partRoles are the roles that may send each part type; the domain
// checks the rest (an image's URL and detail).
var partRoles = map[string][]domain.Role{
	"input_text":  {domain.RoleUser, domain.RoleSystem, domain.RoleDeveloper, domain.RoleAssistant, domain.RoleTool},
	"input_image": {domain.RoleUser},
	"output_text": {domain.RoleAssistant},
	"refusal":     {domain.RoleAssistant},
}

func (c responsesContent) domainParts(at string, role domain.Role) ([]domain.Part, error) {
	if c.parts == nil {
		return nil, nil
	}
	out := make([]domain.Part, len(c.parts))
	for k, p := range c.parts {
		field := fmt.Sprintf("%s[%d].type", at, k)
		roles, known := partRoles[p.Type]
		ok := false
		for _, r := range roles {
			ok = ok || r == role
		}
		switch {
		case !known:
			return nil, domain.Unsupported(field, fmt.Sprintf("'%s' %q is not supported by this service: it relays input_text, input_image, output_text and refusal parts", field, p.Type))
		case !ok:
			return nil, domain.InvalidField(field, fmt.Sprintf("'%s' %q is not allowed in a %s message", field, p.Type, role))
		}
		switch p.Type {
		case "input_image":
			out[k] = domain.Part{Type: domain.PartImageURL, ImageURL: p.ImageURL, Detail: p.Detail}
		case "refusal":
			out[k] = domain.Part{Type: domain.PartRefusal, Text: p.Refusal}
		default:
			out[k] = domain.Part{Type: domain.PartText, Text: p.Text}
		}
	}
	return out, nil
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
		t.Defs = append(t.Defs, domain.Tool{Name: d.Name, Description: d.Description, Parameters: domain.JSON(d.Parameters), Strict: d.Strict})
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
	out := &domain.Format{Type: domain.FormatType(f.Type)}
	switch out.Type {
	case domain.FormatText, domain.FormatJSONObject:
	case domain.FormatJSONSchema:
		out.Name, out.Description, out.Schema, out.Strict = f.Name, f.Description, domain.JSON(f.Schema), f.Strict
	default:
		return nil, domain.InvalidField("text.format.type", "'text.format.type' must be text, json_object or json_schema")
	}
	return out, nil
}
