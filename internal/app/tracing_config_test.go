package app

import (
	"maps"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func tracingOf(t *testing.T, env map[string]string) (tracingSettings, Resolved) {
	t.Helper()
	isolate(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := res.Config.tracing()
	if err != nil {
		t.Fatal(err)
	}
	return ts, res
}

func TestTracingDefaultsAreOffWithTheSpecsSampler(t *testing.T) {
	ts, res := tracingOf(t, nil)
	cfg := res.Config
	if ts.off == "" || ts.endpoint != "" {
		t.Errorf("with no endpoint, tracing = %+v, want off", ts)
	}
	if cfg.OTelProtocol != "http/protobuf" || cfg.OTelSampler != "parentbased_always_on" || cfg.OTelServiceName != "aoai-api" ||
		cfg.OTelSDKDisabled || cfg.OTelMaxQueueSize != 2048 || ts.ratio != 1 {
		t.Errorf("defaults = %+v, ratio %v", cfg, ts.ratio)
	}
}

func TestOTLPEndpointFollowsTheSpec(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"generic gets /v1/traces", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318/v1/traces"},
		{"generic with a trailing slash", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318/"}, "https://collector:4318/v1/traces"},
		{"generic with a path keeps it", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://gw.example/otlp"}, "https://gw.example/otlp/v1/traces"},
		{"traces endpoint as it is", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom"}, "http://collector:4318/custom"},
		{"traces endpoint without a path", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318"}, "http://collector:4318"},
		{"traces wins over generic", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/v1/traces"}, "http://b:4318/v1/traces"},
		{"grpc host:port", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"}, "collector:4317"},
		{"grpc URL gets no path", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, "http://collector:4317"},
		{"json like protobuf", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/traces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, _ := tracingOf(t, tt.env)
			if ts.endpoint != tt.want || ts.off != "" {
				t.Errorf("endpoint = %q (off: %q), want %q", ts.endpoint, ts.off, tt.want)
			}
		})
	}
}

// The SDK's own reading of the environment is not involved: a .env
// file's values reach the exporter too.
func TestTracingSettingsComeFromTheEnvFileToo(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, dir+"/.env", "OTEL_EXPORTER_OTLP_ENDPOINT=http://from-file:4318\nOTEL_TRACES_SAMPLER=traceidratio\nOTEL_TRACES_SAMPLER_ARG=0.25\n")
	res, err := loadFrom(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := res.Config.tracing()
	if err != nil || ts.endpoint != "http://from-file:4318/v1/traces" || ts.sampler != "traceidratio" || ts.ratio != 0.25 {
		t.Errorf("tracing = %+v, %v", ts, err)
	}
	if s := settingOf(t, res, "OTEL_TRACES_SAMPLER_ARG"); s.Source != SourceFile || s.Value != "0.25" {
		t.Errorf("OTEL_TRACES_SAMPLER_ARG = %+v", s)
	}
}

func TestSDKDisabledTurnsTracingOffWithAnEndpoint(t *testing.T) {
	ts, _ := tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"})
	if ts.off != "OTEL_SDK_DISABLED=true" {
		t.Errorf("off = %q", ts.off)
	}
}

func TestBadTracingSettingsStopStartupNamingTheSetting(t *testing.T) {
	const secret = "s3cr3t-collector-token"
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/thrift"}, `invalid OTEL_EXPORTER_OTLP_PROTOCOL="http/thrift": want http/protobuf, http/json or grpc`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "ratio"}, `invalid OTEL_TRACES_SAMPLER="ratio": want one of always_on, always_off, traceidratio,`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote"}, `invalid OTEL_TRACES_SAMPLER="jaeger_remote"`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, `invalid OTEL_TRACES_SAMPLER_ARG="1.5": want a ratio from 0 to 1`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "-0.1"}, `invalid OTEL_TRACES_SAMPLER_ARG="-0.1"`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "NaN"}, `invalid OTEL_TRACES_SAMPLER_ARG="NaN"`},
		{map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, `invalid OTEL_TRACES_SAMPLER_ARG="half"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, `invalid OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": want a URL`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector"}, `invalid OTEL_EXPORTER_OTLP_ENDPOINT="ftp://collector"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://"}, `invalid OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://u:" + secret + "@c:4318?k=" + secret}, `invalid OTEL_EXPORTER_OTLP_ENDPOINT="http://***@c:4318?***"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector"}, `invalid OTEL_EXPORTER_OTLP_ENDPOINT="collector": want http://host:4317, https://host:4317 or host:4317 for grpc`},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer " + secret + ",x-tenant"}, "invalid OTEL_EXPORTER_OTLP_HEADERS: entry 2 has no '='"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "=" + secret}, "invalid OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1 has an empty key"},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key=%zz" + secret}, "invalid OTEL_EXPORTER_OTLP_HEADERS: entry 1 has a malformed %-escape"},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "bad header=" + secret}, "invalid OTEL_EXPORTER_OTLP_HEADERS: entry 1 has a name that is not an HTTP header name"},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "x-token=" + secret + "%0Aevil:1"}, "invalid OTEL_EXPORTER_OTLP_HEADERS: entry 1 has a control character in its value"},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,team"}, `invalid OTEL_RESOURCE_ATTRIBUTES="deployment.environment=prod,team": entry 2 has no '='`},
		{map[string]string{"OTEL_SDK_DISABLED": "yes"}, `invalid OTEL_SDK_DISABLED="yes": want a boolean`},
		{map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, "invalid OTEL_BSP_MAX_QUEUE_SIZE=0: want 1 to 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := load(t)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes a credential: %v", err)
			}
		})
	}
}

