package http_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// deltaStream plays pieces, then ends with end; its completion is the
// answer's finish reason and tokens, as a model's stream reports them.
type deltaStream struct {
	pieces []domain.Delta
	end    error
	answer domain.Answer
}

func (s *deltaStream) Recv() (domain.Delta, error) {
	if len(s.pieces) == 0 {
		return domain.Delta{}, s.end
	}
	d := s.pieces[0]
	s.pieces = s.pieces[1:]
	return d, nil
}

func (s *deltaStream) Completion() domain.Completion { return domain.Completion{Answer: s.answer} }
func (s *deltaStream) Close() error                  { return nil }

var _ ports.CompletionStream = (*deltaStream)(nil)

type sseEvent struct {
	name string
	data map[string]any
}

// streamResponses posts a streamed request answered by st and returns
// its events, checking what every event must have: its name as its
// type, and sequence numbers counting up from 0.
func streamResponses(t *testing.T, st *deltaStream) []sseEvent {
	t.Helper()
	h, svc := newResponsesEngine(t)
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).Return(st, nil)
	rec := postResponses(h, `{"model":"gpt-4o","input":"x","stream":true}`)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	var events []sseEvent
	for _, block := range strings.Split(strings.TrimSuffix(normalizeIDs(rec.Body.String()), "\n\n"), "\n\n") {
		name, data, ok := strings.Cut(block, "\n")
		if !ok || !strings.HasPrefix(name, "event: ") || !strings.HasPrefix(data, "data: ") {
			t.Fatalf("block %q is not one named event", block)
		}
		ev := sseEvent{name: strings.TrimPrefix(name, "event: ")}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &ev.data); err != nil {
			t.Fatalf("block %q: %v", block, err)
		}
		if ev.data["type"] != ev.name || ev.data["sequence_number"] != float64(len(events)) {
			t.Errorf("event %d %s: type %v, sequence_number %v", len(events), ev.name, ev.data["type"], ev.data["sequence_number"])
		}
		events = append(events, ev)
	}
	return events
}

// compact renders an event without type and sequence_number (checked by
// streamResponses), and a response event as its status and output only.
func compact(ev sseEvent) string {
	d := map[string]any{}
	for k, v := range ev.data {
		if k != "type" && k != "sequence_number" {
			d[k] = v
		}
	}
	if r, ok := d["response"].(map[string]any); ok {
		d["response"] = map[string]any{"status": r["status"], "output": r["output"]}
	}
	b, _ := json.Marshal(d)
	return ev.name + " " + string(b)
}

