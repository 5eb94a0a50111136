package fake_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/conformance"
	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		New: func(*testing.T, http.Handler, conformance.Options) ports.ChatModel {
			return fake.Model{Delay: time.Millisecond}
		},
	})
}
