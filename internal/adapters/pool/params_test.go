package pool_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// picky is a backend that cannot take one parameter.
type picky struct {
	*backend
	refuses string
}

var _ ports.ParamTaker = picky{}

func (p picky) Takes(param string) bool { return param != p.refuses }

var withTools = ports.Conversation{
	Messages: []domain.Message{{Role: domain.RoleUser, Content: "weather in Oslo?"}},
	Tools:    domain.Tools{Defs: []domain.Tool{{Name: "get_weather", Parameters: domain.JSON(`{"type":"object"}`)}}},
}

// Failover must never land on a backend that would drop a parameter, so
// one backend that cannot take it refuses the request before any is
// called, even when the backend tried first could.
func TestAParamOneBackendCannotTakeIsRefusedCallingNoOne(t *testing.T) {
	first, second := &backend{name: "east", script: []error{nil}}, &backend{name: "west", script: []error{nil}}
	p := newPool(newClock(), one("gpt", b("east", 1, first), pool.Backend{Name: "west", Priority: 2, Weight: 1, Model: picky{second, "tools"}, Key: "west"}))
	want := "'tools' is not supported by model 'gpt': its backend west cannot take it"

	_, err := p.Chat(context.Background(), withTools)
	assertRefused(t, "Chat", err, want)
	st, err := p.Stream(context.Background(), withTools)
	if st != nil {
		t.Error("Stream returned a stream with its error")
	}
	assertRefused(t, "Stream", err, want)
	if first.count() != 0 || second.count() != 0 {
		t.Errorf("backends called %d and %d times, want never", first.count(), second.count())
	}

	ans, err := p.Chat(context.Background(), conv)
	if err != nil || ans.Text() != "from east" {
		t.Fatalf("without tools: %q, %v; want east's answer", ans.Text(), err)
	}
	st, err = p.Stream(context.Background(), conv)
	if err != nil {
		t.Fatalf("stream without tools: %v", err)
	}
	defer st.Close()
	if d, err := st.Recv(); err != nil || d.Text != "from " {
		t.Errorf("first piece %q, %v", d.Text, err)
	}
}

func assertRefused(t *testing.T, call string, err error, msg string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnsupported || de.Field != "tools" || de.Msg != msg {
		t.Errorf("%s: err = %#v, want unsupported on \"tools\": %q", call, err, msg)
	}
}

// A backend that takes what the conversation sets serves it, and one
// without ParamTaker takes every parameter.
func TestParamsEveryBackendTakesGoThrough(t *testing.T) {
	only := &backend{name: "east", script: []error{nil}}
	takesTools := &backend{name: "west", script: []error{nil}}
	p := newPool(newClock(),
		one("gpt", b("east", 1, only)),
		one("mini", pool.Backend{Name: "west", Priority: 1, Weight: 1, Model: picky{takesTools, "seed"}, Key: "west"}))

	every := withTools
	temp, n, logprobs := 0.2, 2, true
	every.Sampling = domain.Sampling{Temperature: &temp, N: &n, Logprobs: &logprobs, Stop: []string{"x"}, ReasoningEffort: "low"}
	every.Format = &domain.Format{Type: domain.FormatJSONObject}
	if ans, err := p.Chat(context.Background(), every); err != nil || ans.Text() != "from east" {
		t.Errorf("no ParamTaker: %q, %v; want it to take everything", ans.Text(), err)
	}

	every.Model = "mini"
	st, err := p.Stream(context.Background(), every)
	if err != nil {
		t.Fatalf("a taker of all but seed refused: %v", err)
	}
	defer st.Close()
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if takesTools.count() != 1 {
		t.Errorf("west called %d times, want 1", takesTools.count())
	}
}
