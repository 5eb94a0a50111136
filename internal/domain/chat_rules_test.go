package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// The four surfaces a ChatLimits can describe: /api takes neither
// system nor tool turns by default, /v1 takes both.
var (
	plainOnly  = domain.ChatLimits{MaxChars: 1000, MaxMessages: 10, MaxTokensLimit: 100}
	withSystem = domain.ChatLimits{MaxChars: 1000, MaxMessages: 10, MaxTokensLimit: 100, AllowSystem: true}
	withTools  = domain.ChatLimits{MaxChars: 1000, MaxMessages: 10, MaxTokensLimit: 100, AllowTools: true}
	withBoth   = domain.ChatLimits{MaxChars: 1000, MaxMessages: 10, MaxTokensLimit: 100, AllowSystem: true, AllowTools: true}
)

func turn(r domain.Role, content string) domain.Message {
	return domain.Message{Role: r, Content: content}
}

var call = domain.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo"}`}

// wantError checks an error's kind, field and the exact message a client
// is shown; a zero want means no error.
type wantError struct {
	kind  domain.Kind
	field string
	msg   string
}

func checkError(t *testing.T, err error, want wantError) {
	t.Helper()
	if want.kind == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want %s error on %q", err, want.kind, want.field)
	}
	if de.Kind != want.kind || de.Field != want.field || de.Msg != want.msg {
		t.Errorf("got %s on %q: %q\nwant %s on %q: %q", de.Kind, de.Field, de.Msg, want.kind, want.field, want.msg)
	}
}

func invalid(field, msg string) wantError { return wantError{domain.KindInvalid, field, msg} }

func TestValidateChatRoles(t *testing.T) {
	tool := domain.Message{Role: domain.RoleTool, Content: "12°C", ToolCallID: "call_1"}
	asked := domain.Message{Role: domain.RoleAssistant, ToolCalls: []domain.ToolCall{call}}
	tests := []struct {
		name string
		msgs []domain.Message
		lim  domain.ChatLimits
		want wantError
	}{
		{"user and assistant anywhere", []domain.Message{turn("user", "a"), turn("assistant", "b")}, plainOnly, wantError{}},
		{"system refused", []domain.Message{turn("system", "s")}, plainOnly, invalid("messages[0].role", "'messages[0].role' may not be system")},
		{"developer refused", []domain.Message{turn("user", "u"), turn("developer", "d")}, plainOnly, invalid("messages[1].role", "'messages[1].role' may not be developer")},
		{"system refused though tools allowed", []domain.Message{turn("system", "s")}, withTools, invalid("messages[0].role", "'messages[0].role' may not be system")},
		{"system allowed", []domain.Message{turn("system", "s"), turn("user", "u")}, withSystem, wantError{}},
		{"developer allowed", []domain.Message{turn("developer", "d"), turn("user", "u")}, withSystem, wantError{}},
		{"tool refused", []domain.Message{turn("user", "u"), tool}, plainOnly, invalid("messages[1].role", "'messages[1].role' must be user or assistant")},
		{"tool refused, system allowed", []domain.Message{turn("user", "u"), tool}, withSystem, invalid("messages[1].role", "'messages[1].role' must be system, developer, user or assistant")},
		{"tool allowed", []domain.Message{turn("user", "u"), asked, tool}, withTools, wantError{}},
		{"unknown, tools allowed", []domain.Message{turn("function", "f")}, withTools, invalid("messages[0].role", "'messages[0].role' must be user, assistant or tool")},
		{"unknown, both allowed", []domain.Message{turn("function", "f")}, withBoth, invalid("messages[0].role", "'messages[0].role' must be system, developer, user, assistant or tool")},
		{"empty role", []domain.Message{turn("", "x")}, plainOnly, invalid("messages[0].role", "'messages[0].role' must be user or assistant")},
		{"role is case-sensitive", []domain.Message{turn("User", "x")}, withBoth, invalid("messages[0].role", "'messages[0].role' must be system, developer, user, assistant or tool")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ValidateChat(tt.msgs, domain.Sampling{}, tt.lim)
			checkError(t, err, tt.want)
		})
	}
}

