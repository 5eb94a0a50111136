package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPromptChars is the reference's limit, in Unicode code points.
const MaxPromptChars = 4000

// ValidatePrompt returns a KindInvalid error for a blank or oversized prompt.
func ValidatePrompt(p string) error {
	if strings.TrimSpace(p) == "" {
		return InvalidField("prompt", "'prompt' is required")
	}
	if utf8.RuneCountInString(p) > MaxPromptChars { // code points, as Python's len counts
		return InvalidField("prompt", fmt.Sprintf("'prompt' exceeds %d characters", MaxPromptChars))
	}
	return nil
}
