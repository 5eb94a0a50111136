package http

import (
	"strings"

	"github.com/google/uuid"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// responsesObject is OpenAI's response object. Every member the openai
// SDK's Response type requires is present, null where OpenAI's is.
type responsesObject struct {
	ID                string               `json:"id"`
	Object            string               `json:"object"`
	CreatedAt         int64                `json:"created_at"`
	Status            string               `json:"status"`
	Error             *responsesError      `json:"error"`
	IncompleteDetails *responsesIncomplete `json:"incomplete_details"`
	Model             string               `json:"model"`
	Output            []any                `json:"output"`
	// OutputText is the SDKs' convenience, sent too: the output_text
	// parts' text, joined.
	OutputText string          `json:"output_text"`
	Usage      *responsesUsage `json:"usage"`
	responsesEcho
}

// responsesEcho is the request's settings as the response repeats them:
// what the client set, or OpenAI's default where the service has one to
// tell (null otherwise).
type responsesEcho struct {
	Instructions       *string            `json:"instructions"`
	MaxOutputTokens    *int               `json:"max_output_tokens"`
	Temperature        *float64           `json:"temperature"`
	TopP               *float64           `json:"top_p"`
	Tools              []responsesToolOut `json:"tools"`
	ToolChoice         any                `json:"tool_choice"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	Text               responsesTextOut   `json:"text"`
	Reasoning          responsesEffortOut `json:"reasoning"`
	User               *string            `json:"user"`
	Store              bool               `json:"store"`      // always false: nothing is stored
	Background         bool               `json:"background"` // always false
	PreviousResponseID *string            `json:"previous_response_id"`
	Truncation         string             `json:"truncation"`
	Metadata           map[string]string  `json:"metadata"`
}

type responsesError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type responsesIncomplete struct {
	Reason string `json:"reason"`
}

type responsesToolOut struct {
	Type        string      `json:"type"`
	Name        string      `json:"name"`
	Description *string     `json:"description"`
	Parameters  domain.JSON `json:"parameters"`
	Strict      *bool       `json:"strict"`
}

type responsesTextOut struct {
	Format responsesFormatOut `json:"format"`
}

type responsesFormatOut struct {
	Type        string      `json:"type"`
	Name        string      `json:"name,omitempty"`
	Description string      `json:"description,omitempty"`
	Schema      domain.JSON `json:"schema,omitempty"`
	Strict      *bool       `json:"strict,omitempty"`
}

type responsesEffortOut struct {
	Effort  *string `json:"effort"`
	Summary *string `json:"summary"` // always null: summaries are refused
}

// responsesUsage is null when the model reported no tokens. Its details
// are always there, as OpenAI sends them and the openai SDK's type
// requires them: a count the model did not report is 0.
type responsesUsage struct {
	InputTokens         int                  `json:"input_tokens"`
	InputTokensDetails  responsesInputUsage  `json:"input_tokens_details"`
	OutputTokens        int                  `json:"output_tokens"`
	OutputTokensDetails responsesOutputUsage `json:"output_tokens_details"`
	TotalTokens         int                  `json:"total_tokens"`
}

type responsesInputUsage struct {
	CachedTokens int `json:"cached_tokens"`
}

type responsesOutputUsage struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

func responsesUsageOf(t domain.TokenUsage) *responsesUsage {
	if t.Prompt == nil || t.Completion == nil || t.Total == nil {
		return nil
	}
	return &responsesUsage{
		InputTokens: *t.Prompt, OutputTokens: *t.Completion, TotalTokens: *t.Total,
		InputTokensDetails:  responsesInputUsage{CachedTokens: deref(t.Cached)},
		OutputTokensDetails: responsesOutputUsage{ReasoningTokens: deref(t.Reasoning)},
	}
}

// Output items and their content parts.
type (
	responsesMessageOut struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Status  string `json:"status"`
		Role    string `json:"role"`
		Content []any  `json:"content"`
	}
	responsesTextPart struct {
		Type        string     `json:"type"`
		Text        string     `json:"text"`
		Annotations []struct{} `json:"annotations"` // always empty: no backend cites
		Logprobs    []struct{} `json:"logprobs"`    // always empty: not relayed here
	}
	responsesRefusalPart struct {
		Type    string `json:"type"`
		Refusal string `json:"refusal"`
	}
	responsesCallOut struct {
		Type      string `json:"type"`
		ID        string `json:"id"`
		CallID    string `json:"call_id"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
		Status    string `json:"status"`
	}
)

