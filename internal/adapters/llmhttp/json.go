package llmhttp

import (
	"bytes"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// answerJSON decodes what an upstream sends with encoding/json's
// leniency, which the adapter always had: names matched without regard
// to case, a repeated name keeps its last value, and invalid UTF-8
// becomes U+FFFD. The v2 engine does it in one pass with a fraction of
// the allocations, on every answer and every stream event.
var answerJSON = json.JoinOptions(
	json.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

func unmarshalAnswer(data []byte, v any) error { return json.Unmarshal(data, v, answerJSON) }

// bodyBuffers hold whole upstream answers while they are parsed, so
// each call does not grow a buffer of its own.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pooledBodyCap bounds what goes back to the pool: one huge answer must
// not pin its buffer for the life of the process.
const pooledBodyCap = 256 << 10

func putBody(b *bytes.Buffer) {
	if b.Cap() <= pooledBodyCap {
		b.Reset()
		bodyBuffers.Put(b)
	}
}
