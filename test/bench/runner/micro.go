package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The hot-path microbenchmarks in internal/app/hotpath_bench_test.go.
const (
	microPlain      = "BenchmarkCompletionsHotPath"
	microTracingOff = "BenchmarkCompletionsHotPathTracingOff"
	microTracingOn  = "BenchmarkCompletionsHotPathTracingOn"
	microName       = "Go microbenchmark of the hot path" // what -shapes matches
)

var microArgs = []string{"test", "-run", "^$", "-bench", "^" + microPlain, "-benchmem", "-count", "3", "./internal/app/"}

// micro is one benchmark's medians over its three counts.
type micro struct {
	name                             string // without the -GOMAXPROCS suffix
	nsPerOp, bytesPerOp, allocsPerOp float64
}

type micros struct {
	results []micro // in the order the benchmarks ran
	raw     string
}

func (ms micros) get(name string) (micro, bool) {
	i := slices.IndexFunc(ms.results, func(m micro) bool { return m.name == name })
	if i < 0 {
		return micro{}, false
	}
	return ms.results[i], true
}

var benchLine = regexp.MustCompile(`(?m)^(Benchmark\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ [\w/]+)*?\s+([\d.]+) B/op\s+([\d.]+) allocs/op`)

// microbench runs every hot-path benchmark three times and keeps medians.
func microbench() (micros, error) {
	out, err := exec.Command("go", microArgs...).CombinedOutput()
	if err != nil {
		return micros{}, fmt.Errorf("microbenchmark: %v\n%s", err, out)
	}
	samples := map[string][3][]float64{}
	var order []string
	for _, m := range benchLine.FindAllStringSubmatch(string(out), -1) {
		s, seen := samples[m[1]]
		if !seen {
			order = append(order, m[1])
		}
		for i := range s {
			v, _ := strconv.ParseFloat(m[i+2], 64)
			s[i] = append(s[i], v)
		}
		samples[m[1]] = s
	}
	if len(order) == 0 {
		return micros{}, fmt.Errorf("no benchmark lines in:\n%s", out)
	}
	ms := micros{raw: strings.TrimSpace(string(out))}
	for _, name := range order {
		s := samples[name]
		ms.results = append(ms.results, micro{name, medianOf(s[0]), medianOf(s[1]), medianOf(s[2])})
	}
	return ms, nil
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