func TestValidateChatTurnFields(t *testing.T) {
	u := turn("user", "u")
	tests := []struct {
		name string
		msg  domain.Message
		lim  domain.ChatLimits
		want wantError
	}{
		{"tool turn", domain.Message{Role: "tool", Content: "12°C", ToolCallID: "call_1"}, withTools, wantError{}},
		{"tool turn without its call id", domain.Message{Role: "tool", Content: "12°C"}, withTools, invalid("messages[1].tool_call_id", "'messages[1].tool_call_id' is required")},
		{"tool turn without content", domain.Message{Role: "tool", Content: " ", ToolCallID: "call_1"}, withTools, invalid("messages[1].content", "'messages[1].content' is required")},
		{"assistant with tool calls only", domain.Message{Role: "assistant", ToolCalls: []domain.ToolCall{call}}, withTools, wantError{}},
		{"assistant with a refusal only", domain.Message{Role: "assistant", Refusal: "I can't help with that."}, plainOnly, wantError{}},
		{"assistant with nothing", domain.Message{Role: "assistant", Content: " \n"}, withTools, invalid("messages[1].content", "'messages[1].content' is required")},
		{"assistant tool calls where tools are not taken", domain.Message{Role: "assistant", ToolCalls: []domain.ToolCall{call}}, withSystem, invalid("messages[1].tool_calls", "'messages[1].tool_calls' may not be set")},
		{"tool calls on a user turn", domain.Message{Role: "user", Content: "x", ToolCalls: []domain.ToolCall{call}}, withTools, invalid("messages[1].tool_calls", "'messages[1].tool_calls' is only for assistant messages")},
		{"tool calls on a tool turn", domain.Message{Role: "tool", Content: "x", ToolCallID: "c", ToolCalls: []domain.ToolCall{call}}, withTools, invalid("messages[1].tool_calls", "'messages[1].tool_calls' is only for assistant messages")},
		{"tool call id on a user turn", domain.Message{Role: "user", Content: "x", ToolCallID: "c"}, withTools, invalid("messages[1].tool_call_id", "'messages[1].tool_call_id' is only for tool messages")},
		{"tool call id on an assistant turn", domain.Message{Role: "assistant", Content: "x", ToolCallID: "c"}, withTools, invalid("messages[1].tool_call_id", "'messages[1].tool_call_id' is only for tool messages")},
		{"refusal on a user turn", domain.Message{Role: "user", Content: "x", Refusal: "no"}, plainOnly, invalid("messages[1].refusal", "'messages[1].refusal' is only for assistant messages")},
		{"refusal on a tool turn", domain.Message{Role: "tool", Content: "x", ToolCallID: "c", Refusal: "no"}, withTools, invalid("messages[1].refusal", "'messages[1].refusal' is only for assistant messages")},
		{"tool call without id", domain.Message{Role: "assistant", ToolCalls: []domain.ToolCall{call, {Name: "f"}}}, withTools, invalid("messages[1].tool_calls[1].id", "'messages[1].tool_calls[1].id' is required")},
		{"tool call without name", domain.Message{Role: "assistant", ToolCalls: []domain.ToolCall{{ID: "c"}}}, withTools, invalid("messages[1].tool_calls[0].function.name", "'messages[1].tool_calls[0].function.name' is required")},
		{"name on any turn", domain.Message{Role: "user", Content: "x", Name: "ada"}, plainOnly, wantError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ValidateChat([]domain.Message{u, tt.msg}, domain.Sampling{}, tt.lim)
			checkError(t, err, tt.want)
		})
	}
}

