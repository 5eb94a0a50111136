package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// streams keeps conns streams open back to back, starting new ones for
// d, and times, for each, the first content delta (time to first byte
// that matters) and the whole stream. Streams/s is those completed over
// the time until the last one did: a stream takes about a second, so
// counting only those done within d would round to whole streams.
func (b *bench) streams(conns int, url, body string, d time.Duration) (run, error) {
	began := time.Now()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var ttfbs, totals []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				ttfb, total, err := oneStream(client, url, body)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					ttfbs, totals = append(ttfbs, ttfb), append(totals, total)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	if len(totals) == 0 {
		return run{}, fmt.Errorf("no stream completed against %s", url)
	}
	return run{
		requests: len(totals), errors: errs, rps: float64(len(totals)) / took.Seconds(),
		ttfbP50: median(ttfbs), ttfbP99: quantile(ttfbs, 0.99), totalP50: median(totals), p50: median(totals), p99: quantile(totals, 0.99),
	}, nil
}

func oneStream(client *http.Client, url, body string) (ttfb, total time.Duration, err error) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api-key", "bench")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	done := false
	for {
		line, err := r.ReadSlice('\n')
		if ttfb == 0 && firstContent(line) {
			ttfb = time.Since(start)
		}
		if bytes.HasPrefix(line, []byte("event: done")) || bytes.HasPrefix(line, []byte("data: [DONE]")) {
			done = true
		}
		if err != nil {
			break
		}
	}
	if !done || ttfb == 0 {
		return 0, 0, fmt.Errorf("stream ended early")
	}
	return ttfb, time.Since(start), nil
}

// firstContent spots the first delta with text, in our format or Azure's.
func firstContent(line []byte) bool {
	if bytes.HasPrefix(line, []byte(`data: {"delta":"`)) {
		return true
	}
	i := bytes.Index(line, []byte(`"content":"`))
	return i >= 0 && len(line) > i+11 && line[i+11] != '"'
}

func quantile(xs []time.Duration, q float64) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(int(float64(len(s))*q), len(s)-1)]
}
