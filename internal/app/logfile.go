package app

import (
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
)

// openLogger builds the process logger on stdout and, unless LOG_FILE is
// empty, on that file too. A file that cannot be opened is reported once
// and the service goes on with stdout alone: losing the file must not
// stop serving. The returned func closes the file, flushing it.
func openLogger(stdout io.Writer, cfg Config) (zerolog.Logger, func()) {
	if cfg.LogFile == "" {
		return newLogger(cfg.LogLevel, cfg.LogFormat, cfg.logSecrets, stdout), func() {}
	}
	f, err := openLogFile(cfg.LogFile)
	if err != nil {
		log := newLogger(cfg.LogLevel, cfg.LogFormat, cfg.logSecrets, stdout)
		log.Error().Err(err).Str("log_file", cfg.LogFile).Msg("cannot open the log file; logging to stdout only")
		return log, func() {}
	}
	return newLogger(cfg.LogLevel, cfg.LogFormat, cfg.logSecrets, stdout, f), func() { _ = f.Close() }
}

// openLogFile appends to path, creating its directory as the reference does.
func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}
