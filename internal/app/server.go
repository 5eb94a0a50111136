package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// abortGrace is how long open streams get, after the shutdown deadline,
// to send their error event before connections are cut. It fits in the
// slack that terminationGracePeriodSeconds (35s) leaves over the
// defaults SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT (30s).
const abortGrace = 2 * time.Second

// drainPolicy is how the server leaves on SIGTERM, in the order a
// Kubernetes rollout needs.
type drainPolicy struct {
	delay   time.Duration // readiness fails, but the listener stays open while endpoints drop the pod
	timeout time.Duration // the listener closes; in-flight requests and streams have this long to finish
	grace   time.Duration // after the deadline, for streams to say why they end
}

func (c Config) drainPolicy() drainPolicy {
	return drainPolicy{delay: c.ShutdownDelay, timeout: c.ShutdownTimeout, grace: abortGrace}
}

// server runs the API listener, and the metrics listener when /metrics
// has a port of its own, and drains them on shutdown.
type server struct {
	policy   drainPolicy
	limits   serverLimits  // what one client may make each listener hold
	cause    error         // the cause every request context is cancelled with at the deadline
	draining chan struct{} // closed when the drain begins; readiness reads it
	log      zerolog.Logger
	after    func(time.Duration) <-chan time.Time // time.After; tests drive it by hand
}

// newServer prepares the drain; cause is what handlers recognise as
// "the server is going away", as opposed to a client that left.
func newServer(p drainPolicy, limits serverLimits, cause error, log zerolog.Logger) *server {
	return &server{policy: p, limits: limits, cause: cause, draining: make(chan struct{}), log: log, after: time.After}
}

// listener is one address to serve and what to serve there.
type listener struct {
	name string // in the "listening" log line's msg
	addr string
	h    http.Handler
	// wrap, when set, wraps the bound listener, and connContext becomes
	// the server's ConnContext: how a handler sees its connection.
	wrap        func(net.Listener) net.Listener
	connContext func(context.Context, net.Conn) context.Context
}

// serve listens first, so that the bound addresses (port 0 picks a free
// one) are logged before any request can arrive, then serves until ctx
// ends and drains. The first listener is the API; the others (metrics)
// keep answering until the API has drained, so a scrape during a
// rollout still works.
func (s *server) serve(ctx context.Context, api listener, others ...listener) error {
	base, abort := context.WithCancelCause(context.Background())
	defer abort(nil)
	all := append([]listener{api}, others...)
	servers := make([]*http.Server, len(all))
	lns := make([]net.Listener, len(all))
	for i, l := range all {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			closeAll(lns)
			return fmt.Errorf("listen %s: %w", l.addr, err)
		}
		if l.wrap != nil {
			ln = l.wrap(ln)
		}
		lns[i], servers[i] = ln, s.limits.server(l.h)
		servers[i].ConnContext = l.connContext
	}
	servers[0].BaseContext = func(net.Listener) context.Context { return base }
	lns[0] = &notifyingListener{Listener: lns[0], onClose: func() { s.log.Info().Msg("stopped accepting connections") }}

	errc := make(chan error, len(all))
	for i, l := range all {
		s.log.Info().Str("addr", lns[i].Addr().String()).Msg(l.name)
		go func() { errc <- servers[i].Serve(lns[i]) }()
	}
	select {
	case err := <-errc:
		closeServers(servers)
		return err // Serve only returns early on a broken listener
	case <-ctx.Done():
	}
	s.drain(servers[0], abort)
	for _, srv := range servers[1:] {
		shutdownWithin(srv, time.Second)
	}
	for range all {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	s.log.Info().Msg("stopped")
	return nil
}

// drain takes the API server through the policy: fail readiness, keep
// accepting for the delay, stop accepting and wait for in-flight work,
// and at the deadline cancel every request context with s.cause, so that
// streams end with an error event rather than a cut connection.
func (s *server) drain(api *http.Server, abort context.CancelCauseFunc) {
	close(s.draining)
	s.log.Info().Dur("shutdown_delay", s.policy.delay).Dur("shutdown_timeout", s.policy.timeout).
		Msg("draining: readiness now fails; still accepting until the delay ends")
	<-s.after(s.policy.delay)

	deadline, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := s.after(s.policy.timeout)
	go func() {
		select {
		case <-timer:
			cancel()
		case <-deadline.Done():
		}
	}()
	if err := api.Shutdown(deadline); err == nil {
		return
	}
	s.log.Warn().Msg("shutdown deadline passed: ending open requests and streams")
	abort(s.cause)
	shutdownWithin(api, s.policy.grace)
}

// shutdownWithin shuts srv down gracefully for at most d, then cuts
// whatever is left.
func shutdownWithin(srv *http.Server, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
}

// notifyingListener reports its closing once. Shutdown closes listeners
// before it waits for connections, so from this report on, new
// connections are refused while in-flight requests still run.
type notifyingListener struct {
	net.Listener
	once    sync.Once
	onClose func()
}

func (l *notifyingListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(l.onClose)
	return err
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

func closeServers(servers []*http.Server) {
	for _, srv := range servers {
		_ = srv.Close()
	}
}
