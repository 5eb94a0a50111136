package main

import (
	"fmt"
	"strings"
	"time"
)

// goal is one line of the Targets table: a figure of this run against
// the bound for it.
type goal struct {
	name      string
	got, want float64
	op        string // "≥", "≤" or "<"
	unit      func(float64) string
}

func (g goal) met() bool {
	switch g.op {
	case "≥":
		return g.got >= g.want
	case "<":
		return g.got < g.want
	}
	return g.got <= g.want
}

// verdict says met, or by how much the figure missed.
func (g goal) verdict() string {
	if g.met() {
		return "met"
	}
	by := g.got - g.want
	if by < 0 {
		by = -by
	}
	s := "**missed** by " + g.unit(by)
	if g.want != 0 {
		s += fmt.Sprintf(" (%.0f%%)", 100*by/g.want)
	}
	return s
}

func ratio(x float64) string  { return fmt.Sprintf("%.2f", x) }
func usec(x float64) string   { return us(time.Duration(x)) }
func mbytes(x float64) string { return mb(int64(x)) }
func kbytes(x float64) string { return fmt.Sprintf("%.1f KB", x/1024) }
func whole(x float64) string  { return fmt.Sprintf("%.0f", x) }

// goals are the targets, each where this run measured it: a
// filtered run leaves out what it did not measure.
func goals(results []shapeResult, ms micros) []goal {
	var gs []goal
	errs, runs := 0, 0
	for _, r := range results {
		for _, t := range r.targets {
			errs, runs = errs+summarize(t).errors, runs+1
		}
		gs = append(gs, shapeGoals(r)...)
	}
	if runs > 0 {
		gs = append([]goal{{"errors, every run of every row", float64(errs), 0, "≤", whole}}, gs...)
	}
	return append(gs, microGoals(ms)...)
}

func shapeGoals(r shapeResult) []goal {
	floor, ok := r.get(floorRow)
	if !ok {
		return nil
	}
	svc, hasSvc := r.get(service)
	s, n := r.shape, r.shape.conns
	var gs []goal
	if hasSvc && !s.stream {
		gs = append(gs, goal{fmt.Sprintf("CPU per request / floor, %s", s.name), svc.cpuRatio(floor), 1.15, "≤", ratio})
	}
	switch {
	case s.stream && s.size < 1<<20 && hasSvc:
		gs = append(gs, goal{"stream TTFB p50 above the floor's, 64 streams", float64(svc.ttfb50 - floor.ttfb50), float64(time.Millisecond), "≤", usec})
	case s.stream && hasSvc:
		gs = append(gs,
			goal{"streams/s / floor, 1 MB answer", svc.rps / floor.rps, 0.95, "≥", ratio},
			goal{"stream TTFB p50 / floor, 1 MB answer", float64(svc.ttfb50) / float64(floor.ttfb50), 1.2, "≤", ratio})
	case s.stream:
	case n == 1 && hasSvc:
		gs = append(gs, goal{"p50 added at 1 connection, over the floor's", float64(svc.p50 - floor.p50), float64(30 * time.Microsecond), "≤", usec})
	case s.delay == 0:
		if hasSvc {
			gs = append(gs, goal{fmt.Sprintf("rps / floor at %d connections", n), svc.rps / floor.rps, 0.85, "≥", ratio})
		}
		for _, f := range []struct {
			row  string
			want float64
		}{{withPool, 0.85}, {withRedis, 0.75}, {tracingOn, 0.75}} {
			if t, ok := r.get(f.row); ok {
				gs = append(gs, goal{fmt.Sprintf("%s: rps / floor at %d connections", f.row, n), t.rps / floor.rps, f.want, "≥", ratio})
			}
		}
		if off, ok := r.get(tracingOff); ok && hasSvc {
			gs = append(gs, goal{fmt.Sprintf("%s: rps / service at %d connections", tracingOff, n), off.rps / svc.rps, 0.95, "≥", ratio})
		}
		if n == 64 && hasSvc {
			gs = append(gs,
				goal{"service peak RSS at 64 connections", float64(svc.peakRSS), 40 << 20, "≤", mbytes},
				goal{"service RSS growth, first to last repetition, 64 connections", float64(svc.rssGrowth()), 2 << 20, "<", mbytes})
		}
	}
	return gs
}

func microGoals(ms micros) []goal {
	plain, ok := ms.get(microPlain)
	if !ok {
		return nil
	}
	gs := []goal{
		{"hot path allocations per request", plain.allocsPerOp, 100, "≤", whole},
		{"hot path bytes per request", plain.bytesPerOp, 12 << 10, "≤", kbytes},
	}
	if off, ok := ms.get(microTracingOff); ok {
		gs = append(gs, goal{"hot path allocations added by tracing configured off", off.allocsPerOp - plain.allocsPerOp, 0, "≤", whole})
	}
	return gs
}

func writeGoals(w *strings.Builder, gs []goal) {
	w.WriteString("## Targets\n\n| target | measured | goal | verdict |\n| --- | --- | --- | --- |\n")
	for _, g := range gs {
		fmt.Fprintf(w, "| %s | %s | %s %s | %s |\n", g.name, g.unit(g.got), g.op, g.unit(g.want), g.verdict())
	}
	w.WriteString("\n")
}