func TestValidateChatPartsByRole(t *testing.T) {
	text := domain.Part{Type: domain.PartText, Text: "t"}
	image := domain.Part{Type: domain.PartImageURL, ImageURL: "https://example.com/cat.png", Detail: "low"}
	refusal := domain.Part{Type: domain.PartRefusal, Text: "no"}
	audio := domain.Part{Type: "input_audio"}
	unsupported := func(i int, typ, role string) wantError {
		f := fmt.Sprintf("messages[0].content[%d].type", i)
		return wantError{domain.KindUnsupported, f, fmt.Sprintf("'%s' %q is not supported in a %s message", f, typ, role)}
	}
	tests := []struct {
		role  domain.Role
		parts []domain.Part
		want  wantError
	}{
		{"user", []domain.Part{text, image}, wantError{}},
		{"user", []domain.Part{text, refusal}, unsupported(1, "refusal", "user")},
		{"user", []domain.Part{audio}, unsupported(0, "input_audio", "user")},
		{"assistant", []domain.Part{text, refusal}, wantError{}},
		{"assistant", []domain.Part{image}, unsupported(0, "image_url", "assistant")},
		{"system", []domain.Part{text}, wantError{}},
		{"system", []domain.Part{text, image}, unsupported(1, "image_url", "system")},
		{"developer", []domain.Part{text}, wantError{}},
		{"developer", []domain.Part{refusal}, unsupported(0, "refusal", "developer")},
		{"tool", []domain.Part{text}, wantError{}},
		{"tool", []domain.Part{image}, unsupported(0, "image_url", "tool")},
		{"tool", []domain.Part{text, text, refusal}, unsupported(2, "refusal", "tool")},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			m := domain.Message{Role: tt.role, Parts: tt.parts}
			if tt.role == domain.RoleTool {
				m.ToolCallID = "call_1"
			}
			_, err := domain.ValidateChat([]domain.Message{m}, domain.Sampling{}, withBoth)
			checkError(t, err, tt.want)
		})
	}
}

func TestValidateChatImageURLs(t *testing.T) {
	badURL := invalid("messages[0].content[0].image_url.url", "'messages[0].content[0].image_url.url' must be an http(s) URL or a data:image/ URL")
	badDetail := invalid("messages[0].content[0].image_url.detail", "'messages[0].content[0].image_url.detail' must be auto, low or high")
	tests := []struct {
		url, detail string
		want        wantError
	}{
		{"https://example.com/cat.png", "", wantError{}},
		{"http://example.com/cat.png", "auto", wantError{}},
		{"HTTPS://EXAMPLE.COM/CAT.PNG", "low", wantError{}},
		{"data:image/png;base64,iVBORw0KGgo=", "high", wantError{}},
		{"DATA:IMAGE/JPEG;base64,/9j/", "", wantError{}},
		{"", "", badURL},
		{"ftp://example.com/cat.png", "", badURL},
		{"file:///etc/passwd", "", badURL},
		{"data:text/html,<script>", "", badURL},
		{"javascript:alert(1)", "", badURL},
		{"example.com/cat.png", "", badURL},
		{"https://example.com/cat.png", "medium", badDetail},
		{"https://example.com/cat.png", "HIGH", badDetail},
		{"https://example.com/cat.png", " low", badDetail},
	}
	for _, tt := range tests {
		t.Run(tt.url+" "+tt.detail, func(t *testing.T) {
			m := domain.Message{Role: "user", Parts: []domain.Part{{Type: domain.PartImageURL, ImageURL: tt.url, Detail: tt.detail}}}
			_, err := domain.ValidateChat([]domain.Message{m}, domain.Sampling{}, plainOnly)
			checkError(t, err, tt.want)
		})
	}
}

func TestClientCharsCountsWhatTheClientWrote(t *testing.T) {
	bigImage := domain.Part{Type: domain.PartImageURL, ImageURL: "data:image/png;base64," + strings.Repeat("A", 5000)}
	tests := []struct {
		name string
		msg  domain.Message
		want int
	}{
		{"content", turn("user", "héllo"), 5},
		{"text parts, images not", domain.Message{Role: "user", Parts: []domain.Part{{Type: domain.PartText, Text: "ab"}, bigImage, {Type: domain.PartText, Text: "😀"}}}, 3},
		{"refusal parts", domain.Message{Role: "assistant", Parts: []domain.Part{{Type: domain.PartText, Text: "x"}, {Type: domain.PartRefusal, Text: "nö"}}}, 3},
		{"refusal", domain.Message{Role: "assistant", Refusal: "I can't."}, 8},
		{"tool-call arguments, not names or ids", domain.Message{Role: "assistant", Content: "ok", ToolCalls: []domain.ToolCall{
			{ID: "call_1", Name: "a_long_function_name", Arguments: `{"q":"é"}`}, {ID: "call_2", Name: "f", Arguments: "{}"}}}, 2 + 9 + 2},
		{"a tool's result, not its call id", domain.Message{Role: "tool", Content: "12°C", ToolCallID: "call_1"}, 4},
		{"names are not the client's text", domain.Message{Role: "user", Content: "x", Name: "ada_lovelace"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.msg.ClientChars(); got != tt.want {
				t.Errorf("ClientChars = %d, want %d", got, tt.want)
			}
		})
	}
}

