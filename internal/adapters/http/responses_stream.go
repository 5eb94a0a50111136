package http

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// responsesStream is the Responses API's stream: named events with a
// rising sequence_number and no [DONE]. Items open as the model starts
// them: the message at its first text, each tool call at its first
// fragment, numbered in that order, and all close at the end. The text
// and arguments are kept, because the done events repeat them whole.
type responsesStream struct {
	head    responseHead
	seq     int
	items   []*streamItem // by output_index
	message *streamItem
	calls   map[int]*streamItem // by the model's tool call index
}

// streamItem is an open output item: a message with its content parts,
// or a function call with its arguments so far.
type streamItem struct {
	index         int
	id            string
	parts         []*streamPart // a message's, by content_index
	text, refusal *streamPart
	call          *domain.ToolCall // a function call's id and name
	args          strings.Builder  // and its arguments
}

type streamPart struct {
	index   int
	refusal bool
	b       strings.Builder
}

type eventHead struct {
	Type           string `json:"type"`
	SequenceNumber int    `json:"sequence_number"`
}

func (h eventHead) name() string { return h.Type }

// The events' bodies after type and sequence_number.
type (
	responseEvent struct {
		eventHead
		Response responsesObject `json:"response"`
	}
	itemEvent struct {
		eventHead
		OutputIndex int `json:"output_index"`
		Item        any `json:"item"`
	}
	partEvent struct {
		eventHead
		ItemID       string `json:"item_id"`
		OutputIndex  int    `json:"output_index"`
		ContentIndex int    `json:"content_index"`
		Part         any    `json:"part"`
	}
	textEvent struct {
		eventHead
		ItemID       string     `json:"item_id"`
		OutputIndex  int        `json:"output_index"`
		ContentIndex int        `json:"content_index"`
		Delta        *string    `json:"delta,omitempty"`
		Text         *string    `json:"text,omitempty"`
		Logprobs     []struct{} `json:"logprobs"`
	}
	refusalEvent struct {
		eventHead
		ItemID       string  `json:"item_id"`
		OutputIndex  int     `json:"output_index"`
		ContentIndex int     `json:"content_index"`
		Delta        *string `json:"delta,omitempty"`
		Refusal      *string `json:"refusal,omitempty"`
	}
	argumentsDeltaEvent struct {
		eventHead
		ItemID      string `json:"item_id"`
		OutputIndex int    `json:"output_index"`
		Delta       string `json:"delta"`
	}
	argumentsDoneEvent struct {
		eventHead
		ItemID      string `json:"item_id"`
		OutputIndex int    `json:"output_index"`
		Name        string `json:"name"`
		Arguments   string `json:"arguments"`
	}
	// errorEvent is both shapes of OpenAI's error event: the documented
	// one, flat, and the one its API sends, nested, which the openai SDK
	// raises as an APIError.
	errorEvent struct {
		eventHead
		Code    *string     `json:"code"`
		Message string      `json:"message"`
		Param   *string     `json:"param"`
		Error   openAIError `json:"error"`
	}
)

func (s *responsesStream) next(typ string) eventHead {
	h := eventHead{Type: typ, SequenceNumber: s.seq}
	s.seq++
	return h
}

func (s *responsesStream) send(w *sseWriter, ev interface{ name() string }) error {
	return w.event(ev.name(), ev)
}

func (s *responsesStream) start(w *sseWriter) error {
	created := s.head.object("in_progress", []any{}, "")
	if err := s.send(w, responseEvent{s.next("response.created"), created}); err != nil {
		return err
	}
	return s.send(w, responseEvent{s.next("response.in_progress"), created})
}

// delta relays the first choice only: n is no Responses parameter.
func (s *responsesStream) delta(w *sseWriter, d domain.Delta) error {
	if d.Choice != 0 {
		return nil
	}
	if d.Text != "" {
		if err := s.content(w, false, d.Text); err != nil {
			return err
		}
	}
	if d.Refusal != "" {
		if err := s.content(w, true, d.Refusal); err != nil {
			return err
		}
	}
	for _, t := range d.ToolCalls {
		if err := s.callPiece(w, t); err != nil {
			return err
		}
	}
	return nil
}

func (s *responsesStream) openMessage(w *sseWriter) (*streamItem, error) {
	if s.message != nil {
		return s.message, nil
	}
	s.message = &streamItem{index: len(s.items), id: newItemID("msg_")}
	s.items = append(s.items, s.message)
	return s.message, s.send(w, itemEvent{s.next("response.output_item.added"), s.message.index, messageOut(s.message.id, "in_progress", []any{})})
}

// openPart returns the message's text or refusal part, opening both as
// needed; a part opens empty, as OpenAI's do.
func (s *responsesStream) openPart(w *sseWriter, refusal bool) (*streamItem, *streamPart, error) {
	m, err := s.openMessage(w)
	if err != nil {
		return nil, nil, err
	}
	p := &m.text
	if refusal {
		p = &m.refusal
	}
	if *p != nil {
		return m, *p, nil
	}
	*p = &streamPart{index: len(m.parts), refusal: refusal}
	m.parts = append(m.parts, *p)
	return m, *p, s.send(w, partEvent{s.next("response.content_part.added"), m.id, m.index, (*p).index, (*p).out()})
}

func (p *streamPart) out() any {
	if p.refusal {
		return refusalPart(p.b.String())
	}
	return textPart(p.b.String())
}

