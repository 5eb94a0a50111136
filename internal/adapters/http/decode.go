package http

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

var errUnsupportedMedia = fail(kindUnsupportedMedia, "")

// strictJSON matches names as encoding/json did (case-insensitively,
// with '_' and '-' significant), so no client's spelling changes
// meaning. jsontext's defaults do the rest in the same pass: invalid
// UTF-8, a name twice (also two spellings of one field) and anything
// after the value are refused.
var strictJSON = json.JoinOptions(json.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true))

// strictMembers adds the refusal of unknown members, for a request type
// that asks for it: an OpenAI parameter silently dropped would change
// what the caller gets.
var strictMembers = json.JoinOptions(strictJSON, json.RejectUnknownMembers(true))

// membersChecker is a request type whose unknown members are refused.
type membersChecker interface{ rejectsUnknown() }

// decodeJSON is the one strict decoder for request bodies: JSON media
// type, bounded size and depth, then one parse into dst. Unknown fields
// are ignored so that clients can evolve first, unless dst is a
// membersChecker.
func decodeJSON(c *gin.Context, limit int64, dst any) error {
	if !isJSON(c.GetHeader("Content-Type")) {
		return errUnsupportedMedia
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= pooledBodyCap { // a huge body's buffer is left to the GC
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	_, err := buf.ReadFrom(&depthLimiter{r: http.MaxBytesReader(c.Writer, c.Request.Body, limit), max: maxJSONDepth})
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return fail(kindTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit))
		case errors.Is(err, errTooDeep):
			return badRequest(fmt.Sprintf("request body nests deeper than %d levels", maxJSONDepth))
		}
		return badRequest("request body could not be read")
	}
	return parseBody(buf.Bytes(), dst) // Unmarshal copies what it keeps, so the buffer can go back
}

// parseBody is decodeJSON's one parse of a body it has read.
func parseBody(body []byte, dst any) error {
	switch trimmed := bytes.TrimLeft(body, " \t\r\n"); {
	case len(trimmed) == 0:
		return badRequest("request body is empty")
	case trimmed[0] != '{': // null would decode into a struct as nothing at all
		if jsontext.Value(trimmed).IsValid() {
			return badRequest("request body must be a JSON object")
		}
		return badRequest("request body is not valid JSON")
	}
	opts := strictJSON
	if _, ok := dst.(membersChecker); ok {
		opts = strictMembers
	}
	if err := json.Unmarshal(body, dst, opts); err != nil {
		return decodeError(body, err)
	}
	return nil
}

// bodyBuffers spare each request a fresh, growing read buffer.
var bodyBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4096)) }}

const pooledBodyCap = 64 << 10

// withBody decodes a route's JSON body with decodeJSON and answers any
// failure itself, so each handler starts from a valid request.
func withBody[T any](maxBody int64, serve func(c *gin.Context, req T)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req T
		if err := decodeJSON(c, maxBody, &req); err != nil {
			writeError(c, err)
			return
		}
		serve(c, req)
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func badRequest(msg string) error { return fail(kindBadRequest, msg) }

// decodeError words the decoder's verdict for a client, naming the field
// at fault in the domain's spelling (messages[0].role).
func decodeError(body []byte, err error) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		msg := "request body has a duplicate key"
		if name := syn.JSONPointer.LastToken(); len(name) <= 64 {
			msg += fmt.Sprintf(" '%s'", name)
		}
		return badRequest(msg)
	case errors.As(err, &syn) && strings.Contains(syn.Err.Error(), "invalid UTF-8"):
		return badRequest("request body is not valid UTF-8")
	case errors.As(err, &syn) && syn.ByteOffset > 0 && jsontext.Value(body[:syn.ByteOffset]).IsValid():
		return badRequest("request body has data after the JSON object") // a whole value ends where the error begins
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		return unsupported(fieldOf(sem.JSONPointer), nil) // the table's refused rows decode, so this one is not listed
	case errors.As(err, &sem) && sem.JSONPointer != "" && sem.GoType != nil:
		field := fieldOf(sem.JSONPointer)
		return failField(kindInvalidType, field, fmt.Sprintf("'%s' must be %s", field, jsonType(sem.GoType)))
	}
	return badRequest("request body is not valid JSON")
}

// fieldOf turns /messages/0/role into messages[0].role.
func fieldOf(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// kindsDescriber is a type that accepts more than one JSON kind.
type kindsDescriber interface{ jsonKinds() string }

func jsonType(t reflect.Type) string {
	if t.Implements(reflect.TypeFor[kindsDescriber]()) {
		return reflect.Zero(t).Interface().(kindsDescriber).jsonKinds()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonType(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a number"
}
