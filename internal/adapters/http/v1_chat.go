package http

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// v1ChatRequest is OpenAI's chat-completions request. Parameters we
// cannot honour are decoded only to be refused: silently ignoring one
// would change what the caller gets.
type v1ChatRequest struct {
	Model         string      `json:"model"`
	Messages      []v1Message `json:"messages"`
	Stream        bool        `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature         *float64 `json:"temperature"`
	MaxTokens           *int     `json:"max_tokens"`
	MaxCompletionTokens *int     `json:"max_completion_tokens"`
	N                   *int     `json:"n"`

	Tools            jsontext.Value `json:"tools"`
	ToolChoice       jsontext.Value `json:"tool_choice"`
	Functions        jsontext.Value `json:"functions"`
	FunctionCall     jsontext.Value `json:"function_call"`
	ResponseFormat   jsontext.Value `json:"response_format"`
	Logprobs         jsontext.Value `json:"logprobs"`
	TopLogprobs      jsontext.Value `json:"top_logprobs"`
	Stop             jsontext.Value `json:"stop"`
	TopP             jsontext.Value `json:"top_p"`
	PresencePenalty  jsontext.Value `json:"presence_penalty"`
	FrequencyPenalty jsontext.Value `json:"frequency_penalty"`
	LogitBias        jsontext.Value `json:"logit_bias"`
	Seed             jsontext.Value `json:"seed"`
}

type v1Message struct {
	Role    string    `json:"role"`
	Content v1Content `json:"content"`
}

func unsupported(param string) error {
	return failField(kindUnsupportedParam, param, fmt.Sprintf("'%s' is not supported by this service", param))
}

// refuse names the first parameter set to anything but null or false.
func (r *v1ChatRequest) refuse() error {
	if r.N != nil && *r.N != 1 {
		return unsupported("n")
	}
	for _, p := range []struct {
		name string
		raw  jsontext.Value
	}{
		{"tools", r.Tools}, {"tool_choice", r.ToolChoice}, {"functions", r.Functions}, {"function_call", r.FunctionCall},
		{"response_format", r.ResponseFormat}, {"logprobs", r.Logprobs}, {"top_logprobs", r.TopLogprobs}, {"stop", r.Stop},
		{"top_p", r.TopP}, {"presence_penalty", r.PresencePenalty}, {"frequency_penalty", r.FrequencyPenalty},
		{"logit_bias", r.LogitBias}, {"seed", r.Seed},
	} {
		if s := string(p.raw); s != "" && s != "null" && s != "false" {
			return unsupported(p.name)
		}
	}
	return nil
}

// input checks what only this surface has (model, content parts) and
// hands the rest to the same domain validation as /api/chat.
func (r *v1ChatRequest) input(served func(string) bool) (ports.Conversation, error) {
	if err := r.refuse(); err != nil {
		return ports.Conversation{}, err
	}
	if r.Model == "" {
		return ports.Conversation{}, failField(kindMissingParam, "model", "'model' is required")
	}
	if !served(r.Model) {
		return ports.Conversation{}, domain.UnknownModel(r.Model)
	}
	msgs := make([]domain.Message, len(r.Messages))
	for i, m := range r.Messages {
		text, err := contentText(m.Content, i)
		if err != nil {
			return ports.Conversation{}, err
		}
		msgs[i] = domain.Message{Role: domain.Role(m.Role), Content: text}
	}
	maxTokens := r.MaxTokens
	if r.MaxCompletionTokens != nil {
		maxTokens = r.MaxCompletionTokens
	}
	return ports.Conversation{Model: r.Model, Messages: msgs, Sampling: domain.Sampling{Temperature: r.Temperature, MaxTokens: maxTokens}}, nil
}

// v1Content is a message's content as the SDKs send it: a string or an
// array of parts, decoded in the body's one pass.
type v1Content struct {
	text  string
	parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
}

func (c *v1Content) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '"':
		return json.UnmarshalDecode(dec, &c.text)
	case '[':
		return json.UnmarshalDecode(dec, &c.parts)
	}
	return errors.New("want a string or an array")
}

// jsonKinds words what v1Content accepts, for the decoder's type errors.
func (v1Content) jsonKinds() string { return "a string or an array of text parts" }

// contentText joins text parts; any other part is refused by name.
func contentText(c v1Content, i int) (string, error) {
	if c.parts == nil {
		return c.text, nil
	}
	var text []byte
	for _, p := range c.parts {
		if p.Type != "text" {
			return "", unsupported(fmt.Sprintf("messages[%d].content[].type=%s", i, p.Type))
		}
		text = append(text, p.Text...)
	}
	return string(text), nil
}

type v1Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// v1UsageOf is nil when the model reported no tokens: never invented.
func v1UsageOf(t domain.TokenUsage) *v1Usage {
	if t.Prompt == nil || t.Completion == nil || t.Total == nil {
		return nil
	}
	return &v1Usage{PromptTokens: *t.Prompt, CompletionTokens: *t.Completion, TotalTokens: *t.Total}
}

// v1Answer is the assistant's message; plain text, encoded once.
type v1Answer struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type v1Completion struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []v1Choice `json:"choices"`
	Usage   *v1Usage   `json:"usage,omitempty"`
}

type v1Choice struct {
	Index        int       `json:"index"`
	Message      v1Answer  `json:"message"`
	FinishReason string    `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

func handleV1Chat(svc ports.Completer, opts Options) gin.HandlerFunc {
	served := func(name string) bool { return slices.Contains(opts.Models(), name) }
	return withBody(opts.MaxBodyBytes, func(c *gin.Context, req v1ChatRequest) {
		in, err := req.input(served)
		if err != nil {
			writeError(c, err)
			return
		}
		id, created := "chatcmpl-"+uuid.NewString(), time.Now().Unix()
		if req.Stream {
			st, err := svc.ChatStream(c.Request.Context(), in)
			includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
			serveStream(c, st, err, opts, &v1Stream{id: id, created: created, model: req.Model, includeUsage: includeUsage})
			return
		}
		out, err := svc.Chat(c.Request.Context(), in)
		if err != nil {
			writeError(c, err)
			return
		}
		setUpstreamRequestID(c, out.UpstreamRequestID)
		c.JSON(http.StatusOK, v1Completion{
			ID: id, Object: "chat.completion", Created: created, Model: req.Model,
			Choices: []v1Choice{{Message: v1Answer{Role: "assistant", Content: out.Text}, FinishReason: out.FinishReason}},
			Usage:   v1UsageOf(out.Tokens),
		})
	})
}
