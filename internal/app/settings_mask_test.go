package app

import (
	"strings"
	"testing"
)

const (
	unitURLPass  = "hunter2-in-the-url"
	unitURLQuery = "query-secret-0123456789"
)

func TestMaskURLHidesUserinfoQueryAndFragment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.openai.com/v1", "https://api.openai.com/v1"},
		{"https://user:pass@llm.example:8443/v1?key=abc#frag", "https://***@llm.example:8443/v1?***#***"},
		{"https://token@llm.example/v1", "https://***@llm.example/v1"},
		{"http://[::1]:11434/v1?", "http://[::1]:11434/v1?***"},
		{"https://user:p%zz@llm.example/v1", "***"}, // does not parse: may hold anything
		{"./logs/app.log", "./logs/app.log"},
		{"You are helpful. See https://x.example/?q=1", "You are helpful. See https://x.example/?q=1"}, // not a URL setting
		{"120s", "120s"},
	}
	for _, tt := range tests {
		if got := maskURL(tt.in); got != tt.want {
			t.Errorf("maskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Masking works on every setting's value, so a URL setting added later
// is covered without anyone remembering to mark it.
func TestEveryURLSettingIsShownMasked(t *testing.T) {
	isolate(t)
	t.Setenv("OPENAI_BASE_URL", "https://user:"+unitURLPass+"@llm.example/v1?key="+unitURLQuery)
	t.Setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/?sig="+unitURLQuery)
	t.Setenv("OPENAI_COMPAT_MODELS", "gpt-4o,https://a:"+unitURLPass+"@x.example")
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"OPENAI_BASE_URL":       "https://***@llm.example/v1?***",
		"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/?***",
		"OPENAI_COMPAT_MODELS":  "gpt-4o,https://***@x.example",
	} {
		if got := settingOf(t, res, key).Value; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if res.Config.OpenAIBaseURL != "https://user:"+unitURLPass+"@llm.example/v1?key="+unitURLQuery {
		t.Error("the adapter must still get the URL as it was set")
	}
	for _, s := range res.Settings {
		if strings.Contains(s.Value, unitURLPass) || strings.Contains(s.Value, unitURLQuery) {
			t.Errorf("%s shows a credential: %q", s.Key, s.Value)
		}
	}
}
