package app

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"strings"
)

// validateSecurity checks the hardening settings and tidies the lists
// (blank entries dropped, origins lower-cased) so that adapters get
// values they can use as they are.
func (c *Config) validateSecurity() error {
	switch {
	case c.RateLimitRPS < 0 || math.IsNaN(c.RateLimitRPS) || math.IsInf(c.RateLimitRPS, 0):
		return fmt.Errorf("invalid RATE_LIMIT_RPS=%v: want 0 (off) or a positive number", c.RateLimitRPS)
	case c.RateLimitBurst < 1:
		return fmt.Errorf("invalid RATE_LIMIT_BURST=%d: want 1 or more", c.RateLimitBurst)
	case c.RateLimitMaxCallers < 1:
		return fmt.Errorf("invalid RATE_LIMIT_MAX_CALLERS=%d: want 1 or more", c.RateLimitMaxCallers)
	case c.MaxConcurrentUpstream < 0:
		return fmt.Errorf("invalid MAX_CONCURRENT_UPSTREAM=%d: want 0 (unlimited) or more", c.MaxConcurrentUpstream)
	case c.UpstreamQueueTimeout < 0:
		return fmt.Errorf("invalid UPSTREAM_QUEUE_TIMEOUT=%s: want a duration of zero or more", c.UpstreamQueueTimeout)
	case c.ReadHeaderTimeout <= 0:
		return fmt.Errorf("invalid READ_HEADER_TIMEOUT=%s: want a positive duration", c.ReadHeaderTimeout)
	case c.ReadTimeout <= 0:
		return fmt.Errorf("invalid READ_TIMEOUT=%s: want a positive duration", c.ReadTimeout)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("invalid IDLE_TIMEOUT=%s: want a positive duration", c.IdleTimeout)
	case c.MaxHeaderBytes < 4096:
		return fmt.Errorf("invalid MAX_HEADER_BYTES=%d: want 4096 or more", c.MaxHeaderBytes)
	case c.WriteTimeout <= 0:
		return fmt.Errorf("invalid WRITE_TIMEOUT=%s: want a positive duration", c.WriteTimeout)
	case c.MaxConcurrentPerCaller < 0:
		return fmt.Errorf("invalid MAX_CONCURRENT_PER_CALLER=%d: want 0 (no bound) or more", c.MaxConcurrentPerCaller)
	}
	c.TrustedProxies = nonBlank(c.TrustedProxies)
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("invalid TRUSTED_PROXIES entry %q: want a CIDR such as 10.0.0.0/8 or an IP", p)
		}
	}
	c.CORSAllowedOrigins = nonBlank(c.CORSAllowedOrigins)
	for i, o := range c.CORSAllowedOrigins {
		if !validOrigin(o) {
			return fmt.Errorf("invalid CORS_ALLOWED_ORIGINS entry %q: want * or scheme://host[:port] with no path", o)
		}
		c.CORSAllowedOrigins[i] = strings.ToLower(o)
	}
	return nil
}

// validOrigin admits what browsers send in Origin; a trailing slash or
// path is a common mistake that would silently never match.
func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

func nonBlank(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// loadInboundKeys reads API_KEYS and API_KEYS_FILE once and keeps only
// their digests. Errors never quote the file's path or contents: the
// path is a secret setting and the contents are keys.
func (c *Config) loadInboundKeys() error {
	keys := nonBlank(c.APIKeys)
	if c.APIKeysFile != "" {
		raw, err := os.ReadFile(c.APIKeysFile)
		if err != nil {
			return fmt.Errorf("invalid API_KEYS_FILE: cannot read it: %v", pathlessError(err))
		}
		fromFile := keyLines(string(raw))
		if len(fromFile) == 0 {
			return errors.New("invalid API_KEYS_FILE: it holds no keys (one per line; # starts a comment)")
		}
		keys = append(keys, fromFile...)
	}
	c.inboundKeyDigests = nil
	for _, k := range keys {
		c.inboundKeyDigests = append(c.inboundKeyDigests, sha256.Sum256([]byte(k)))
	}
	return nil
}

// keyLines takes one key per line, as a mounted Kubernetes Secret holds
// them; blank lines and # comments are skipped, CRLF is tolerated.
func keyLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func pathlessError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
