package http

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docRows are the rows of the docs table that starts with header.
func docRows(t *testing.T, doc, header string) map[string][2]string {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i := strings.Index(text, header)
	if i < 0 {
		t.Fatalf("%s has no table headed %q", doc, header)
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\| (\\w+) \\| (.*) \\|$")
	rows := map[string][2]string{}
	for _, line := range strings.Split(text[i:], "\n")[2:] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			break
		}
		rows[m[1]] = [2]string{m[2], m[3]}
	}
	return rows
}

// TestDocsShowTheParameterTable holds docs/openai.md to v1ChatParams:
// the docs are the table users read, the code the one that runs.
func TestDocsShowTheParameterTable(t *testing.T) {
	rows := docRows(t, "../../../docs/openai.md", "| parameter | what becomes of it | notes |")
	if len(rows) != len(v1ChatParams) {
		t.Errorf("docs list %d parameters, the code %d", len(rows), len(v1ChatParams))
	}
	for _, p := range v1ChatParams {
		got, ok := rows[p.name]
		if !ok || got[0] != string(p.does) || got[1] != p.why {
			t.Errorf("docs row for %s = %q, want %s | %s", p.name, got, p.does, p.why)
		}
	}
}

// TestEveryRefusedRowIsRefusedWithItsReason sends each refused row set
// to something other than null: each must decode (so it is not refused
// as unknown) and be refused with the table's reason.
func TestEveryRefusedRowIsRefusedWithItsReason(t *testing.T) {
	for _, p := range v1ChatParams {
		if p.does != refused {
			continue
		}
		var req v1ChatRequest
		body := `{"model":"m","messages":[{"role":"user","content":"x"}],"` + p.name + `":[1]}`
		if err := parseBody([]byte(body), &req); err != nil {
			t.Errorf("%s does not decode: %v", p.name, err)
			continue
		}
		_, err := req.input(func(string) bool { return true })
		if err == nil || !strings.Contains(err.Error(), p.why) {
			t.Errorf("%s: %v, want refused with %q", p.name, err, p.why)
		}
		req = v1ChatRequest{}
		_ = parseBody([]byte(strings.Replace(body, "[1]", "null", 1)), &req)
		if _, err := req.input(func(string) bool { return true }); err != nil {
			t.Errorf("%s: null refused: %v", p.name, err)
		}
	}
}
