package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleDocument serves the API contract. The bytes come from the
// composition root, already converted, so a request never re-encodes it.
func handleDocument(contentType string, doc []byte) gin.HandlerFunc {
	return func(c *gin.Context) { c.Data(http.StatusOK, contentType, doc) }
}
