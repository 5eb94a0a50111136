package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The rows of every table, as the tables and the verdicts name them.
const (
	direct     = "direct"
	floorRow   = "floor"
	service    = "service"
	withPool   = "service, pool"
	withRedis  = "service, Redis limits"
	tracingOn  = "service, tracing on"
	tracingOff = "service, tracing off"
)

// row is one target of a shape: the process, what the load sends it,
// and what else to count around each measured run.
type row struct {
	name      string
	url, body string
	p         *proc
	count     counter // nil: nothing but the process itself
	pprofAddr string  // a -tags pprof build's profiling listener, with -profile
}

// variant is the service under settings of its own, one process each.
type variant struct {
	name     string
	feature  bool   // run at the shapes with features only
	baseline string // the row its verdict compares with, besides the floor
}

var variants = []variant{
	{name: service},
	{name: withPool, feature: true},
	{name: withRedis, feature: true},
	{name: tracingOn, feature: true},
	{name: tracingOff, feature: true, baseline: service},
}

// wanted applies -targets: the floor always runs, and so does a row
// that another picked row is compared with.
func wanted(name, filter string) bool {
	if filter == "" || name == floorRow || picked(name, filter) {
		return true
	}
	for _, v := range variants {
		if v.baseline == name && picked(v.name, filter) {
			return true
		}
	}
	return false
}

// picked is the row the filter names exactly, else every row whose name
// contains it: "service" is the plain service, "tracing" both tracing rows.
func picked(name, filter string) bool {
	all := append([]string{direct, floorRow}, names(variants)...)
	if slices.ContainsFunc(all, func(n string) bool { return strings.EqualFold(n, filter) }) {
		return strings.EqualFold(name, filter)
	}
	return strings.Contains(strings.ToLower(name), strings.ToLower(filter))
}

func names(vs []variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.name
	}
	return out
}

const deployment = "bench"

// serviceEnv is the plain service: one Azure backend, the fake upstream,
// INFO JSON logs to stdout, nothing else on.
func serviceEnv(upAddr string) []string {
	return []string{
		"LLM_PROVIDER=azure", "AZURE_OPENAI_ENDPOINT=http://" + upAddr, "AZURE_OPENAI_API_KEY=bench",
		"AZURE_OPENAI_DEPLOYMENT_NAME=" + deployment, "HOST=127.0.0.1", "PORT=0",
		"LOG_LEVEL=INFO", "LOG_FORMAT=json", "LOG_FILE=", "ENV_FILE=/dev/null",
	}
}

// envFor is what a variant sets on top of the plain service's settings.
func (b *bench) envFor(v variant, upAddr string) ([]string, error) {
	switch v.name {
	case withPool:
		path := filepath.Join(b.dir, "pool.yaml")
		if err := os.WriteFile(path, []byte(poolFile(upAddr)), 0o600); err != nil {
			return nil, err
		}
		return []string{"LLM_CONFIG_FILE=" + path, "BENCH_KEY_A=bench", "BENCH_KEY_B=bench", "BENCH_KEY_C=bench"}, nil
	case withRedis:
		// Every limit on and kept in Redis, set high enough never to
		// refuse: what the store's round trips cost.
		return []string{"REDIS_URL=" + b.redis.url, "RATE_LIMIT_RPS=1000000", "RATE_LIMIT_BURST=1000000",
			"TOKEN_RATE_LIMIT_TPM=1000000000000", "TOKEN_QUOTA=1000000000000000"}, nil
	case tracingOn: // the defaults: http/protobuf, every root span sampled
		return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + b.collector.addr}, nil
	case tracingOff:
		return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + b.collector.addr, "OTEL_SDK_DISABLED=true"}, nil
	}
	return nil, nil
}

// pprofAddr is where a -tags pprof build serves its profiles, with
// -profile; "" without.
func (b *bench) pprofAddr() (string, error) {
	if b.profileDir == "" {
		return "", nil
	}
	return freeAddr()
}

// poolFile is three backends over two priorities, all the one upstream:
// the weighted choice and the tiers are on the path, failover is not.
func poolFile(upAddr string) string {
	backend := func(name, key string, priority, weight int) string {
		return fmt.Sprintf("      - name: %s\n        provider: azure\n        endpoint: http://%s\n        deployment: %s\n"+
			"        api_key_env: %s\n        priority: %d\n        weight: %d\n", name, upAddr, deployment, key, priority, weight)
	}
	return "models:\n  - name: gpt-4o-bench\n    backends:\n" +
		backend("primary-a", "BENCH_KEY_A", 1, 3) + backend("primary-b", "BENCH_KEY_B", 1, 1) + backend("secondary", "BENCH_KEY_C", 2, 1)
}

// startRows starts the shape's rows against the upstream at up; the
// caller stops every row's process but the upstream's.
func (b *bench) startRows(s shape, up *proc) ([]row, error) {
	upURL := "http://" + up.addr + "/openai/deployments/" + deployment + "/chat/completions?api-version=2024-10-21"
	path := "/api/completions"
	if s.stream {
		path += "/stream"
	}
	prompt := `{"prompt":"Explain Azure OpenAI in one sentence."}`
	directBody := `{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Explain Azure OpenAI in one sentence."}]` +
		map[bool]string{true: `,"stream":true}`, false: `}`}[s.stream]
	var rows []row
	if wanted(direct, b.filter) {
		rows = append(rows, row{name: direct, url: upURL, body: directBody, p: up})
	}
	floor, err := start(b.bins.floor, []string{"-upstream", upURL}, nil)
	if err != nil {
		return rows, err
	}
	rows = append(rows, row{name: floorRow, url: "http://" + floor.addr + path, body: prompt, p: floor})
	for _, v := range variants {
		if v.feature && !s.features || !wanted(v.name, b.filter) {
			continue
		}
		extra, err := b.envFor(v, up.addr)
		if err != nil {
			return rows, err
		}
		pprof, err := b.pprofAddr()
		if err != nil {
			return rows, err
		}
		if pprof != "" {
			extra = append(extra, "AOAI_PPROF_ADDR="+pprof)
		}
		p, err := start(b.bins.service, nil, append(serviceEnv(up.addr), extra...))
		if err != nil {
			return rows, fmt.Errorf("%s: %w", v.name, err)
		}
		r := row{name: v.name, url: "http://" + p.addr + path, body: prompt, p: p, pprofAddr: pprof}
		switch v.name {
		case withRedis:
			r.count = b.redis.commands
		case tracingOn:
			r.count = b.collector.counter("http://" + p.addr + "/metrics")
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// freeAddr is a loopback address nothing listens on, for a listener
// whose address must be known before its process starts.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
