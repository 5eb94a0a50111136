// Command upstream is a fake Azure OpenAI deployment for benchmarks: it
// speaks the real wire protocol (JSON and SSE) with a fixed delay and a
// configurable answer size, and costs as little CPU as it can.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	delay := flag.Duration("delay", 0, "wait before answering a non-streamed call")
	size := flag.Int("size", 64, "answer size in bytes")
	chunks := flag.Int("chunks", 200, "chunks per streamed answer")
	chunkDelay := flag.Duration("chunk-delay", 5*time.Millisecond, "wait before each streamed chunk")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String()) // the runner reads the bound address from here
	a := newAnswers(*size, *chunks)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Stream bool `json:"stream"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("apim-request-id", "bench")
		if req.Stream {
			a.stream(w, r, *chunkDelay)
			return
		}
		if *delay > 0 {
			time.Sleep(*delay) // the model's latency, which is the point of this server
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(a.whole)
	})
	_ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// answers are encoded once: the upstream must not be the bottleneck.
type answers struct {
	whole  []byte
	events [][]byte
	head   []byte
	tail   []byte
}

func newAnswers(size, chunks int) *answers {
	text := strings.Repeat("lorem ipsum dolor sit amet ", size/27+1)[:size]
	whole, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4o-bench",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": 20, "completion_tokens": size / 4, "total_tokens": 20 + size/4},
	})
	a := &answers{whole: whole}
	per := max(size/chunks, 1)
	for i := 0; i < chunks; i++ {
		part := text[min(i*per, len(text)):min((i+1)*per, len(text))]
		if i == chunks-1 {
			part = text[min(i*per, len(text)):]
		}
		b, _ := json.Marshal(map[string]any{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-bench",
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": part}, "finish_reason": nil}}})
		a.events = append(a.events, []byte("data: "+string(b)+"\n\n"))
	}
	a.head = []byte(`data: {"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[]}` + "\n\n" +
		`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-bench","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n")
	a.tail = []byte(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-bench","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" +
		fmt.Sprintf(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-bench","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":%d,"total_tokens":%d}}`, size/4, 20+size/4) + "\n\n" +
		"data: [DONE]\n\n")
	return a
}

func (a *answers) stream(w http.ResponseWriter, r *http.Request, chunkDelay time.Duration) {
	w.Header().Set("Content-Type", "text/event-stream")
	f := w.(http.Flusher)
	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		f.Flush()
		return true
	}
	if !write(a.head) {
		return
	}
	t := time.NewTicker(chunkDelay)
	defer t.Stop()
	for _, ev := range a.events {
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		if !write(ev) {
			return
		}
	}
	write(a.tail)
	_, _ = io.Copy(io.Discard, r.Body)
}
