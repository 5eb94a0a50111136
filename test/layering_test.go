package test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/aoai-api/aoai-api"

// layer is one room and the rooms of ours it may import. Rules match a
// package path exactly or, ending in "/...", every package below it.
type layer struct {
	pkgs    string
	allowed []string // our packages it may import
	foreign []string // outside packages it must not import
}

// layers states domain <- ports <- app/<usecase> <- adapters <- app by
// package, the alarm a layering linter would raise. The first matching
// rule applies, so more specific rooms come first.
var layers = []layer{
	{pkgs: "internal/domain", foreign: []string{"github.com/gin-gonic/", "github.com/rs/zerolog", "net/http"}},
	{pkgs: "internal/ports/chatmodeltest", allowed: []string{"internal/domain", "internal/ports"}}, // test support, like testing/fstest
	{pkgs: "internal/ports/...", allowed: []string{"internal/domain", "internal/ports/..."}, foreign: []string{"github.com/gin-gonic/", "net/http"}},
	{pkgs: "internal/app", allowed: []string{"..."}}, // the composition root: the only room that names adapters
	{pkgs: "internal/app/...", allowed: []string{"internal/domain", "internal/ports/..."}, foreign: []string{"github.com/gin-gonic/", "net/http"}},
	// llmhttp is the library that HTTP-based LLM adapters share; no other adapter imports another.
	{pkgs: "internal/adapters/...", allowed: []string{"internal/domain", "internal/ports/...", "internal/adapters/llmhttp"}},
	{pkgs: "api"},
	{pkgs: "cmd/...", allowed: []string{"internal/app"}},
	{pkgs: "test/...", allowed: []string{"api"}}, // black-box: HTTP and the published contract only
}

func TestDependenciesPointInward(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rule, ok := ruleFor(rel)
		if !ok {
			t.Errorf("package %s has no layering rule: add it to layers", rel)
			continue
		}
		imports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		for _, imp := range imports {
			if ours, ok := strings.CutPrefix(imp, module+"/"); ok {
				if ours != rel && !allows(rule, ours) && !strings.HasPrefix(ours, rel+"/") {
					t.Errorf("%s imports %s: dependencies must point inward", rel, ours)
				}
				continue
			}
			for _, f := range rule.foreign {
				if strings.HasPrefix(imp, f) && !slices.Contains(p.TestImports, imp) && !slices.Contains(p.XTestImports, imp) {
					t.Errorf("%s imports %s, which its room must not know", rel, imp)
				}
			}
		}
	}
}

func ruleFor(rel string) (layer, bool) {
	for _, l := range layers {
		if matches(l.pkgs, rel) {
			return l, true
		}
	}
	return layer{}, false
}

func allows(l layer, ours string) bool {
	for _, a := range l.allowed {
		if a == "..." || matches(a, ours) {
			return true
		}
	}
	return false
}

func matches(pattern, rel string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

type goPackage struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

// listPackages asks the go command, which reads imports as the compiler does.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	for dec := json.NewDecoder(strings.NewReader(string(out))); ; {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
}