// The spec reads an empty OTel variable as unset: a blank ConfigMap key
// means the default, not an error.
func TestEmptyTracingSettingsMeanTheirDefaults(t *testing.T) {
	_, res := tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "", "OTEL_TRACES_SAMPLER": " ", "OTEL_SERVICE_NAME": ""})
	if c := res.Config; c.OTelProtocol != "http/protobuf" || c.OTelSampler != "parentbased_always_on" || c.OTelServiceName != "aoai-api" {
		t.Errorf("protocol %q sampler %q service %q, want the defaults", c.OTelProtocol, c.OTelSampler, c.OTelServiceName)
	}
}

// A ratio means nothing to the other samplers, and the spec says to
// ignore it there rather than refuse it.
func TestSamplerArgIsReadOnlyByTheRatioSamplers(t *testing.T) {
	ts, _ := tracingOf(t, map[string]string{"OTEL_TRACES_SAMPLER": "Always_On", "OTEL_TRACES_SAMPLER_ARG": "whatever"})
	if ts.sampler != "always_on" || ts.ratio != 1 {
		t.Errorf("sampler %q ratio %v", ts.sampler, ts.ratio)
	}
	ts, _ = tracingOf(t, map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"})
	if ts.ratio != 0 {
		t.Errorf("ratio = %v, want 0", ts.ratio)
	}
}

func TestHeadersAreDecodedAndTheTracesOnesReplaceTheGenericOnes(t *testing.T) {
	ts, _ := tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": " Authorization = Bearer%20abc%3D%3D , x-tenant=blue,,"})
	if want := map[string]string{"Authorization": "Bearer abc==", "x-tenant": "blue"}; !maps.Equal(ts.headers, want) {
		t.Errorf("headers = %v, want %v", ts.headers, want)
	}
	ts, _ = tracingOf(t, map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=1,b=2", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=3"})
	if want := map[string]string{"b": "3"}; !maps.Equal(ts.headers, want) {
		t.Errorf("headers = %v, want %v: the SDK replaces, it does not merge", ts.headers, want)
	}
}

func TestResourceAttributesAreDecodedInOrder(t *testing.T) {
	ts, _ := tracingOf(t, map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,k8s.pod.name=aoai-api-7d%2C1"})
	want := []attribute.KeyValue{attribute.String("deployment.environment.name", "prod"), attribute.String("k8s.pod.name", "aoai-api-7d,1")}
	if len(ts.attrs) != len(want) || ts.attrs[0] != want[0] || ts.attrs[1] != want[1] {
		t.Errorf("attrs = %v, want %v", ts.attrs, want)
	}
}

// Headers carry a collector's credentials: config info and the start-up
// log show only whether they are set, and no log line carries a value,
// whole or one header at a time, as written or decoded.
func TestHeadersAreSecretsInConfigInfoAndTheLogs(t *testing.T) {
	const token = "tok-0123456789abcdef"
	_, res := tracingOf(t, map[string]string{
		"OTEL_EXPORTER_OTLP_HEADERS":        "authorization=Bearer%20" + token + ",x-api-key=key-%2B0123456789",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-other=other-0123456789",
	})
	for _, key := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		if s := settingOf(t, res, key); !s.Secret || s.Value != "" || !s.Set {
			t.Errorf("%s = %+v, want a secret shown only as set", key, s)
		}
	}
	line := `{"msg":"export failed: Bearer ` + token + ` / ` + token + ` / key-+0123456789 / key-%2B0123456789 / other-0123456789"}`
	got := string(res.Config.logSecrets.redact([]byte(line)))
	for _, leak := range []string{token, "0123456789"} {
		if strings.Contains(got, leak) {
			t.Errorf("redacted line still holds %q: %s", leak, got)
		}
	}
}
