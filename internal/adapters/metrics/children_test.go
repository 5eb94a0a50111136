package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A cached child is the exported series itself: requests counted
// through the cache, from many goroutines, all land in one series per
// label set.
func TestCachedChildrenAreTheExportedSeries(t *testing.T) {
	m, err := New(prometheus.NewRegistry(), Build{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.RequestStarted()
				m.RequestDone("/api/completions", "POST", 200, time.Millisecond)
			}
		})
	}
	wg.Wait()
	m.RequestStarted()
	m.RequestDone("/api/completions", "POST", 502, time.Millisecond)
	if n := testutil.ToFloat64(m.requests.WithLabelValues("/api/completions", "POST", "200")); n != 800 {
		t.Fatalf("200s counted %v times, want 800", n)
	}
	if n := testutil.CollectAndCount(m.requests); n != 2 {
		t.Fatalf("%d series, want one per status", n)
	}
}
