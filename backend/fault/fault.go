// Package fault gives every Portico package one vocabulary for what went wrong.
// Domain code says the kind, a message a person can act on and, where it helps,
// what to do next; only the server package turns kinds into HTTP statuses.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error the way a caller must react to it.
type Kind string

const (
	Invalid          Kind = "invalid"
	Unauthenticated  Kind = "unauthenticated"
	Forbidden        Kind = "forbidden"
	NotFound         Kind = "not_found"
	MethodNotAllowed Kind = "method_not_allowed"
	Conflict         Kind = "conflict"
	TooLarge         Kind = "too_large"
	RateLimited      Kind = "rate_limited"
	Unavailable      Kind = "unavailable"
	// Internal is never constructed by domain code: it is what an error
	// without a kind becomes at the edge.
	Internal Kind = "internal"
)

// Error is an error with a kind, a message for people and an optional hint.
// Fields carries per-field messages for forms ("email" → "Enter an email address").
type Error struct {
	Kind    Kind
	Message string
	Hint    string
	Fields  map[string]string
	Err     error // the cause, for logs; never shown to callers
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, fault.Forbidden) style checks work through wrapping
// by comparing with a bare *Error carrying only a kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

func New(kind Kind, message, hint string) *Error {
	return &Error{Kind: kind, Message: message, Hint: hint}
}

func Invalidf(format string, args ...any) *Error {
	return &Error{Kind: Invalid, Message: fmt.Sprintf(format, args...)}
}

func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: NotFound, Message: fmt.Sprintf(format, args...)}
}

func Forbid(message, hint string) *Error {
	return &Error{Kind: Forbidden, Message: message, Hint: hint}
}

func Unauthorized(message, hint string) *Error {
	return &Error{Kind: Unauthenticated, Message: message, Hint: hint}
}

func Conflictf(format string, args ...any) *Error {
	return &Error{Kind: Conflict, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields reports form input that failed validation, one message per field.
func InvalidFields(fields map[string]string) *Error {
	return &Error{Kind: Invalid, Message: "Some fields need attention.", Fields: fields}
}

// Wrap attaches a cause to a kind-carrying error without changing what the
// caller sees.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithHint returns a copy of e with a hint added.
func (e *Error) WithHint(h string) *Error {
	c := *e
	c.Hint = h
	return &c
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// KindOf returns err's kind, Internal when it has none, "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if fe := As(err); fe != nil {
		return fe.Kind
	}
	return Internal
}
