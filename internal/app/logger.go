package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
)

// SetGlobals makes the process-wide settings of the libraries the
// service uses: zerolog's field names, which follow the reference's JSON
// example (ts, level, msg, its upper-case level names), and Gin's release
// mode. main calls it once before Run, so that no constructor writes a
// global behind its caller's back.
func SetGlobals() {
	zerolog.TimestampFieldName = "ts"
	zerolog.MessageFieldName = "msg"
	zerolog.TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"
	zerolog.TimestampFunc = func() time.Time { return time.Now().UTC() }
	zerolog.DurationFieldUnit = time.Millisecond
	zerolog.LevelFieldMarshalFunc = pythonLevelName
	gin.SetMode(gin.ReleaseMode)
}

// newLogger builds the process logger writing every line to each of
// outs, with secrets redacted.
func newLogger(level, format string, secrets *secretValues, outs ...io.Writer) zerolog.Logger {
	lvl, _ := parseLevel(level) // validated with the config
	w := outs[0]
	if len(outs) > 1 {
		w = zerolog.MultiLevelWriter(outs...) // one failing output does not silence the others
	}
	if f, _ := parseFormat(format); f == "text" {
		// Client text reaches the message ("GET <path> 404") as well as
		// the fields, and the writer's defaults print messages raw.
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: true,
			FormatMessage: textMessage, FormatFieldValue: textValue, FormatErrFieldValue: textValue}
	}
	return zerolog.New(scrubWriter{out: w, secrets: secrets}).Level(lvl).With().Timestamp().Logger()
}

// pythonLevelName writes levels as the reference's logging module does,
// from names spelt once: it runs for every line.
func pythonLevelName(l zerolog.Level) string {
	switch l {
	case zerolog.DebugLevel:
		return "DEBUG"
	case zerolog.InfoLevel:
		return "INFO"
	case zerolog.WarnLevel:
		return "WARNING"
	case zerolog.ErrorLevel:
		return "ERROR"
	case zerolog.FatalLevel:
		return "CRITICAL"
	}
	return strings.ToUpper(l.String())
}

// parseLevel accepts Python's spellings too, since operators bring them
// over from the reference.
func parseLevel(s string) (zerolog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return zerolog.DebugLevel, nil
	case "INFO", "":
		return zerolog.InfoLevel, nil
	case "WARN", "WARNING":
		return zerolog.WarnLevel, nil
	case "ERROR":
		return zerolog.ErrorLevel, nil
	case "CRITICAL", "FATAL":
		return zerolog.FatalLevel, nil
	}
	return zerolog.NoLevel, fmt.Errorf("invalid LOG_LEVEL=%q: want DEBUG, INFO, WARNING or ERROR", s)
}

func parseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "json", "text":
		return f, nil
	case "":
		return "text", nil
	}
	return "", fmt.Errorf("invalid LOG_FORMAT=%q: want json or text", s)
}
