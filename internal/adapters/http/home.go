package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type welcomeBody struct {
	Message   string     `json:"message"`
	Service   string     `json:"service"`
	Version   string     `json:"version"`
	Endpoints []endpoint `json:"endpoints"`
}

func handleHome(body *welcomeBody) gin.HandlerFunc {
	body.Message = "Welcome to the Azure OpenAI completions API"
	return func(c *gin.Context) { c.JSON(http.StatusOK, body) }
}
