package app

import (
	"testing"

	"github.com/rs/zerolog"
)

// Every level gets the reference's name, spelt as Python's logging does.
func TestPythonLevelNames(t *testing.T) {
	for l, want := range map[zerolog.Level]string{
		zerolog.TraceLevel: "TRACE", zerolog.DebugLevel: "DEBUG", zerolog.InfoLevel: "INFO", zerolog.WarnLevel: "WARNING",
		zerolog.ErrorLevel: "ERROR", zerolog.FatalLevel: "CRITICAL", zerolog.PanicLevel: "PANIC",
	} {
		if got := pythonLevelName(l); got != want {
			t.Errorf("level %v is named %q, want %q", l, got, want)
		}
	}
}
