package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// openAIDone is the sentinel OpenAI streams end with instead of an event.
const openAIDone = "[DONE]"

// parseSSE splits a whole text/event-stream into events. pending reports
// a last event that no blank line ended: a truncated stream.
func parseSSE(text string) (events []sseEvent, pending bool, err error) {
	r := newSSEReader(strings.NewReader(text))
	for {
		ev, err := r.next()
		switch {
		case errors.Is(err, io.EOF):
			return events, false, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return events, true, nil
		case err != nil:
			return nil, false, fmt.Errorf("event %d: %w", len(events)+1, err)
		}
		events = append(events, ev)
	}
}

// decodeSSE is the text/event-stream body decoder for openapi3filter: it
// rejects a malformed or truncated stream and any event whose data is not
// JSON, and hands the stream on as the string its schema describes.
// Which schema each event's JSON must match is validateSSE's job, since
// a decoder never sees the operation.
func decodeSSE(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	events, pending, err := parseSSE(string(raw))
	if err != nil {
		return nil, err
	}
	if pending {
		return nil, errors.New("the stream ends inside an event")
	}
	for i, ev := range events {
		if ev.Data == openAIDone && i == len(events)-1 {
			continue // which streams may end so is validateSSE's call, from x-sse-done
		}
		if !json.Valid([]byte(ev.Data)) {
			return nil, fmt.Errorf("event %d (%s): data is not JSON: %q", i+1, ev.Name, ev.Data)
		}
	}
	return string(raw), nil
}

// validateSSE checks each event of an operation's text/event-stream
// response against the schema that the media type's x-sse-events names
// for that event. When the client stopped reading early (complete is
// false), the events that did arrive whole are still checked.
func validateSSE(doc *openapi3.T, op *openapi3.Operation, status int, body []byte, complete bool) error {
	resp := op.Responses.Status(status)
	if resp == nil || resp.Value.Content.Get(mediaSSE) == nil {
		return fmt.Errorf("status %d has no %s content", status, mediaSSE)
	}
	schemas, err := sseEventSchemas(doc, resp.Value.Content.Get(mediaSSE))
	if err != nil {
		return err
	}
	events, pending, err := parseSSE(string(body))
	if err != nil {
		return err
	}
	if complete && pending {
		return errors.New("the stream ends inside an event")
	}
	if done, _ := resp.Value.Content.Get(mediaSSE).Extensions[extSSEDone].(string); done != "" && len(events) > 0 && events[len(events)-1].Data == done {
		events = events[:len(events)-1]
	}
	for i, ev := range events {
		schema := schemas[ev.Name]
		if schema == nil {
			return fmt.Errorf("event %d: %q is not in %s", i+1, ev.Name, extSSEEvents)
		}
		var v any
		if err := json.Unmarshal([]byte(ev.Data), &v); err != nil {
			return fmt.Errorf("event %d (%s): data is not JSON: %w", i+1, ev.Name, err)
		}
		if err := schema.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
			return fmt.Errorf("event %d (%s): %w", i+1, ev.Name, err)
		}
	}
	return nil
}

// sseEventSchemas resolves a media type's x-sse-events against the
// document's schemas.
func sseEventSchemas(doc *openapi3.T, mt *openapi3.MediaType) (map[string]*openapi3.Schema, error) {
	ext, _ := mt.Extensions[extSSEEvents].(map[string]any)
	if len(ext) == 0 {
		return nil, fmt.Errorf("a %s response names no events in %s", mediaSSE, extSSEEvents)
	}
	schemas := make(map[string]*openapi3.Schema, len(ext))
	for event, ref := range ext {
		name, err := componentName(ref, "#/components/schemas/")
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", extSSEEvents, event, err)
		}
		s := doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			return nil, fmt.Errorf("%s %s: no schema %q in components", extSSEEvents, event, name)
		}
		schemas[event] = s.Value
	}
	return schemas, nil
}
