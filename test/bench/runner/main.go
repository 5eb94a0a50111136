// Command runner is `make bench`: it measures the service against the
// floor (the same job on bare net/http) and direct calls to the fake
// upstream, all in one run, the service also with a pool, Redis limits
// and tracing on and off, and writes the tables and a verdict on each
// target of the performance issue to docs/benchmarks.md. Targets and
// upstream share CPU 0; the load generator (this process) keeps CPU 1.
//
// To rerun one part quickly:
//
//	go run ./test/bench/runner -out /tmp/b.md -shapes '0, 16 conn' -targets pool
//	go run ./test/bench/runner -out /tmp/b.md -shapes microbenchmark
//
// -shapes keeps the shapes whose name contains it (the microbenchmark is
// one, "Go microbenchmark of the hot path"); -targets keeps the row it
// names, or else every row whose name contains it, always with the
// floor and whatever that row is compared with. -profile DIR builds the
// service with -tags pprof and saves a CPU profile and an allocations
// profile (go tool pprof reads both) of each service row's first
// measured run at 16 connections into a directory of DIR named after
// the row (service, service-redis-limits, ...).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if err := execute(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// execute returns its error rather than exiting, so that its deferred stops
// leave no redis-server or target behind.
func execute() error {
	started := time.Now()
	duration := flag.Duration("duration", 3*time.Second, "measured time per run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured time before each run")
	reps := flag.Int("reps", 5, "repetitions, interleaved row by row; medians are reported")
	out := flag.String("out", "docs/benchmarks.md", "where to write the tables")
	shapeFilter := flag.String("shapes", "", "run only the shapes whose name contains this")
	targetFilter := flag.String("targets", "", "run only this row (or the rows whose name contains it), with the floor")
	profileDir := flag.String("profile", "", "build with -tags pprof and save each service row's profiles at 16 connections under this directory")
	flag.Parse()

	dir, err := os.MkdirTemp("", "aoai-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			return err
		}
	}
	bins, err := build(dir, *profileDir != "")
	if err != nil {
		return err
	}
	redis, stopRedis, err := startRedis(dir)
	if err != nil {
		return err
	}
	defer stopRedis()
	col, err := startCollector()
	if err != nil {
		return err
	}
	b := &bench{bins: bins, dir: dir, redis: redis, collector: col, duration: *duration, warmup: *warmup, reps: *reps,
		filter: *targetFilter, profileDir: *profileDir}
	var results []shapeResult
	for _, s := range shapes {
		if !matches(s.name, *shapeFilter) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", s.name)
		r, err := b.runShape(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		results = append(results, r)
	}
	if _, err := os.Stat(filepath.Join(*profileDir, slug(service), "cpu.pprof")); *profileDir != "" && err != nil {
		fmt.Fprintln(os.Stderr, "bench: nothing profiled: -profile needs the 16-connection shape and the service row")
	}
	var hot micros
	if matches(microName, *shapeFilter) {
		fmt.Fprintf(os.Stderr, "== %s\n", microName)
		if hot, err = microbench(); err != nil {
			return err
		}
	}
	elapsed := time.Since(started)
	report := render(results, hot, meta{
		command: strings.Join(append([]string{"go run ./test/bench/runner"}, quoted(os.Args[1:])...), " "),
		started: started, elapsed: elapsed, duration: *duration, warmup: *warmup, reps: *reps,
		profileDir: *profileDir, filtered: *shapeFilter != "" || *targetFilter != "",
	})
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Print(report)
	fmt.Fprintf(os.Stderr, "bench: wrote %s; the whole run took %s\n", *out, elapsed.Round(time.Second))
	return nil
}

func matches(name, filter string) bool {
	return strings.Contains(strings.ToLower(name), strings.ToLower(filter))
}

// binaries are the three programs under test, built as for release.
type binaries struct{ service, floor, upstream string }

// build builds them, named apart from the same programs built by hand,
// so that a `pkill -x aoai-api` in another terminal spares this run's.
// With pprof, the service carries its profiling listener
// (cmd/aoai-api/pprof.go).
func build(dir string, pprof bool) (binaries, error) {
	b := binaries{
		service:  filepath.Join(dir, "bench-aoai-api"),
		floor:    filepath.Join(dir, "bench-floor"),
		upstream: filepath.Join(dir, "bench-upstream"),
	}
	for bin, pkg := range map[string]string{b.service: "./cmd/aoai-api", b.floor: "./test/bench/floor", b.upstream: "./test/bench/upstream"} {
		args := []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", bin}
		if pprof && bin == b.service {
			args = append(args, "-tags", "pprof")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	return b, nil
}
