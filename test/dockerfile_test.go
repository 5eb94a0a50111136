package test

import (
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// dockerStage is one FROM and the instructions under it.
type dockerStage struct {
	from string
	ins  []dockerInstruction
}

type dockerInstruction struct {
	cmd  string // upper case: RUN, ENV, …
	args string
}

// parseDockerfile reads the subset of the syntax this repository uses:
// comments, line continuations and one instruction per logical line.
func parseDockerfile(t *testing.T, path string) []dockerStage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages []dockerStage
	var logical strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && logical.Len() == 0) {
			continue // Docker drops comment lines, even inside a continuation
		}
		if strings.HasSuffix(trimmed, "\\") {
			logical.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		logical.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(logical.String()), " ")
		logical.Reset()
		in := dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, dockerStage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s before the first FROM", in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	return stages
}

// all returns the arguments of every cmd instruction in the stage.
func (s dockerStage) all(cmd string) []string {
	var out []string
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// vars collects ARG defaults and ENV values as KEY=VALUE, in order.
func (s dockerStage) vars(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range s.ins {
		if in.cmd != "ARG" && in.cmd != "ENV" {
			continue
		}
		for _, w := range shellWords(in.args) {
			k, v, ok := strings.Cut(w, "=")
			if !ok && in.cmd == "ENV" {
				t.Fatalf("ENV %q: use the KEY=VALUE form", in.args)
			}
			out[k] = v
		}
	}
	return out
}

// shellWords splits on blanks outside quotes and removes the quotes.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

var (
	runFlags  = regexp.MustCompile(`^(--\S+\s+)+`)
	outputArg = regexp.MustCompile(`-o\s+\S+`)
	goLine    = regexp.MustCompile(`(?m)^go (\S+)$`)
)

func TestDockerfileAgreesWithTheBinaryAndBuildsStatically(t *testing.T) {
	stages := parseDockerfile(t, "../Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := goLine.FindSubmatch(gomod)
	if goVersion == nil || !strings.Contains(build.from, "golang:"+string(goVersion[1])) {
		t.Errorf("build stage FROM %q does not use go.mod's Go %s", build.from, goVersion)
	}
	if !strings.Contains(final.from, "gcr.io/distroless/static") && !strings.HasPrefix(final.from, "scratch") {
		t.Errorf("runtime stage FROM %q, want distroless static or scratch", final.from)
	}

	t.Run("runtime settings", func(t *testing.T) {
		env := final.vars(t)
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
		for k := range build.vars(t) {
			if secretish(k) {
				t.Errorf("build ARG/ENV %s looks like a secret: none may be baked in", k)
			}
		}
		for k := range env {
			if secretish(k) {
				t.Errorf("ENV %s looks like a secret: none may be baked in", k)
			}
		}
		port := env["PORT"]
		if port == "" {
			port = info["PORT"].(map[string]any)["value"].(string)
		}
		if expose := final.all("EXPOSE"); len(expose) != 1 || !exposes(shellWords(expose[0]), port) {
			t.Errorf("EXPOSE %v does not include PORT %s", expose, port)
		}
		d := one[appsv1.Deployment](t, loadManifests(t))
		if http := containerPorts(d.Spec.Template.Spec.Containers[0])["http"]; strconv.Itoa(http) != port {
			t.Errorf("image PORT %s, Deployment containerPort %d", port, http)
		}
	})

	t.Run("numeric non-root user", func(t *testing.T) {
		users := final.all("USER")
		if len(users) != 1 {
			t.Fatalf("USER %v, want exactly one", users)
		}
		uid, gid, _ := strings.Cut(users[0], ":")
		u, err1 := strconv.Atoi(uid)
		_, err2 := strconv.Atoi(gid)
		if err1 != nil || err2 != nil || u == 0 {
			t.Fatalf("USER %q: want numeric uid:gid, not root, so runAsNonRoot can verify it", users[0])
		}
		d := one[appsv1.Deployment](t, loadManifests(t))
		if sc := d.Spec.Template.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser != int64(u) {
			t.Errorf("Deployment runAsUser %d, image USER %d", *sc.RunAsUser, u)
		}
	})

	t.Run("its own go build line makes a static binary", func(t *testing.T) {
		var line string
		for _, r := range build.all("RUN") {
			if strings.Contains(r, "go build") {
				line = runFlags.ReplaceAllString(r, "") // BuildKit's --mount flags
			}
		}
		if line == "" || !strings.Contains(line, "CGO_ENABLED=0") {
			t.Fatalf("no RUN with go build and CGO_ENABLED=0 in the build stage: %q", line)
		}
		for _, src := range build.all("COPY") {
			for _, f := range shellWords(src)[:len(shellWords(src))-1] {
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
		vars := build.vars(t)
		for _, arg := range []string{"VERSION", "REVISION"} {
			if _, ok := vars[arg]; !ok {
				t.Errorf("the build stage lacks ARG %s", arg)
			}
		}
		// As docker build --build-arg would set them, and BuildKit's own.
		vars["VERSION"], vars["REVISION"], vars["TARGETOS"], vars["TARGETARCH"] = "v9.9.9-image", "abc1234", "linux", runtime.GOARCH
		for k, v := range vars { // RUN sees ARGs and ENVs as its environment
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
