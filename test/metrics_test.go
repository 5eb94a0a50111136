package test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// series maps "name{label="value",…}" to its value, for every sample of
// a scrape; histograms contribute their _count and _sum.
type series map[string]float64

func scrape(t *testing.T, url string) series {
	t.Helper()
	return scrapeWith(t, withTest(t.Context(), t), url)
}

// scrapeMetricsPort reads the METRICS_PORT listener, which is not the API
// the contract describes.
func scrapeMetricsPort(t *testing.T, url string) series {
	t.Helper()
	return scrapeWith(t, outOfContract(t.Context(), t), url)
}

func scrapeWith(t *testing.T, ctx context.Context, url string) series {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	out := series{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name + labelsOf(m)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+labelsOf(m)] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+labelsOf(m)] = m.GetHistogram().GetSampleSum()
			default:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

func labelsOf(m *dto.Metric) string {
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// moved returns the series of the named families whose value changed.
func moved(before, after series, prefixes ...string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p+"{") && v != before[k] {
				out[k] = v - before[k]
			}
		}
	}
	return out
}

func assertMoved(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s moved by %v, want %v", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s moved by %v, want no change", what, k, v)
		}
	}
}

// meteredUpstream answers like Azure, except for prompts that ask for a
// throttle (once) or a content-filter refusal.
func meteredUpstream(t *testing.T) *azureUpstream {
	var mu sync.Mutex
	throttled := false
	return newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		switch req.Messages[len(req.Messages)-1].Content {
		case "throttle once":
			mu.Lock()
			first := !throttled
			throttled = true
			mu.Unlock()
			if first {
				w.Header().Set("retry-after-ms", "1")
				azureError(w, http.StatusTooManyRequests, "429", "Rate limit reached")
				return
			}
		case "filtered":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"content_filter","message":"filtered","innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}}`))
			return
		}
		azureReply(w, req)
	})
}

