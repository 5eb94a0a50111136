package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

var errUnsupportedMedia = &statusError{status: http.StatusUnsupportedMediaType, msg: "Content-Type must be application/json", code: "unsupported_media_type"}

// decodeJSON is the one strict decoder for request bodies: JSON media
// type, bounded size, valid UTF-8, a single object with no key twice and
// nothing after it.
// Unknown fields are ignored so that clients can evolve first.
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
	_, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	body := buf.Bytes() // json.Unmarshal copies what it keeps, so the buffer can go back
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &statusError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body exceeds %d bytes", limit), code: "request_too_large"}
		}
		return badRequest("request body could not be read")
	}
	if !utf8.Valid(body) {
		return badRequest("request body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return badRequest("request body is empty")
	}
	if trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return badRequest("request body must be a JSON object")
		}
		return badRequest("request body is not valid JSON")
	}
	if err := checkJSONShape(trimmed); err != nil {
		return err
	}
	if err := json.Unmarshal(trimmed, dst); err != nil {
		return decodeError(err)
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

func badRequest(msg string) error {
	return &statusError{status: http.StatusBadRequest, msg: msg, code: "invalid_request"}
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return &statusError{status: http.StatusBadRequest, msg: fmt.Sprintf("'%s' must be %s", typeErr.Field, jsonType(typeErr.Type)),
			code: "invalid_type", param: typeErr.Field}
	}
	return badRequest("request body is not valid JSON")
}

func jsonType(t reflect.Type) string {
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
