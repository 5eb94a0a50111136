package http

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// isOpenAIRoute reports whether the request is on the OpenAI-compatible
// surface, whose errors, even from middleware and 404/405, take OpenAI's
// shape so the SDKs can read them.
func isOpenAIRoute(c *gin.Context) bool {
	p := c.Request.URL.Path
	return p == "/v1" || strings.HasPrefix(p, "/v1/")
}

type openAIErrorBody struct {
	Error openAIError `json:"error"`
}

type openAIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Code    *string `json:"code"`
	Param   *string `json:"param"`
}

// openAIErrorOf puts a failure in OpenAI's shape; the correlation id
// travels in X-Request-ID only.
func openAIErrorOf(f failure) openAIErrorBody {
	e := openAIError{Message: f.msg, Type: openAIErrorType(f.status)}
	if f.code != "" {
		e.Code = &f.code
	}
	if f.param != "" {
		e.Param = &f.param
	}
	return openAIErrorBody{Error: e}
}

func openAIErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= http.StatusInternalServerError:
		return "server_error"
	}
	return "invalid_request_error"
}
