package http

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

// DrainPolicy is how the server leaves on SIGTERM, in the order a
// Kubernetes rollout needs.
type DrainPolicy struct {
	Delay   time.Duration // readiness fails, but the listener stays open while endpoints drop the pod
	Timeout time.Duration // the listener closes; in-flight requests and streams have this long to finish
}

// Limits bound what one client can make the server hold: slow headers
// (slowloris), slow bodies, idle keep-alive connections and huge
// headers. There is no http.Server WriteTimeout: it runs from the
// request's start, so it would cut a slow model's answer and every
// stream at the same age; Write bounds a response from its first byte
// instead, and each event of a stream. Nor does Read reach a long
// answer: net/http clears the read deadline once the body has been read.
type Limits struct {
	ReadHeader     time.Duration
	Read           time.Duration
	Idle           time.Duration
	Write          time.Duration
	MaxHeaderBytes int
}

// Server runs the API listener, and the metrics listener when /metrics
// has a port of its own, and drains them on shutdown.
type Server struct {
	policy   DrainPolicy
	grace    time.Duration // after the deadline, for streams to say why they end
	limits   Limits
	draining chan struct{} // closed when the drain begins; readiness reads it
	log      zerolog.Logger
	after    func(time.Duration) <-chan time.Time // time.After; tests drive it by hand
}

// NewServer prepares the drain.
func NewServer(p DrainPolicy, limits Limits, log zerolog.Logger) *Server {
	return &Server{policy: p, grace: abortGrace, limits: limits, draining: make(chan struct{}), log: log, after: time.After}
}

// Draining is closed when the drain begins, for Options.Draining.
func (s *Server) Draining() <-chan struct{} { return s.draining }

// Listener is one address to serve and what to serve there.
type Listener struct {
	Name    string // in the "listening" log line's msg
	Addr    string
	Handler http.Handler
}

// Serve listens first, so that the bound addresses (port 0 picks a free
// one) are logged before any request can arrive, then serves until ctx
// ends and drains. The first listener is the API, whose connections the
// adapter watches (their raw framing, writes outside a response, a
// hang-up); the others (metrics) keep answering until the API has
// drained, so a scrape during a rollout still works.
func (s *Server) Serve(ctx context.Context, api Listener, others ...Listener) error {
	base, abort := context.WithCancelCause(context.Background())
	defer abort(nil)
	all := append([]Listener{api}, others...)
	servers := make([]*http.Server, len(all))
	lns := make([]net.Listener, len(all))
	for i, l := range all {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			closeAll(lns)
			return fmt.Errorf("listen %s: %w", l.Addr, err)
		}
		lns[i], servers[i] = ln, s.server(l.Handler)
	}
	lns[0] = wrapListener(lns[0], connLimits{MaxHeaderBytes: s.limits.MaxHeaderBytes, WriteTimeout: s.limits.Write})
	servers[0].ConnContext = connContext
	servers[0].BaseContext = func(net.Listener) context.Context { return base }
	lns[0] = &notifyingListener{Listener: lns[0], onClose: func() { s.log.Info().Msg("stopped accepting connections") }}

	errc := make(chan error, len(all))
	for i, l := range all {
		s.log.Info().Str("addr", lns[i].Addr().String()).Msg(l.Name)
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
// and at the deadline cancel every request context with ErrShuttingDown,
// so that streams end with an error event rather than a cut connection.
func (s *Server) drain(api *http.Server, abort context.CancelCauseFunc) {
	close(s.draining)
	s.log.Info().Dur("shutdown_delay", s.policy.Delay).Dur("shutdown_timeout", s.policy.Timeout).
		Msg("draining: readiness now fails; still accepting until the delay ends")
	<-s.after(s.policy.Delay)

	deadline, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := s.after(s.policy.Timeout)
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
	abort(ErrShuttingDown)
	shutdownWithin(api, s.grace)
}

func (s *Server) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.limits.ReadHeader,
		ReadTimeout:       s.limits.Read,
		IdleTimeout:       s.limits.Idle,
		MaxHeaderBytes:    s.limits.MaxHeaderBytes,
		// "OPTIONS *" goes to the handler like any request, so that the
		// adapter sees every request it read on a connection.
		DisableGeneralOptionsHandler: true,
	}
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
