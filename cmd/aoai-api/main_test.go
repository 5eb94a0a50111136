package main

import (
	"syscall"
	"testing"
	"time"
)

// SIGHUP's default action ends the process: this test's own process
// survives only because reloadOnSignal caught it.
func TestSIGHUPAsksForAReloadAndNeverEndsTheProcess(t *testing.T) {
	reload := reloadOnSignal()
	for range 2 {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reload:
		case <-time.After(10 * time.Second): // hang guard
			t.Fatal("SIGHUP did not ask for a reload")
		}
	}
}
