package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// saveProfiles asks a -tags pprof build at addr for a CPU profile and
// the allocations of the next d, as go tool pprof reads them, and
// returns a wait for both to be written into dir.
func saveProfiles(addr, dir string, d time.Duration) (wait func() error) {
	secs := fmt.Sprint(max(1, int(math.Round(d.Seconds())))) // the handlers take whole seconds
	errs := make(chan error, 2)
	for file, path := range map[string]string{"cpu.pprof": "/debug/pprof/profile", "allocs.pprof": "/debug/pprof/allocs"} {
		go func() { errs <- fetchTo(filepath.Join(dir, file), "http://"+addr+path+"?seconds="+secs) }()
	}
	return func() error {
		return errors.Join(<-errs, <-errs)
	}
}

func fetchTo(file, url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("profile %s: %s: %s", url, resp.Status, body)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
