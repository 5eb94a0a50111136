package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// maxJSONDepth is far beyond any valid request (a chat is five levels
// deep) and keeps a hostile body from costing a frame per byte.
const maxJSONDepth = 64

// checkJSONShape accepts exactly one JSON value with no object key twice
// and nothing after it. Duplicates are compared as encoding/json matches
// field names, ignoring case: {"prompt":"a","PROMPT":"b"} would otherwise
// reach the handler as "b" while a proxy or log that reads the first key
// saw "a".
func checkJSONShape(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // syntax only: 1e999 is valid JSON, whatever a field makes of it
	var stack []*jsonFrame
	for started := false; !started || len(stack) > 0; started = true {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("request body is not valid JSON")
		}
		top := (*jsonFrame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, isString := tok.(string); isString && top != nil && top.object && top.wantKey {
			if err := top.addKey(key); err != nil {
				return err
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return badRequest(fmt.Sprintf("request body nests deeper than %d levels", maxJSONDepth))
			}
			stack = append(stack, &jsonFrame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			} else {
				top = nil
			}
		}
		if top != nil && top.object {
			top.wantKey = true // a value ended; the next token is a key or '}'
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body has data after the JSON object")
	}
	return nil
}

type jsonFrame struct {
	object  bool
	wantKey bool
	keys    map[string]struct{}
}

func (f *jsonFrame) addKey(key string) error {
	folded := foldKey(key)
	if _, dup := f.keys[folded]; dup {
		msg := "request body has a duplicate key"
		if utf8.RuneCountInString(key) <= 64 {
			msg += fmt.Sprintf(" '%s'", key)
		}
		return badRequest(msg)
	}
	if f.keys == nil {
		f.keys = make(map[string]struct{}, 4)
	}
	f.keys[folded] = struct{}{}
	f.wantKey = false
	return nil
}

// foldKey maps names that encoding/json treats as the same field to one
// string: ASCII case, and the smallest rune of each Unicode fold set.
func foldKey(s string) string {
	var b []byte
	for _, r := range s {
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
