package test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// net/http stops watching a connection once it has read a byte of the
// next, pipelined, request, so it misses the client's leaving. The
// service polls the socket for the hang-up while the model call runs,
// and cancels the upstream call as for any departed client.
func TestPipelinedByteDoesNotHideAHangUp(t *testing.T) {
	arrived, cancelled := make(chan struct{}, 1), make(chan struct{}, 1)
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		arrived <- struct{}{}
		<-req.Context.Done() // a model that answers only when it is given up on
		cancelled <- struct{}{}
	})
	svc := startService(t, azureEnv(up)) // UPSTREAM_TIMEOUT stays 120 s

	conn := dial(t, svc.URL)
	body := `{"prompt":"then leave"}`
	fmt.Fprintf(conn, "POST /api/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
	if _, err := conn.Write([]byte("G")); err != nil { // the first byte of a next request
		t.Fatal(err)
	}
	_ = conn.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("the upstream call kept running after the client left")
	}
}
