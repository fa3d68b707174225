package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/fault"
)

// Jira Service Management's REST API (/rest/servicedeskapi, JSM.md §3),
// so scripts written for JSM work against Portico. Each handler asks the
// same domain calls as the portal; this file holds the conventions: the
// paging envelope, dates, links and error bodies.

const jsmBase = "/rest/servicedeskapi"

// jsmHandler is a JSM endpoint: it returns the value to send (nil: 204).
type jsmHandler func(r *http.Request, who access.Caller) (any, error)

func (s *Server) jsm(status int, h jsmHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.who(r)
		if err != nil {
			jsmFail(w, r, err)
			return
		}
		out, err := h(r, who)
		if err != nil {
			jsmFail(w, r, err)
			return
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, status, out)
	}
}

// refuse answers a request the middleware turned away, in the shape of
// the API it was sent to.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if StatusOf(err) == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Portico", charset="UTF-8"`)
	}
	if strings.HasPrefix(r.URL.Path, "/rest/") {
		jsmFail(w, r, err)
		return
	}
	fail(w, r, err)
}

type jsmError struct {
	ErrorMessage     string  `json:"errorMessage"`
	I18nErrorMessage jsmI18n `json:"i18nErrorMessage"`
}

type jsmI18n struct {
	Key        string   `json:"i18nKey"`
	Parameters []string `json:"parameters"`
}

// jsmFail writes JSM's error body; field errors are joined into the
// message, one "field: message" each, in a stable order.
func jsmFail(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusOf(err)
	msg := "Something went wrong on our side. The error was logged."
	kind := "internal"
	if fe := fault.As(err); fe != nil && code != http.StatusInternalServerError {
		msg, kind = fe.Message, string(fe.Kind)
		if len(fe.Fields) > 0 {
			keys := make([]string, 0, len(fe.Fields))
			for k := range fe.Fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = k + ": " + fe.Fields[k]
			}
			msg = strings.Join(parts, " ")
		}
	} else {
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("internal error")
	}
	writeJSON(w, code, jsmError{ErrorMessage: msg, I18nErrorMessage: jsmI18n{Key: "portico.error." + kind, Parameters: []string{}}})
}

// jsmDate is JSM's date object.
type jsmDate struct {
	ISO8601     string `json:"iso8601"`
	Jira        string `json:"jira"`
	Friendly    string `json:"friendly"`
	EpochMillis int64  `json:"epochMillis"`
}

func dateOf(t time.Time) jsmDate {
	t = t.UTC()
	return jsmDate{ISO8601: t.Format("2006-01-02T15:04:05-0700"), Jira: t.Format("2006-01-02T15:04:05.000-0700"),
		Friendly: t.Format("02/Jan/06 3:04 PM"), EpochMillis: t.UnixMilli()}
}

// jsmPaging reads start and limit: limit defaults to 50 and is capped at
// 100; start past the end gives an empty last page.
func jsmPaging(r *http.Request) (start, limit int, err error) {
	q := r.URL.Query()
	start, limit = 0, 50
	if v := q.Get("start"); v != "" {
		if start, err = strconv.Atoi(v); err != nil || start < 0 {
			return 0, 0, fault.InvalidFields(map[string]string{"start": "The start must be 0 or more."})
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return 0, 0, fault.InvalidFields(map[string]string{"limit": "The limit must be 0 or more."})
		}
		if limit == 0 {
			limit = 50
		}
	}
	return start, min(limit, 100), nil
}

// jsmPage is JSM's paging envelope.
type jsmPage struct {
	Expands    []string          `json:"_expands"`
	Size       int               `json:"size"`
	Start      int               `json:"start"`
	Limit      int               `json:"limit"`
	IsLastPage bool              `json:"isLastPage"`
	Links      map[string]string `json:"_links"`
	Values     any               `json:"values"`
}

// pageOf cuts all to one page with its links.
func pageOf[T any](s *Server, r *http.Request, all []T, start, limit int) jsmPage {
	if all == nil {
		all = []T{}
	}
	from := min(start, len(all))
	to := min(from+limit, len(all))
	return s.envelope(r, all[from:to], to-from, start, limit, to >= len(all))
}

