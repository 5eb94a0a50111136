package http

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestMain puts Gin in release mode, as the service's main does.
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}
