package app

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSecurityDefaults(t *testing.T) {
	isolate(t)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Config
	if len(c.inboundKeyDigests) != 0 || c.RateLimitRPS != 0 || c.RateLimitBurst != 10 || c.RateLimitMaxCallers != 10000 ||
		c.TrustedProxies != nil || c.CORSAllowedOrigins != nil || c.MaxConcurrentUpstream != 0 ||
		c.UpstreamQueueTimeout != 2*time.Second {
		t.Errorf("security defaults = %+v", c)
	}
	if got := c.serverLimits(); got != (serverLimits{readHeader: 10 * time.Second, read: 30 * time.Second, idle: 2 * time.Minute, maxHeaderBytes: 64 << 10}) {
		t.Errorf("server limits = %+v", got)
	}
}

func TestSecurityListsAreTidied(t *testing.T) {
	isolate(t)
	t.Setenv("TRUSTED_PROXIES", " 10.0.0.0/8, ,192.168.1.7 ")
	t.Setenv("CORS_ALLOWED_ORIGINS", "https://App.Example, http://localhost:5173")
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Config.TrustedProxies; !slices.Equal(got, []string{"10.0.0.0/8", "192.168.1.7"}) {
		t.Errorf("TrustedProxies = %q", got)
	}
	if got := res.Config.CORSAllowedOrigins; !slices.Equal(got, []string{"https://app.example", "http://localhost:5173"}) {
		t.Errorf("CORSAllowedOrigins = %q", got)
	}
}

func TestInboundKeysFromListAndFileAreKeptAsDigestsOnly(t *testing.T) {
	isolate(t)
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# rotated 2025-08\r\nkey-from-file-1\r\n\n  key-from-file-2  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("API_KEYS", "key-from-env-1, key-from-env-2,")
	t.Setenv("API_KEYS_FILE", file)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	var want [][sha256.Size]byte
	for _, k := range []string{"key-from-env-1", "key-from-env-2", "key-from-file-1", "key-from-file-2"} {
		want = append(want, sha256.Sum256([]byte(k)))
	}
	if !slices.Equal(res.Config.inboundKeyDigests, want) {
		t.Errorf("digests = %x", res.Config.inboundKeyDigests)
	}
	for _, key := range []string{"API_KEYS", "API_KEYS_FILE"} {
		s := settingOf(t, res, key)
		if !s.Secret || !s.Set || s.Value != "" {
			t.Errorf("%s = %+v, want a secret reported only as set", key, s)
		}
	}
	for _, s := range res.Settings {
		if strings.Contains(s.Key, "inbound") {
			t.Errorf("derived state is listed as a setting: %+v", s)
		}
	}
}

func TestUnusableKeysFileStopsStartupWithoutQuotingIt(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "secret-path-empty")
	if err := os.WriteFile(empty, []byte("# no keys yet\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "secret-path-missing"): "invalid API_KEYS_FILE: cannot read it: no such file or directory",
		empty: "invalid API_KEYS_FILE: it holds no keys",
	} {
		isolate(t)
		t.Setenv("API_KEYS_FILE", path)
		_, err := load(t)
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "secret-path") {
			t.Errorf("err = %v, want %q without the path", err, want)
		}
	}
}
