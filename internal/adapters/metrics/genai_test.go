package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// The GenAI conventions' client metrics, as Prometheus renders them: a
// failed call has its error_type and no tokens; a call that answered
// records its input and output tokens apart.
func TestGenAIClientMetrics(t *testing.T) {
	m, reg := mustNew(t)
	in, out := 12, 3
	m.Called("gpt", "east", "azure.ai.openai", "gpt-4o-2024-08-06", "", 1500*time.Millisecond, domain.TokenUsage{Prompt: &in, Completion: &out})
	m.Called("gpt", "west", "openai", "", "upstream", 200*time.Millisecond, domain.TokenUsage{})
	m.FirstToken("gpt", "east", 300*time.Millisecond)
	m.Generated("gpt", "east", 20*time.Millisecond)

	if n := testutil.CollectAndCount(reg, "gen_ai_client_operation_duration_seconds"); n != 2 {
		t.Errorf("%d duration series, want one per error_type", n)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "gen_ai_client_token_usage" {
			continue
		}
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["gen_ai_operation_name"] != "chat" || labels["gen_ai_provider_name"] != "azure.ai.openai" || labels["gen_ai_response_model"] != "gpt-4o-2024-08-06" {
				t.Errorf("token series labels = %v", labels)
			}
			got[labels["gen_ai_token_type"]] = mt.GetHistogram().GetSampleSum()
		}
	}
	if len(got) != 2 || got["input"] != 12 || got["output"] != 3 {
		t.Errorf("token usage = %v, want input 12 and output 3, and none for the failed call", got)
	}
	for _, name := range []string{"aoai_api_time_to_first_token_seconds", "aoai_api_time_per_output_token_seconds"} {
		if n := testutil.CollectAndCount(reg, name); n != 1 {
			t.Errorf("%s: %d series", name, n)
		}
	}
	m.Removed("gpt", "east")
	if n := testutil.CollectAndCount(reg, "aoai_api_time_to_first_token_seconds", "aoai_api_time_per_output_token_seconds"); n != 0 {
		t.Errorf("a removed backend keeps %d streaming series", n)
	}
}
