package domain

import "errors"

// Kind classifies a failure so that driving adapters can pick a status
// without knowing which driven adapter produced it.
type Kind string

const (
	KindInvalid       Kind = "invalid"       // the caller's input breaks a rule
	KindMisconfigured Kind = "misconfigured" // the service lacks settings it needs
	KindUpstream      Kind = "upstream"      // the model failed or answered badly
)

// Error is the one error type the core speaks. Msg is safe to show a
// client; Err is the private cause, kept for logs.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports input that the caller must change before retrying.
func Invalid(msg string) *Error { return &Error{Kind: KindInvalid, Msg: msg} }

// Misconfigured reports settings the operator must supply.
func Misconfigured(msg string) *Error { return &Error{Kind: KindMisconfigured, Msg: msg} }

// Upstream reports a model failure; cause stays out of client responses.
func Upstream(msg string, cause error) *Error {
	return &Error{Kind: KindUpstream, Msg: msg, Err: cause}
}

// KindOf returns the Kind of the first *Error in err's chain, or "".
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return ""
}
