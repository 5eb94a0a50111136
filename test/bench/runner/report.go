package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
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
}

func summarize(t targetResult) summary {
	var s summary
	var rps []float64
	var p50, p99, cpu, t50, t99, tot []time.Duration
	var peak []int64
	for _, r := range t.runs {
		rps, p50, p99, cpu = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99), append(cpu, r.cpuPerReq)
		t50, t99, tot = append(t50, r.ttfbP50), append(t99, r.ttfbP99), append(tot, r.totalP50)
		peak, s.rssByRep = append(peak, r.peakRSS), append(s.rssByRep, r.rss)
		s.errors += r.errors
	}
	slices.Sort(rps)
	s.rps = rps[len(rps)/2]
	s.p50, s.p99, s.cpu = median(p50), median(p99), median(cpu)
	s.ttfb50, s.ttfb99, s.total50 = median(t50), median(t99), median(tot)
	s.peakRSS = slices.Max(peak)
	return s
}

type micro struct {
	nsPerOp, bytesPerOp, allocsPerOp float64
	raw                              string
}

// microbench runs the hot-path Go benchmark three times and keeps medians.
func microbench() (micro, error) {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkCompletionsHotPath", "-benchmem", "-count", "3", "./internal/app/").CombinedOutput()
	if err != nil {
		return micro{}, fmt.Errorf("microbenchmark: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`BenchmarkCompletionsHotPath\S*\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) B/op\s+([\d.]+) allocs/op`)
	var ns, b, a []float64
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.ParseFloat(m[1], 64)
		bb, _ := strconv.ParseFloat(m[2], 64)
		aa, _ := strconv.ParseFloat(m[3], 64)
		ns, b, a = append(ns, n), append(b, bb), append(a, aa)
	}
	if len(ns) == 0 {
		return micro{}, fmt.Errorf("no benchmark lines in:\n%s", out)
	}
	for _, xs := range [][]float64{ns, b, a} {
		slices.Sort(xs)
	}
	return micro{ns[len(ns)/2], b[len(b)/2], a[len(a)/2], strings.TrimSpace(string(out))}, nil
}

func render(results []shapeResult, m micro, d time.Duration, reps int) string {
	var w strings.Builder
	fmt.Fprintf(&w, "# Benchmarks\n\nMeasured %s on %s. Reproduce with `make bench` (about 8 minutes).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), machine())
	fmt.Fprintf(&w, "Every figure is the median of %d repetitions of %s each (after a %s warm-up), with the four targets\n"+
		"interleaved in the same run: **direct** to the fake Azure upstream, the **floor** (the same job on bare\n"+
		"`net/http`, `test/bench/floor`), and the **service** (release build, INFO JSON logs to stdout, `LOG_FILE=`\n"+
		"empty, request ids, every middleware), and the service with **Redis limits** (`REDIS_URL` to a local\n"+
		"`redis-server`, every limit on and set never to refuse: one store round trip before each call, one after). Targets and upstream are pinned to CPU 0 with `taskset`; the\n"+
		"load generator (`test/bench/runner`, vegeta as a library, closed loop with a fixed connection count)\n"+
		"has CPU 1. CPU is the target process's user+system time per request (10 ms tick, so small figures\n"+
		"are coarse). Peak RSS is the target's VmHWM.\n\n", reps, d, time.Second)
	var checks []check
	for _, r := range results {
		writeShape(&w, r)
		checks = append(checks, checksFor(r, results)...)
	}
	checks = append(checks,
		check{"hot path allocations per request", fmt.Sprintf("%.0f", m.allocsPerOp), "≤ 150", m.allocsPerOp <= 150},
		check{"hot path bytes per request", fmt.Sprintf("%.0f B", m.bytesPerOp), "≤ 16 KB", m.bytesPerOp <= 16<<10},
	)
	fmt.Fprintf(&w, "## Go microbenchmark of the hot path\n\n`go test -run '^$' -bench BenchmarkCompletionsHotPath -benchmem -count 3 ./internal/app/`: Gin's `ServeHTTP` through the use case to the Azure adapter on a canned `http.RoundTripper`, so no test server's allocations are counted. Median: %.0f ns/op, %.0f B/op, %.0f allocs/op.\n\n```\n%s\n```\n\n", m.nsPerOp, m.bytesPerOp, m.allocsPerOp, m.raw)
	fmt.Fprintf(&w, "## Targets\n\n| target | measured | goal | |\n| --- | --- | --- | --- |\n")
	for _, c := range checks {
		mark := "met"
		if !c.ok {
			mark = "**missed**"
		}
		fmt.Fprintf(&w, "| %s | %s | %s | %s |\n", c.name, c.got, c.goal, mark)
	}
	return w.String()
}

func writeShape(w *strings.Builder, r shapeResult) {
	fmt.Fprintf(w, "## %s\n\n", r.shape.name)
	direct, floor := summarize(r.targets[0]), summarize(r.targets[1])
	if r.shape.stream {
		fmt.Fprintf(w, "| target | streams/s | TTFB p50 | TTFB p99 | total p50 | TTFB above floor | CPU per stream | peak RSS | RSS after each rep | errors |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, t := range r.targets {
			s := summarize(t)
			fmt.Fprintf(w, "| %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %d |\n", t.name, s.rps, us(s.ttfb50), us(s.ttfb99), ms(s.total50),
				us(s.ttfb50-floor.ttfb50), us(s.cpu), mb(s.peakRSS), rssList(s.rssByRep), s.errors)
		}
		w.WriteString("\n")
		return
	}
	fmt.Fprintf(w, "| target | rps | p50 | p99 | p50 added vs direct | rps / floor | p99 / floor | CPU per request | CPU / floor | peak RSS | RSS after each rep | errors |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, t := range r.targets {
		s := summarize(t)
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %.2f | %.2f | %s | %.2f | %s | %s | %d |\n", t.name, s.rps, us(s.p50), us(s.p99),
			us(s.p50-direct.p50), s.rps/floor.rps, float64(s.p99)/float64(floor.p99), us(s.cpu), float64(s.cpu)/float64(max(floor.cpu, 1)),
			mb(s.peakRSS), rssList(s.rssByRep), s.errors)
	}
	w.WriteString("\n")
}

type check struct {
	name, got, goal string
	ok              bool
}

func checksFor(r shapeResult, all []shapeResult) []check {
	floor, svc := summarize(r.targets[1]), summarize(r.targets[2])
	var cs []check
	if svc.errors > 0 || floor.errors > 0 {
		cs = append(cs, check{r.shape.name + ": errors", fmt.Sprintf("service %d, floor %d", svc.errors, floor.errors), "0", false})
	}
	switch {
	case r.shape.stream && r.shape.size < 1<<20:
		cs = append(cs, check{"stream TTFB above the floor's", us(svc.ttfb50 - floor.ttfb50), "≤ 1 ms", svc.ttfb50-floor.ttfb50 <= time.Millisecond})
	case r.shape.stream:
		small := streamPeak(all)
		cs = append(cs, check{"RSS growth from 2 KB to 1 MB answers, 64 streams", mb(svc.peakRSS - small), "< 64 MB (1 MB per stream) — flat", svc.peakRSS-small < 16<<20})
	case r.shape.conns == 1:
		cs = append(cs, check{"p50 added at 1 connection, over the floor's", us(svc.p50 - floor.p50), "≤ 40 µs", svc.p50-floor.p50 <= 40*time.Microsecond})
	case r.shape.delay > 0:
		cs = append(cs, check{"rps / floor, 50 ms upstream, 256 connections", fmt.Sprintf("%.2f", svc.rps/floor.rps), "≥ 0.85", svc.rps >= 0.85*floor.rps})
	default:
		n := r.shape.conns
		cs = append(cs,
			check{fmt.Sprintf("rps / floor at %d connections", n), fmt.Sprintf("%.2f", svc.rps/floor.rps), "≥ 0.80", svc.rps >= 0.8*floor.rps},
			check{fmt.Sprintf("p99 / floor at %d connections", n), fmt.Sprintf("%.2f", float64(svc.p99)/float64(floor.p99)), "≤ 1.5", float64(svc.p99) <= 1.5*float64(floor.p99)})
		if n == 64 {
			cs = append(cs,
				check{"CPU per request / floor at 64 connections", fmt.Sprintf("%.2f", float64(svc.cpu)/float64(max(floor.cpu, 1))), "≤ 1.25", float64(svc.cpu) <= 1.25*float64(floor.cpu)},
				check{"peak RSS at 64 connections", mb(svc.peakRSS), "≤ 40 MB", svc.peakRSS <= 40<<20},
				check{"RSS growth across repetitions at 64 connections", mb(svc.rssByRep[len(svc.rssByRep)-1] - svc.rssByRep[0]), "none (< 2 MB)", svc.rssByRep[len(svc.rssByRep)-1]-svc.rssByRep[0] < 2<<20})
		}
	}
	return cs
}

func streamPeak(all []shapeResult) int64 {
	for _, r := range all {
		if r.shape.stream && r.shape.size < 1<<20 {
			return summarize(r.targets[2]).peakRSS
		}
	}
	return 0
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
