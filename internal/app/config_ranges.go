package app

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// numRange is the range a numeric setting must fall in, written in the
// setting's own syntax so that errors and README read alike. zeroOff
// admits 0 as well, meaning "off" or "no bound".
type numRange struct {
	min, max string
	zeroOff  bool
}

// settingRanges is the one list of numeric bounds. Every int, float and
// duration setting has a row (a test checks), so a number that would
// overflow arithmetic further on is refused at start-up instead: a
// RATE_LIMIT_RPS of 1e-10 once turned the limiter off. README's settings
// table gives the same ranges.
var settingRanges = map[string]numRange{
	"PORT":                      {min: "0", max: "65535"},
	"UPSTREAM_TIMEOUT":          {min: "1ms", max: "1h"},
	"UPSTREAM_MAX_RETRIES":      {min: "0", max: "10"},
	"UPSTREAM_MAX_RETRY_WAIT":   {min: "0s", max: "1h"},
	"STREAM_IDLE_TIMEOUT":       {min: "1ms", max: "1h"},
	"STREAM_KEEPALIVE_INTERVAL": {min: "10ms", max: "1h"},
	"UPSTREAM_MAX_EVENT_BYTES":  {min: "1024", max: "67108864"},
	"FAKE_STREAM_DELAY":         {min: "0s", max: "1m"},
	"CHAT_MAX_CHARS":            {min: "1", max: "10000000"},
	"CHAT_MAX_MESSAGES":         {min: "1", max: "10000"},
	"MAX_TOKENS_LIMIT":          {min: "1", max: "1000000"},
	"OPENAI_COMPAT_MAX_N":       {min: "1", max: "128"},
	"MAX_BODY_BYTES":            {min: "1024", max: "67108864"},
	"SHUTDOWN_DELAY":            {min: "0s", max: "10m"},
	"SHUTDOWN_TIMEOUT":          {min: "1ms", max: "1h"},
	"RATE_LIMIT_RPS":            {min: "0.001", max: "1000000", zeroOff: true},
	"RATE_LIMIT_BURST":          {min: "1", max: "1000000"},
	"RATE_LIMIT_MAX_CALLERS":    {min: "1", max: "1000000"},
	"AUTH_FAILURES_PER_MINUTE":  {min: "1", max: "1000000", zeroOff: true},
	"MAX_CONCURRENT_UPSTREAM":   {min: "1", max: "100000", zeroOff: true},
	"UPSTREAM_QUEUE_TIMEOUT":    {min: "0s", max: "10m"},
	"READ_HEADER_TIMEOUT":       {min: "1ms", max: "10m"},
	"READ_TIMEOUT":              {min: "1ms", max: "1h"},
	"IDLE_TIMEOUT":              {min: "1ms", max: "24h"},
	"MAX_HEADER_BYTES":          {min: "4096", max: "16777216"},
	"WRITE_TIMEOUT":             {min: "1ms", max: "1h"},
	"MAX_CONCURRENT_PER_CALLER": {min: "1", max: "100000", zeroOff: true},
	"UPSTREAM_ATTEMPT_TIMEOUT":  {min: "1ms", max: "1h", zeroOff: true},
	"LLM_CONFIG_POLL_INTERVAL":  {min: "100ms", max: "1h"},
	"BACKEND_COOLDOWN":          {min: "1ms", max: "1h"},
	"BACKEND_COOLDOWN_MAX":      {min: "1ms", max: "24h"},
	"BACKEND_EJECT_FAILURES":    {min: "1", max: "1000"},
	"BACKEND_EJECT_BASE":        {min: "1ms", max: "1h"},
	"BACKEND_EJECT_MAX":         {min: "1ms", max: "24h"},
	"REDIS_TIMEOUT":             {min: "1ms", max: "10s"},
	"TOKEN_RATE_LIMIT_TPM":      {min: "1", max: "1000000000000", zeroOff: true},
	"TOKEN_QUOTA":               {min: "1", max: "1000000000000000", zeroOff: true},
	"OTEL_BSP_MAX_QUEUE_SIZE":   {min: "1", max: "100000"},
}

var durationType = reflect.TypeFor[time.Duration]()

// validateRanges checks every numeric setting against settingRanges.
func (c *Config) validateRanges() error {
	v := reflect.ValueOf(c).Elem()
	for _, f := range configFields() {
		r, ok := settingRanges[f.key]
		if !ok {
			continue // not numeric; the completeness test keeps it so
		}
		if err := r.check(f.key, v.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

// check compares in the field's own type, so no conversion can wrap.
// NaN fails every comparison and is refused with the rest.
func (r numRange) check(key string, v reflect.Value) error {
	in, shown, err := r.contains(v)
	switch {
	case err != nil:
		return fmt.Errorf("the range of %s: %w", key, err) // a bad table row; a test parses every one
	case in:
		return nil
	case r.zeroOff:
		return fmt.Errorf("invalid %s=%s: want 0 (off) or %s to %s", key, shown, r.min, r.max)
	}
	return fmt.Errorf("invalid %s=%s: want %s to %s", key, shown, r.min, r.max)
}

func (r numRange) contains(v reflect.Value) (in bool, shown string, err error) {
	switch {
	case v.Type() == durationType:
		lo, err1 := time.ParseDuration(r.min)
		hi, err2 := time.ParseDuration(r.max)
		d := time.Duration(v.Int())
		return (r.zeroOff && d == 0) || (d >= lo && d <= hi), d.String(), errors.Join(err1, err2)
	case v.CanInt():
		lo, err1 := strconv.ParseInt(r.min, 10, 64)
		hi, err2 := strconv.ParseInt(r.max, 10, 64)
		n := v.Int()
		return (r.zeroOff && n == 0) || (n >= lo && n <= hi), strconv.FormatInt(n, 10), errors.Join(err1, err2)
	case v.CanFloat():
		lo, err1 := strconv.ParseFloat(r.min, 64)
		hi, err2 := strconv.ParseFloat(r.max, 64)
		x := v.Float()
		return (r.zeroOff && x == 0) || (x >= lo && x <= hi), strconv.FormatFloat(x, 'g', -1, 64), errors.Join(err1, err2)
	}
	return false, "", errors.New("not a number")
}
