package app

import (
	"strings"
	"testing"
	"time"
)

func TestConnectionSettings(t *testing.T) {
	isolate(t)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.WriteTimeout != 30*time.Second || c.MaxConcurrentPerCaller != 0 {
		t.Errorf("WRITE_TIMEOUT = %s, MAX_CONCURRENT_PER_CALLER = %d; want 30s and 0 (no bound)", c.WriteTimeout, c.MaxConcurrentPerCaller)
	}
	for _, tt := range []struct{ key, value, want string }{
		{"WRITE_TIMEOUT", "0s", "invalid WRITE_TIMEOUT=0s: want 1ms to 1h"},
		{"WRITE_TIMEOUT", "-1s", "invalid WRITE_TIMEOUT=-1s"},
		{"MAX_CONCURRENT_PER_CALLER", "-1", "invalid MAX_CONCURRENT_PER_CALLER=-1"},
	} {
		isolate(t)
		t.Setenv(tt.key, tt.value)
		if _, err := load(t); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s=%s: err = %v, want %q", tt.key, tt.value, err, tt.want)
		}
	}
}
