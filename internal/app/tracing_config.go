package app

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Exporter protocols that OTEL_EXPORTER_OTLP_PROTOCOL may name.
const (
	protocolHTTPProtobuf = "http/protobuf"
	protocolHTTPJSON     = "http/json"
	protocolGRPC         = "grpc"
)

// tracesPath is what the spec appends to the generic endpoint for the
// HTTP protocols; the traces endpoint is used as it is.
const tracesPath = "/v1/traces"

// samplerNames are the OTEL_TRACES_SAMPLER values the SDK can build
// without a remote or vendor sampler.
var samplerNames = []string{
	"always_on", "always_off", "traceidratio",
	"parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
}

// tracingSettings are the tracing settings read and checked: what
// newTracing hands the SDK, every value explicitly, since the SDK itself
// reads only the process environment and ours may come from .env.
type tracingSettings struct {
	off      string // why tracing is off; "" when on
	protocol string
	endpoint string // a URL, or host:port for grpc, as the exporter is to use it
	headers  map[string]string
	attrs    []attribute.KeyValue // OTEL_RESOURCE_ATTRIBUTES, in their order
	sampler  string
	ratio    float64 // the traceidratio samplers'
	queue    int
}

// validateTracing refuses at start-up what the SDK would otherwise skip
// with a line on stderr, or take for its default: an operator who wrote
// OTEL_TRACES_SAMPLER=ratio gets told, not all traces.
//
// An empty value means the default, as the OpenTelemetry spec has it for
// its variables (a ConfigMap key left blank, say).
func (c *Config) validateTracing() error {
	c.OTelProtocol = orDefault(strings.ToLower(strings.TrimSpace(c.OTelProtocol)), protocolHTTPProtobuf)
	c.OTelSampler = orDefault(strings.ToLower(strings.TrimSpace(c.OTelSampler)), "parentbased_always_on")
	c.OTelServiceName = orDefault(strings.TrimSpace(c.OTelServiceName), "aoai-api")
	c.OTelEndpoint, c.OTelTracesEndpoint = strings.TrimSpace(c.OTelEndpoint), strings.TrimSpace(c.OTelTracesEndpoint)
	_, err := c.tracing()
	return err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// tracing reads the settings into what the SDK needs. Errors name the
// setting and never quote a header, whose values are credentials, nor an
// endpoint's credentials.
func (c Config) tracing() (tracingSettings, error) {
	ts := tracingSettings{protocol: c.OTelProtocol, sampler: c.OTelSampler, ratio: 1, queue: c.OTelMaxQueueSize}
	switch ts.protocol {
	case protocolHTTPProtobuf, protocolHTTPJSON, protocolGRPC:
	default:
		return ts, fmt.Errorf("invalid OTEL_EXPORTER_OTLP_PROTOCOL=%q: want http/protobuf, http/json or grpc", c.OTelProtocol)
	}
	var err error
	if ts.endpoint, err = c.otlpEndpoint(); err != nil {
		return ts, err
	}
	headersKey, headers := "OTEL_EXPORTER_OTLP_HEADERS", c.OTelHeaders
	if strings.TrimSpace(c.OTelTracesHeaders) != "" {
		headersKey, headers = "OTEL_EXPORTER_OTLP_TRACES_HEADERS", c.OTelTracesHeaders // the SDK's rule: replaced, not merged
	}
	if ts.headers, err = parseHeaders(headersKey, headers); err != nil {
		return ts, err
	}
	if ts.attrs, err = parseResourceAttributes(c.OTelResourceAttrs); err != nil {
		return ts, err
	}
	if !slices.Contains(samplerNames, ts.sampler) {
		return ts, fmt.Errorf("invalid OTEL_TRACES_SAMPLER=%q: want one of %s", c.OTelSampler, strings.Join(samplerNames, ", "))
	}
	if arg := strings.TrimSpace(c.OTelSamplerArg); arg != "" && strings.HasSuffix(ts.sampler, "traceidratio") {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return ts, fmt.Errorf("invalid OTEL_TRACES_SAMPLER_ARG=%q: want a ratio from 0 to 1 for %s", arg, ts.sampler)
		}
		ts.ratio = r
	} // other samplers take no argument, and the spec says to ignore one
	switch {
	case c.OTelSDKDisabled:
		ts.off = "OTEL_SDK_DISABLED=true"
	case ts.endpoint == "":
		ts.off = "no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	}
	return ts, nil
}

// otlpEndpoint applies the spec: the traces endpoint as it is, else the
// generic one with /v1/traces appended to its path for the HTTP
// protocols. gRPC takes either a URL or host:port, and no path.
func (c Config) otlpEndpoint() (string, error) {
	key, v := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.OTelTracesEndpoint
	if v == "" {
		key, v = "OTEL_EXPORTER_OTLP_ENDPOINT", c.OTelEndpoint
	}
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	isURL := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	if c.OTelProtocol == protocolGRPC {
		if isURL || validHostPort(v) {
			return v, nil
		}
		return "", fmt.Errorf("invalid %s=%q: want http://host:4317, https://host:4317 or host:4317 for grpc", key, maskURL(v))
	}
	if !isURL || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid %s=%q: want a URL such as http://otel-collector:4318, with no query", key, maskURL(v))
	}
	if key == "OTEL_EXPORTER_OTLP_ENDPOINT" {
		u.Path = strings.TrimSuffix(u.Path, "/") + tracesPath
		u.RawPath = ""
	}
	return u.String(), nil
}

