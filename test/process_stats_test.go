package test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// settledGoroutines polls /metrics until the count is at most
// want+2 (want < 0: until it stops falling), and returns it.
func settledGoroutines(t *testing.T, base string, want int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	prev := -1
	for {
		n := goroutines(t, base)
		if (want < 0 && n == prev) || (want >= 0 && n <= want+2) || time.Now().After(deadline) {
			return n
		}
		prev = n
		<-tick.C
	}
}

// goroutines reads go_goroutines from /metrics, on a connection of its
// own that it does not keep, so reading it adds nothing to the count.
func goroutines(t *testing.T, base string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(withTest(t.Context(), t), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	req.Close = true
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	g := families["go_goroutines"]
	if err != nil || g == nil || len(g.GetMetric()) != 1 {
		t.Fatalf("/metrics: %d %v, no go_goroutines", resp.StatusCode, err)
	}
	return int(g.GetMetric()[0].GetGauge().GetValue())
}

// rssWatch samples the process's resident set from /proc while the soak
// runs and keeps the peak.
type rssWatch struct {
	done chan struct{}
	peak chan int
}

func watchRSS(t *testing.T, pid int) *rssWatch {
	t.Helper()
	w := &rssWatch{done: make(chan struct{}), peak: make(chan int, 1)}
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	if _, err := readRSS(path); err != nil {
		t.Fatalf("cannot read the service's RSS: %v", err)
	}
	go func() {
		peak := 0
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kib, err := readRSS(path); err == nil {
				peak = max(peak, kib)
			}
			select {
			case <-w.done:
				w.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) stop() int {
	close(w.done)
	return <-w.peak
}

func readRSS(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}