// An image is never counted against CHAT_MAX_CHARS, so a large data
// URL passes a small limit; the sum ValidateChat returns is the same
// ClientChars.
func TestValidateChatSumsClientChars(t *testing.T) {
	lim := withTools
	lim.MaxChars = 20
	msgs := []domain.Message{
		{Role: "user", Parts: []domain.Part{{Type: domain.PartText, Text: "weather?"}, {Type: domain.PartImageURL, ImageURL: "data:image/png;base64," + strings.Repeat("A", 5000)}}},
		{Role: "assistant", ToolCalls: []domain.ToolCall{{ID: "c", Name: "w", Arguments: `{"c":1}`}}},
		{Role: "tool", Content: "12°C", ToolCallID: "c"},
	}
	n, err := domain.ValidateChat(msgs, domain.Sampling{}, lim)
	if err != nil || n != 8+7+4 {
		t.Fatalf("prompt chars = %d, %v; want 19", n, err)
	}
	msgs[2].Content = "12°C!!"
	_, err = domain.ValidateChat(msgs, domain.Sampling{}, lim)
	checkError(t, err, invalid("messages", "'messages' exceed 20 characters in total"))
}

func TestCompleteCountsEveryChoice(t *testing.T) {
	a := domain.Answer{Choices: []domain.Choice{
		{Text: "héllo", FinishReason: "stop"},
		{Refusal: "I can't.", FinishReason: "stop"},
		{ToolCalls: []domain.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Zürich"}`}, {ID: "c2", Name: "f", Arguments: "{}"}}, FinishReason: "tool_calls"},
	}}
	got := domain.Complete(3, a)
	if got.Usage != (domain.Usage{PromptChars: 3, ResponseChars: 5 + 8 + 17 + 2}) {
		t.Errorf("usage = %+v, want prompt 3 response 32", got.Usage)
	}
	if len(got.Choices) != 3 || got.Choices[2].FinishReason != "tool_calls" {
		t.Errorf("choices = %+v", got.Choices)
	}
}

func TestStreamTallyCountsEveryChoicesPieces(t *testing.T) {
	tally := domain.NewStreamTally(4)
	for _, d := range []domain.Delta{
		{Choice: 0, Text: "Hé"},
		{Choice: 1, Refusal: "I can't"},
		{Choice: 1}, // an empty piece counts nothing
		{Choice: 2, ToolCalls: []domain.ToolCallDelta{{Index: 0, ID: "c1", Name: "get_weather", Arguments: ""}}},
		{Choice: 2, ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `{"city":`}, {Index: 1, Arguments: "{}"}}},
		{Choice: 0, Text: "llo", Logprobs: domain.JSON(`{"content":[{"token":"llo","logprob":-0.1}]}`)},
	} {
		tally.Add(d)
	}
	ans := domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}, {FinishReason: "stop"}, {FinishReason: "tool_calls"}}, Model: "m"}
	got := tally.Completion(ans)
	if got.Usage != (domain.Usage{PromptChars: 4, ResponseChars: 2 + 7 + 8 + 2 + 3}) {
		t.Errorf("usage = %+v, want prompt 4 response 22", got.Usage)
	}
	if got.Model != "m" || len(got.Choices) != 3 {
		t.Errorf("answer = %+v", got.Answer)
	}
}
