package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func settingOf(t *testing.T, res Resolved, key string) Setting {
	t.Helper()
	for _, s := range res.Settings {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no setting %s in %v", key, res.Settings)
	return Setting{}
}

func TestSourcePrecedence(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		dotenv     string // "" writes no .env
		key        string
		wantValue  string
		wantSource Source
	}{
		{"env over file", map[string]string{"AZURE_OPENAI_ENDPOINT": "https://env"},
			"AZURE_OPENAI_ENDPOINT=https://file\n", "AZURE_OPENAI_ENDPOINT", "https://env", SourceEnv},
		{"empty env over file", map[string]string{"SYSTEM_PROMPT": ""},
			"SYSTEM_PROMPT=Be brief.\n", "SYSTEM_PROMPT", "", SourceEnv},
		{"file over default", nil,
			"AZURE_OPENAI_API_VERSION=2024-06-01\n", "AZURE_OPENAI_API_VERSION", "2024-06-01", SourceFile},
		{"file fills what env lacks", map[string]string{"HOST": "0.0.0.0"},
			"HOST=10.0.0.1\nPORT=8080\n", "PORT", "8080", SourceFile},
		{"env over default", map[string]string{"LOG_FORMAT": "json"}, "", "LOG_FORMAT", "json", SourceEnv},
		{"default over absent", nil, "OTHER=1\n", "AZURE_OPENAI_API_VERSION", "2024-10-21", SourceDefault},
		{"absent", nil, "", "AZURE_OPENAI_DEPLOYMENT_NAME", "", SourceAbsent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			dir := t.TempDir()
			if tt.dotenv != "" {
				writeFile(t, filepath.Join(dir, ".env"), tt.dotenv)
			}
			res, err := loadFrom(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			s := settingOf(t, res, tt.key)
			if s.Value != tt.wantValue || s.Source != tt.wantSource {
				t.Errorf("%s = %q from %s, want %q from %s", tt.key, s.Value, s.Source, tt.wantValue, tt.wantSource)
			}
		})
	}
}

func TestFileValuesReachTheTypedConfig(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "PORT=8081\nUPSTREAM_TIMEOUT=90s\nMAX_BODY_BYTES=1024\n")
	res, err := loadFrom(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.Port != 8081 || c.UpstreamTimeout.String() != "1m30s" || c.MaxBodyBytes != 1024 {
		t.Errorf("config = %+v", c)
	}
}

func TestSecretsAreReportedOnlyAsSet(t *testing.T) {
	isolate(t)
	t.Setenv("AZURE_OPENAI_API_KEY", "sk-from-env")
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	key, v1 := settingOf(t, res, "AZURE_OPENAI_API_KEY"), settingOf(t, res, "AZURE_OPENAI_API_KEY_V1")
	if key != (Setting{Key: "AZURE_OPENAI_API_KEY", Source: SourceEnv, Secret: true, Set: true}) {
		t.Errorf("key setting = %+v", key)
	}
	if v1 != (Setting{Key: "AZURE_OPENAI_API_KEY_V1", Source: SourceAbsent, Secret: true}) {
		t.Errorf("v1 setting = %+v", v1)
	}
	for _, s := range res.Settings {
		if strings.Contains(s.Value, "sk-from-env") {
			t.Errorf("%s carries the secret", s.Key)
		}
	}
}

func TestKeyFallsBackToV1FromTheFile(t *testing.T) {
	tests := []struct {
		name, envKey, want string
	}{
		{"only the file's V1", "", "sk-v1-file"},
		{"an exported key wins over V1", "sk-env", "sk-env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			if tt.envKey != "" {
				t.Setenv("AZURE_OPENAI_API_KEY", tt.envKey)
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, ".env"), "AZURE_OPENAI_API_KEY_V1=sk-v1-file\n")
			res, err := loadFrom(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Config.azureKey(); got != tt.want {
				t.Errorf("azureKey = %q, want %q", got, tt.want)
			}
			if v1 := settingOf(t, res, "AZURE_OPENAI_API_KEY_V1"); v1.Source != SourceFile || !v1.Set {
				t.Errorf("V1 = %+v, want set from file", v1)
			}
			if !strings.Contains(strings.Join(res.Config.missingAzure(), ","), "ENDPOINT") ||
				strings.Contains(strings.Join(res.Config.missingAzure(), ","), "API_KEY") {
				t.Errorf("missing = %v: the V1 key must count as the key", res.Config.missingAzure())
			}
		})
	}
}

