package http

import (
	"net/http"
)

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
	e := openAIError{Message: f.Msg, Type: openAIErrorType(f.status)}
	if f.code == "insufficient_quota" {
		e.Type = f.code // OpenAI's own type for a spent quota
	}
	if f.code != "" {
		e.Code = &f.code
	}
	if f.Field != "" {
		e.Param = &f.Field
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
