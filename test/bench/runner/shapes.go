package main

import "time"

// shape is one load pattern from the performance issue.
type shape struct {
	name       string
	conns      int
	delay      time.Duration // upstream's wait before a whole answer
	size       int           // answer bytes
	stream     bool
	chunks     int
	chunkDelay time.Duration
	features   bool // the feature rows (pool, Redis, tracing) run here too
}

var shapes = []shape{
	{name: "upstream delay 0, 1 connection", conns: 1, size: 64},
	{name: "upstream delay 0, 16 connections", conns: 16, size: 64, features: true},
	{name: "upstream delay 0, 64 connections", conns: 64, size: 64, features: true},
	{name: "upstream delay 50 ms, 256 connections", conns: 256, delay: 50 * time.Millisecond, size: 64},
	{name: "stream 200 chunks x 5 ms, 64 connections", conns: 64, stream: true, size: 2000, chunks: 200, chunkDelay: 5 * time.Millisecond},
	{name: "stream 1 MB answer (200 chunks x 5 ms), 64 connections", conns: 64, stream: true, size: 1 << 20, chunks: 200, chunkDelay: 5 * time.Millisecond},
}
