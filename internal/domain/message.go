package domain

// Role is who speaks a chat message.
type Role string

const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of a conversation sent to a model.
type Message struct {
	Role    Role
	Content string
}
