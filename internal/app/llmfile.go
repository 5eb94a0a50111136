package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// llmFile is LLM_CONFIG_FILE: the models this service serves and the
// backends of each. Keys are never in it, only the names of variables
// that hold them.
type llmFile struct {
	Models []llmModel `yaml:"models"`
}

type llmModel struct {
	Name     string       `yaml:"name"`
	Backends []llmBackend `yaml:"backends"`

	aliases []string // more names for it: OPENAI_COMPAT_MODELS, without a file
}

type llmBackend struct {
	Name       string `yaml:"name"`
	Provider   string `yaml:"provider"`
	Endpoint   string `yaml:"endpoint"`
	Deployment string `yaml:"deployment"`
	APIVersion string `yaml:"api_version"`
	Auth       string `yaml:"auth"`
	APIKeyEnv  string `yaml:"api_key_env"`
	BaseURL    string `yaml:"base_url"`
	Model      string `yaml:"model"`
	Priority   *int   `yaml:"priority"`
	Weight     *int   `yaml:"weight"`

	apiKey string // resolved from APIKeyEnv; a secret, never shown
	// missing names the settings an environment-defined backend lacks,
	// and missingWhat says so; a file's backends are complete or refused.
	missing     []string
	missingWhat string
}

// Bounds of a backend's routing numbers, as the docs state them.
const (
	minPriority, maxPriority = 1, 100
	minWeight, maxWeight     = 1, 1000
)

// readLLMFile reads and validates path. lookup resolves the variables an
// api_key_env names, from the environment or the .env file. Every error
// names the file, the line and the field, in one message.
func readLLMFile(path string, lookup func(string) (string, bool)) (llmFile, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return llmFile{}, fileError(err)
	}
	return parseLLMFile(path, src, lookup)
}

// fileError words a file that cannot be read; the os error names the path.
func fileError(err error) error { return fmt.Errorf("LLM_CONFIG_FILE: %w", err) }

// parseLLMFile validates src, the content of path: a reload parses the
// very bytes whose change it noticed.
func parseLLMFile(path string, src []byte, lookup func(string) (string, bool)) (llmFile, error) {
	var f llmFile
	if err := yaml.UnmarshalWithOptions(src, &f, yaml.Strict()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			return llmFile{}, fmt.Errorf("LLM_CONFIG_FILE %s, line %d: %s", path, ye.GetToken().Position.Line, ye.GetMessage())
		}
		return llmFile{}, fmt.Errorf("LLM_CONFIG_FILE %s: %v", path, err)
	}
	tree, err := parser.ParseBytes(src, 0)
	if err != nil {
		return llmFile{}, fmt.Errorf("LLM_CONFIG_FILE %s: %v", path, err)
	}
	v := fileValidator{path: path, tree: tree, lookup: lookup}
	if err := v.validate(&f); err != nil {
		return llmFile{}, err
	}
	return f, nil
}

type fileValidator struct {
	path   string
	tree   *ast.File
	lookup func(string) (string, bool)
}

// fail words a problem at a YAML path, on the line of the nearest node
// that exists (a missing field's backend, say).
func (v fileValidator) fail(field string, format string, args ...any) error {
	line := 0
	for p := field; p != ""; p = parentPath(p) {
		if path, err := yaml.PathString("$." + p); err == nil {
			if n, err := path.FilterFile(v.tree); err == nil && n != nil {
				line = n.GetToken().Position.Line
				break
			}
		}
	}
	msg := fmt.Sprintf(format, args...)
	if line == 0 {
		return fmt.Errorf("LLM_CONFIG_FILE %s: %s: %s", v.path, field, msg)
	}
	return fmt.Errorf("LLM_CONFIG_FILE %s, line %d: %s: %s", v.path, line, field, msg)
}

func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

