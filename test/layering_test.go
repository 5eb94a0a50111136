package test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const (
	module           = "github.com/aoai-api/aoai-api/"
	sharedAdapterLib = "internal/adapters/llmhttp"
)

// TestDependenciesPointInward enforces domain <- ports <- app <- adapters:
// the alarm a layering linter would raise, read straight from imports.
func TestDependenciesPointInward(t *testing.T) {
	forbidden := map[string][]string{ // package dir prefix -> import prefixes it must not use
		"internal/domain": {module, "github.com/gin-gonic", "github.com/rs/zerolog", "net/http"},
		"internal/ports":  {module + "internal/app", module + "internal/adapters", "github.com/gin-gonic", "net/http"},
		// The HTTP adapter serves whatever contract the composition root hands it.
		"internal/adapters": {module + "internal/app", module + "api"},
		"api":               {module},
		"test":              {module + "internal"}, // black-box: HTTP and the published contract only
	}
	checkTree(t, "../internal", false, forbidden)
	checkTree(t, "../api", false, forbidden)
	checkTree(t, "../test", true, forbidden)
}

func checkTree(t *testing.T, root string, withTests bool, forbidden map[string][]string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || (!withTests && strings.HasSuffix(path, "_test.go")) {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			checkImport(t, rel, p, forbidden)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkImport(t *testing.T, file, imp string, forbidden map[string][]string) {
	t.Helper()
	dir := filepath.ToSlash(filepath.Dir(file))
	for pkg, bad := range forbidden {
		if !strings.HasPrefix(dir, pkg) {
			continue
		}
		for _, b := range bad {
			if strings.HasPrefix(imp, b) {
				t.Errorf("%s imports %s: dependencies must point inward", file, imp)
			}
		}
	}
	// Adapters never import each other; only the composition root wires
	// them. llmhttp is the library that HTTP-based LLM adapters share.
	if strings.HasPrefix(dir, "internal/adapters/") && strings.HasPrefix(imp, module+"internal/adapters/") &&
		!strings.HasPrefix(imp, module+dir) && imp != module+sharedAdapterLib {
		t.Errorf("%s imports another adapter %s", file, imp)
	}
	if dir == "internal/app" && strings.HasPrefix(imp, module+"internal/adapters/") && filepath.Base(file) != "run.go" {
		t.Errorf("%s names adapter %s: only run.go, the composition root, may", file, imp)
	}
}
