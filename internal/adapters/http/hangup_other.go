//go:build !linux

package http

import "syscall"

// Elsewhere a departed client is noticed as net/http notices it: when it
// reads EOF, or when a write fails.
const canPollHangUp = false

func peerHungUp(syscall.RawConn) bool { return false }
