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

// ValidateChat checks a client conversation and its parameters, and
// returns its prompt characters: the client's turns, summed once. Each
// violation is a KindInvalid error naming the offending field.
func ValidateChat(msgs []Message, s Sampling, lim ChatLimits) (promptChars int, err error) {
	if len(msgs) == 0 {
		return 0, InvalidField("messages", "'messages' is required")
	}
	if len(msgs) > lim.MaxMessages {
		return 0, InvalidField("messages", fmt.Sprintf("'messages' has more than %d messages", lim.MaxMessages))
	}
	for i, m := range msgs {
		if err := validateRole(i, m.Role, lim.AllowSystem); err != nil {
			return 0, err
		}
		if strings.TrimSpace(m.Content) == "" {
			return 0, InvalidField(fmt.Sprintf("messages[%d].content", i), fmt.Sprintf("'messages[%d].content' is required", i))
		}
		promptChars += CountChars(m.Content)
	}
	if promptChars > lim.MaxChars {
		return 0, InvalidField("messages", fmt.Sprintf("'messages' exceed %d characters in total", lim.MaxChars))
	}
	return promptChars, validateSampling(s, lim)
}

func validateRole(i int, r Role, allowSystem bool) error {
	field := fmt.Sprintf("messages[%d].role", i)
	switch {
	case r == RoleUser || r == RoleAssistant:
		return nil
	case r == RoleSystem && allowSystem:
		return nil
	case r == RoleSystem:
		return InvalidField(field, "'"+field+"' may not be system")
	}
	return InvalidField(field, "'"+field+"' must be user or assistant")
}

func validateSampling(s Sampling, lim ChatLimits) error {
	if t := s.Temperature; t != nil && !(*t >= MinTemperature && *t <= MaxTemperature) { // NaN fails too
		return InvalidField("temperature", fmt.Sprintf("'temperature' must be between %g and %g", MinTemperature, MaxTemperature))
	}
	if n := s.MaxTokens; n != nil && (*n < 1 || *n > lim.MaxTokensLimit) {
		return InvalidField("max_tokens", fmt.Sprintf("'max_tokens' must be between 1 and %d", lim.MaxTokensLimit))
	}
	return nil
}
