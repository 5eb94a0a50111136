package http

import (
	"strconv"
	"testing"
)

func TestCallerSlotsBoundEachCallerAndForgetIdleOnes(t *testing.T) {
	s := newCallerSlots(2)
	for i := range 2 {
		if !s.acquire("a") {
			t.Fatalf("call %d refused within the bound", i)
		}
	}
	if s.acquire("a") {
		t.Error("a third call in flight was admitted")
	}
	if !s.acquire("b") {
		t.Error("another caller shares the bound")
	}
	s.release("a")
	if !s.acquire("a") {
		t.Error("a released slot is not free again")
	}
	for range 2 {
		s.release("a")
	}
	s.release("b")
	for i := range 1000 { // a flood of callers, each with one short call
		c := strconv.Itoa(i)
		s.acquire(c)
		s.release(c)
	}
	if n := len(s.inFlight); n != 0 {
		t.Errorf("%d entries kept with nothing in flight; want none", n)
	}
}
