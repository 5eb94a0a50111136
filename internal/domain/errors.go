package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind classifies a failure so that driving adapters can pick a status
// without knowing which driven adapter produced it.
type Kind string

const (
	KindInvalid         Kind = "invalid"          // the caller's input breaks a rule
	KindContentFiltered Kind = "content_filtered" // the model's safety filter refused the input
	KindMisconfigured   Kind = "misconfigured"    // the service lacks settings it needs
	KindUpstream        Kind = "upstream"         // the model failed or answered badly
	KindThrottled       Kind = "throttled"        // the model's quota is spent for now
	KindTimeout         Kind = "timeout"          // the model did not answer in time
	KindCanceled        Kind = "canceled"         // the caller went away first
	KindUnavailable     Kind = "unavailable"      // this service is at capacity for now
	KindUnknownModel    Kind = "unknown_model"    // the caller named a model this service does not serve
	KindUnsupported     Kind = "unsupported"      // the caller asked for what this service or model cannot do
)

// Fault says whose fault a model failure was, so that a pool of
// backends knows whether another backend, or a later try, could help.
type Fault int

const (
	FaultNone      Fault = iota // no backend failed: the caller left, or the service refused
	FaultRequest                // the request itself: every backend would refuse it (a 400)
	FaultTransient              // the backend failed this once: a 5xx, a broken connection, a timeout
	FaultThrottle               // the backend asked for time: a 429, or a 503 naming a wait
	FaultBackend                // the backend is misconfigured: its key, identity or deployment
)

// Error is the one error type the core speaks. Msg is safe to show a
// client; Err is the private cause, kept for logs.
type Error struct {
	Kind Kind
	Msg  string
	Err  error

	Fault             Fault         // model failures: whose fault, for failover
	Field             string        // KindInvalid: the offending input field, for clients that want it apart
	RetryAfter        time.Duration // KindThrottled, KindUnavailable: when the caller may try again
	Categories        []string      // KindContentFiltered: which filters fired
	UpstreamRequestID string        // the model provider's id for support tickets
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// InvalidField reports input that the caller must change before
// retrying, naming the field at fault, such as "messages[2].role".
func InvalidField(field, msg string) *Error { return &Error{Kind: KindInvalid, Msg: msg, Field: field} }

// Unsupported reports a parameter or content the service, or the model
// asked, cannot take; silently dropping it would change the answer.
func Unsupported(field, msg string) *Error {
	return &Error{Kind: KindUnsupported, Msg: msg, Field: field}
}

// Misconfigured reports settings the operator must supply.
func Misconfigured(msg string) *Error { return &Error{Kind: KindMisconfigured, Msg: msg} }

// Upstream reports a model failure; cause stays out of client responses.
func Upstream(msg string, cause error) *Error {
	return &Error{Kind: KindUpstream, Msg: msg, Err: cause}
}

// Throttled reports a spent quota; retryAfter is the provider's hint.
func Throttled(msg string, retryAfter time.Duration, cause error) *Error {
	return &Error{Kind: KindThrottled, Msg: msg, Err: cause, RetryAfter: retryAfter}
}

// Unavailable reports that this service will not start the call now,
// to protect the model's quota; retryAfter is when trying again is sensible.
func Unavailable(msg string, retryAfter time.Duration) *Error {
	return &Error{Kind: KindUnavailable, Msg: msg, RetryAfter: retryAfter}
}

// Timeout reports a model that did not answer within the deadline.
func Timeout(msg string, cause error) *Error {
	return &Error{Kind: KindTimeout, Msg: msg, Err: cause}
}

// Canceled reports a caller that left before the answer.
func Canceled(cause error) *Error {
	return &Error{Kind: KindCanceled, Msg: "request cancelled by the client", Err: cause}
}

// ContentFiltered reports input refused by the provider's safety filter.
func ContentFiltered(categories []string, cause error) *Error {
	return &Error{Kind: KindContentFiltered, Msg: "The prompt was blocked by the content filter", Err: cause, Categories: categories}
}

// UnknownModel reports a model name this service does not serve.
func UnknownModel(name string) *Error {
	return &Error{Kind: KindUnknownModel, Msg: fmt.Sprintf("The model '%s' does not exist or you do not have access to it.", name), Field: "model"}
}

// FaultOf returns the Fault of the first *Error in err's chain.
func FaultOf(err error) Fault {
	var de *Error
	if errors.As(err, &de) {
		return de.Fault
	}
	return FaultNone
}

// KindOf returns the Kind of the first *Error in err's chain, or "".
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return ""
}

// Ended maps a finished context to the error its callers are owed: a
// spent deadline is a timeout (timeoutMsg), anything else the caller
// leaving. It returns nil while ctx is alive. It is the one place where
// context state becomes an error kind.
func Ended(ctx context.Context, timeoutMsg string, cause error) error {
	switch err := ctx.Err(); {
	case err == nil:
		return nil
	case cause == nil:
		cause = err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Timeout(timeoutMsg, cause)
	}
	return Canceled(cause)
}
