package http

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// handleResponses serves OpenAI's Responses API over the same use case
// as /v1/chat/completions: the request becomes a chat conversation, and
// the answer or its stream becomes a response object or its events.
func handleResponses(svc ports.Completer, opts Options) gin.HandlerFunc {
	return withBody(opts.MaxBodyBytes, func(c *gin.Context, req responsesRequest) {
		in, names, err := req.input(opts.serves)
		if err != nil {
			writeError(c, err)
			return
		}
		head := responseHead{id: newItemID("resp_"), createdAt: time.Now().Unix(), model: req.Model, echo: echoOf(in, req.Instructions)}
		if req.Stream {
			st, err := svc.ChatStream(c.Request.Context(), in)
			serveStream(c, st, names.rename(err), opts, &responsesStream{head: head, calls: map[int]*streamItem{}})
			return
		}
		out, err := svc.Chat(c.Request.Context(), in)
		if err != nil {
			writeError(c, names.rename(err))
			return
		}
		setUpstreamRequestID(c, out.UpstreamRequestID)
		c.JSON(http.StatusOK, head.completed(out))
	})
}

// fieldRename is one field the domain names as chat completions spell
// it, and its name in the request the client sent.
type fieldRename struct{ chat, ours string }

// fieldMap puts a request's own field names back into the errors the
// domain words for chat turns, so a client is told which of its fields
// is at fault. Each request adds its turns' renames.
type fieldMap []fieldRename

var responsesFieldNames = fieldMap{
	{"messages", "input"},
	{"max_completion_tokens", "max_output_tokens"},
	{"reasoning_effort", "reasoning.effort"},
	{"response_format.json_schema", "text.format"},
	{"response_format", "text.format"},
}

// chatOnlyMembers are chat's nestings that Responses flattens.
var chatOnlyMembers = strings.NewReplacer(".image_url.url", ".image_url", ".image_url.detail", ".detail")

var toolFunction = regexp.MustCompile(`^tools\[\d+\]\.function`)

// field is ours for a chat field: the longest rename that is a whole
// prefix of it.
func (m fieldMap) field(chat string) string {
	best := -1
	for i, r := range m {
		rest, ok := strings.CutPrefix(chat, r.chat)
		if ok && (rest == "" || rest[0] == '.' || rest[0] == '[') && (best < 0 || len(r.chat) > len(m[best].chat)) {
			best = i
		}
	}
	out := chat
	if best >= 0 {
		out = m[best].ours + chat[len(m[best].chat):]
	}
	if loc := toolFunction.FindStringIndex(out); loc != nil {
		out = out[:loc[1]-len(".function")] + out[loc[1]:]
	}
	return chatOnlyMembers.Replace(out)
}

// rename returns err with its field, and the field as its message quotes
// it, in this request's names. The error is copied: it may be shared.
func (m fieldMap) rename(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Field == "" {
		return err
	}
	ours := m.field(de.Field)
	if ours == de.Field {
		return err
	}
	cp := *de
	cp.Field, cp.Msg = ours, strings.ReplaceAll(de.Msg, "'"+de.Field+"'", "'"+ours+"'")
	return &cp
}
