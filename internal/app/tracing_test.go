package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// countedDrops records what the metrics adapter would count.
type countedDrops struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *countedDrops) SpansDropped(reason string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[reason] += n
}

func (d *countedDrops) of(reason string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

func mustTracing(t *testing.T, res Resolved, log zerolog.Logger) tracing {
	t.Helper()
	tr, err := newTracing(res, &countedDrops{}, log)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Off, there is nothing to connect with: no provider, so the adapters
// add no middleware, span or header, and the flush does nothing.
// OTEL_SDK_DISABLED wins over an endpoint that a listener would see a
// connection on.
func TestTracingOffHasNoProviderAndConnectsNowhere(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			_ = c.Close()
		}
	}()
	for name, env := range map[string]map[string]string{
		"no endpoint":  nil,
		"SDK disabled": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + ln.Addr().String(), "OTEL_SDK_DISABLED": "true"},
	} {
		t.Run(name, func(t *testing.T) {
			_, res := tracingOf(t, env)
			var logs bytes.Buffer
			tr := mustTracing(t, res, zerolog.New(&logs))
			if tr.Provider != nil {
				t.Fatalf("provider = %T, want none", tr.Provider)
			}
			tr.flush(time.Now().Add(time.Second), zerolog.Nop())
			if !strings.Contains(logs.String(), `"msg":"tracing off"`) {
				t.Errorf("start-up log = %s", logs.String())
			}
		})
	}
	_ = ln.Close()
	select {
	case <-accepted:
		t.Error("something connected to the endpoint although OTEL_SDK_DISABLED=true")
	default:
	}
}

// otlpReceiver is a loopback collector for one protocol; it keeps the
// spans and the headers each export carried.
type otlpReceiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	names   []string // service.name of each resource
	headers []http.Header
	bodies  [][]byte // http/json: kept undecoded
}

func (r *otlpReceiver) keep(req *coltracepb.ExportTraceServiceRequest, h http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, h)
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				r.names = append(r.names, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	if req.Header.Get("Content-Type") == "application/json" {
		r.mu.Lock()
		r.bodies, r.headers = append(r.bodies, body), append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.keep(&msg, req.Header.Clone())
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	*otlpReceiver
}

func (g grpcReceiver) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h := http.Header{}
	for k, v := range md {
		h[http.CanonicalHeaderKey(k)] = v
	}
	g.keep(req, h)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// Each protocol reaches its collector with the settings' headers and
// the resource's name, once the flush has run.
func TestTracingExportsOverEachProtocol(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "http/json", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			rcv := &otlpReceiver{}
			var endpoint string
			if protocol == "grpc" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv := grpc.NewServer()
				coltracepb.RegisterTraceServiceServer(srv, grpcReceiver{otlpReceiver: rcv})
				go func() { _ = srv.Serve(ln) }()
				t.Cleanup(srv.Stop)
				endpoint = "http://" + ln.Addr().String()
			} else {
				srv := httptest.NewServer(rcv)
				t.Cleanup(srv.Close)
				endpoint = srv.URL
			}
			_, res := tracingOf(t, map[string]string{
				"OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
				"OTEL_EXPORTER_OTLP_HEADERS": "x-collector-token=tok%20123", "OTEL_SERVICE_NAME": "gateway-eu",
			})
			tr := mustTracing(t, res, zerolog.Nop())
			_, span := tr.Provider.Tracer("t").Start(context.Background(), "POST /api/chat")
			span.End()
			tr.flush(time.Now().Add(10*time.Second), zerolog.Nop())

			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.headers) != 1 || rcv.headers[0].Get("X-Collector-Token") != "tok 123" {
				t.Fatalf("exports = %d, headers %v", len(rcv.headers), rcv.headers)
			}
			if protocol == "http/json" {
				if !bytes.Contains(rcv.bodies[0], []byte(`"POST /api/chat"`)) || !bytes.Contains(rcv.bodies[0], []byte(`"gateway-eu"`)) {
					t.Errorf("JSON body = %s", rcv.bodies[0])
				}
				return
			}
			if len(rcv.spans) != 1 || rcv.spans[0].GetName() != "POST /api/chat" || len(rcv.names) != 1 || rcv.names[0] != "gateway-eu" {
				t.Errorf("spans = %v, service names %v", rcv.spans, rcv.names)
			}
		})
	}
}

