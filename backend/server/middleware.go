package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"portico/backend/identity"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"portico/backend/access"
	"portico/backend/fault"
)

const sessionCookie = "portico_session"

// csp allows our own scripts only: no inline script, no eval, no framing.
// Inline styles stay allowed; Svelte sets element styles.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// accessLog writes one line per request with its id, door, status and
// duration. It logs the path only: query strings may carry secrets.
func (s *Server) accessLog(next http.Handler) http.Handler {
	h := hlog.AccessHandler(func(r *http.Request, status, size int, d time.Duration) {
		c := callerOf(r)
		e := hlog.FromRequest(r).Info()
		if status >= 500 {
			e = hlog.FromRequest(r).Error()
		}
		if c.account != nil {
			e = e.Uint64("account", c.account.ID)
		}
		e.Str("door", string(c.door)).Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", status).Int("size", size).Dur("dur", d).Msg("request")
	})(next)
	return hlog.NewHandler(s.log)(hlog.RequestIDHandler("req_id", "X-Request-Id")(h))
}

// recoverPanics turns a panic into a logged 500 instead of a dropped
// connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				zerolog.Ctx(r.Context()).Error().Interface("panic", v).Msg("handler panicked")
				fail(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves who is asking. In the window that is the owner;
// on the LAN it is whoever the session cookie names, if anyone.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callerOf(r)
		switch c.door {
		case DoorWindow:
			if owner, err := s.b.Identity.Owner(r.Context()); err == nil {
				c.account = &owner
			} else if fault.KindOf(err) != fault.NotFound {
				fail(w, r, err)
				return
			}
		default:
			if h := r.Header.Get("Authorization"); h != "" {
				// A script with an API token: its credentials decide, never
				// a cookie that came along, and bad ones are refused at once.
				a, err := s.tokenAccount(r.Context(), h)
				if err != nil {
					s.refuse(w, r, err)
					return
				}
				c.account, c.byToken = &a, true
				break
			}
			if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
				a, err := s.b.Identity.Authenticate(r.Context(), ck.Value)
				switch fault.KindOf(err) {
				case "":
					c.account, c.token = &a, ck.Value
				case fault.Unauthenticated:
					clearSession(w, r)
				default:
					fail(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tokenAccount reads an Authorization header: HTTP Basic with an email
// and an API token (as JSM Cloud takes them), or Bearer with the token.
func (s *Server) tokenAccount(ctx context.Context, header string) (identity.Account, error) {
	scheme, cred, _ := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		return s.b.Identity.AuthenticateAPIToken(ctx, "", cred)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			break
		}
		email, token, ok := strings.Cut(string(raw), ":")
		if !ok || email == "" {
			break
		}
		return s.b.Identity.AuthenticateAPIToken(ctx, email, token)
	}
	return identity.Account{}, fault.Unauthorized("Send an API token: Authorization: Basic with your email and the token, or Bearer with the token.",
		"Create a token under your profile; passwords are not accepted here.")
}

func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge: int(s.sessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil,
	})
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

// limitBody caps request bodies; decode reports the overflow as a 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.maxBody
		switch p := r.URL.Path; {
		case p == "/api/uploads":
			limit = s.b.Requests.MaxUpload
		case strings.HasPrefix(p, jsmBase+"/") && strings.HasSuffix(p, "/attachTemporaryFile"):
			// The file, and the multipart framing around it.
			limit = s.b.Requests.MaxUpload + 64<<10
		case strings.HasPrefix(p, "/api/kb/articles/") && strings.HasSuffix(p, "/files"):
			limit = s.b.KB.MaxFile
		case strings.HasSuffix(p, "/kb/import"):
			// A batch of up to 50 whole articles.
			limit = max(limit, 24<<20)
		case strings.HasPrefix(p, "/api/kb/") || strings.Contains(p, "/kb/articles"):
			// One article may hold 400,000 characters, up to 4 bytes each.
			limit = max(limit, 2<<20)
		}
		if r.ContentLength > limit {
			// Refuse at once rather than read up to the limit first.
			fail(w, r, fault.New(fault.TooLarge, fmt.Sprintf("The request body is larger than %d bytes.", limit), "Send less data."))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// requireStaff guards console-only endpoints with the same access
// question every other console call asks.
func (s *Server) requireStaff(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.who(r)
		if err == nil {
			err = access.WorkConsole(who).Err()
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		h(w, r)
	}
}