func TestEnvFileNamesTheFileAndSkipsTheSearch(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "AZURE_OPENAI_DEPLOYMENT_NAME=from-dotenv\nHOST=0.0.0.0\n")
	named := filepath.Join(t.TempDir(), "prod.env")
	writeFile(t, named, "AZURE_OPENAI_DEPLOYMENT_NAME=from-named\n")
	t.Setenv("ENV_FILE", named)
	res, err := loadFrom(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.EnvFile != named {
		t.Errorf("EnvFile = %q, want %q", res.EnvFile, named)
	}
	if s := settingOf(t, res, "AZURE_OPENAI_DEPLOYMENT_NAME"); s.Value != "from-named" || s.Source != SourceFile {
		t.Errorf("deployment = %+v", s)
	}
	if s := settingOf(t, res, "HOST"); s.Source != SourceDefault {
		t.Errorf("HOST = %+v: the searched .env must be ignored when ENV_FILE is set", s)
	}
}

func TestEnvFileRelativeToTheWorkingDirectory(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "conf", "dev.env"), "LOG_LEVEL=DEBUG\n")
	t.Setenv("ENV_FILE", "conf/dev.env")
	res, err := loadFrom(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := settingOf(t, res, "LOG_LEVEL"); s.Value != "DEBUG" || s.Source != SourceFile {
		t.Errorf("LOG_LEVEL = %+v", s)
	}
}

func TestMissingEnvFileNamedByEnvFileStopsStartup(t *testing.T) {
	isolate(t)
	missing := filepath.Join(t.TempDir(), "nope.env")
	t.Setenv("ENV_FILE", missing)
	_, err := load(t)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("err = %v, want one naming %s", err, missing)
	}
}

func TestEnvFileFoundWalkingUpward(t *testing.T) {
	isolate(t)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".env"), "AZURE_OPENAI_DEPLOYMENT_NAME=root\nHOST=0.0.0.0\n")
	nested := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(filepath.Join(nested, ".env"), 0o755); err != nil { // a directory named .env is no file
		t.Fatal(err)
	}
	res, err := loadFrom(t, nested)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, ".env"); res.EnvFile != want {
		t.Errorf("EnvFile = %q, want %q", res.EnvFile, want)
	}
	if s := settingOf(t, res, "AZURE_OPENAI_DEPLOYMENT_NAME"); s.Value != "root" || s.Source != SourceFile {
		t.Errorf("deployment = %+v", s)
	}

	// The nearest file wins, whole: keys only in a farther one are not merged.
	writeFile(t, filepath.Join(root, "a", ".env"), "AZURE_OPENAI_DEPLOYMENT_NAME=nearer\n")
	isolate(t)
	res, err = loadFrom(t, nested)
	if err != nil {
		t.Fatal(err)
	}
	if s := settingOf(t, res, "AZURE_OPENAI_DEPLOYMENT_NAME"); s.Value != "nearer" {
		t.Errorf("deployment = %+v, want the nearer file's", s)
	}
	if s := settingOf(t, res, "HOST"); s.Source != SourceDefault {
		t.Errorf("HOST = %+v, want the default: only the nearest file is read", s)
	}
}

func TestNoEnvFileIsNormal(t *testing.T) {
	isolate(t)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.EnvFile != "" {
		t.Errorf("EnvFile = %q, want none", res.EnvFile)
	}
	for _, s := range res.Settings {
		if s.Source != SourceDefault && s.Source != SourceAbsent {
			t.Errorf("%s from %s with nothing exported and no file", s.Key, s.Source)
		}
	}
}

func TestMalformedEnvFileNamesFileAndLineWithoutSecrets(t *testing.T) {
	tests := []struct {
		name, content, line string
	}{
		{"not a setting", "HOST=0.0.0.0\nthis is not a setting\nAZURE_OPENAI_API_KEY=sk-MALFORMED-1\n", "line 2"},
		{"bad key character", "# comment\n\nHOST=0.0.0.0\nBAD-KEY=1\nAZURE_OPENAI_API_KEY=sk-MALFORMED-1\n", "line 4"},
		{"unterminated quote", "HOST=0.0.0.0\r\nPORT=1\r\nAZURE_OPENAI_API_KEY=\"sk-MALFORMED-1\r\n", "line 3"},
		{"no name", "HOST=0.0.0.0\n=sk-MALFORMED-1\n", "no variable name"},
		{"last line without =", "HOST=0.0.0.0\nskMALFORMED", "no variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			dir := t.TempDir()
			path := filepath.Join(dir, ".env")
			writeFile(t, path, tt.content)
			_, err := loadFrom(t, dir)
			if err == nil {
				t.Fatal("a malformed .env must stop start-up")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tt.line) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line naming %s and %s", msg, path, tt.line)
			}
			if strings.Contains(msg, "sk-MALFORMED") || strings.Contains(msg, "skMALFORMED") {
				t.Errorf("err = %q quotes the secret", msg)
			}
		})
	}
}
