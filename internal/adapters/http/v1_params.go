package http

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// disposition is what the service does with one request parameter.
type disposition string

const (
	forwarded  disposition = "forwarded"  // sent upstream as the client gave it, once validated
	translated disposition = "translated" // the service acts on it, or sends it in another form
	refused    disposition = "refused"    // answered 400 unsupported_parameter, never dropped
)

// param is one row of a surface's parameter table: the one place that
// says what becomes of each top-level field. docs/openai.md shows the
// same rows, and a test holds the two together.
type param struct {
	name string
	does disposition
	why  string
}

// letThrough are refused members' values that ask for what the service
// does anyway, so refusing them would only break clients.
var letThrough = map[string]string{"store": "false", "background": "false"}

// v1ChatParams is /v1/chat/completions' table. A member it does not
// list is refused like a refused row, by the decoder.
var v1ChatParams = []param{
	{"model", translated, "picks the model or pool; Azure deployments are named in the URL instead"},
	{"messages", forwarded, "system, developer, user, assistant and tool turns; parts stay parts; a dated Azure API version gets developer as system"},
	{"stream", translated, "the service always streams upstream with usage, and relays what the client asked for"},
	{"stream_options", translated, "include_usage adds the final usage chunk, and \"usage\": null on the chunks before it"},
	{"temperature", forwarded, "0 to 2"},
	{"top_p", forwarded, "0 to 1"},
	{"max_tokens", forwarded, "1 to MAX_TOKENS_LIMIT, sent as max_tokens"},
	{"max_completion_tokens", forwarded, "1 to MAX_TOKENS_LIMIT, sent as max_completion_tokens"},
	{"n", forwarded, "1 to OPENAI_COMPAT_MAX_N"},
	{"stop", forwarded, "a string or up to 4"},
	{"seed", forwarded, ""},
	{"presence_penalty", forwarded, "-2 to 2"},
	{"frequency_penalty", forwarded, "-2 to 2"},
	{"logit_bias", forwarded, "token ids to -100 to 100"},
	{"logprobs", forwarded, ""},
	{"top_logprobs", forwarded, "0 to 20, with logprobs"},
	{"user", forwarded, ""},
	{"reasoning_effort", forwarded, "none, minimal, low, medium, high or xhigh"},
	{"prediction", forwarded, "{\"type\": \"content\"}"},
	{"tools", forwarded, "function tools, at most 128"},
	{"tool_choice", forwarded, "none, auto, required or a named function"},
	{"parallel_tool_calls", forwarded, ""},
	{"response_format", forwarded, "text, json_object or json_schema (with strict)"},
	{"modalities", refused, "no backend relays audio"},
	{"audio", refused, "no backend relays audio"},
	{"functions", refused, "deprecated by OpenAI: send tools"},
	{"function_call", refused, "deprecated by OpenAI: send tool_choice"},
	{"store", refused, "the service stores no completions; false is let through"},
	{"metadata", refused, "the service stores no completions"},
	{"service_tier", refused, "the backends' tier is the operator's choice"},
	{"web_search_options", refused, "no backend searches the web"},
}

// refuseListed refuses the first member set in rows, a pointer to a
// struct of jsontext.Value fields that the refused rows decode into:
// null is "not given", as SDKs send it, and letThrough values pass.
// Members the table does not list never get this far: the decoder
// refuses them.
func refuseListed(rows any, table []param) error {
	v := reflect.ValueOf(rows).Elem()
	for i := range v.NumField() {
		val := v.Field(i).Bytes()
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if len(val) == 0 || string(val) == "null" || letThrough[name] == string(val) {
			continue
		}
		return unsupported(name, table)
	}
	return nil
}

// unsupported refuses a member by name, with the table's reason when
// it has one.
func unsupported(name string, table []param) error {
	field := name
	if len(field) > 64 {
		field = field[:64]
	}
	msg := fmt.Sprintf("'%s' is not supported by this service", field)
	for _, p := range table {
		if p.name == name && p.does == refused {
			msg += ": " + p.why
		}
	}
	return domain.Unsupported(field, msg)
}
