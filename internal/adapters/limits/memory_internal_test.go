package limits

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// A flood of new callers (an attacker cycling addresses) churns the
// least recently seen, never grows memory.
func TestMemoryStaysBoundedUnderAFloodOfCallers(t *testing.T) {
	m := NewMemory(50)
	now := time.Unix(1_700_000_000, 0)
	p := Policy{RPS: 0.001, Burst: 1}
	for i := range 10_000 {
		c := ports.Caller{Key: fmt.Sprint("ip:", i)}
		_, _ = m.admit(context.Background(), p, c, now, true)
		_ = m.charge(context.Background(), p, c, now, ports.Spent{Prompt: 1})
	}
	if n := m.order.Len(); n != 50 || len(m.index) != 50 {
		t.Fatalf("%d callers kept, want 50", n)
	}
}

func TestATinyRateStillLimits(t *testing.T) {
	m := NewMemory(10)
	now := time.Unix(1_700_000_000, 0)
	for _, rps := range []float64{1e-10, 1e-300} {
		p := Policy{RPS: rps, Burst: 10}
		c := ports.Caller{Key: fmt.Sprint(rps)}
		for i := range 10 {
			if a, _ := m.admit(context.Background(), p, c, now, false); a.Refused != "" {
				t.Fatalf("rps %g: request %d within the burst refused", rps, i)
			}
		}
		if a, _ := m.admit(context.Background(), p, c, now, false); a.Refused != ports.RefusedRequests {
			t.Errorf("rps %g: the 11th request passed", rps)
		}
	}
}
