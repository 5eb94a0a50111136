package llmhttp

import (
	"cmp"
	"slices"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// wire is the conversation in the chat-completions shape, every field as
// the client gave it.
func (c *ChatClient) wire(req ports.Conversation) wireRequest {
	msgs := make([]wireMessage, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = c.wireMessage(m)
	}
	s := req.Sampling
	w := wireRequest{
		Model: c.ep.Model, Messages: msgs,
		Temperature: s.Temperature, TopP: s.TopP, MaxTokens: s.MaxTokens, MaxCompletionTokens: s.MaxCompletionTokens,
		N: s.N, Stop: s.Stop, Seed: s.Seed, PresencePenalty: s.PresencePenalty, FrequencyPenalty: s.FrequencyPenalty,
		LogitBias: s.LogitBias, Logprobs: s.Logprobs, TopLogprobs: s.TopLogprobs, User: s.User,
		ReasoningEffort: s.ReasoningEffort, Prediction: s.Prediction,
		ToolChoice: wireToolChoice(req.Tools.Choice), ParallelToolCalls: req.Tools.Parallel,
		ResponseFormat: wireFormatOf(req.Format),
	}
	for _, t := range req.Tools.Defs {
		w.Tools = append(w.Tools, wireTool{Type: "function", Function: wireFunctionDef{
			Name: t.Name, Description: t.Description, Parameters: orAbsent(t.Parameters), Strict: t.Strict,
		}})
	}
	return w
}

func (c *ChatClient) wireMessage(m domain.Message) wireMessage {
	role := m.Role
	if role == domain.RoleDeveloper && c.ep.DeveloperAsSystem {
		role = domain.RoleSystem
	}
	w := wireMessage{Role: string(role), Name: m.Name, ToolCallID: m.ToolCallID, Refusal: m.Refusal}
	switch {
	case len(m.Parts) > 0: // the spec's part arrays hold at least one
		parts := make([]wirePart, len(m.Parts))
		for i, p := range m.Parts {
			parts[i] = wirePartOf(p)
		}
		w.Content = parts
	case m.Content != "" || len(m.ToolCalls) == 0 && m.Refusal == "":
		w.Content = m.Content // null for a turn of only tool calls or a refusal, as OpenAI answers it
	}
	for _, t := range m.ToolCalls {
		w.ToolCalls = append(w.ToolCalls, wireToolCall{ID: t.ID, Type: "function", Function: wireFunction{Name: t.Name, Arguments: t.Arguments}})
	}
	return w
}

func wirePartOf(p domain.Part) wirePart {
	switch p.Type {
	case domain.PartImageURL:
		return wirePart{Type: string(p.Type), ImageURL: &wireImage{URL: p.ImageURL, Detail: p.Detail}}
	case domain.PartRefusal:
		return wirePart{Type: string(p.Type), Refusal: &p.Text}
	}
	return wirePart{Type: string(p.Type), Text: &p.Text}
}

// orAbsent drops a schema written as null, which the domain takes as
// none (see domain.JSON) but the upstream's schema, an object, refuses.
func orAbsent(j domain.JSON) domain.JSON {
	if string(j) == "null" {
		return nil
	}
	return j
}

func wireToolChoice(c domain.ToolChoice) any {
	switch c.Mode {
	case domain.ToolDefault:
		return nil
	case domain.ToolFunction:
		return map[string]any{"type": "function", "function": map[string]string{"name": c.Name}}
	}
	return string(c.Mode)
}

func wireFormatOf(f *domain.Format) *wireFormat {
	if f == nil {
		return nil
	}
	w := &wireFormat{Type: string(f.Type)}
	if f.Type == domain.FormatJSONSchema {
		w.JSONSchema = &wireJSONSchema{Name: f.Name, Description: f.Description, Schema: orAbsent(f.Schema), Strict: f.Strict}
	}
	return w
}

// answer is the response's choices in index order, each as the model
// gave it.
func (w *wireResponse) answer() domain.Answer {
	slices.SortStableFunc(w.Choices, func(a, b wireChoice) int { return cmp.Compare(a.Index, b.Index) })
	res := domain.Answer{Model: w.Model, Tokens: w.Usage.tokens(), Choices: make([]domain.Choice, len(w.Choices))}
	for i, ch := range w.Choices {
		c := domain.Choice{FinishReason: ch.FinishReason, Logprobs: ch.Logprobs, ToolCalls: toolCalls(ch.Message.ToolCalls)}
		if ch.Message.Content != nil {
			c.Text = *ch.Message.Content
		}
		if ch.Message.Refusal != nil {
			c.Refusal = *ch.Message.Refusal
		}
		res.Choices[i] = c
	}
	return res
}

func toolCalls(w []wireToolCall) []domain.ToolCall {
	if len(w) == 0 {
		return nil
	}
	out := make([]domain.ToolCall, len(w))
	for i, t := range w {
		out[i] = domain.ToolCall{ID: t.ID, Name: t.Function.Name, Arguments: t.Function.Arguments}
	}
	return out
}

// tokens maps absent usage to nil counts: never invented.
func (u *wireUsage) tokens() domain.TokenUsage {
	if u == nil {
		return domain.TokenUsage{}
	}
	t := domain.TokenUsage{Prompt: &u.PromptTokens, Completion: &u.CompletionTokens, Total: &u.TotalTokens}
	if d := u.PromptTokensDetails; d != nil {
		t.Cached = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		t.Reasoning = d.ReasoningTokens
	}
	return t
}