func assertEvents(t *testing.T, events []sseEvent, want []string) {
	t.Helper()
	for i := range max(len(events), len(want)) {
		var got, w string
		if i < len(events) {
			got = compact(events[i])
		}
		if i < len(want) {
			w = want[i]
		}
		if got != w {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

const (
	createdEvents = `response.created {"response":{"output":[],"status":"in_progress"}}|` +
		`response.in_progress {"response":{"output":[],"status":"in_progress"}}`
	msgAdded    = `response.output_item.added {"item":{"content":[],"id":"msg_1","role":"assistant","status":"in_progress","type":"message"},"output_index":0}`
	textOpened  = `response.content_part.added {"content_index":0,"item_id":"msg_1","output_index":0,"part":{"annotations":[],"logprobs":[],"text":"","type":"output_text"}}`
	textPartFmt = `{"annotations":[],"logprobs":[],"text":%q,"type":"output_text"}`
)

func textDelta(item string, output int, delta string) string {
	return fmt.Sprintf(`response.output_text.delta {"content_index":0,"delta":%q,"item_id":%q,"logprobs":[],"output_index":%d}`, delta, item, output)
}

// closeMessage is the events that close a message item holding text.
func closeMessage(output int, text, status string) []string {
	part := fmt.Sprintf(textPartFmt, text)
	return []string{
		fmt.Sprintf(`response.output_text.done {"content_index":0,"item_id":"msg_1","logprobs":[],"output_index":%d,"text":%q}`, output, text),
		fmt.Sprintf(`response.content_part.done {"content_index":0,"item_id":"msg_1","output_index":%d,"part":%s}`, output, part),
		fmt.Sprintf(`response.output_item.done {"item":{"content":[%s],"id":"msg_1","role":"assistant","status":%q,"type":"message"},"output_index":%d}`, part, status, output),
	}
}

func callItem(id, callID, name, args, status string) string {
	return fmt.Sprintf(`{"arguments":%q,"call_id":%q,"id":%q,"name":%q,"status":%q,"type":"function_call"}`, args, callID, id, name, status)
}

func TestResponsesStreamText(t *testing.T) {
	events := streamResponses(t, &deltaStream{pieces: []domain.Delta{{Text: "Hel"}, {Text: "lo"}, {Choice: 1, Text: "another choice: never shown"}}, end: io.EOF,
		answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Tokens: domain.TokenUsage{Prompt: intp(3), Completion: intp(2), Total: intp(5)}}})
	msg := fmt.Sprintf(`{"content":[`+textPartFmt+`],"id":"msg_1","role":"assistant","status":"completed","type":"message"}`, "Hello")
	want := append(append(strings.Split(createdEvents, "|"), msgAdded, textOpened, textDelta("msg_1", 0, "Hel"), textDelta("msg_1", 0, "lo")),
		closeMessage(0, "Hello", "completed")...)
	assertEvents(t, events, append(want, `response.completed {"response":{"output":[`+msg+`],"status":"completed"}}`))

	created, done := events[0].data["response"].(map[string]any), events[len(events)-1].data["response"].(map[string]any)
	if created["id"] != "resp_1" || done["id"] != "resp_1" || created["usage"] != nil || created["store"] != false || created["model"] != "gpt-4o" {
		t.Errorf("created = %v", created)
	}
	if u, _ := json.Marshal(done["usage"]); done["output_text"] != "Hello" || done["error"] != nil ||
		string(u) != `{"input_tokens":3,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":5}` {
		t.Errorf("completed = %v", done)
	}
}

func TestResponsesStreamToolCallOverFragments(t *testing.T) {
	events := streamResponses(t, &deltaStream{end: io.EOF, answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "tool_calls"}}}, pieces: []domain.Delta{
		{ToolCalls: []domain.ToolCallDelta{{Index: 0, ID: "call_1", Name: "get"}}},
		{ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `{"a":`}}},
		{ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `1}`}, {Index: 1, ID: "call_2", Name: "put", Arguments: "{}"}}},
	}})
	assertEvents(t, events, append(strings.Split(createdEvents, "|"),
		`response.output_item.added {"item":`+callItem("fc_1", "call_1", "get", "", "in_progress")+`,"output_index":0}`,
		`response.function_call_arguments.delta {"delta":"{\"a\":","item_id":"fc_1","output_index":0}`,
		`response.function_call_arguments.delta {"delta":"1}","item_id":"fc_1","output_index":0}`,
		`response.output_item.added {"item":`+callItem("fc_2", "call_2", "put", "", "in_progress")+`,"output_index":1}`,
		`response.function_call_arguments.delta {"delta":"{}","item_id":"fc_2","output_index":1}`,
		`response.function_call_arguments.done {"arguments":"{\"a\":1}","item_id":"fc_1","name":"get","output_index":0}`,
		`response.output_item.done {"item":`+callItem("fc_1", "call_1", "get", `{"a":1}`, "completed")+`,"output_index":0}`,
		`response.function_call_arguments.done {"arguments":"{}","item_id":"fc_2","name":"put","output_index":1}`,
		`response.output_item.done {"item":`+callItem("fc_2", "call_2", "put", "{}", "completed")+`,"output_index":1}`,
		`response.completed {"response":{"output":[`+callItem("fc_1", "call_1", "get", `{"a":1}`, "completed")+`,`+callItem("fc_2", "call_2", "put", "{}", "completed")+`],"status":"completed"}}`,
	))
}

// Items are numbered as they first appear, text after a tool call
// included, and all close at the end in that order.
func TestResponsesStreamTextAndToolCall(t *testing.T) {
	events := streamResponses(t, &deltaStream{end: io.EOF, answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "tool_calls"}}}, pieces: []domain.Delta{
		{ToolCalls: []domain.ToolCallDelta{{Index: 0, ID: "call_1", Name: "get", Arguments: "{}"}}},
		{Text: "Look"},
		{Text: "ing"},
	}})
	call := callItem("fc_1", "call_1", "get", "{}", "completed")
	msg := fmt.Sprintf(`{"content":[`+textPartFmt+`],"id":"msg_1","role":"assistant","status":"completed","type":"message"}`, "Looking")
	want := append(strings.Split(createdEvents, "|"),
		`response.output_item.added {"item":`+callItem("fc_1", "call_1", "get", "", "in_progress")+`,"output_index":0}`,
		`response.function_call_arguments.delta {"delta":"{}","item_id":"fc_1","output_index":0}`,
		strings.Replace(msgAdded, `"output_index":0`, `"output_index":1`, 1),
		strings.Replace(textOpened, `"output_index":0`, `"output_index":1`, 1),
		textDelta("msg_1", 1, "Look"), textDelta("msg_1", 1, "ing"),
		`response.function_call_arguments.done {"arguments":"{}","item_id":"fc_1","name":"get","output_index":0}`,
		`response.output_item.done {"item":`+call+`,"output_index":0}`,
	)
	want = append(append(want, closeMessage(1, "Looking", "completed")...), `response.completed {"response":{"output":[`+call+`,`+msg+`],"status":"completed"}}`)
	assertEvents(t, events, want)
	if got := events[len(events)-1].data["response"].(map[string]any)["output_text"]; got != "Looking" {
		t.Errorf("output_text = %v", got)
	}
}

