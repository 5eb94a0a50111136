package app

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
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
	if got := c.serverLimits(); got != (httpadapter.Limits{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 2 * time.Minute, Write: 30 * time.Second, MaxHeaderBytes: 64 << 10}) {
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
	if err := os.WriteFile(file, []byte("# rotated 2025-08\r\nkey-from-file-0001\r\n\n  key-from-file-0002  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("API_KEYS", "key-from-env-0001, key-from-env-0002,")
	t.Setenv("API_KEYS_FILE", file)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	var want [][sha256.Size]byte
	for _, k := range []string{"key-from-env-0001", "key-from-env-0002", "key-from-file-0001", "key-from-file-0002"} {
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

func TestShortOrAbsentInboundKeysStopStartupWithoutQuotingThem(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	writeFile(t, file, "# comment\nfile-key-long-enough-1\n\nshortsecret\n")
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"API_KEYS": "inbound-key-long-enough,shortsecret"}, "invalid API_KEYS: entry 2 is shorter than 16 characters"},
		{map[string]string{"API_KEYS_FILE": file}, "invalid API_KEYS_FILE: the key on line 4 is shorter than 16 characters"},
		{map[string]string{"API_KEYS": ","}, "invalid API_KEYS: it holds separators but no key"},
		{map[string]string{"API_KEYS": " , "}, "invalid API_KEYS: it holds separators but no key"},
	}
	for _, tt := range tests {
		isolate(t)
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		_, err := load(t)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "shortsecret") {
			t.Errorf("%v: err = %v, want %q, never the key", tt.env, err, tt.want)
		}
	}
}

func TestAnEmptyKeyListStillMeansAuthenticationOff(t *testing.T) {
	isolate(t)
	t.Setenv("API_KEYS", "")
	res, err := load(t)
	if err != nil || len(res.Config.inboundKeyDigests) != 0 {
		t.Errorf("API_KEYS empty: err %v, %d keys", err, len(res.Config.inboundKeyDigests))
	}
}
