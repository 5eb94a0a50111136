package test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContractNoClientBypassesTheCheck keeps every HTTP request in this
// package on the shared client, whose transport checks the contract: a
// test using http.Get or a client of its own would go unchecked.
func TestContractNoClientBypassesTheCheck(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range clientBypasses(t, name, string(src)) {
			t.Error(b)
		}
	}
}

// clientBypasses lists the ways a file could send HTTP past the checked
// client. The shared client itself, built in service_test.go on
// http.DefaultTransport in main_test.go, is the one allowed exception.
func clientBypasses(t *testing.T, name, src string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	report := func(n ast.Node, what string) {
		out = append(out, fmt.Sprintf("%s: %s bypasses the contract check; use call() or the shared client", fset.Position(n.Pos()), what))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && id.Name == "http" {
				switch n.Sel.Name {
				case "Get", "Head", "Post", "PostForm", "DefaultClient":
					report(n, "http."+n.Sel.Name)
				case "DefaultTransport":
					if name != "main_test.go" {
						report(n, "http.DefaultTransport")
					}
				}
			}
		case *ast.CompositeLit:
			if sel, ok := n.Type.(*ast.SelectorExpr); ok && isIdent(sel.X, "http") &&
				(sel.Sel.Name == "Transport" || (sel.Sel.Name == "Client" && name != "service_test.go")) {
				report(n, "a new http."+sel.Sel.Name)
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Client" && len(n.Args) == 0 {
				report(n, "an httptest server's Client()")
			}
		}
		return true
	})
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func TestContractBypassCheckBites(t *testing.T) {
	src := `package test
func f(srv *httptest.Server) {
	http.Get("x")
	_ = http.DefaultClient
	_ = &http.Client{}
	_ = &http.Transport{}
	_ = srv.Client()
	_ = http.DefaultTransport
}`
	got := strings.Join(clientBypasses(t, "new_test.go", src), "\n")
	for _, want := range []string{"http.Get", "http.DefaultClient", "a new http.Client", "a new http.Transport", "Client()", "http.DefaultTransport"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in:\n%s", want, got)
		}
	}
}
