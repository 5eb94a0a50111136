package domain

import (
	"fmt"
	"strings"
)

// MaxPromptChars is the reference's limit, in Unicode code points.
const MaxPromptChars = 4000

// ValidatePrompt returns the prompt's characters, or a KindInvalid error
// for a blank or oversized prompt.
func ValidatePrompt(p string) (promptChars int, err error) {
	if strings.TrimSpace(p) == "" {
		return 0, InvalidField("prompt", "'prompt' is required")
	}
	n := CountChars(p) // code points, as Python's len counts
	if n > MaxPromptChars {
		return 0, InvalidField("prompt", fmt.Sprintf("'prompt' exceeds %d characters", MaxPromptChars))
	}
	return n, nil
}