func (s *responsesStream) content(w *sseWriter, refusal bool, piece string) error {
	m, p, err := s.openPart(w, refusal)
	if err != nil {
		return err
	}
	p.b.WriteString(piece)
	if refusal {
		return s.send(w, refusalEvent{eventHead: s.next("response.refusal.delta"), ItemID: m.id, OutputIndex: m.index, ContentIndex: p.index, Delta: &piece})
	}
	return s.send(w, textEvent{eventHead: s.next("response.output_text.delta"), ItemID: m.id, OutputIndex: m.index, ContentIndex: p.index, Delta: &piece, Logprobs: []struct{}{}})
}

// callPiece relays a fragment of a tool call: its first opens the item
// with the call's id and name, the rest add arguments.
func (s *responsesStream) callPiece(w *sseWriter, t domain.ToolCallDelta) error {
	it := s.calls[t.Index]
	if it == nil {
		it = &streamItem{index: len(s.items), id: newItemID("fc_"), call: &domain.ToolCall{ID: t.ID, Name: t.Name}}
		s.items = append(s.items, it)
		s.calls[t.Index] = it
		if err := s.send(w, itemEvent{s.next("response.output_item.added"), it.index, callOut(it.id, "in_progress", *it.call)}); err != nil {
			return err
		}
	}
	if it.call.ID == "" {
		it.call.ID = t.ID
	}
	if it.call.Name == "" {
		it.call.Name = t.Name
	}
	if t.Arguments == "" {
		return nil
	}
	it.args.WriteString(t.Arguments)
	return s.send(w, argumentsDeltaEvent{s.next("response.function_call_arguments.delta"), it.id, it.index, t.Arguments})
}

// out is the item as it stands, with the given status.
func (it *streamItem) out(status string) any {
	if it.call != nil {
		call := *it.call
		call.Arguments = it.args.String()
		return callOut(it.id, status, call)
	}
	content := make([]any, len(it.parts))
	for i, p := range it.parts {
		content[i] = p.out()
	}
	return messageOut(it.id, status, content)
}

// output is every item as it stands, and the text they hold.
func (s *responsesStream) output(status string) ([]any, string) {
	out := make([]any, len(s.items))
	for i, it := range s.items {
		out[i] = it.out(status)
	}
	text := ""
	if s.message != nil && s.message.text != nil {
		text = s.message.text.b.String()
	}
	return out, text
}

// done closes every item in output_index order, then ends with the
// whole response: response.completed, or response.incomplete when the
// answer was cut short, as OpenAI ends such a stream. An answer with no
// piece at all still gets its (empty) message, as the JSON answer does.
func (s *responsesStream) done(w *sseWriter, out domain.Completion) error {
	if len(s.items) == 0 {
		if _, _, err := s.openPart(w, false); err != nil {
			return err
		}
	}
	status, details := statusOf(out.FinishReason())
	for _, it := range s.items {
		if err := s.closeItem(w, it, status); err != nil {
			return err
		}
	}
	output, text := s.output(status)
	body := s.head.object(status, output, text)
	body.IncompleteDetails, body.Usage = details, responsesUsageOf(out.Tokens)
	end := "response.completed"
	if status == "incomplete" {
		end = "response.incomplete"
	}
	return s.send(w, responseEvent{s.next(end), body})
}

func (s *responsesStream) closeItem(w *sseWriter, it *streamItem, status string) error {
	if it.call != nil {
		ev := argumentsDoneEvent{s.next("response.function_call_arguments.done"), it.id, it.index, it.call.Name, it.args.String()}
		if err := s.send(w, ev); err != nil {
			return err
		}
		return s.send(w, itemEvent{s.next("response.output_item.done"), it.index, it.out(status)})
	}
	for _, p := range it.parts {
		full := p.b.String()
		var ev interface{ name() string }
		if p.refusal {
			ev = refusalEvent{eventHead: s.next("response.refusal.done"), ItemID: it.id, OutputIndex: it.index, ContentIndex: p.index, Refusal: &full}
		} else {
			ev = textEvent{eventHead: s.next("response.output_text.done"), ItemID: it.id, OutputIndex: it.index, ContentIndex: p.index, Text: &full, Logprobs: []struct{}{}}
		}
		if err := s.send(w, ev); err != nil {
			return err
		}
		if err := s.send(w, partEvent{s.next("response.content_part.done"), it.id, it.index, p.index, p.out()}); err != nil {
			return err
		}
	}
	return s.send(w, itemEvent{s.next("response.output_item.done"), it.index, it.out(status)})
}

// fail sends OpenAI's error event, then response.failed with what was
// said so far, as OpenAI ends a failed response, so that clients that
// wait for a terminal response event end too.
func (s *responsesStream) fail(w *sseWriter, c *gin.Context, err error) error {
	f := describeError(c, err)
	e := openAIErrorOf(f).Error
	ev := errorEvent{eventHead: s.next("error"), Code: e.Code, Message: e.Message, Param: e.Param, Error: e}
	if err := s.send(w, ev); err != nil {
		return err
	}
	output, text := s.output("incomplete")
	body := s.head.object("failed", output, text)
	body.Error = &responsesError{Code: f.code, Message: f.Msg}
	return s.send(w, responseEvent{s.next("response.failed"), body})
}
