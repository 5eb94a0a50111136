package domain

// Role is who speaks a chat message.
type Role string

const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer" // a system turn as reasoning models name it
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool" // a tool's result, answering a tool call
)

// Message is one turn of a conversation sent to a model. Content is its
// text; Parts, when not nil, replace it, so that parts are forwarded as
// parts and never joined.
type Message struct {
	Role       Role
	Content    string
	Parts      []Part
	Name       string     // the speaker's name, as OpenAI lets clients set it
	ToolCalls  []ToolCall // an assistant turn's calls
	ToolCallID string     // a tool turn: the call it answers
	Refusal    string     // an assistant turn that refused
}

// PartType is what one content part holds.
type PartType string

const (
	PartText     PartType = "text"
	PartImageURL PartType = "image_url" // for vision models
	PartRefusal  PartType = "refusal"   // an assistant turn's refusal, as parts
)

// Part is one piece of a message's content.
type Part struct {
	Type     PartType
	Text     string // PartText, PartRefusal
	ImageURL string // PartImageURL: an https or data: URL
	Detail   string // PartImageURL: auto, low or high; "" the model's default
}

// ToolCall is one function call a model asked for.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON, as the model wrote it
}

// ClientChars is what this turn counts towards CHAT_MAX_CHARS: the text
// the client wrote (content or text parts, refusal, tool-call
// arguments, a tool's result), never images.
func (m Message) ClientChars() int {
	n := CountChars(m.Content) + CountChars(m.Refusal)
	for _, p := range m.Parts {
		if p.Type == PartText || p.Type == PartRefusal {
			n += CountChars(p.Text)
		}
	}
	for _, c := range m.ToolCalls {
		n += CountChars(c.Arguments)
	}
	return n
}
