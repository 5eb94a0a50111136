package http

import (
	"context"
	"testing"
	"time"
)

// As net/http does, the server has read the first byte of a next
// request; the client then leaves with another byte still unread. Bytes
// alone are no hang-up; the close is seen although data is pending.
func TestPeerHungUpSeesAClientThatLeftBytesBehind(t *testing.T) {
	server, client := tcpPair(t, connLimits{})
	rc := rawConn(server)
	if rc == nil {
		t.Fatal("no socket under the wrapped connection")
	}
	if _, err := client.Write([]byte("GE")); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if peerHungUp(rc) {
		t.Fatal("a connected client with a byte pending counts as hung up")
	}
	_ = client.Close()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond) // polling the kernel, as the watcher does
	defer tick.Stop()
	for !peerHungUp(rc) {
		if time.Now().After(deadline) {
			t.Fatal("the closed client is not seen")
		}
		<-tick.C
	}
}

// The watch re-arms its timer until the client leaves, then cancels the
// request; stopping it ends the polls.
func TestHangUpWatchCancelsWhenTheClientLeaves(t *testing.T) {
	server, client := tcpPair(t, connLimits{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &hangUpWatch{rc: rawConn(server), every: time.Millisecond, cancel: cancel}
	w.start()
	defer w.stop()
	_ = client.Close()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the departed client was not noticed")
	}
}

func TestHangUpWatchStopsPolling(t *testing.T) {
	server, _ := tcpPair(t, connLimits{})
	w := &hangUpWatch{rc: rawConn(server), every: time.Millisecond, cancel: func() { t.Error("cancelled a connected client") }}
	w.start()
	w.stop()
	if w.timer.Stop() {
		t.Fatal("the timer was still armed after stop")
	}
}
