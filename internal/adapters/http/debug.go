package http

import (
	"net/http"
	"runtime"

	"github.com/gin-gonic/gin"
)

// handleDebugRuntime lets the soak test see goroutines and heap from
// outside the process. It is off unless DEBUG_ENDPOINTS=true, and not
// for production: ReadMemStats stops the world.
func handleDebugRuntime(c *gin.Context) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	c.JSON(http.StatusOK, gin.H{"goroutines": runtime.NumGoroutine(), "heap_inuse_bytes": m.HeapInuse})
}
