package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type bench struct {
	bins             binaries
	dir              string // the run's scratch directory
	redis            *store // a redis-server of the runner's own
	collector        *collector
	duration, warmup time.Duration
	reps             int
	filter           string // -targets
	profileDir       string // -profile; "" for none
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
	counts    []count // what the row's counter read over the run
}

type targetResult struct {
	name string
	runs []run
}

type shapeResult struct {
	shape   shape
	targets []targetResult
}

// profiled is the run -profile records: each service row's first
// measured run at 16 connections.
func (b *bench) profiled(s shape, r row, rep int) bool {
	return r.pprofAddr != "" && rep == 0 && s.conns == 16 && !s.stream
}

// slug is a row's name as a directory: "service, Redis limits" is
// service-redis-limits.
func slug(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == ' ' || r == ',' }), "-")
}

func (b *bench) runShape(s shape) (shapeResult, error) {
	up, err := start(b.bins.upstream, []string{
		"-delay", s.delay.String(), "-size", strconv.Itoa(s.size),
		"-chunks", strconv.Itoa(max(s.chunks, 1)), "-chunk-delay", s.chunkDelay.String(),
	}, nil)
	if err != nil {
		return shapeResult{}, err
	}
	defer up.stop()
	rows, err := b.startRows(s, up)
	defer func() {
		for _, r := range rows {
			if r.p != up {
				r.p.stop()
			}
		}
	}()
	if err != nil {
		return shapeResult{}, err
	}
	res := shapeResult{shape: s, targets: make([]targetResult, len(rows))}
	for i, r := range rows {
		res.targets[i].name = r.name
	}
	for rep := 0; rep < b.reps; rep++ {
		for i, r := range rows { // interleaved, so drift hits every target alike
			m, err := b.measure(s, r, b.profiled(s, r, rep))
			if err != nil {
				return res, fmt.Errorf("%s: %w", r.name, err)
			}
			res.targets[i].runs = append(res.targets[i].runs, m)
		}
	}
	return res, nil
}

func (b *bench) measure(s shape, t row, profile bool) (run, error) {
	load := b.unary
	if s.stream {
		load = b.streams
	}
	if _, err := load(s.conns, t.url, t.body, b.warmup); err != nil {
		return run{}, err
	}
	var before []count
	if t.count != nil {
		var err error
		if before, err = t.count(); err != nil {
			return run{}, err
		}
	}
	cpu0, err := t.p.cpuTime()
	if err != nil {
		return run{}, err
	}
	wait := func() error { return nil }
	if profile {
		dir := filepath.Join(b.profileDir, slug(t.name))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return run{}, err
		}
		wait = saveProfiles(t.pprofAddr, dir, b.duration)
	}
	r, err := load(s.conns, t.url, t.body, b.duration)
	if err != nil {
		return run{}, err
	}
	cpu1, _ := t.p.cpuTime()
	if r.requests > 0 {
		r.cpuPerReq = (cpu1 - cpu0) / time.Duration(r.requests)
	}
	if err := wait(); err != nil {
		return run{}, err
	}
	if t.count != nil {
		after, err := t.count()
		if err != nil {
			return run{}, err
		}
		r.counts = delta(before, after)
	}
	r.peakRSS, r.rss, err = t.p.memory()
	return r, err
}

// unary is a closed loop: conns workers, each sending the next request
// as soon as the last one is answered.
func (b *bench) unary(conns int, url, body string, d time.Duration) (run, error) {
	tr := vegeta.NewStaticTargeter(vegeta.Target{
		Method: http.MethodPost, URL: url, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/json"}, "api-key": {"bench"}},
	})
	// Our own transport, closed after the run: an attacker left with its
	// idle connections open would leave every target holding them, so
	// each run would add conns idle connections to the next one's memory.
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	a := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: transport}),
		vegeta.Connections(conns), vegeta.MaxConnections(conns), vegeta.Workers(uint64(conns)),
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
