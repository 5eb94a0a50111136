package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// genAISeries are the OpenTelemetry GenAI conventions' client metrics,
// as Prometheus renders their names and attributes, beside our own
// streaming latencies. They are recorded whether tracing is on or off.
type genAISeries struct {
	duration   *prometheus.HistogramVec
	tokens     *prometheus.HistogramVec
	firstToken *prometheus.HistogramVec
	perToken   *prometheus.HistogramVec
}

// The conventions' advised buckets for gen_ai.client.operation.duration
// and gen_ai.client.token.usage.
var (
	genAIDurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	genAITokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	perTokenBuckets      = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1}
)

var genAILabels = []string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model"}

func newGenAISeries() genAISeries {
	return genAISeries{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_client_operation_duration_seconds",
			Help:    "GenAI operation duration: one attempt's call to a backend, a stream's to its end (OpenTelemetry gen_ai.client.operation.duration).",
			Buckets: genAIDurationBuckets,
		}, append(genAILabels, "error_type")),
		tokens: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_client_token_usage",
			Help:    "Tokens used per call, by gen_ai_token_type input or output, as the backend reported them (OpenTelemetry gen_ai.client.token.usage).",
			Buckets: genAITokenBuckets,
		}, append(genAILabels, "gen_ai_token_type")),
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_to_first_token_seconds",
			Help:    "Time from a streamed attempt's start to its first piece, by model and backend.",
			Buckets: latencyBuckets,
		}, []string{"model", "backend"}),
		perToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_per_output_token_seconds",
			Help:    "Time per output token after a stream's first, by model and backend.",
			Buckets: perTokenBuckets,
		}, []string{"model", "backend"}),
	}
}

func (s genAISeries) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.duration, s.tokens, s.firstToken, s.perToken}
}

// Called, FirstToken and Generated fulfil the rest of pool.Observer.
func (m *Metrics) Called(model, _, provider, responseModel, errorType string, elapsed time.Duration, tokens domain.TokenUsage) {
	m.byCall.get([5]string{"chat", provider, model, responseModel, errorType}).Observe(elapsed.Seconds())
	if n := tokens.Prompt; n != nil {
		m.byUsage.get([5]string{"chat", provider, model, responseModel, "input"}).Observe(float64(*n))
	}
	if n := tokens.Completion; n != nil {
		m.byUsage.get([5]string{"chat", provider, model, responseModel, "output"}).Observe(float64(*n))
	}
}

func (m *Metrics) FirstToken(model, backend string, after time.Duration) {
	m.genAI.firstToken.WithLabelValues(model, backend).Observe(after.Seconds())
}

func (m *Metrics) Generated(model, backend string, perToken time.Duration) {
	m.genAI.perToken.WithLabelValues(model, backend).Observe(perToken.Seconds())
}