func TestMetricsCountExactlyTheTrafficByRouteTemplate(t *testing.T) {
	up := meteredUpstream(t)
	svc := startService(t, withEnv(azureEnv(up), "METRICS_PORT", "0"))
	metricsURL := "http://" + svc.waitFor(t, "metrics listening")["addr"].(string) + "/metrics"
	if r := call(t, http.MethodGet, svc.URL+"/metrics", "", ""); r.Status != 404 {
		t.Errorf("/metrics on the API port = %d with METRICS_PORT set, want 404", r.Status)
	}
	before := scrapeMetricsPort(t, metricsURL)

	for range 3 {
		mustStatus(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"hello"}`), 200)
	}
	mustStatus(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"throttle once"}`), 200)
	mustStatus(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"filtered"}`), 400)
	mustStatus(t, postJSON(t, svc.URL+"/api/completions", `{}`), 400)
	mustStatus(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":""}`), 400)
	mustStatus(t, postJSON(t, svc.URL+"/api/completions/stream", `{"prompt":"hi"}`), 200)
	mustStatus(t, call(t, http.MethodGet, svc.URL+"/v1/models/"+testDeployment, "", ""), 200)
	mustStatus(t, call(t, http.MethodGet, svc.URL+"/v1/models/"+testDeployment, "", ""), 200)
	mustStatus(t, call(t, http.MethodGet, svc.URL+"/v1/models/some-other-model", "", ""), 404)
	mustStatus(t, call(t, http.MethodDelete, svc.URL+"/api/completions", "", ""), 405)
	mustStatus(t, call(t, http.MethodGet, svc.URL+"/healthz", "", ""), 200)

	after := scrapeMetricsPort(t, metricsURL)
	requests := map[string]float64{
		`{method="POST",route="/api/completions",status="200"}`:        4,
		`{method="POST",route="/api/completions",status="400"}`:        3,
		`{method="POST",route="/api/completions/stream",status="200"}`: 1,
		`{method="GET",route="/v1/models/:model",status="200"}`:        2,
		`{method="GET",route="/v1/models/:model",status="404"}`:        1,
		`{method="DELETE",route="unmatched",status="405"}`:             1,
		`{method="GET",route="/healthz",status="200"}`:                 1,
	}
	want := map[string]float64{}
	for labels, n := range requests {
		want["aoai_api_http_requests_total"+labels] = n
	}
	assertMoved(t, "requests", moved(before, after, "aoai_api_http_requests_total"), want)
	want = map[string]float64{}
	for labels, n := range requests {
		want["aoai_api_http_request_duration_seconds_count"+labels] = n
	}
	assertMoved(t, "latency observations", moved(before, after, "aoai_api_http_request_duration_seconds_count"), want)

	assertMoved(t, "upstream calls", moved(before, after, "aoai_api_upstream_requests_total"), map[string]float64{
		`aoai_api_upstream_requests_total{provider="azure",status="200"}`: 5, // 3 hello, the retried throttle, the stream
		`aoai_api_upstream_requests_total{provider="azure",status="429"}`: 1,
		`aoai_api_upstream_requests_total{provider="azure",status="400"}`: 1,
	})
	assertMoved(t, "upstream latency", moved(before, after, "aoai_api_upstream_request_duration_seconds_count"), map[string]float64{
		`aoai_api_upstream_request_duration_seconds_count{provider="azure",status="200"}`: 5,
		`aoai_api_upstream_request_duration_seconds_count{provider="azure",status="429"}`: 1,
		`aoai_api_upstream_request_duration_seconds_count{provider="azure",status="400"}`: 1,
	})
	assertMoved(t, "retries", moved(before, after, "aoai_api_upstream_retries_total"), map[string]float64{
		`aoai_api_upstream_retries_total{provider="azure"}`: 1,
	})
	assertMoved(t, "tokens", moved(before, after, "aoai_api_tokens_total"), map[string]float64{
		`aoai_api_tokens_total{kind="prompt"}`:     4*17 + 12, // azureReply's usage, then the stream's
		`aoai_api_tokens_total{kind="completion"}`: 4*4 + 3,
	})
	assertMoved(t, "content filter", moved(before, after, "aoai_api_content_filter_blocks_total"), map[string]float64{
		`aoai_api_content_filter_blocks_total{stage="prompt"}`: 1,
	})
	if v := after["aoai_api_http_requests_in_flight{}"]; v != 0 {
		t.Errorf("in flight after the traffic = %v, want 0", v)
	}

	welcome := call(t, http.MethodGet, svc.URL+"/api/", "", "").JSON(t)
	build := fmt.Sprintf(`aoai_api_build_info{revision="unknown",version=%q}`, welcome["version"])
	if after[build] != 1 {
		t.Errorf("%s missing; build series: %v", build, moved(series{}, after, "aoai_api_build_info"))
	}
	for _, family := range []string{"go_goroutines{}", "process_cpu_seconds_total{}"} {
		if _, ok := after[family]; !ok {
			t.Errorf("%s is not exported", family)
		}
	}
}

func TestNotFoundStormAddsNoSeries(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	// /metrics on the API port: the scrapes themselves are counted too.
	mustStatus(t, call(t, http.MethodGet, svc.URL+"/no/such/path", "", ""), 404) // the one "unmatched" series
	mustStatus(t, call(t, "BREW", svc.URL+"/coffee", "", ""), 404)               // and its odd-method twin
	scrape(t, svc.URL+"/metrics")                                                // and the scrape's own series
	before := scrape(t, svc.URL+"/metrics")
	const storm = 60
	for i := range storm {
		method := []string{http.MethodGet, "BREW", "PROPFIND"}[i%3]
		mustStatus(t, call(t, method, fmt.Sprintf("%s/random/%d/%x?q=%d", svc.URL, i, i*7919, i), "", ""), 404)
	}
	after := scrape(t, svc.URL+"/metrics")

	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("new series after the storm: %s", k)
		}
	}
	assertMoved(t, "requests", moved(before, after, "aoai_api_http_requests_total"), map[string]float64{
		`aoai_api_http_requests_total{method="GET",route="unmatched",status="404"}`:   storm / 3,
		`aoai_api_http_requests_total{method="OTHER",route="unmatched",status="404"}`: 2 * storm / 3,
		`aoai_api_http_requests_total{method="GET",route="/metrics",status="200"}`:    1, // the scrape before the storm
	})
	if v := after["aoai_api_http_requests_in_flight{}"]; v != 1 {
		t.Errorf("in flight during a scrape = %v, want 1: the scrape itself", v)
	}
}

func mustStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}
