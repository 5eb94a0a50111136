package fake_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

func TestConformance(t *testing.T) {
	chatmodeltest.Run(t, chatmodeltest.Harness{
		New: func(*testing.T, http.Handler, chatmodeltest.Options) ports.ChatModel {
			return fake.Model{Delay: time.Millisecond}
		},
	})
}
