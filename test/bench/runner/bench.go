package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type bench struct {
	bins             binaries
	redisURL         string // a redis-server of the runner's own
	duration, warmup time.Duration
	reps             int
}

// run is one measured run of one target.
type run struct {
	rps       float64
	p50, p99  time.Duration
	requests  int
	errors    int
	cpuPerReq time.Duration
	peakRSS   int64
	rss       int64
	ttfbP50   time.Duration // streams only
	ttfbP99   time.Duration
	totalP50  time.Duration
}

type targetResult struct {
	name string
	runs []run
}

type shapeResult struct {
	shape   shape
	targets []targetResult
}

const deployment = "bench"

func (b *bench) runShape(s shape) (shapeResult, error) {
	up, err := start(b.bins.upstream, []string{
		"-delay", s.delay.String(), "-size", strconv.Itoa(s.size),
		"-chunks", strconv.Itoa(max(s.chunks, 1)), "-chunk-delay", s.chunkDelay.String(),
	}, nil)
	if err != nil {
		return shapeResult{}, err
	}
	defer up.stop()
	upURL := "http://" + up.addr + "/openai/deployments/" + deployment + "/chat/completions?api-version=2024-10-21"
	floor, err := start(b.bins.floor, []string{"-upstream", upURL}, nil)
	if err != nil {
		return shapeResult{}, err
	}
	defer floor.stop()
	svcEnv := []string{
		"LLM_PROVIDER=azure", "AZURE_OPENAI_ENDPOINT=http://" + up.addr, "AZURE_OPENAI_API_KEY=bench",
		"AZURE_OPENAI_DEPLOYMENT_NAME=" + deployment, "HOST=127.0.0.1", "PORT=0",
		"LOG_LEVEL=INFO", "LOG_FORMAT=json", "LOG_FILE=", "ENV_FILE=/dev/null",
	}
	svc, err := start(b.bins.service, nil, svcEnv)
	if err != nil {
		return shapeResult{}, err
	}
	defer svc.stop()
	// The same service with every limit on and kept in Redis, set high
	// enough never to refuse: what the store's round trips cost.
	limited, err := start(b.bins.service, nil, append(svcEnv, "REDIS_URL="+b.redisURL, "RATE_LIMIT_RPS=1000000",
		"RATE_LIMIT_BURST=1000000", "TOKEN_RATE_LIMIT_TPM=1000000000000", "TOKEN_QUOTA=1000000000000000"))
	if err != nil {
		return shapeResult{}, err
	}
	defer limited.stop()

	path := "/api/completions"
	if s.stream {
		path += "/stream"
	}
	prompt := `{"prompt":"Explain Azure OpenAI in one sentence."}`
	direct := `{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Explain Azure OpenAI in one sentence."}]` +
		map[bool]string{true: `,"stream":true}`, false: `}`}[s.stream]
	targets := []struct {
		name, url, body string
		p               *proc
	}{
		{"direct", upURL, direct, up},
		{"floor", "http://" + floor.addr + path, prompt, floor},
		{"service", "http://" + svc.addr + path, prompt, svc},
		{"service, Redis limits", "http://" + limited.addr + path, prompt, limited},
	}
	res := shapeResult{shape: s, targets: make([]targetResult, len(targets))}
	for i, t := range targets {
		res.targets[i].name = t.name
	}
	for rep := 0; rep < b.reps; rep++ {
		for i, t := range targets { // interleaved, so drift hits every target alike
			r, err := b.measure(s, t.url, t.body, t.p)
			if err != nil {
				return res, fmt.Errorf("%s: %w", t.name, err)
			}
			res.targets[i].runs = append(res.targets[i].runs, r)
		}
	}
	return res, nil
}

func (b *bench) measure(s shape, url, body string, p *proc) (run, error) {
	load := b.unary
	if s.stream {
		load = b.streams
	}
	if _, err := load(s.conns, url, body, b.warmup); err != nil {
		return run{}, err
	}
	cpu0, err := p.cpuTime()
	if err != nil {
		return run{}, err
	}
	r, err := load(s.conns, url, body, b.duration)
	if err != nil {
		return run{}, err
	}
	cpu1, _ := p.cpuTime()
	if r.requests > 0 {
		r.cpuPerReq = (cpu1 - cpu0) / time.Duration(r.requests)
	}
	r.peakRSS, r.rss, err = p.memory()
	return r, err
}

// unary is a closed loop: conns workers, each sending the next request
// as soon as the last one is answered.
func (b *bench) unary(conns int, url, body string, d time.Duration) (run, error) {
	tr := vegeta.NewStaticTargeter(vegeta.Target{
		Method: http.MethodPost, URL: url, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/json"}, "api-key": {"bench"}},
	})
	a := vegeta.NewAttacker(vegeta.Connections(conns), vegeta.MaxConnections(conns), vegeta.Workers(uint64(conns)),
		vegeta.MaxWorkers(uint64(conns)), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second), vegeta.HTTP2(false))
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{Freq: 0}, d, "bench") {
		m.Add(res)
	}
	m.Close()
	r := run{requests: int(m.Requests), p50: m.Latencies.P50, p99: m.Latencies.P99, rps: m.Throughput}
	r.errors = int(m.Requests) - int(float64(m.Requests)*m.Success+0.5)
	if m.Requests == 0 {
		return r, fmt.Errorf("no request completed against %s", url)
	}
	return r, nil
}

func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
