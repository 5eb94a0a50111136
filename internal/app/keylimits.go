package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"

	"github.com/aoai-api/aoai-api/internal/adapters/limits"
)

// keyLimitsFile is API_KEY_LIMITS_FILE: inbound keys by id, each with
// limits of its own. The keys are never in it, only the names of the
// variables that hold them, as for backends.
type keyLimitsFile struct {
	Keys []keyLimits `yaml:"keys"`
}

type keyLimits struct {
	ID        string   `yaml:"id"`
	APIKeyEnv string   `yaml:"api_key_env"`
	RPS       *float64 `yaml:"rate_limit_rps"`
	Burst     *int     `yaml:"rate_limit_burst"`
	TPM       *int     `yaml:"token_rate_limit_tpm"`
	Quota     *int     `yaml:"token_quota"`

	digest [sha256.Size]byte
}

// loadKeyLimits reads API_KEY_LIMITS_FILE, if set: its keys become
// inbound keys, named by their ids, and the logger learns them. Errors
// name the file and the entry, never a key.
func (res *Resolved) loadKeyLimits() error {
	path := res.Config.APIKeyLimitsFile
	if path == "" {
		return nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("API_KEY_LIMITS_FILE: %w", err)
	}
	var f keyLimitsFile
	if err := yaml.UnmarshalWithOptions(src, &f, yaml.Strict()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			return fmt.Errorf("API_KEY_LIMITS_FILE %s, line %d: %s", path, ye.GetToken().Position.Line, ye.GetMessage())
		}
		return fmt.Errorf("API_KEY_LIMITS_FILE %s: %v", path, err)
	}
	if len(f.Keys) == 0 {
		return fmt.Errorf("API_KEY_LIMITS_FILE %s: keys: want at least one key", path)
	}
	keysOff := len(res.Config.inboundKeyDigests) == 0
	ids, digests := map[string]bool{}, map[[sha256.Size]byte]bool{}
	for i := range f.Keys {
		k := &f.Keys[i]
		at := fmt.Sprintf("API_KEY_LIMITS_FILE %s: keys[%d]", path, i)
		key, ok := res.lookup(k.APIKeyEnv)
		switch {
		case strings.TrimSpace(k.ID) == "":
			return fmt.Errorf("%s.id: is required", at)
		case ids[k.ID]:
			return fmt.Errorf("%s.id: %q names a key twice", at, k.ID)
		case k.APIKeyEnv == "":
			return fmt.Errorf("%s.api_key_env: is required", at)
		case !ok || utf8.RuneCountInString(key) < minInboundKeyChars:
			return fmt.Errorf("%s.api_key_env: %s is unset or shorter than %d characters", at, k.APIKeyEnv, minInboundKeyChars)
		}
		if err := k.checkRanges(at); err != nil {
			return err
		}
		k.digest = sha256.Sum256([]byte(key))
		if digests[k.digest] {
			return fmt.Errorf("%s.api_key_env: the same key as another entry", at)
		}
		ids[k.ID], digests[k.digest] = true, true
		res.Config.inboundKeyDigests = append(res.Config.inboundKeyDigests, k.digest)
		res.Config.logSecrets.add(key)
	}
	if keysOff { // the file turned keys on: an operator's key opens the guarded routes too
		res.Config.inboundKeyDigests = append(res.Config.inboundKeyDigests, res.Config.adminKeyDigests...)
	}
	res.Config.keyLimits = f.Keys
	return nil
}

// keyIDs names the file's keys in logs and the ledger.
func (c Config) keyIDs() map[[sha256.Size]byte]string {
	out := make(map[[sha256.Size]byte]string, len(c.keyLimits))
	for _, k := range c.keyLimits {
		out[k.digest] = k.ID
	}
	return out
}

// keyPolicies are the file's keys' limits over the defaults, keyed as
// the store keys callers.
func (c Config) keyPolicies(def limits.Policy) map[string]limits.Policy {
	out := make(map[string]limits.Policy, len(c.keyLimits))
	for _, k := range c.keyLimits {
		p := def
		if k.RPS != nil {
			p.RPS = *k.RPS
		}
		if k.Burst != nil {
			p.Burst = *k.Burst
		}
		if k.TPM != nil {
			p.TPM = int64(*k.TPM)
		}
		if k.Quota != nil {
			p.Quota = int64(*k.Quota)
		}
		out["key:"+hex.EncodeToString(k.digest[:])] = p
	}
	return out
}

// checkRanges holds a key's own limits to the settings' ranges.
func (k *keyLimits) checkRanges(at string) error {
	for _, r := range []struct {
		field, key string
		ok         bool
	}{
		{"rate_limit_rps", "RATE_LIMIT_RPS", k.RPS == nil || *k.RPS == 0 || (*k.RPS >= 0.001 && *k.RPS <= 1e6)},
		{"rate_limit_burst", "RATE_LIMIT_BURST", k.Burst == nil || (*k.Burst >= 1 && *k.Burst <= 1e6)},
		{"token_rate_limit_tpm", "TOKEN_RATE_LIMIT_TPM", k.TPM == nil || (*k.TPM >= 0 && *k.TPM <= 1e12)},
		{"token_quota", "TOKEN_QUOTA", k.Quota == nil || (*k.Quota >= 0 && *k.Quota <= 1e15)},
	} {
		if !r.ok {
			return fmt.Errorf("%s.%s: out of %s's range", at, r.field, r.key)
		}
	}
	return nil
}