func TestResponsesStreamRefusal(t *testing.T) {
	events := streamResponses(t, &deltaStream{end: io.EOF, pieces: []domain.Delta{{Refusal: "I can"}, {Refusal: "not"}},
		answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}}})
	part := `{"refusal":"I cannot","type":"refusal"}`
	msg := `{"content":[` + part + `],"id":"msg_1","role":"assistant","status":"completed","type":"message"}`
	assertEvents(t, events, append(strings.Split(createdEvents, "|"), msgAdded,
		`response.content_part.added {"content_index":0,"item_id":"msg_1","output_index":0,"part":{"refusal":"","type":"refusal"}}`,
		`response.refusal.delta {"content_index":0,"delta":"I can","item_id":"msg_1","output_index":0}`,
		`response.refusal.delta {"content_index":0,"delta":"not","item_id":"msg_1","output_index":0}`,
		`response.refusal.done {"content_index":0,"item_id":"msg_1","output_index":0,"refusal":"I cannot"}`,
		`response.content_part.done {"content_index":0,"item_id":"msg_1","output_index":0,"part":`+part+`}`,
		`response.output_item.done {"item":`+msg+`,"output_index":0}`,
		`response.completed {"response":{"output":[`+msg+`],"status":"completed"}}`,
	))
}

// An answer cut short ends with response.incomplete, as OpenAI's does;
// one without a single piece still gets its empty message.
func TestResponsesStreamIncompleteAndEmpty(t *testing.T) {
	events := streamResponses(t, &deltaStream{end: io.EOF, answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "length"}}}})
	msg := fmt.Sprintf(`{"content":[`+textPartFmt+`],"id":"msg_1","role":"assistant","status":"incomplete","type":"message"}`, "")
	want := append(append(strings.Split(createdEvents, "|"), msgAdded, textOpened), closeMessage(0, "", "incomplete")...)
	assertEvents(t, events, append(want, `response.incomplete {"response":{"output":[`+msg+`],"status":"incomplete"}}`))
	if d := events[len(events)-1].data["response"].(map[string]any)["incomplete_details"]; fmt.Sprint(d) != "map[reason:max_output_tokens]" {
		t.Errorf("incomplete_details = %v", d)
	}
}

// A failure after the stream started is OpenAI's error event, then
// response.failed with what was said, so every client sees an end.
func TestResponsesStreamFailure(t *testing.T) {
	events := streamResponses(t, &deltaStream{pieces: []domain.Delta{{Text: "Hel"}}, end: domain.Upstream("Azure OpenAI ended the stream before it was complete", nil)})
	msg := fmt.Sprintf(`{"content":[`+textPartFmt+`],"id":"msg_1","role":"assistant","status":"incomplete","type":"message"}`, "Hel")
	assertEvents(t, events, append(strings.Split(createdEvents, "|"), msgAdded, textOpened, textDelta("msg_1", 0, "Hel"),
		`error {"code":"upstream_error","error":{"code":"upstream_error","message":"Azure OpenAI ended the stream before it was complete","param":null,"type":"server_error"},`+
			`"message":"Azure OpenAI ended the stream before it was complete","param":null}`,
		`response.failed {"response":{"output":[`+msg+`],"status":"failed"}}`,
	))
	failed, _ := json.Marshal(events[len(events)-1].data["response"].(map[string]any)["error"])
	if string(failed) != `{"code":"upstream_error","message":"Azure OpenAI ended the stream before it was complete"}` {
		t.Errorf("response.error = %s", failed)
	}
}

// Before the stream starts, a failure is the plain JSON error, with the
// client's field names.
func TestResponsesStreamErrorBeforeStart(t *testing.T) {
	h, svc := newResponsesEngine(t)
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).Return(nil, domain.InvalidField("max_completion_tokens", "'max_completion_tokens' must be between 1 and 9"))
	e := assertOpenAIError(t, postResponses(h, `{"model":"gpt-4o","input":"x","stream":true,"max_output_tokens":99}`), 400, "invalid_value", "max_output_tokens")
	if e["message"] != "'max_output_tokens' must be between 1 and 9" {
		t.Errorf("message = %v", e["message"])
	}
}