func (v fileValidator) validate(f *llmFile) error {
	if len(f.Models) == 0 {
		return v.fail("models", "want at least one model")
	}
	seen := map[string]bool{}
	for i := range f.Models {
		m := &f.Models[i]
		at := fmt.Sprintf("models[%d]", i)
		switch {
		case strings.TrimSpace(m.Name) == "":
			return v.fail(at+".name", "is required")
		case seen[m.Name]:
			return v.fail(at+".name", "%q names a model twice", m.Name)
		case len(m.Backends) == 0:
			return v.fail(at+".backends", "want at least one backend")
		}
		seen[m.Name] = true
		names := map[string]bool{}
		for j := range m.Backends {
			b := &m.Backends[j]
			bat := fmt.Sprintf("%s.backends[%d]", at, j)
			if strings.TrimSpace(b.Name) == "" {
				return v.fail(bat+".name", "is required")
			}
			if names[b.Name] {
				return v.fail(bat+".name", "%q names a backend twice in model %q", b.Name, m.Name)
			}
			names[b.Name] = true
			if err := v.backend(bat, b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v fileValidator) backend(at string, b *llmBackend) error {
	for _, r := range []struct {
		field    string
		value    *int
		min, max int
	}{{"priority", b.Priority, minPriority, maxPriority}, {"weight", b.Weight, minWeight, maxWeight}} {
		if r.value != nil && (*r.value < r.min || *r.value > r.max) {
			return v.fail(at+"."+r.field, "%d is out of range: want %d-%d", *r.value, r.min, r.max)
		}
	}
	b.Provider = strings.ToLower(strings.TrimSpace(b.Provider))
	var required, foreign []string
	switch b.Provider {
	case ProviderAzure:
		if b.APIVersion == "" {
			b.APIVersion = defaultAzureAPIVersion
		}
		if b.Auth = strings.ToLower(b.Auth); b.Auth == "" {
			b.Auth = AuthKey
		}
		if b.Auth != AuthKey && b.Auth != AuthEntra {
			return v.fail(at+".auth", "%q: want key or entra", b.Auth)
		}
		required, foreign = []string{"endpoint", "deployment"}, []string{"base_url", "model"}
		if b.Auth == AuthKey {
			required = append(required, "api_key_env")
		}
	case ProviderOpenAI:
		required, foreign = []string{"base_url", "model"}, []string{"endpoint", "deployment", "api_version", "auth"}
	case ProviderFake:
		foreign = []string{"endpoint", "deployment", "api_version", "auth", "api_key_env", "base_url", "model"}
	case "":
		return v.fail(at+".provider", "is required: azure, openai or fake")
	default:
		return v.fail(at+".provider", "%q: want azure, openai or fake", b.Provider)
	}
	fields := b.fields()
	for _, name := range required {
		if strings.TrimSpace(fields[name]) == "" {
			return v.fail(at+"."+name, "is required for provider %s", b.Provider)
		}
	}
	for _, name := range foreign {
		if fields[name] != "" {
			return v.fail(at+"."+name, "does not apply to provider %s", b.Provider)
		}
	}
	if b.APIKeyEnv != "" {
		key, ok := v.lookup(b.APIKeyEnv)
		if !ok || key == "" {
			return v.fail(at+".api_key_env", "names %s, which is not set", b.APIKeyEnv)
		}
		b.apiKey = key
	}
	return nil
}

func (b *llmBackend) fields() map[string]string {
	return map[string]string{
		"endpoint": b.Endpoint, "deployment": b.Deployment, "api_version": b.APIVersion, "auth": b.Auth,
		"api_key_env": b.APIKeyEnv, "base_url": b.BaseURL, "model": b.Model,
	}
}

func (b *llmBackend) priority() int { return valueOr(b.Priority, 1) }
func (b *llmBackend) weight() int   { return valueOr(b.Weight, 1) }

func valueOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// defaultAzureAPIVersion matches AZURE_OPENAI_API_VERSION's default.
const defaultAzureAPIVersion = "2024-10-21"
