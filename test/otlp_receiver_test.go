package test

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OpenTelemetry collector on loopback, as far as
// OTLP/HTTP goes: POST /v1/traces with a protobuf
// ExportTraceServiceRequest, gzipped or not, answered with an
// ExportTraceServiceResponse. It keeps every span it was sent.
type otlpReceiver struct {
	*httptest.Server
	t     *testing.T
	mu    sync.Mutex
	spans []span
}

// span is one received span, flattened for assertions.
type span struct {
	TraceID, SpanID, ParentID string // hex, as traceparent writes them
	Name                      string
	Kind                      tracepb.Span_SpanKind
	Start, End                time.Time
	Attrs                     map[string]any // string, int64, float64, bool or []any
	Events                    []spanEvent
	Resource                  map[string]any
}

type spanEvent struct {
	Name  string
	Time  time.Time
	Attrs map[string]any
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{t: t}
	r.Server = httptest.NewServer(http.HandlerFunc(r.export))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		r.t.Errorf("collector: %s %s, want POST /v1/traces", req.Method, req.URL.Path)
		http.NotFound(w, req)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		r.t.Errorf("collector: Content-Type %q, want application/x-protobuf", ct)
		http.Error(w, "unsupported media type", http.StatusUnsupportedMediaType)
		return
	}
	body := io.Reader(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	var msg coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &msg)
	}
	if err != nil {
		r.t.Errorf("collector: undecodable export: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.keep(&msg)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *otlpReceiver) keep(msg *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range msg.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				out := span{
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()), ParentID: hex.EncodeToString(s.GetParentSpanId()),
					Name: s.GetName(), Kind: s.GetKind(), Start: unixNano(s.GetStartTimeUnixNano()), End: unixNano(s.GetEndTimeUnixNano()),
					Attrs: attrMap(s.GetAttributes()), Resource: res,
				}
				for _, e := range s.GetEvents() {
					out.Events = append(out.Events, spanEvent{Name: e.GetName(), Time: unixNano(e.GetTimeUnixNano()), Attrs: attrMap(e.GetAttributes())})
				}
				r.spans = append(r.spans, out)
			}
		}
	}
}

func unixNano(n uint64) time.Time { return time.Unix(0, int64(n)) }

func attrMap(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyValue(kv.GetValue())
	}
	return m
}

func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_ArrayValue:
		var out []any
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, anyValue(e))
		}
		return out
	}
	return nil
}

// received returns a copy of the spans so far.
func (r *otlpReceiver) received() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]span(nil), r.spans...)
}

// waitSpans polls until want holds for the spans received, or fails
// after a deadline naming what it waited for.
func (r *otlpReceiver) waitSpans(t *testing.T, what string, want func([]span) bool) []span {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if got := r.received(); want(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector never received %s; it has:\n%s", what, describeSpans(r.received()))
		}
		<-tick.C
	}
}

// inTrace returns the spans of one trace with the given name.
func inTrace(spans []span, traceID, name string) []span {
	var out []span
	for _, s := range spans {
		if s.TraceID == traceID && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// descends reports whether s sits under the span ancestor within spans.
func descends(spans []span, s span, ancestor string) bool {
	byID := map[string]span{}
	for _, x := range spans {
		byID[x.SpanID] = x
	}
	for seen := 0; s.ParentID != "" && seen < len(spans); seen++ {
		if s.ParentID == ancestor {
			return true
		}
		s = byID[s.ParentID]
	}
	return false
}

func describeSpans(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s trace=%s span=%s parent=%s kind=%s attrs=%v events=%v\n", s.Name, s.TraceID, s.SpanID, s.ParentID, s.Kind, s.Attrs, s.Events)
	}
	return b.String()
}

// tracingEnv points the service at the receiver, exporting every 100ms
// so that spans arrive while the test waits.
func (r *otlpReceiver) tracingEnv() []string {
	return []string{"OTEL_EXPORTER_OTLP_ENDPOINT", r.URL, "OTEL_BSP_SCHEDULE_DELAY", "100"}
}

// socketsTo counts the sockets of process pid whose remote port is one
// of ports, from /proc: the check that does not need the port itself,
// which another process may hold.
func socketsTo(pid int, ports ...int) (int, error) {
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	wanted := map[string]bool{}
	for _, p := range ports {
		wanted[fmt.Sprintf("%04X", p)] = true
	}
	n := 0
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 {
				continue
			}
			_, port, _ := strings.Cut(fields[2], ":")
			if wanted[port] && inodes[fields[9]] {
				n++
			}
		}
		_ = f.Close()
	}
	return n, nil
}
