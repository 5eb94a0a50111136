package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyLimitsFileIsStrictAndNeverQuotesAKey(t *testing.T) {
	const key = "secret-key-0123456789abcdef"
	env := map[string]string{"K": key, "SHORT": "short"}
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "keys:\n  - id: a\n    api_key_env: K\n    rps: 1\n", "line 4"},
		{"no id", "keys:\n  - api_key_env: K\n", "keys[0].id: is required"},
		{"variable unset", "keys:\n  - id: a\n    api_key_env: NOPE\n", "NOPE is unset"},
		{"key too short", "keys:\n  - id: a\n    api_key_env: SHORT\n", "shorter than 16"},
		{"same id twice", "keys:\n  - id: a\n    api_key_env: K\n  - id: a\n    api_key_env: K\n", "names a key twice"},
		{"out of range", "keys:\n  - id: a\n    api_key_env: K\n    rate_limit_burst: 0\n", "out of RATE_LIMIT_BURST's range"},
		{"no keys", "keys: []\n", "want at least one key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			res := Resolved{Config: Config{APIKeyLimitsFile: path, logSecrets: newSecretValues(nil)},
				lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
			err := res.loadKeyLimits()
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), key) {
				t.Errorf("err = %v, want one containing %q and never the key", err, tt.want)
			}
		})
	}
}
