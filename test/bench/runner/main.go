// Command runner is `make bench`: it measures the service against the
// floor (the same job on bare net/http) and direct calls to the fake
// upstream, all in one run, and writes the table to docs/benchmarks.md.
// Targets and upstream share CPU 0; the load generator (this process)
// keeps CPU 1 to itself.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "measured time per run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured time before each run")
	reps := flag.Int("reps", 3, "repetitions; medians are reported")
	out := flag.String("out", "docs/benchmarks.md", "where to write the table")
	flag.Parse()

	dir, err := os.MkdirTemp("", "aoai-bench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	bins, err := build(dir)
	if err != nil {
		fail(err)
	}
	redisURL, stopRedis, err := startRedis(dir)
	if err != nil {
		fail(err)
	}
	defer stopRedis()
	b := &bench{bins: bins, redisURL: redisURL, duration: *duration, warmup: *warmup, reps: *reps}
	var results []shapeResult
	for _, s := range shapes {
		fmt.Fprintf(os.Stderr, "== %s\n", s.name)
		r, err := b.runShape(s)
		if err != nil {
			fail(fmt.Errorf("%s: %w", s.name, err))
		}
		results = append(results, r)
	}
	micro, err := microbench()
	if err != nil {
		fail(err)
	}
	report := render(results, micro, *duration, *reps)
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		fail(err)
	}
	fmt.Print(report)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// binaries are the three programs under test, built as for release.
type binaries struct{ service, floor, upstream string }

func build(dir string) (binaries, error) {
	b := binaries{
		service:  filepath.Join(dir, "aoai-api"),
		floor:    filepath.Join(dir, "floor"),
		upstream: filepath.Join(dir, "upstream"),
	}
	for bin, pkg := range map[string]string{b.service: "./cmd/aoai-api", b.floor: "./test/bench/floor", b.upstream: "./test/bench/upstream"} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	return b, nil
}
