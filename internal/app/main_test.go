package app

import (
	"os"
	"testing"
)

// TestMain sets the process-wide library settings as main does.
func TestMain(m *testing.M) {
	SetGlobals()
	os.Exit(m.Run())
}
