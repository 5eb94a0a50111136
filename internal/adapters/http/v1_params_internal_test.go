package http

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docRows are the rows of the first table after heading in doc.
func docRows(t *testing.T, doc, heading string) map[string][2]string {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("%s has no heading %q", doc, heading)
	}
	i += strings.Index(text[i:], "\n| parameter | what becomes of it | notes |") + 1
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

// TestDocsShowTheParameterTables holds docs/openai.md to the tables in
// code: the docs are the tables users read, the code the ones that run.
func TestDocsShowTheParameterTables(t *testing.T) {
	for heading, table := range map[string][]param{
		"## Chat completions: what is forwarded, translated and refused": v1ChatParams,
		"## Responses: what is translated and refused":                   responsesParams,
	} {
		rows := docRows(t, "../../../docs/openai.md", heading)
		if len(rows) != len(table) {
			t.Errorf("%s: docs list %d parameters, the code %d", heading, len(rows), len(table))
		}
		for _, p := range table {
			got, ok := rows[p.name]
			if !ok || got[0] != string(p.does) || got[1] != p.why {
				t.Errorf("%s: docs row for %s = %q, want %s | %s", heading, p.name, got, p.does, p.why)
			}
		}
	}
}

// TestEveryRefusedRowIsRefusedWithItsReason sends each refused row set
// to something other than null: each must decode (so it is not refused
// as unknown) and be refused with the table's reason; null must pass.
func TestEveryRefusedRowIsRefusedWithItsReason(t *testing.T) {
	served := func(string) bool { return true }
	surfaces := []struct {
		table []param
		body  string
		check func(body string) error
	}{
		{v1ChatParams, `{"model":"m","messages":[{"role":"user","content":"x"}],"%s":%s}`, func(body string) error {
			var req v1ChatRequest
			if err := parseBody([]byte(body), &req); err != nil {
				return err
			}
			_, err := req.input(served)
			return err
		}},
		{responsesParams, `{"model":"m","input":"x","%s":%s}`, func(body string) error {
			var req responsesRequest
			if err := parseBody([]byte(body), &req); err != nil {
				return err
			}
			_, _, err := req.input(served)
			return err
		}},
	}
	for _, s := range surfaces {
		for _, p := range s.table {
			if p.does != refused {
				continue
			}
			if err := s.check(fmt.Sprintf(s.body, p.name, "[1]")); err == nil || !strings.Contains(err.Error(), p.why) {
				t.Errorf("%s: %v, want refused with %q", p.name, err, p.why)
			}
			if err := s.check(fmt.Sprintf(s.body, p.name, "null")); err != nil {
				t.Errorf("%s: null refused: %v", p.name, err)
			}
		}
	}
}

// TestEveryRefusedMemberHasARow keeps the structs the refused rows
// decode into and the tables in step: a member without a row would be
// refused without its reason.
func TestEveryRefusedMemberHasARow(t *testing.T) {
	for _, s := range []struct {
		rows  any
		table []param
	}{{v1Refused{}, v1ChatParams}, {responsesRefused{}, responsesParams}} {
		typ := reflect.TypeOf(s.rows)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !slices.ContainsFunc(s.table, func(p param) bool { return p.name == name && p.does == refused }) {
				t.Errorf("%s.%s decodes %q, which its table does not list as refused", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}
