package http

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// responsesInput is a string (one user turn) or an array of items.
type responsesInput struct {
	text  *string
	items []responsesItem // not nil when the input was an array
}

func (in *responsesInput) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeTextOrList(dec, func() *string { in.text = new(string); return in.text }, &in.items)
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
	return decodeTextOrList(dec, func() *string { return &c.text }, &c.parts)
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
