package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// count is one figure a counter reads; counts are printed in order.
type count struct {
	name   string
	n      int64
	detail bool // a share of the total before it: not printed when zero
}

// counter reads running totals of work a row does outside its own
// process, read before and after each measured run.
type counter func() ([]count, error)

// delta is after minus before, name by name, in after's order.
func delta(before, after []count) []count {
	out := make([]count, len(after))
	for i, a := range after {
		out[i] = a
		if j := slices.IndexFunc(before, func(b count) bool { return b.name == a.name }); j >= 0 {
			out[i].n -= before[j].n
		}
	}
	return out
}

// store is the runner's own redis-server and a client to read its stats.
type store struct {
	url    string
	client *redis.Client
}

// commands reads INFO commandstats: every command the server has run, in
// all and by name, less the INFO commands this reads them with.
func (s *store) commands() ([]count, error) {
	info, err := s.client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return nil, err
	}
	var byName []count
	total := int64(0)
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() { // cmdstat_evalsha:calls=12,usec=34,...
		name, stats, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "cmdstat_"), ":")
		calls, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if !ok || err != nil || name == "info" {
			continue
		}
		byName, total = append(byName, count{name, n, true}), total+n
	}
	slices.SortFunc(byName, func(a, b count) int { return strings.Compare(a.name, b.name) })
	return append([]count{{"Redis commands", total, false}}, byName...), nil
}

// collector is an OTLP/HTTP endpoint on loopback that takes every export
// and discards it, counting the spans.
type collector struct {
	addr  string
	spans atomic.Int64
}

func startCollector() (*collector, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &collector{addr: ln.Addr().String()}
	go func() { _ = http.Serve(ln, c) }()
	return c, nil
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		if z, err := gzip.NewReader(r.Body); err == nil {
			body = z
		}
	}
	raw, _ := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if proto.Unmarshal(raw, &req) == nil {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				c.spans.Add(int64(len(ss.Spans)))
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK) // an empty body is an empty ExportTraceServiceResponse: all taken
}

// counter reads the spans this collector has taken and those the service
// at metricsURL counts as dropped. Batches leave the service every 512
// spans, so a run's figure is off by at most one batch.
func (c *collector) counter(metricsURL string) counter {
	return func() ([]count, error) {
		dropped, err := scrape(metricsURL, "aoai_api_trace_spans_dropped_total")
		return []count{{"spans exported", c.spans.Load(), false}, {"spans dropped", dropped, false}}, err
	}
}

// scrape sums a counter's series from a Prometheus text page.
func scrape(url, metric string) (int64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			sum += v
		}
	}
	return int64(sum), sc.Err()
}
