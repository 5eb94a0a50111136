package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/joho/godotenv"
)

// envFileVar names a .env file explicitly and turns the upward search off.
const envFileVar = "ENV_FILE"

// findEnvFile returns ENV_FILE when it is set, else the first .env found
// walking upward from dir to the root, else "". A missing .env is normal.
func findEnvFile(dir string) (string, error) {
	if p := os.Getenv(envFileVar); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return p, nil // a named file that is missing fails when read
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".env")
		info, err := os.Stat(p)
		switch {
		case err == nil && !info.IsDir():
			return p, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("env file: %w", err)
		}
		if filepath.Dir(d) == d {
			return "", nil
		}
	}
}

// readEnvFile parses path with godotenv, which leaves the process
// environment alone, so that precedence stays ours to apply.
func readEnvFile(path string) (map[string]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err) // the os error names the path
	}
	vars, err := godotenv.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, malformedEnvFile(path, src, err)
	}
	if _, ok := vars[""]; ok { // godotenv reads a last line without '=' as a value for no name
		return nil, fmt.Errorf("malformed env file %s: a line has no variable name", path)
	}
	return vars, nil
}

// malformedEnvFile names the file and the line. godotenv's own message
// quotes the rest of the file, secrets included, so only its reason is
// kept and the quoted text serves to find the line.
func malformedEnvFile(path string, src []byte, err error) error {
	reason, quoted := err.Error(), ""
	if before, after, ok := strings.Cut(reason, " near "); ok {
		reason = before
		quoted, _ = strconv.Unquote(after)
	} else if after, ok := strings.CutPrefix(reason, "unterminated quoted value "); ok {
		reason, quoted = "unterminated quoted value", after
	}
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")) // as godotenv reads it
	if i := bytes.LastIndex(src, []byte(quoted)); quoted != "" && i >= 0 {
		return fmt.Errorf("malformed env file %s, line %d: %s", path, bytes.Count(src[:i], []byte("\n"))+1, reason)
	}
	return fmt.Errorf("malformed env file %s: %s", path, reason)
}
