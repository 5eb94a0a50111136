package app

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"
)

// validateSecurity checks the hardening lists and tidies them (blank
// entries dropped, origins lower-cased) so that adapters get values they
// can use as they are; the numbers are checked by validateRanges.
func (c *Config) validateSecurity() error {
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

// minInboundKeyChars is the shortest inbound key accepted: with the
// auth throttle at its default, 16 random characters are out of reach of
// guessing, and anything shorter is more likely a placeholder than a key.
const minInboundKeyChars = 16

// loadInboundKeys reads API_KEYS and API_KEYS_FILE once and keeps their
// digests for the adapter, and the keys themselves, with the other
// secrets, for the log redactor only. Errors never quote the file's path
// or contents: the path is a secret setting and the contents are keys.
func (c *Config) loadInboundKeys() error {
	keys, err := listKeys(c.APIKeys)
	if err != nil {
		return err
	}
	if c.APIKeysFile != "" {
		raw, err := os.ReadFile(c.APIKeysFile)
		if err != nil {
			return fmt.Errorf("invalid API_KEYS_FILE: cannot read it: %v", pathlessError(err))
		}
		fromFile, err := keyLines(string(raw))
		if err != nil {
			return err
		}
		keys = append(keys, fromFile...)
	}
	admins, err := listKeys(c.AdminAPIKeys)
	if err != nil {
		return errors.New(strings.Replace(err.Error(), "API_KEYS", "ADMIN_API_KEYS", 1))
	}
	c.inboundKeyDigests, c.adminKeyDigests = nil, nil
	for _, k := range admins {
		c.adminKeyDigests = append(c.adminKeyDigests, sha256.Sum256([]byte(k)))
	}
	for _, k := range keys {
		c.inboundKeyDigests = append(c.inboundKeyDigests, sha256.Sum256([]byte(k)))
	}
	if len(keys) > 0 { // an operator's key opens the guarded routes too
		c.inboundKeyDigests = append(c.inboundKeyDigests, c.adminKeyDigests...)
	}
	c.logSecrets = newSecretValues(append(append(c.secretsToRedact(), keys...), admins...))
	return nil
}

// listKeys takes API_KEYS' entries. A value of separators only, such as
// ",", must not pass for "no keys", which turns authentication off.
func listKeys(entries []string) ([]string, error) {
	var keys []string
	for i, k := range entries {
		if k = strings.TrimSpace(k); k == "" {
			continue // a stray comma between keys is harmless
		}
		if utf8.RuneCountInString(k) < minInboundKeyChars {
			return nil, fmt.Errorf("invalid API_KEYS: entry %d is shorter than %d characters", i+1, minInboundKeyChars)
		}
		keys = append(keys, k)
	}
	if len(entries) > 0 && len(keys) == 0 {
		return nil, errors.New("invalid API_KEYS: it holds separators but no key; leave it empty to turn authentication off")
	}
	return keys, nil
}

// keyLines takes one key per line, as a mounted Kubernetes Secret holds
// them; blank lines and # comments are skipped, CRLF is tolerated.
func keyLines(s string) ([]string, error) {
	var out []string
	for i, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if utf8.RuneCountInString(line) < minInboundKeyChars {
			return nil, fmt.Errorf("invalid API_KEYS_FILE: the key on line %d is shorter than %d characters", i+1, minInboundKeyChars)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, errors.New("invalid API_KEYS_FILE: it holds no keys (one per line; # starts a comment)")
	}
	return out, nil
}

// secretsToRedact are the values of every secret:"true" setting and the
// credentials of every URL setting, read from the struct so that a
// secret added later is redacted too.
func (c *Config) secretsToRedact() []string {
	v := reflect.ValueOf(c).Elem()
	var out []string
	for _, f := range configFields() {
		var values []string
		switch x := v.Field(f.index).Interface().(type) {
		case string:
			values = []string{x}
		case []string:
			values = x
		}
		for _, s := range values {
			if f.secret {
				out = append(out, strings.TrimSpace(s), s)
			} else {
				out = append(out, urlCredentials(s)...)
			}
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
