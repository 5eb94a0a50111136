package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// summary is one target's medians over the repetitions.
type summary struct {
	rps                     float64
	p50, p99, cpu           time.Duration
	ttfb50, ttfb99, total50 time.Duration
	peakRSS                 int64
	rssByRep                []int64
	errors                  int
	perRequest              []share // what the row's counter read, per request
}

// share is a count over all runs divided by their requests.
type share struct {
	name   string
	v      float64
	detail bool
}

func summarize(t targetResult) summary {
	var s summary
	var rps []float64
	var p50, p99, cpu, t50, t99, tot []time.Duration
	var peak []int64
	requests := 0
	var counts []count
	for _, r := range t.runs {
		rps, p50, p99, cpu = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99), append(cpu, r.cpuPerReq)
		t50, t99, tot = append(t50, r.ttfbP50), append(t99, r.ttfbP99), append(tot, r.totalP50)
		peak, s.rssByRep = append(peak, r.peakRSS), append(s.rssByRep, r.rss)
		s.errors += r.errors
		requests += r.requests
		counts = sum(counts, r.counts)
	}
	s.rps = medianOf(rps)
	s.p50, s.p99, s.cpu = median(p50), median(p99), median(cpu)
	s.ttfb50, s.ttfb99, s.total50 = median(t50), median(t99), median(tot)
	s.peakRSS = slices.Max(peak)
	for _, c := range counts {
		s.perRequest = append(s.perRequest, share{c.name, float64(c.n) / float64(max(requests, 1)), c.detail})
	}
	return s
}

// sum adds b's counts to a's, name by name.
func sum(a, b []count) []count {
	for _, c := range b {
		if i := slices.IndexFunc(a, func(x count) bool { return x.name == c.name }); i >= 0 {
			a[i].n += c.n
		} else {
			a = append(a, c)
		}
	}
	return a
}

func (s summary) cpuRatio(floor summary) float64 {
	return float64(s.cpu) / float64(max(floor.cpu, 1))
}

func (s summary) rssGrowth() int64 { return s.rssByRep[len(s.rssByRep)-1] - s.rssByRep[0] }

// get is the named row's summary, if this shape ran it.
func (r shapeResult) get(name string) (summary, bool) {
	for _, t := range r.targets {
		if t.name == name {
			return summarize(t), true
		}
	}
	return summary{}, false
}

// makeBench is the command make bench runs, pinned to CPU 1.
const makeBench = "go run ./test/bench/runner -out docs/benchmarks.md"

// meta is what the report says about the run itself.
type meta struct {
	command          string
	started          time.Time
	elapsed          time.Duration
	duration, warmup time.Duration
	reps             int
	profileDir       string
	filtered         bool
}

func render(results []shapeResult, hot micros, m meta) string {
	var w strings.Builder
	how := "what `make bench` runs"
	if m.command != makeBench {
		how = "`make bench` runs `" + makeBench + "`"
	}
	fmt.Fprintf(&w, "# Benchmarks\n\nMeasured %s on %s with `%s`\n(%s). The whole run took %s.\n\n",
		m.started.UTC().Format("2006-01-02 15:04 MST"), machine(), m.command, how, m.elapsed.Round(time.Second))
	fmt.Fprintf(&w, "Every figure is the median of %d repetitions of %s each (after a %s warm-up), with the rows of a table\n"+
		"interleaved repetition by repetition in the same run:\n\n"+
		"- **direct**: straight to the fake Azure upstream (`test/bench/upstream`);\n"+
		"- **floor**: the same job on bare `net/http` (`test/bench/floor`), what every ratio is taken against;\n"+
		"- **service**: the release build, one Azure backend, INFO JSON logs to stdout, `LOG_FILE=` empty, request\n"+
		"  ids, every middleware.\n\n"+
		"At 16 and 64 connections, the service with one feature on, each a process of its own:\n\n"+
		"- **service, pool**: `LLM_CONFIG_FILE` with three Azure backends over two priorities (weights 3 and 1 at\n"+
		"  priority 1, one at priority 2), keys through `api_key_env`, all on the one upstream;\n"+
		"- **service, Redis limits**: `REDIS_URL` to a local `redis-server`, every limit on and set never to refuse;\n"+
		"  Redis commands per request are `INFO commandstats` deltas around each measured run, which count each\n"+
		"  command a script runs as well as the script (`evalsha`);\n"+
		"- **service, tracing on**: `OTEL_EXPORTER_OTLP_ENDPOINT` to an OTLP/HTTP endpoint in the runner that takes\n"+
		"  every export and discards it, every other tracing setting at its default (`http/protobuf`,\n"+
		"  `parentbased_always_on`: every request traced); spans exported per request as that endpoint counted\n"+
		"  them (they leave in batches of 512, so the figure is close, not exact), dropped ones from\n"+
		"  `aoai_api_trace_spans_dropped_total`;\n"+
		"- **service, tracing off**: the same endpoint with `OTEL_SDK_DISABLED=true`.\n\n"+
		"Targets, upstream and `redis-server` are pinned to CPU 0 with `taskset`; the load generator (this runner,\n"+
		"vegeta as a library, closed loop with a fixed connection count; the OTLP endpoint too) has CPU %s. CPU is\n"+
		"the target process's user+system time per request (10 ms tick, so small figures are coarse); Redis's\n"+
		"is not in it. Peak RSS is the target's VmHWM over its whole life, all repetitions of the shape.\n\n",
		m.reps, m.duration, m.warmup, cpusAllowed())
	if m.profileDir != "" {
		fmt.Fprintf(&w, "Profiled (`-profile %s`): the service was built with `-tags pprof`, and each service row's directory there\n"+
			"holds `cpu.pprof` and `allocs.pprof` of its first measured run at 16 connections, whose figures include the\n"+
			"profiler's cost.\n\n", m.profileDir)
	}
	if m.filtered {
		w.WriteString("Filtered with `-shapes` or `-targets`: only what ran is here, and only its targets are judged.\n\n")
	}
	for _, r := range results {
		writeShape(&w, r)
	}
	if len(hot.results) > 0 {
		writeMicro(&w, hot)
	}
	writeGoals(&w, goals(results, hot))
	return w.String()
}

