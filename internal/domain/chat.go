package domain

import (
	"fmt"
	"strings"
)

// ChatLimits are the operator's bounds on one conversation, and which
// turns a surface lets its clients send.
type ChatLimits struct {
	MaxChars       int  // code points over all client messages
	MaxMessages    int  // client messages per request
	MaxTokensLimit int  // the highest max_tokens a client may ask for
	MaxN           int  // the most choices a client may ask for; 0 means 1
	AllowSystem    bool // whether clients may send their own system and developer turns
	AllowTools     bool // whether clients may send tool turns and assistant tool calls
}

// ValidateChat checks a client conversation and its parameters, and
// returns its prompt characters: the client's turns, summed once. Each
// violation is a KindInvalid error naming the offending field; a kind
// of content the service does not carry is KindUnsupported.
func ValidateChat(msgs []Message, s Sampling, lim ChatLimits) (promptChars int, err error) {
	if len(msgs) == 0 {
		return 0, InvalidField("messages", "'messages' is required")
	}
	if len(msgs) > lim.MaxMessages {
		return 0, InvalidField("messages", fmt.Sprintf("'messages' has more than %d messages", lim.MaxMessages))
	}
	for i, m := range msgs {
		if err := validateMessage(i, m, lim); err != nil {
			return 0, err
		}
		promptChars += m.ClientChars()
	}
	if promptChars > lim.MaxChars {
		return 0, InvalidField("messages", fmt.Sprintf("'messages' exceed %d characters in total", lim.MaxChars))
	}
	return promptChars, validateSampling(s, lim)
}

func validateMessage(i int, m Message, lim ChatLimits) error {
	if err := validateRole(i, m.Role, lim); err != nil {
		return err
	}
	at := func(f string) string { return fmt.Sprintf("messages[%d].%s", i, f) }
	required := func(f string) error { return InvalidField(at(f), fmt.Sprintf("'%s' is required", at(f))) }
	hasContent := strings.TrimSpace(m.Content) != "" || len(m.Parts) > 0
	switch {
	case len(m.ToolCalls) > 0 && !lim.AllowTools:
		return InvalidField(at("tool_calls"), fmt.Sprintf("'%s' may not be set", at("tool_calls")))
	case len(m.ToolCalls) > 0 && m.Role != RoleAssistant:
		return InvalidField(at("tool_calls"), fmt.Sprintf("'%s' is only for assistant messages", at("tool_calls")))
	case m.ToolCallID != "" && m.Role != RoleTool:
		return InvalidField(at("tool_call_id"), fmt.Sprintf("'%s' is only for tool messages", at("tool_call_id")))
	case m.Refusal != "" && m.Role != RoleAssistant:
		return InvalidField(at("refusal"), fmt.Sprintf("'%s' is only for assistant messages", at("refusal")))
	case m.Role == RoleTool && m.ToolCallID == "":
		return required("tool_call_id")
	case m.Role == RoleAssistant && !hasContent && len(m.ToolCalls) == 0 && m.Refusal == "":
		return required("content")
	case m.Role != RoleAssistant && !hasContent:
		return required("content")
	}
	for j, p := range m.Parts {
		if err := validatePart(at(fmt.Sprintf("content[%d]", j)), m.Role, p); err != nil {
			return err
		}
	}
	for j, c := range m.ToolCalls {
		f := at(fmt.Sprintf("tool_calls[%d]", j))
		switch {
		case c.ID == "":
			return InvalidField(f+".id", fmt.Sprintf("'%s.id' is required", f))
		case c.Name == "":
			return InvalidField(f+".function.name", fmt.Sprintf("'%s.function.name' is required", f))
		}
	}
	return nil
}

func validateRole(i int, r Role, lim ChatLimits) error {
	field := fmt.Sprintf("messages[%d].role", i)
	switch {
	case r == RoleUser || r == RoleAssistant:
		return nil
	case r == RoleSystem || r == RoleDeveloper:
		if lim.AllowSystem {
			return nil
		}
		return InvalidField(field, fmt.Sprintf("'%s' may not be %s", field, r))
	case r == RoleTool && lim.AllowTools:
		return nil
	}
	// Name only the roles this surface takes, so that no client is told
	// to send one it would then refuse.
	roles := "user or assistant"
	switch {
	case lim.AllowSystem && lim.AllowTools:
		roles = "system, developer, user, assistant or tool"
	case lim.AllowSystem:
		roles = "system, developer, user or assistant"
	case lim.AllowTools:
		roles = "user, assistant or tool"
	}
	return InvalidField(field, "'"+field+"' must be "+roles)
}

// partsByRole are the content parts each role may send.
var partsByRole = map[Role][]PartType{
	RoleUser:      {PartText, PartImageURL},
	RoleAssistant: {PartText, PartRefusal},
	RoleSystem:    {PartText},
	RoleDeveloper: {PartText},
	RoleTool:      {PartText},
}

func validatePart(field string, r Role, p Part) error {
	ok := false
	for _, t := range partsByRole[r] {
		ok = ok || t == p.Type
	}
	if !ok {
		return Unsupported(field+".type", fmt.Sprintf("'%s.type' %q is not supported in a %s message", field, p.Type, r))
	}
	if p.Type != PartImageURL {
		return nil
	}
	url := strings.ToLower(p.ImageURL)
	switch {
	case !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "data:image/"):
		return InvalidField(field+".image_url.url", fmt.Sprintf("'%s.image_url.url' must be an http(s) URL or a data:image/ URL", field))
	case p.Detail != "" && p.Detail != "auto" && p.Detail != "low" && p.Detail != "high":
		return InvalidField(field+".image_url.detail", fmt.Sprintf("'%s.image_url.detail' must be auto, low or high", field))
	}
	return nil
}
