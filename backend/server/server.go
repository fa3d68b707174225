// Package server is Portico's HTTP door: one handler serves the portal, the
// console, the JSON API and health checks, to the LAN listener and, with the
// owner's identity attached in-process, to the desktop window.
package server

import (
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/fault"
)

// Options configure New.
type Options struct {
	// Assets is the built frontend (index.html, console/index.html,
	// assets/…). Nil serves a page saying the UI was not built.
	Assets fs.FS
	// MaxBody caps JSON request bodies; default 1 MiB.
	MaxBody    int64
	SessionTTL time.Duration
}

// Server routes HTTP requests to the backend.
type Server struct {
	b          *backend.Backend
	log        zerolog.Logger
	assets     fs.FS
	maxBody    int64
	sessionTTL time.Duration
	core       http.Handler
}

func New(b *backend.Backend, log zerolog.Logger, o Options) *Server {
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 30 * 24 * time.Hour
	}
	s := &Server{b: b, log: log.With().Str("pkg", "server").Logger(), assets: o.Assets,
		maxBody: o.MaxBody, sessionTTL: o.SessionTTL}
	s.core = s.routes()
	return s
}

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/session", s.getSession)
	api.HandleFunc("POST /api/setup", s.postSetup)
	api.HandleFunc("POST /api/login", s.postLogin)
	api.HandleFunc("POST /api/logout", s.postLogout)
	api.HandleFunc("GET /api/helpcenter", s.getHelpCenter)
	api.HandleFunc("PATCH /api/helpcenter", requireStaff(s.patchHelpCenter))
	api.HandleFunc("GET /api/helpcenter/addresses", requireStaff(s.getAddresses))
	api.HandleFunc("GET /api/qr", requireStaff(s.getQR))

	api.HandleFunc("GET /api/portals", s.handle(200, s.getPortals))
	api.HandleFunc("GET /api/portals/{id}", s.handle(200, s.getPortal))
	api.HandleFunc("POST /api/signup", s.handle(202, s.postSignup))
	api.HandleFunc("POST /api/password/forgot", s.handle(202, s.postForgot))
	api.HandleFunc("POST /api/password/set", s.postSetPassword)
	api.HandleFunc("POST /api/password/change", s.postChangePassword)

	api.HandleFunc("GET /api/projects", s.handle(200, s.getProjects))
	api.HandleFunc("POST /api/projects", s.handle(201, s.postProject))
	api.HandleFunc("GET /api/projects/{id}", s.handle(200, s.getProject))
	api.HandleFunc("PATCH /api/projects/{id}", s.handle(200, s.patchProject))
	api.HandleFunc("GET /api/projects/{id}/customers", s.handle(200, s.getCustomers))
	api.HandleFunc("POST /api/projects/{id}/customers", s.handle(201, s.postCustomer))
	api.HandleFunc("DELETE /api/projects/{id}/customers/{account}", s.handle(204, s.deleteCustomer))
	api.HandleFunc("GET /api/projects/{id}/rules", s.handle(200, s.getRules))
	api.HandleFunc("POST /api/projects/{id}/rules", s.handle(201, s.postRule))
	api.HandleFunc("DELETE /api/projects/{id}/rules/{domain}", s.handle(204, s.deleteRule))
	api.HandleFunc("GET /api/projects/{id}/organizations", s.handle(200, s.getProjectOrgs))
	api.HandleFunc("PUT /api/projects/{id}/organizations/{org}", s.handle(204, s.putProjectOrg(true)))
	api.HandleFunc("DELETE /api/projects/{id}/organizations/{org}", s.handle(204, s.putProjectOrg(false)))
	api.HandleFunc("PUT /api/projects/{id}/agents/{account}", s.handle(204, s.putAgent(true)))
	api.HandleFunc("DELETE /api/projects/{id}/agents/{account}", s.handle(204, s.putAgent(false)))
	api.HandleFunc("GET /api/explain", s.handle(200, s.getExplain))

	api.HandleFunc("GET /api/organizations", s.handle(200, s.getOrgs))
	api.HandleFunc("POST /api/organizations", s.handle(201, s.postOrg))
	api.HandleFunc("PATCH /api/organizations/{id}", s.handle(200, s.patchOrg))
	api.HandleFunc("DELETE /api/organizations/{id}", s.handle(204, s.deleteOrg))
	api.HandleFunc("GET /api/organizations/{id}/members", s.handle(200, s.getOrgMembers))
	api.HandleFunc("POST /api/organizations/{id}/members", s.handle(201, s.postOrgMember))
	api.HandleFunc("DELETE /api/organizations/{id}/members/{account}", s.handle(204, s.deleteOrgMember))

	api.HandleFunc("GET /api/staff", s.handle(200, s.getStaff))
	api.HandleFunc("POST /api/staff", s.handle(201, s.postStaff))
	api.HandleFunc("PATCH /api/accounts/{id}", s.handle(200, s.patchAccount))
	api.HandleFunc("GET /api/outbox", s.handle(200, s.getOutbox))
	api.HandleFunc("DELETE /api/outbox/{id}", s.handle(204, s.deleteOutbox))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/api/", s.limitBody(s.authenticate(apiFallback(api))))
	mux.Handle("/", s.staticHandler())
	return recoverPanics(securityHeaders(mux))
}

// apiFallback answers requests no API route matched with JSON: 405 with the
// allowed methods when the path exists, else 404.
func apiFallback(api *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := api.Handler(r); pattern != "" {
			api.ServeHTTP(w, r)
			return
		}
		var allowed []string
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := api.Handler(probe); p != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			fail(w, r, fault.New(fault.MethodNotAllowed,
				r.Method+" is not allowed on "+r.URL.Path+".", "Use "+strings.Join(allowed, " or ")+"."))
			return
		}
		fail(w, r, fault.NotFoundf("There is no API endpoint at %s.", r.URL.Path))
	})
}

// LAN is the handler for the network listener: callers authenticate with a
// session cookie and cross-origin writes are refused.
func (s *Server) LAN() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, fault.Forbid("Cross-origin requests are not allowed.",
			"Use Portico from its own pages, or call the API without a browser."))
	}))
	return s.door(DoorLAN, cop.Handler(s.core))
}

// Window is the handler for the desktop window's in-process AssetServer. It
// carries the owner's identity and opens on the console.
func (s *Server) Window() http.Handler {
	return s.door(DoorWindow, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/console/"
			r = r2
		}
		s.core.ServeHTTP(w, r)
	}))
}

func (s *Server) door(d Door, next http.Handler) http.Handler {
	logged := s.accessLog(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logged.ServeHTTP(w, withDoor(r, d))
	})
}
