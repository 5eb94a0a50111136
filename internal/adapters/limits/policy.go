// Package limits meters callers on the ports.Limits port: request rate
// (GCRA), tokens per minute, a token quota per day or month, and a
// usage ledger, kept in the process or in Redis for every replica.
package limits

import (
	"math"
	"sync/atomic"
	"time"
)

// Policy is what every caller is allowed; a zero field is no limit.
type Policy struct {
	RPS         float64
	Burst       int
	TPM         int64
	Quota       int64
	QuotaPeriod string // "day" or "month", UTC
}

// maxEmission is the slowest refill kept: RATE_LIMIT_RPS' floor of
// 0.001. Capping it keeps emission times burst inside int64 (and
// Redis's doubles) whatever rate arrives: a float past int64 once
// converted to a negative Duration and let every request through.
const maxEmission = 1000 * time.Second

func (p Policy) emission() time.Duration {
	if p.RPS <= 0 || math.IsNaN(p.RPS) {
		return 0
	}
	return time.Duration(math.Min(float64(maxEmission), math.Max(1000, float64(time.Second)/p.RPS)))
}

// spans are the windows a moment falls in, named for store keys.
type spans struct {
	minute, period, day    string
	minuteLeft, periodLeft time.Duration
}

func spansAt(now time.Time, period string) spans {
	now = now.UTC()
	m := now.Truncate(time.Minute)
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	n := namesAt(m, d, period)
	s := spans{minute: n.minute, day: n.day, period: n.period, minuteLeft: m.Add(time.Minute).Sub(now)}
	if period == "month" {
		s.periodLeft = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0).Sub(now)
	} else {
		s.periodLeft = d.AddDate(0, 0, 1).Sub(now)
	}
	return s
}

// spanNames are one minute's key names. Every request of that minute
// names the same spans, so they are formatted once, not per request.
type spanNames struct {
	at                  time.Time // the minute
	periodKind          string
	minute, day, period string
}

var lastNames atomic.Pointer[spanNames]

func namesAt(minute, day time.Time, period string) *spanNames {
	if n := lastNames.Load(); n != nil && n.at.Equal(minute) && n.periodKind == period {
		return n
	}
	n := &spanNames{at: minute, periodKind: period, minute: minute.Format("200601021504"), day: day.Format("2006-01-02")}
	n.period = n.day
	if period == "month" {
		n.period = day.Format("2006-01")
	}
	lastNames.Store(n)
	return n
}

// ledgerDays is how far back the ledger reaches.
const ledgerDays = 30

func lastDays(now time.Time) []string {
	d := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	out := make([]string, ledgerDays)
	for i := range out {
		out[i] = d.AddDate(0, 0, -i).Format("2006-01-02")
	}
	return out
}