func TestTracingOnLogsItsSettingsWithTheEndpointMasked(t *testing.T) {
	_, res := tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:pw-0123456789@collector.example:4318", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"})
	var logs bytes.Buffer
	tr := mustTracing(t, res, zerolog.New(&logs))
	defer tr.flush(time.Now(), zerolog.Nop())
	line := logs.String()
	for _, want := range []string{`"msg":"tracing on"`, `"protocol":"http/protobuf"`, `"endpoint":"https://***@collector.example:4318/v1/traces"`, `"sampler":"parentbased_traceidratio"`, `"sampler_ratio":0.1`} {
		if !strings.Contains(line, want) {
			t.Errorf("log %s lacks %s", line, want)
		}
	}
	if strings.Contains(line, "pw-0123456789") {
		t.Errorf("the endpoint's password was logged: %s", line)
	}
}

// Each sampler decides a root span, a child of a client's sampled span
// and a child of a client's unsampled one, as the spec says; the
// parent-based ones follow the client's flag.
func TestSamplersFollowTheSpec(t *testing.T) {
	tests := []struct {
		sampler                              string
		ratio                                float64
		root, sampledParent, unsampledParent bool
	}{
		{"always_on", 1, true, true, true},
		{"always_off", 1, false, false, false},
		{"traceidratio", 1, true, true, true},
		{"traceidratio", 0, false, false, false},
		{"parentbased_always_on", 1, true, true, false},
		{"parentbased_always_off", 1, false, true, false},
		{"parentbased_traceidratio", 1, true, true, false},
		{"parentbased_traceidratio", 0, false, true, false},
	}
	parent := func(flags trace.TraceFlags) context.Context {
		tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
		sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
		return trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true}))
	}
	for _, tt := range tests {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(newSampler(tracingSettings{sampler: tt.sampler, ratio: tt.ratio})), sdktrace.WithSpanProcessor(rec))
		tracer := tp.Tracer("t")
		for _, c := range []struct {
			ctx  context.Context
			want bool
		}{{context.Background(), tt.root}, {parent(trace.FlagsSampled), tt.sampledParent}, {parent(0), tt.unsampledParent}} {
			_, span := tracer.Start(c.ctx, "s")
			if got := span.SpanContext().IsSampled(); got != c.want {
				t.Errorf("%s(%v): sampled = %v, want %v (parent %v)", tt.sampler, tt.ratio, got, c.want, trace.SpanContextFromContext(c.ctx).TraceFlags())
			}
			span.End()
		}
	}
}

func TestResourceNamesTheServiceAsTheSpecOrders(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"default", nil, "aoai-api"},
		{"OTEL_SERVICE_NAME", map[string]string{"OTEL_SERVICE_NAME": "gw"}, "gw"},
		{"attributes over the default", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs"}, "from-attrs"},
		{"OTEL_SERVICE_NAME over attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs", "OTEL_SERVICE_NAME": "gw"}, "gw"},
		{"an empty OTEL_SERVICE_NAME is unset", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs", "OTEL_SERVICE_NAME": ""}, "from-attrs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, res := tracingOf(t, tt.env)
			r := newResource(ts, res)
			got := map[attribute.Key]string{}
			for _, a := range r.Attributes() {
				got[a.Key] = a.Value.String()
			}
			if got["service.name"] != tt.want || got["service.version"] != version || got["telemetry.sdk.language"] != "go" {
				t.Errorf("resource = %v, want service.name %q and version %q", got, tt.want, version)
			}
		})
	}
}

func TestFlushGetsWhatIsLeftOfTheDrain(t *testing.T) {
	cfg := Config{ShutdownDelay: 5 * time.Second, ShutdownTimeout: 25 * time.Second}
	sig := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		signalled, now time.Time
		want           time.Time
	}{
		{"a quick drain leaves the rest of the budget", sig, sig.Add(5 * time.Second), sig.Add(30 * time.Second)},
		{"a drain that used its budget leaves minFlush", sig, sig.Add(32 * time.Second), sig.Add(33 * time.Second)},
		{"no signal (a listener failed)", time.Time{}, sig, sig.Add(minFlush)},
	}
	for _, tt := range tests {
		if got := flushBy(tt.signalled, tt.now, cfg); !got.Equal(tt.want) {
			t.Errorf("%s: flushBy = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A collector that never answers holds the flush no longer than its
// deadline.
func TestFlushToAHangingCollectorEndsAtTheDeadline(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	_, res := tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL})
	var logs bytes.Buffer
	tr := mustTracing(t, res, zerolog.New(&logs))
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "s")
	span.End()
	start := time.Now()
	tr.flush(start.Add(300*time.Millisecond), zerolog.New(&logs))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("flush took %v with a 300ms deadline", took)
	}
	if !strings.Contains(logs.String(), "pending spans were not all exported before the shutdown deadline") {
		t.Errorf("logs = %s", logs.String())
	}
}
