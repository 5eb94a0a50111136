package ports

import (
	"slices"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// Conversation is what crosses both ports: the turns to answer, the
// sampling parameters, the tools the model may call and the answer's
// format. It is a struct so that fields can grow.
type Conversation struct {
	// Model names the model to ask, as a /v1 client does; "" asks the
	// service's default. A name it does not serve is KindUnknownModel.
	Model    string
	Messages []domain.Message
	domain.Sampling
	Tools  domain.Tools
	Format *domain.Format // nil: plain text, the model's default
}

// ParamTaker is implemented by a ChatModel that takes only some
// parameters; a model without it takes every one. Names are the
// OpenAI ones that Params gives.
type ParamTaker interface {
	Takes(param string) bool
}

// Params names the parameters the conversation sets, as OpenAI spells
// them, so that a model that cannot take one refuses it by name; an
// image part counts as image_url, as a model without vision drops it.
func (c Conversation) Params() []string {
	s := c.Sampling
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("temperature", s.Temperature != nil)
	add("top_p", s.TopP != nil)
	add("max_tokens", s.MaxTokens != nil)
	add("max_completion_tokens", s.MaxCompletionTokens != nil)
	add("n", s.N != nil && *s.N != 1)
	add("stop", len(s.Stop) > 0)
	add("seed", s.Seed != nil)
	add("presence_penalty", s.PresencePenalty != nil)
	add("frequency_penalty", s.FrequencyPenalty != nil)
	add("logit_bias", len(s.LogitBias) > 0)
	add("logprobs", s.Logprobs != nil && *s.Logprobs)
	add("top_logprobs", s.TopLogprobs != nil)
	add("user", s.User != "")
	add("reasoning_effort", s.ReasoningEffort != "")
	add("prediction", len(s.Prediction) > 0)
	add("tools", len(c.Tools.Defs) > 0)
	add("tool_choice", c.Tools.Choice.Mode != domain.ToolDefault)
	add("parallel_tool_calls", c.Tools.Parallel != nil)
	add("response_format", c.Format != nil && c.Format.Type != domain.FormatText)
	add("image_url", slices.ContainsFunc(c.Messages, func(m domain.Message) bool {
		return slices.ContainsFunc(m.Parts, func(p domain.Part) bool { return p.Type == domain.PartImageURL })
	}))
	return out
}
