// Package test holds black-box tests: they build ./cmd/aoai-api, run it
// as a subprocess on a free loopback port and speak HTTP to it only.
// Every response they receive is checked against api/openapi.yaml.
package test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aoai-api/aoai-api/api"
)

// binary is the service under test, built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aoai-api-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "aoai-api")
	// Built as the Dockerfile builds it (static, -trimpath), so the tests
	// run what ships and the Dockerfile test's build finds every package
	// already compiled.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "../cmd/aoai-api")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the service:", err)
		os.Exit(1)
	}
	c, err := loadContract(api.YAML())
	if err != nil {
		fmt.Fprintln(os.Stderr, "api/openapi.yaml:", err)
		os.Exit(1)
	}
	// Enough idle connections for the soak's 32 workers, so it measures
	// the service rather than connection set-up.
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	client.Transport = &contractTransport{contract: c, base: base}
	code := m.Run()
	stopBrowser() // the chat page tests' one Chromium, if they started it
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
