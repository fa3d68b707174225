package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"portico/backend/fault"
)

// status is the one place fault kinds become HTTP statuses.
var status = map[fault.Kind]int{
	fault.Invalid:          http.StatusBadRequest,
	fault.Unauthenticated:  http.StatusUnauthorized,
	fault.Forbidden:        http.StatusForbidden,
	fault.NotFound:         http.StatusNotFound,
	fault.MethodNotAllowed: http.StatusMethodNotAllowed,
	fault.Conflict:         http.StatusConflict,
	fault.TooLarge:         http.StatusRequestEntityTooLarge,
	fault.RateLimited:      http.StatusTooManyRequests,
	fault.Unavailable:      http.StatusServiceUnavailable,
}

// StatusOf maps an error to its HTTP status; errors without a kind are 500.
func StatusOf(err error) int {
	if s, ok := status[fault.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorView `json:"error"`
}

type errorView struct {
	Kind    fault.Kind        `json:"kind"`
	Message string            `json:"message"`
	Hint    string            `json:"hint,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// fail writes err as a JSON error. Errors without a kind are logged with the
// request id and shown as a bland 500: their text may hold internals.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusOf(err)
	var v errorView
	if fe := fault.As(err); fe != nil && code != http.StatusInternalServerError {
		v = errorView{Kind: fe.Kind, Message: fe.Message, Hint: fe.Hint, Fields: fe.Fields}
	} else {
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("internal error")
		v = errorView{Kind: fault.Internal, Message: "Something went wrong on our side.",
			Hint: "Try again. If it keeps happening, tell the Portico administrator the time it happened."}
	}
	if code == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
		w.Header().Set("Allow", "GET, HEAD")
	}
	writeJSON(w, code, errorBody{v})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// decode reads one JSON object into v, strictly: a JSON content type, no
// unknown fields, nothing after the object. It writes the error response
// itself and reports whether the handler may go on.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeErr(r, v); err != nil {
		fail(w, r, err)
		return false
	}
	return true
}

func decodeErr(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return fault.New(fault.Invalid, "Send the request body as JSON.", "Set the header Content-Type: application/json.")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("extra data after the JSON object")
	} else if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("extra data after the JSON object")
		}
	}
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return fault.New(fault.TooLarge, fmt.Sprintf("The request body is larger than %d bytes.", tooBig.Limit), "Send less data.")
	case errors.Is(err, io.EOF):
		return fault.Invalidf("The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Invalidf("The request body is not valid JSON: it ends too early.")
	case errors.As(err, &syntax):
		return fault.Invalidf("The request body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fault.Invalidf("Field %q must be a %s.", typ.Field, jsonType(typ.Type.Kind().String()))
		}
		return fault.Invalidf("The request body must be a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fault.Invalidf("Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fault.Invalidf("The request body could not be read: %s.", err.Error())
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}
