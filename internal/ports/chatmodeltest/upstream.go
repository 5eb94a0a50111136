package chatmodeltest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// answer writes one upstream reply, streamed or not, in the OpenAI-style
// wire format that compatible servers and Azure share.
type answer func(w http.ResponseWriter, r *http.Request, stream bool)

// wireHandler decodes the request and lets the answer reply.
func wireHandler(a answer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Stream   bool `json:"stream"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) != 2 || body.Messages[0].Role != "system" {
			http.Error(w, `{"error":{"code":"bad_request","message":"unexpected body"}}`, http.StatusBadRequest)
			return
		}
		a(w, r, body.Stream)
	})
}

var pieces = []string{"Hel", "lo", " world"}

func okAnswer(w http.ResponseWriter, _ *http.Request, stream bool) {
	if !stream {
		_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","created":1,"model":"model-x",
			"choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)
		return
	}
	startStream(w)
	for _, p := range pieces {
		event(w, fmt.Sprintf(`{"model":"model-x","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}]}`, p))
	}
	event(w, `{"model":"model-x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
	event(w, `{"model":"model-x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)
	event(w, `[DONE]`)
}

// cutAnswer stops the stream without [DONE].
func cutAnswer(w http.ResponseWriter, _ *http.Request, _ bool) {
	startStream(w)
	event(w, `{"model":"model-x","choices":[{"index":0,"delta":{"content":"Hel"}}]}`)
}

// silentAnswer never answers until the caller gives up.
func silentAnswer(_ http.ResponseWriter, r *http.Request, _ bool) { <-r.Context().Done() }

// headersOnlyAnswer answers 200 at once with Azure's filter-only chunk,
// then stays silent until the caller gives up.
func headersOnlyAnswer(w http.ResponseWriter, r *http.Request, _ bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	event(w, `{"model":"","choices":[],"prompt_filter_results":[]}`)
	<-r.Context().Done()
}

// hangingAnswer sends one piece, then holds the stream open until the
// caller leaves, and reports that it saw the caller leave.
func hangingAnswer(sawDone chan struct{}) answer {
	return func(w http.ResponseWriter, r *http.Request, _ bool) {
		startStream(w)
		event(w, `{"model":"model-x","choices":[{"index":0,"delta":{"content":"Hel"}}]}`)
		<-r.Context().Done()
		close(sawDone)
	}
}

func status(code int, body string, hdr ...string) answer {
	return func(w http.ResponseWriter, _ *http.Request, _ bool) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func startStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	event(w, `{"model":"","choices":[],"prompt_filter_results":[]}`) // Azure's leading filter-only chunk
	event(w, `{"model":"model-x","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`)
}

func event(w http.ResponseWriter, data string) {
	_, _ = fmt.Fprintf(w, "data: %s\n\n", data)
	w.(http.Flusher).Flush()
}
