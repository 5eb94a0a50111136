package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTargetsFilterKeepsTheFloorAndWhatARowIsComparedWith(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"", []string{direct, floorRow, service, withPool, withRedis, tracingOn, tracingOff}},
		{"service", []string{floorRow, service}}, // a whole name picks that row alone
		{"pool", []string{floorRow, withPool}},
		{"tracing", []string{floorRow, service, tracingOn, tracingOff}}, // tracing off is judged against the service
		{"redis", []string{floorRow, withRedis}},
	} {
		var got []string
		for _, name := range append([]string{direct, floorRow}, names(variants)...) {
			if wanted(name, tc.filter) {
				got = append(got, name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("-targets %q ran %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestVerdictSaysByHowMuchAGoalWasMissed(t *testing.T) {
	for _, tc := range []struct {
		g    goal
		want string
	}{
		{goal{"rps", 0.80, 0.85, "≥", ratio}, "**missed** by 0.05 (6%)"},
		{goal{"rps", 0.85, 0.85, "≥", ratio}, "met"},
		{goal{"p50", float64(42 * time.Microsecond), float64(30 * time.Microsecond), "≤", usec}, "**missed** by 12 µs (40%)"},
		{goal{"growth", 2 << 20, 2 << 20, "<", mbytes}, "**missed** by 0.0 MB (0%)"}, // the bound itself is not under it
		{goal{"errors", 3, 0, "≤", whole}, "**missed** by 3"},
	} {
		if got := tc.g.verdict(); got != tc.want {
			t.Errorf("%s %s %s: verdict %q, want %q", tc.g.unit(tc.g.got), tc.g.op, tc.g.unit(tc.g.want), got, tc.want)
		}
	}
}

func TestBenchmarkLinesAreReadWithOrWithoutTheProcsSuffix(t *testing.T) {
	out := "BenchmarkCompletionsHotPath-2 \t 100\t 48077 ns/op\t 16079 B/op\t 136 allocs/op\n" +
		"BenchmarkCompletionsHotPathTracingOff \t 100\t 46953 ns/op\t 16078 B/op\t 136 allocs/op\n"
	m := benchLine.FindAllStringSubmatch(out, -1)
	if len(m) != 2 || m[0][1] != microPlain || m[1][1] != microTracingOff || m[1][4] != "136" {
		t.Fatalf("parsed %q", m)
	}
}

func TestDeltaIsPerNameAndCountsCommandsNewSinceBefore(t *testing.T) {
	got := delta([]count{{"Redis commands", 10, false}, {"get", 4, true}},
		[]count{{"Redis commands", 16, false}, {"evalsha", 2, true}, {"get", 8, true}})
	want := []count{{"Redis commands", 6, false}, {"evalsha", 2, true}, {"get", 4, true}}
	if !slices.Equal(got, want) {
		t.Errorf("delta %v, want %v", got, want)
	}
}

func TestEveryServiceRowProfilesIntoADirectoryOfItsOwn(t *testing.T) {
	seen := map[string]string{}
	for _, v := range variants {
		dir := slug(v.name)
		if strings.ContainsAny(dir, " ,/") || dir == "" {
			t.Errorf("%q profiles into %q: want a plain directory name", v.name, dir)
		}
		if other, ok := seen[dir]; ok {
			t.Errorf("%q and %q would share the profile directory %q", v.name, other, dir)
		}
		seen[dir] = v.name
	}
	if got := slug(withRedis); got != "service-redis-limits" {
		t.Errorf("slug(%q) = %q", withRedis, got)
	}
}
