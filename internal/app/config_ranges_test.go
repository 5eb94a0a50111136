package app

import (
	"reflect"
	"strings"
	"testing"
)

// A numeric setting added without a range would be free to overflow
// whatever arithmetic uses it, as RATE_LIMIT_RPS once did.
func TestEveryNumericSettingHasARangeThatParses(t *testing.T) {
	v := reflect.ValueOf(Config{})
	numeric := map[string]bool{}
	for _, f := range configFields() {
		switch v.Field(f.index).Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			numeric[f.key] = true
			r, ok := settingRanges[f.key]
			if !ok {
				t.Errorf("%s has no row in settingRanges", f.key)
				continue
			}
			if _, _, err := r.contains(v.Field(f.index)); err != nil {
				t.Errorf("%s: range %+v: %v", f.key, r, err)
			}
		}
	}
	for key := range settingRanges {
		if !numeric[key] {
			t.Errorf("settingRanges has a row for %s, which is not a numeric setting", key)
		}
	}
}

func TestNumericSettingsOutsideTheirRangeStopStartup(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"RATE_LIMIT_RPS", "1e-10", "invalid RATE_LIMIT_RPS=1e-10: want 0 (off) or 0.001 to 1000000"},
		{"RATE_LIMIT_RPS", "NaN", "invalid RATE_LIMIT_RPS=NaN"},
		{"RATE_LIMIT_RPS", "+Inf", "invalid RATE_LIMIT_RPS=+Inf"},
		{"RATE_LIMIT_RPS", "2e6", "invalid RATE_LIMIT_RPS=2e+06"},
		{"RATE_LIMIT_BURST", "2000000", "invalid RATE_LIMIT_BURST=2000000: want 1 to 1000000"},
		{"RATE_LIMIT_MAX_CALLERS", "9223372036854775807", "invalid RATE_LIMIT_MAX_CALLERS=9223372036854775807"},
		{"AUTH_FAILURES_PER_MINUTE", "-1", "invalid AUTH_FAILURES_PER_MINUTE=-1: want 0 (off) or 1 to 1000000"},
		{"UPSTREAM_TIMEOUT", "2h", "invalid UPSTREAM_TIMEOUT=2h0m0s: want 1ms to 1h"},
		{"UPSTREAM_TIMEOUT", "1ns", "invalid UPSTREAM_TIMEOUT=1ns"},
		{"IDLE_TIMEOUT", "2562047h", "invalid IDLE_TIMEOUT=2562047h0m0s"},
		{"MAX_BODY_BYTES", "9223372036854775807", "invalid MAX_BODY_BYTES=9223372036854775807: want 1024 to 67108864"},
		{"MAX_HEADER_BYTES", "2147483647", "invalid MAX_HEADER_BYTES=2147483647"},
		{"MAX_CONCURRENT_UPSTREAM", "1000000000", "invalid MAX_CONCURRENT_UPSTREAM=1000000000: want 0 (off) or 1 to 100000"},
		{"CHAT_MAX_MESSAGES", "100000", "invalid CHAT_MAX_MESSAGES=100000"},
		{"SHUTDOWN_DELAY", "1h", "invalid SHUTDOWN_DELAY=1h0m0s: want 0s to 10m"},
		{"UPSTREAM_MAX_RETRIES", "11", "invalid UPSTREAM_MAX_RETRIES=11: want 0 to 10"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			isolate(t)
			t.Setenv(tt.key, tt.value)
			_, err := load(t)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNumericRangesIncludeTheirEnds(t *testing.T) {
	for _, env := range []map[string]string{
		{"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "1000000", "UPSTREAM_TIMEOUT": "1h", "MAX_BODY_BYTES": "1024", "PORT": "65535"},
		{"RATE_LIMIT_RPS": "1000000", "MAX_CONCURRENT_UPSTREAM": "0", "AUTH_FAILURES_PER_MINUTE": "0", "UPSTREAM_QUEUE_TIMEOUT": "0s", "PORT": "0"},
	} {
		isolate(t)
		for k, v := range env {
			t.Setenv(k, v)
		}
		if _, err := load(t); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
}