func writeShape(w *strings.Builder, r shapeResult) {
	fmt.Fprintf(w, "## %s\n\n", r.shape.name)
	floor, _ := r.get(floorRow)
	if r.shape.stream {
		fmt.Fprintf(w, "| target | streams/s | streams/s / floor | TTFB p50 | TTFB p99 | TTFB above floor | TTFB / floor | total p50 | CPU per stream | CPU / floor | peak RSS | RSS after each rep | errors |\n"+
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, t := range r.targets {
			s := summarize(t)
			fmt.Fprintf(w, "| %s | %.1f | %.2f | %s | %s | %s | %.2f | %s | %s | %.2f | %s | %s | %d |\n", t.name, s.rps, s.rps/floor.rps,
				us(s.ttfb50), us(s.ttfb99), us(s.ttfb50-floor.ttfb50), float64(s.ttfb50)/float64(floor.ttfb50), ms(s.total50),
				us(s.cpu), s.cpuRatio(floor), mb(s.peakRSS), rssList(s.rssByRep), s.errors)
		}
	} else {
		direct, hasDirect := r.get(direct)
		fmt.Fprintf(w, "| target | rps | p50 | p99 | p50 added vs direct | p50 added vs floor | rps / floor | p99 / floor | CPU per request | CPU / floor | peak RSS | RSS after each rep | errors |\n"+
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, t := range r.targets {
			s := summarize(t)
			vsDirect := "—"
			if hasDirect {
				vsDirect = us(s.p50 - direct.p50)
			}
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %s | %.2f | %.2f | %s | %.2f | %s | %s | %d |\n", t.name, s.rps, us(s.p50), us(s.p99),
				vsDirect, us(s.p50-floor.p50), s.rps/floor.rps, float64(s.p99)/float64(floor.p99), us(s.cpu), s.cpuRatio(floor),
				mb(s.peakRSS), rssList(s.rssByRep), s.errors)
		}
	}
	w.WriteString("\n")
	notes := false
	for _, t := range r.targets {
		if s := summarize(t); len(s.perRequest) > 0 {
			fmt.Fprintf(w, "- **%s**, per request: %s\n", t.name, perRequestList(s.perRequest))
			notes = true
		}
	}
	if notes {
		w.WriteString("\n")
	}
}

func perRequestList(ss []share) string {
	var parts []string
	for _, s := range ss {
		if !s.detail || s.v >= 0.005 { // not a reconnection's HELLO as 0.00
			parts = append(parts, fmt.Sprintf("%s %.2f", s.name, s.v))
		}
	}
	return strings.Join(parts, ", ")
}

func writeMicro(w *strings.Builder, m micros) {
	fmt.Fprintf(w, "## %s\n\n`go %s`: Gin's `ServeHTTP` through the use case to the Azure adapter on a canned\n"+
		"`http.RoundTripper`, so no test server's allocations are counted. `TracingOff` builds the handler with a\n"+
		"collector and `OTEL_SDK_DISABLED=true` read through `newTracing`, as `Run` does; `TracingOn` with tracing on\n"+
		"at the default sampler and an exporter that discards every batch. Medians of the three counts:\n\n"+
		"| benchmark | ns/op | B/op | allocs/op |\n| --- | --- | --- | --- |\n", microName, strings.Join(quoted(microArgs), " "))
	for _, r := range m.results {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f |\n", r.name, r.nsPerOp, r.bytesPerOp, r.allocsPerOp)
	}
	fmt.Fprintf(w, "\n```\n%s\n```\n\n", m.raw)
}

// quoted writes args as a shell would need them.
func quoted(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, "^$ ") {
			out[i] = "'" + a + "'"
		}
	}
	return out
}

func machine() string {
	// runtime.NumCPU would count only the CPU this process is pinned to.
	model, cpus := "unknown CPU", 0
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			k, v, ok := strings.Cut(line, ":")
			switch k = strings.TrimSpace(k); {
			case ok && k == "processor":
				cpus++
			case ok && k == "model name":
				model = strings.TrimSpace(v)
			}
		}
	}
	return fmt.Sprintf("%d × %s, %s, %s/%s", cpus, model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// cpusAllowed is the CPUs this process may run on, as make bench pins it.
func cpusAllowed() string {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == "Cpus_allowed_list" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func mb(b int64) string         { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func rssList(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.1f", float64(x)/(1<<20))
	}
	return strings.Join(parts, " / ") + " MB"
}
