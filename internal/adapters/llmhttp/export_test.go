package llmhttp

// EventBufferCap is what an SSEReader holds for event data, for the fuzz
// target's memory bound.
func EventBufferCap(r *SSEReader) int { return cap(r.data) }

var EndsWithin = endsWithin
