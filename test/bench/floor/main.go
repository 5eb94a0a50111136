// Command floor does the job of POST /api/completions (and its stream)
// as plainly as Go allows: net/http, no framework, no middleware. It is
// the least any Go service doing this job can cost, measured beside the
// real service in the same run.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
	"unicode/utf8"
)

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type upstreamRequest struct {
	Messages []message `json:"messages"`
	Stream   bool      `json:"stream,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	upstream := flag.String("upstream", "", "the deployment's chat/completions URL")
	flag.Parse()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/completions", func(w http.ResponseWriter, r *http.Request) {
		prompt, ok := decodePrompt(w, r)
		if !ok {
			return
		}
		resp, err := call(client, *upstream, prompt, false)
		if err != nil {
			http.Error(w, `{"error":"upstream"}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var out struct {
			Model   string `json:"model"`
			Choices []struct {
				Message      message `json:"message"`
				FinishReason string  `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
				TotalTokens      int `json:"total_tokens"`
			} `json:"usage"`
		}
		if json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Choices) == 0 {
			http.Error(w, `{"error":"upstream"}`, http.StatusBadGateway)
			return
		}
		text := out.Choices[0].Message.Content
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"response": text,
			"usage": map[string]int{"prompt_chars": utf8.RuneCountInString(prompt), "response_chars": utf8.RuneCountInString(text),
				"prompt_tokens": out.Usage.PromptTokens, "completion_tokens": out.Usage.CompletionTokens, "total_tokens": out.Usage.TotalTokens},
			"finish_reason": out.Choices[0].FinishReason, "model": out.Model,
		})
	})
	mux.HandleFunc("POST /api/completions/stream", func(w http.ResponseWriter, r *http.Request) {
		prompt, ok := decodePrompt(w, r)
		if !ok {
			return
		}
		resp, err := call(client, *upstream, prompt, true)
		if err != nil {
			http.Error(w, `{"error":"upstream"}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.HasPrefix(line, []byte("data: {")) {
				continue
			}
			var ch struct {
				Choices []struct {
					Delta message `json:"delta"`
				} `json:"choices"`
			}
			if json.Unmarshal(line[6:], &ch) != nil || len(ch.Choices) == 0 || ch.Choices[0].Delta.Content == "" {
				continue
			}
			b, _ := json.Marshal(map[string]string{"delta": ch.Choices[0].Delta.Content})
			_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
			f.Flush()
		}
		_, _ = io.WriteString(w, "event: done\ndata: {}\n\n")
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

func decodePrompt(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Prompt string `json:"prompt"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&in); err != nil || in.Prompt == "" {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return "", false
	}
	return in.Prompt, true
}

func call(client *http.Client, url, prompt string, stream bool) (*http.Response, error) {
	body, _ := json.Marshal(upstreamRequest{Messages: []message{{"system", "You are a helpful assistant."}, {"user", prompt}}, Stream: stream})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api-key", "bench")
	resp, err := client.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp, err
}
