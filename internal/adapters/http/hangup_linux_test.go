package http

import (
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