func validHostPort(v string) bool {
	host, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	return err == nil && host != "" && perr == nil && n > 0 && n <= 65535 && !strings.ContainsAny(host, "/?#@")
}

// parseHeaders reads the spec's key=value,… list, each part
// percent-encoded. Errors say which entry, never what it holds.
func parseHeaders(key, list string) (map[string]string, error) {
	entries, err := parseKeyValues(list)
	if err != nil {
		return nil, fmt.Errorf("invalid %s: %w: want name=value pairs separated by commas, percent-encoded", key, err)
	}
	headers := make(map[string]string, len(entries))
	for i, e := range entries {
		switch {
		case !validHeaderName(e.key):
			return nil, fmt.Errorf("invalid %s: entry %d has a name that is not an HTTP header name", key, i+1)
		case strings.ContainsFunc(e.value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			return nil, fmt.Errorf("invalid %s: entry %d has a control character in its value", key, i+1)
		}
		headers[e.key] = e.value
	}
	return headers, nil
}

// validHeaderName is RFC 9110's token: what net/http would send.
func validHeaderName(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// parseResourceAttributes reads OTEL_RESOURCE_ATTRIBUTES, whose values
// are not secret and may be quoted.
func parseResourceAttributes(list string) ([]attribute.KeyValue, error) {
	entries, err := parseKeyValues(list)
	if err != nil {
		return nil, fmt.Errorf("invalid OTEL_RESOURCE_ATTRIBUTES=%q: %w: want key=value pairs separated by commas, percent-encoded", list, err)
	}
	attrs := make([]attribute.KeyValue, len(entries))
	for i, e := range entries {
		attrs[i] = attribute.String(e.key, e.value)
	}
	return attrs, nil
}

type keyValue struct{ key, value, raw string } // raw: the value as written

// parseKeyValues reads the W3C-baggage-like lists of the OTel
// environment variables: entries separated by commas, key=value, both
// percent-decoded and trimmed; blank entries are skipped.
func parseKeyValues(list string) ([]keyValue, error) {
	var out []keyValue
	for i, entry := range strings.Split(list, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("entry %d has no '='", i+1)
		}
		key, err1 := url.PathUnescape(strings.TrimSpace(k))
		value, err2 := url.PathUnescape(strings.TrimSpace(v))
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("entry %d has a malformed %%-escape", i+1)
		case key == "":
			return nil, fmt.Errorf("entry %d has an empty key", i+1)
		}
		out = append(out, keyValue{key, value, strings.TrimSpace(v)})
	}
	return out, nil
}

// tracingSecrets are the header values one by one, as written and
// decoded, and the token of a "Bearer <token>" value, since a log line
// may quote one without the rest; the whole setting is redacted already,
// as every secret is.
func (c Config) tracingSecrets() []string {
	var out []string
	for _, list := range []string{c.OTelHeaders, c.OTelTracesHeaders} {
		entries, _ := parseKeyValues(list) // validated already
		for _, e := range entries {
			out = append(out, e.value, e.raw)
			if _, token, ok := strings.Cut(e.value, " "); ok {
				out = append(out, strings.TrimSpace(token))
			}
		}
	}
	return out
}
