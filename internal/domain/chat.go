package domain

import (
	"fmt"
	"strings"
)

// ChatLimits are the operator's bounds on one conversation.
type ChatLimits struct {
	MaxChars       int  // code points over all client messages
	MaxMessages    int  // client messages per request
	MaxTokensLimit int  // the highest max_tokens a client may ask for
	AllowSystem    bool // whether clients may send their own system messages
}

// Sampling are the generation parameters a client may set; nil means
// the model's default.
type Sampling struct {
	Temperature *float64
	MaxTokens   *int
}

// Temperature bounds, as the upstream APIs define them.
const (
	MinTemperature = 0.0
	MaxTemperature = 2.0
)

// ValidateChat checks a client conversation and its parameters. Each
// violation is a KindInvalid error naming the offending field.
func ValidateChat(msgs []Message, s Sampling, lim ChatLimits) error {
	if len(msgs) == 0 {
		return Invalid("'messages' is required")
	}
	if len(msgs) > lim.MaxMessages {
		return Invalid(fmt.Sprintf("'messages' has more than %d messages", lim.MaxMessages))
	}
	total := 0
	for i, m := range msgs {
		if err := validateRole(i, m.Role, lim.AllowSystem); err != nil {
			return err
		}
		if strings.TrimSpace(m.Content) == "" {
			return Invalid(fmt.Sprintf("'messages[%d].content' is required", i))
		}
		total += CountChars(m.Content)
	}
	if total > lim.MaxChars {
		return Invalid(fmt.Sprintf("'messages' exceed %d characters in total", lim.MaxChars))
	}
	return validateSampling(s, lim)
}

func validateRole(i int, r Role, allowSystem bool) error {
	switch {
	case r == RoleUser || r == RoleAssistant:
		return nil
	case r == RoleSystem && allowSystem:
		return nil
	case r == RoleSystem:
		return Invalid(fmt.Sprintf("'messages[%d].role' may not be system", i))
	}
	return Invalid(fmt.Sprintf("'messages[%d].role' must be user or assistant", i))
}

func validateSampling(s Sampling, lim ChatLimits) error {
	if t := s.Temperature; t != nil && !(*t >= MinTemperature && *t <= MaxTemperature) { // NaN fails too
		return Invalid(fmt.Sprintf("'temperature' must be between %g and %g", MinTemperature, MaxTemperature))
	}
	if n := s.MaxTokens; n != nil && (*n < 1 || *n > lim.MaxTokensLimit) {
		return Invalid(fmt.Sprintf("'max_tokens' must be between 1 and %d", lim.MaxTokensLimit))
	}
	return nil
}

// ChatChars counts the client's own text, never the system prompt we add.
func ChatChars(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		n += CountChars(m.Content)
	}
	return n
}
