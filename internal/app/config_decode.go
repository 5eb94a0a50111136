package app

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeSetting sets field from raw by envconfig's rules for the kinds
// Config uses, so a value means the same in .env as exported:
// TestFileValuesDecodeAsEnvconfigDecodesThem holds the two together.
// envconfig itself reads only the process environment, and loading the
// file by writing that environment would be a side effect.
func decodeSetting(field reflect.Value, raw string) error {
	switch field.Kind() {
	case reflect.String:
		field.SetString(raw)
	case reflect.Int, reflect.Int64:
		var n int64
		var err error
		if field.Type() == reflect.TypeFor[time.Duration]() {
			var d time.Duration
			d, err = time.ParseDuration(raw)
			n = int64(d)
		} else {
			n, err = strconv.ParseInt(raw, 0, field.Type().Bits())
		}
		if err != nil {
			return err
		}
		field.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		field.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		field.SetBool(b)
	case reflect.Slice: // []string
		list := []string{}
		if strings.TrimSpace(raw) != "" {
			list = strings.Split(raw, ",")
		}
		field.Set(reflect.ValueOf(list))
	default:
		panic("decodeSetting: Config has a field of kind " + field.Kind().String() + "; teach it that kind")
	}
	return nil
}

// typeName spells a field's type as envconfig's ParseError does.
func typeName(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "time.Duration"
	}
	return t.Kind().String()
}