func messageOut(id, status string, content []any) responsesMessageOut {
	return responsesMessageOut{Type: "message", ID: id, Status: status, Role: "assistant", Content: content}
}

func textPart(text string) responsesTextPart {
	return responsesTextPart{Type: "output_text", Text: text, Annotations: []struct{}{}, Logprobs: []struct{}{}}
}

func refusalPart(refusal string) responsesRefusalPart {
	return responsesRefusalPart{Type: "refusal", Refusal: refusal}
}

func callOut(id, status string, t domain.ToolCall) responsesCallOut {
	return responsesCallOut{Type: "function_call", ID: id, CallID: t.ID, Name: t.Name, Arguments: t.Arguments, Status: status}
}

// newItemID is prefix and a fresh UUID's hex, as OpenAI's ids look.
func newItemID(prefix string) string { return prefix + strings.ReplaceAll(uuid.NewString(), "-", "") }

// responseHead is what every response object of one request shares.
type responseHead struct {
	id        string
	createdAt int64
	model     string
	echo      responsesEcho
}

func (h responseHead) object(status string, output []any, outputText string) responsesObject {
	return responsesObject{ID: h.id, Object: "response", CreatedAt: h.createdAt, Status: status, Model: h.model,
		Output: output, OutputText: outputText, responsesEcho: h.echo}
}

// statusOf is the response's status for the model's finish reason: the
// two that cut an answer short make it incomplete, as OpenAI says.
func statusOf(finish string) (string, *responsesIncomplete) {
	switch finish {
	case "length":
		return "incomplete", &responsesIncomplete{Reason: "max_output_tokens"}
	case "content_filter":
		return "incomplete", &responsesIncomplete{Reason: "content_filter"}
	}
	return "completed", nil
}

// completed is the response object for a whole answer: its first choice
// (n is no Responses parameter), as a message item when it said
// anything or called nothing, then one item per tool call.
func (h responseHead) completed(out domain.Completion) responsesObject {
	var ch domain.Choice
	if len(out.Choices) > 0 {
		ch = out.Choices[0]
	}
	status, details := statusOf(ch.FinishReason)
	var output []any
	if ch.Text != "" || ch.Refusal != "" || len(ch.ToolCalls) == 0 {
		var content []any
		if ch.Text != "" || ch.Refusal == "" {
			content = append(content, textPart(ch.Text))
		}
		if ch.Refusal != "" {
			content = append(content, refusalPart(ch.Refusal))
		}
		output = append(output, messageOut(newItemID("msg_"), status, content))
	}
	for _, t := range ch.ToolCalls {
		output = append(output, callOut(newItemID("fc_"), status, t))
	}
	body := h.object(status, output, ch.Text)
	body.IncompleteDetails, body.Usage = details, responsesUsageOf(out.Tokens)
	return body
}

// echoOf repeats the request's settings from the conversation they
// became, so the response says what was asked of the model.
func echoOf(in ports.Conversation, instructions *string) responsesEcho {
	e := responsesEcho{Instructions: instructions, MaxOutputTokens: in.MaxCompletionTokens, Temperature: in.Temperature, TopP: in.TopP,
		Tools: []responsesToolOut{}, ToolChoice: "auto", ParallelToolCalls: true, Text: responsesTextOut{Format: responsesFormatOut{Type: "text"}},
		Truncation: "disabled", Metadata: map[string]string{}}
	for _, t := range in.Tools.Defs {
		out := responsesToolOut{Type: "function", Name: t.Name, Parameters: t.Parameters, Strict: t.Strict}
		if t.Description != "" {
			out.Description = &t.Description
		}
		e.Tools = append(e.Tools, out)
	}
	switch c := in.Tools.Choice; c.Mode {
	case domain.ToolDefault:
	case domain.ToolFunction:
		e.ToolChoice = map[string]string{"type": "function", "name": c.Name}
	default:
		e.ToolChoice = string(c.Mode)
	}
	if in.Tools.Parallel != nil {
		e.ParallelToolCalls = *in.Tools.Parallel
	}
	if f := in.Format; f != nil {
		e.Text.Format = responsesFormatOut{Type: string(f.Type), Name: f.Name, Description: f.Description, Schema: f.Schema, Strict: f.Strict}
	}
	if in.ReasoningEffort != "" {
		e.Reasoning.Effort = &in.ReasoningEffort
	}
	if in.User != "" {
		e.User = &in.User
	}
	return e
}
