package app

import (
	"strings"
	"testing"
	"time"
)

func TestRedisOptionsBoundEveryCallAndSpeakRESP2UnlessAsked(t *testing.T) {
	cfg := Config{RedisURL: "redis://127.0.0.1:6379/0", RedisPassword: "from-env", RedisTimeout: 250 * time.Millisecond}
	ro, err := redisOptions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Protocol != 2 {
		t.Errorf("protocol %d, want RESP2 by default", ro.Protocol)
	}
	if ro.Password != "from-env" {
		t.Errorf("password %q, want REDIS_PASSWORD's when the URL has none", ro.Password)
	}
	if ro.DialTimeout != cfg.RedisTimeout || ro.ReadTimeout != cfg.RedisTimeout || ro.WriteTimeout != cfg.RedisTimeout ||
		!ro.ContextTimeoutEnabled || ro.MaxRetries != -1 {
		t.Errorf("timeouts %v/%v/%v, context %v, retries %d: want REDIS_TIMEOUT on each, one attempt",
			ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout, ro.ContextTimeoutEnabled, ro.MaxRetries)
	}

	cfg.RedisURL = "redis://:in-url@127.0.0.1:6379/0?protocol=3"
	if ro, err = redisOptions(cfg); err != nil {
		t.Fatal(err)
	}
	if ro.Protocol != 3 || ro.Password != "in-url" {
		t.Errorf("protocol %d, password %q: want the URL's own choices kept", ro.Protocol, ro.Password)
	}

	cfg.RedisURL = "redis://:hunter2-secret@127.0.0.1:notaport"
	_, err = redisOptions(cfg)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err %v: want a refusal that never quotes the URL's password", err)
	}
}
