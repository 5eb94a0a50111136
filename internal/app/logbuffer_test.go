package app

import (
	"bytes"
	"sync"
)

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// entry returns the first JSON log line with msg, if any.
func (l *lockedBuffer) entry(msg string) map[string]any {
	if es := l.entries(msg); len(es) > 0 {
		return es[0]
	}
	return nil
}
