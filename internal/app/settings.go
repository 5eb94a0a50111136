package app

import (
	"fmt"
	"reflect"
	"strings"
)

// Source says where a setting's value came from.
type Source string

const (
	SourceEnv     Source = "env"     // an exported OS environment variable
	SourceFile    Source = "file"    // the .env file
	SourceDefault Source = "default" // the Config struct's default tag
	SourceAbsent  Source = "absent"  // none of them
)

// Setting is one key's effective value and its source. A secret's Value
// is always empty: only whether it is set ever leaves the config.
type Setting struct {
	Key    string
	Value  string
	Source Source
	Secret bool
	Set    bool // the value is not empty
}

// configField is what Config's struct tags say about one setting.
type configField struct {
	index  int
	key    string
	def    string
	secret bool
}

// configFields reads Config's tags, so the struct stays the one list of
// settings and nothing here can drift from it.
func configFields() []configField {
	t := reflect.TypeFor[Config]()
	fields := make([]configField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue // derived state, not a setting
		}
		key := f.Tag.Get("envconfig")
		if key == "" {
			key = f.Name // envconfig's own fallback
		}
		fields = append(fields, configField{
			index:  i,
			key:    strings.ToUpper(key),
			def:    f.Tag.Get("default"),
			secret: f.Tag.Get("secret") == "true",
		})
	}
	return fields
}

// sourceOf applies the precedence envconfig saw: exported env, then the
// file (whose keys were exported only where env lacked them), then the
// default tag.
func (f configField) sourceOf(inEnv map[string]bool, file map[string]string) Source {
	if inEnv[f.key] {
		return SourceEnv
	}
	if _, ok := file[f.key]; ok {
		return SourceFile
	}
	if f.def != "" { // envconfig ignores an empty default too
		return SourceDefault
	}
	return SourceAbsent
}

// settingsOf lists every setting of cfg in declaration order.
func settingsOf(cfg Config, inEnv map[string]bool, file map[string]string) []Setting {
	v := reflect.ValueOf(cfg)
	fields := configFields()
	out := make([]Setting, 0, len(fields))
	for _, f := range fields {
		value := display(v.Field(f.index).Interface())
		s := Setting{Key: f.key, Value: value, Source: f.sourceOf(inEnv, file), Secret: f.secret, Set: value != ""}
		if s.Secret {
			s.Value = ""
		}
		out = append(out, s)
	}
	return out
}

// display shows a value as an operator would type it, URLs masked.
func display(v any) string {
	if list, ok := v.([]string); ok {
		shown := make([]string, len(list))
		for i, s := range list {
			shown[i] = maskURL(s)
		}
		return strings.Join(shown, ",")
	}
	return maskURL(fmt.Sprint(v))
}