// envelope wraps size values (a page already cut) in JSM's paging.
func (s *Server) envelope(r *http.Request, values any, size, start, limit int, last bool) jsmPage {
	base := s.baseURL(r.Context())
	links := map[string]string{"base": base, "context": "", "self": base + r.URL.RequestURI()}
	at := func(st int) string {
		u := *r.URL
		q := u.Query()
		q.Set("start", strconv.Itoa(st))
		q.Set("limit", strconv.Itoa(limit))
		u.RawQuery = q.Encode()
		return base + u.RequestURI()
	}
	if !last {
		links["next"] = at(start + limit)
	}
	if start > 0 {
		links["prev"] = at(max(0, start-limit))
	}
	return jsmPage{Expands: []string{}, Size: size, Start: start, Limit: limit, IsLastPage: last, Links: links, Values: values}
}

// baseURL is the help center's canonical address, without a trailing slash.
func (s *Server) baseURL(ctx context.Context) string {
	hc, err := s.b.HelpCenter.Get(ctx)
	if err != nil || hc.PortalURL == "" {
		return ""
	}
	return strings.TrimRight(hc.PortalURL, "/")
}

// jsmID reads a numeric id from the path; anything else is JSM's 404.
func jsmID(r *http.Request, name, what string) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue(name), 10, 64)
	if err != nil || id == 0 {
		return 0, fault.NotFoundf("There is no %s %q.", what, r.PathValue(name))
	}
	return id, nil
}

// jsmBody decodes a JSON body JSM-style: unknown fields are ignored (JSM
// clients send more than Portico uses), bad JSON is a 400.
func jsmBody[T any](r *http.Request) (T, error) {
	var v T
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return v, fault.New(fault.TooLarge, "The request body is too large.", "")
		case errors.Is(err, io.EOF):
			return v, fault.Invalidf("The request needs a JSON body.")
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return v, fault.InvalidFields(map[string]string{typeErr.Field: fmt.Sprintf("Expected a %s here.", typeErr.Type)})
		}
		return v, fault.Invalidf("The request body is not valid JSON: %v", err)
	}
	return v, nil
}

// expands reads expand= given comma-separated, repeated, or both.
func expands(r *http.Request) map[string]bool {
	out := map[string]bool{}
	for _, v := range r.URL.Query()["expand"] {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out[e] = true
			}
		}
	}
	return out
}

func selfLink(base, path string) map[string]string {
	return map[string]string{"self": base + jsmBase + path}
}

func escape(s string) string { return url.PathEscape(s) }

// Personal API tokens, for the caller's own account.

func (s *Server) tokenOwner(r *http.Request) (uint64, error) {
	c := callerOf(r)
	if c.account == nil {
		return 0, fault.Unauthorized("Log in to manage your API tokens.", "")
	}
	if c.byToken {
		return 0, fault.Forbid("An API token cannot manage API tokens.", "Log in with your password to create or revoke tokens.")
	}
	return c.account.ID, nil
}

func (s *Server) getTokens(r *http.Request, _ access.Caller) (any, error) {
	id, err := s.tokenOwner(r)
	if err != nil {
		return nil, err
	}
	ts, err := s.b.Identity.APITokens(r.Context(), id)
	return map[string]any{"tokens": ts}, err
}

func (s *Server) postToken(r *http.Request, _ access.Caller) (any, error) {
	id, err := s.tokenOwner(r)
	if err != nil {
		return nil, err
	}
	in, err := body[struct {
		Name string `json:"name"`
		Days int    `json:"days"`
	}](r)
	if err != nil {
		return nil, err
	}
	t, secret, err := s.b.Identity.CreateAPIToken(r.Context(), id, in.Name, in.Days)
	if err != nil {
		return nil, err
	}
	return map[string]any{"token": t, "secret": secret}, nil
}

func (s *Server) deleteToken(r *http.Request, _ access.Caller) error {
	owner, err := s.tokenOwner(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.b.Identity.RevokeAPIToken(r.Context(), owner, id)
}
