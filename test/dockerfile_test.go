package test

import (
	"debug/elf"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	appsv1 "k8s.io/api/apps/v1"
)

// parseDockerfile parses as docker build does, failing on its parse
// warnings and on the lint rules `docker build --check` runs at parse time.
func parseDockerfile(t *testing.T, path string) []instructions.Stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ast, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, w := range ast.Warnings {
		t.Errorf("%s:%d: %s", path, w.Location.Start.Line, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		t.Errorf("%s: %s: %s (%v)", path, rule, msg, loc)
	}})
	stages, _, err := instructions.Parse(ast.AST, lint)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return stages
}

// commands returns the stage's instructions of type T.
func commands[T instructions.Command](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if v, ok := c.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// stageVars collects ARG defaults and ENV values as RUN sees them,
// unquoted and expanded by BuildKit's shell lexer.
func stageVars(t *testing.T, s instructions.Stage) map[string]string {
	t.Helper()
	out := map[string]string{}
	lex := shell.NewLex(parser.DefaultEscapeToken)
	set := func(k, v string) {
		var env []string
		for k, v := range out {
			env = append(env, k+"="+v)
		}
		w, _, err := lex.ProcessWord(v, shell.EnvsFromSlice(env))
		if err != nil {
			t.Errorf("%s=%s: %v", k, v, err)
		}
		out[k] = w
	}
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				set(a.Key, a.ValueString())
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.NoDelim {
					t.Errorf("%s: use the KEY=VALUE form", c)
				}
				set(kv.Key, kv.Value)
			}
		}
	}
	return out
}

var (
	outputArg = regexp.MustCompile(`-o\s+\S+`)
	goLine    = regexp.MustCompile(`(?m)^go (\S+)$`)
)

func TestDockerfileAgreesWithTheBinaryAndBuildsStatically(t *testing.T) {
	stages := parseDockerfile(t, "../Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	buildVars, env := stageVars(t, build), stageVars(t, final)

	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := goLine.FindSubmatch(gomod)
	if goVersion == nil || !strings.HasPrefix(build.BaseName, "golang:"+string(goVersion[1])) {
		t.Errorf("build stage FROM %q does not use go.mod's Go %s", build.BaseName, goVersion)
	}
	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") && final.BaseName != "scratch" {
		t.Errorf("runtime stage FROM %q, want distroless static or scratch", final.BaseName)
	}
	deployment := one[appsv1.Deployment](t, loadManifests(t)).Spec.Template.Spec

	t.Run("runtime settings", func(t *testing.T) {
		svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
		info := call(t, http.MethodGet, svc.URL+"/api/config/info", "", "").JSON(t)
		for k := range env {
			if _, ok := info[k]; !ok {
				t.Errorf("ENV %s is not a setting the service knows", k)
			}
		}
		if env["HOST"] != "0.0.0.0" || env["LOG_FORMAT"] != "json" {
			t.Errorf("HOST=%q LOG_FORMAT=%q; want 0.0.0.0 and json", env["HOST"], env["LOG_FORMAT"])
		}
		if v, ok := env["LOG_FILE"]; !ok || v != "" {
			t.Errorf("LOG_FILE must be set and empty (stdout only), got %q (set: %v)", v, ok)
		}
		for _, vars := range []map[string]string{buildVars, env} {
			for k := range vars {
				if secretish(k) {
					t.Errorf("ARG/ENV %s looks like a secret: none may be baked in", k)
				}
			}
		}
		port := env["PORT"]
		if port == "" {
			port = info["PORT"].(map[string]any)["value"].(string)
		}
		if expose := commands[*instructions.ExposeCommand](final); len(expose) != 1 || !exposes(expose[0].Ports, port) {
			t.Errorf("EXPOSE %v does not include PORT %s", expose, port)
		}
		if http := containerPorts(deployment.Containers[0])["http"]; strconv.Itoa(http) != port {
			t.Errorf("image PORT %s, Deployment containerPort %d", port, http)
		}
	})

	t.Run("numeric non-root user", func(t *testing.T) {
		users := commands[*instructions.UserCommand](final)
		if len(users) != 1 {
			t.Fatalf("USER %v, want exactly one", users)
		}
		uid, gid, _ := strings.Cut(users[0].User, ":")
		u, err1 := strconv.Atoi(uid)
		_, err2 := strconv.Atoi(gid)
		if err1 != nil || err2 != nil || u == 0 {
			t.Fatalf("USER %q: want numeric uid:gid, not root, so runAsNonRoot can verify it", users[0].User)
		}
		if sc := deployment.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser != int64(u) {
			t.Errorf("Deployment runAsUser %d, image USER %d", *sc.RunAsUser, u)
		}
	})

	t.Run("its own go build line makes a static binary", func(t *testing.T) {
		var line string
		for _, r := range commands[*instructions.RunCommand](build) {
			if l := strings.Join(r.CmdLine, " "); strings.Contains(l, "go build") {
				line = l // its --mount flags are parsed off
			}
		}
		if line == "" || !strings.Contains(line, "CGO_ENABLED=0") {
			t.Fatalf("no RUN with go build and CGO_ENABLED=0 in the build stage: %q", line)
		}
		for _, cp := range commands[*instructions.CopyCommand](build) {
			for _, f := range cp.SourcePaths {
				if _, err := os.Stat(filepath.Join("..", f)); err != nil {
					t.Errorf("COPY %s: %v", f, err)
				}
			}
		}
		out := filepath.Join(t.TempDir(), "aoai-api")
		line = outputArg.ReplaceAllString(line, "-o "+out)
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = ".." // the build context, which WORKDIR /src receives
		cmd.Env = os.Environ()
		vars := maps.Clone(buildVars)
		for _, arg := range []string{"VERSION", "REVISION"} {
			if _, ok := vars[arg]; !ok {
				t.Errorf("the build stage lacks ARG %s", arg)
			}
		}
		// As docker build --build-arg would set them, and BuildKit's own.
		vars["VERSION"], vars["REVISION"], vars["TARGETOS"], vars["TARGETARCH"] = "v9.9.9-image", "abc1234", "linux", runtime.GOARCH
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, b)
		}
		f, err := elf.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("the binary has a %s program header: it is dynamically linked and would not run on distroless static", p.Type)
			}
		}
		if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
			t.Error("the binary has a .dynamic or .interp section")
		}

		// The -X paths must name real variables, or the stamp is silently lost.
		svc := startBinary(t, out, t.TempDir(), map[string]string{"LLM_PROVIDER": "fake"})
		if v := call(t, http.MethodGet, svc.URL+"/api/", "", "").JSON(t)["version"]; v != "v9.9.9-image" {
			t.Errorf("version = %v, want the VERSION build arg", v)
		}
		if m := call(t, http.MethodGet, svc.URL+"/metrics", "", ""); !strings.Contains(string(m.Body), `aoai_api_build_info{revision="abc1234",version="v9.9.9-image"} 1`) {
			t.Error("aoai_api_build_info does not carry the REVISION and VERSION build args")
		}
	})
}

// secretish names a variable that would hold a credential.
func secretish(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// exposes reports whether an EXPOSE list has port, with or without /tcp.
func exposes(list []string, port string) bool {
	for _, x := range list {
		if strings.TrimSuffix(x, "/tcp") == port {
			return true
		}
	}
	return false
}
