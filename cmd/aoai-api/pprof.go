//go:build pprof

package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// A build made with -tags pprof serves the runtime profiles on
// AOAI_PPROF_ADDR, apart from the service's own listener, so that
// `make bench` can profile the service under its own load. Release
// builds leave this file out and carry no profiling route.
func init() {
	addr := os.Getenv("AOAI_PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.Serve(ln, mux) }()
}
