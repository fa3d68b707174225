// Package server is Portico's HTTP door: one handler serves the portal, the
// console, the JSON API and health checks, to the LAN listener and, with the
// owner's identity attached in-process, to the desktop window.
package server

import (
	"context"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/fault"
)

// Options configure New.
type Options struct {
	// Assets is the built frontend (index.html, console/index.html,
	// assets/…). Nil serves a page saying the UI was not built.
	Assets fs.FS
	// MaxBody caps JSON request bodies; default 1 MiB.
	MaxBody int64
	// Version is what /rest/servicedeskapi/info reports.
	Version string
}

// Server routes HTTP requests to the backend.
type Server struct {
	b          *backend.Backend
	log        zerolog.Logger
	assets     fs.FS
	maxBody    int64
	sessionTTL time.Duration
	core       http.Handler
	version    string
	started    time.Time

	mu       sync.Mutex
	inflight int
	idle     chan struct{} // closed when inflight drops to 0 while closing
	closing  bool
}

func New(b *backend.Backend, log zerolog.Logger, o Options) *Server {
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	s := &Server{b: b, log: log.With().Str("pkg", "server").Logger(), assets: o.Assets,
		maxBody: o.MaxBody, sessionTTL: b.Identity.SessionTTL(), version: o.Version, started: time.Now()}
	if s.version == "" {
		s.version = "dev"
	}
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
	api.HandleFunc("PATCH /api/helpcenter", s.requireStaff(s.patchHelpCenter))
	api.HandleFunc("GET /api/helpcenter/addresses", s.requireStaff(s.getAddresses))
	api.HandleFunc("GET /api/qr", s.requireStaff(s.getQR))

	api.HandleFunc("GET /api/helpcenter/logo", s.getHelpCenterLogo)
	api.HandleFunc("PUT /api/helpcenter/logo", s.handle(200, s.putHelpCenterLogo))
	api.HandleFunc("DELETE /api/helpcenter/logo", s.handle(200, s.deleteHelpCenterLogo))
	api.HandleFunc("GET /api/portals/{id}/logo", s.getPortalLogo)
	api.HandleFunc("PUT /api/projects/{id}/logo", s.handle(200, s.putProjectLogo))
	api.HandleFunc("DELETE /api/projects/{id}/logo", s.handle(200, s.deleteProjectLogo))
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
	s.requestRoutes(api)
	s.kbRoutes(api)
	api.HandleFunc("GET /api/tokens", s.handle(200, s.getTokens))
	api.HandleFunc("POST /api/tokens", s.handle(201, s.postToken))
	api.HandleFunc("DELETE /api/tokens/{id}", s.handle(204, func(r *http.Request, who access.Caller) (any, error) {
		return nil, s.deleteToken(r, who)
	}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/api/", s.limitBody(s.authenticate(apiFallback(api))))
	mux.Handle(jsmBase+"/", s.limitBody(s.authenticate(s.jsmRoutes())))
	mux.Handle("/", s.staticHandler())
	return recoverPanics(apiPaths(mux))
}

// apiPaths answers in JSON what the mux would answer in HTML or plain
// text: CONNECT, and /api paths it would redirect to their clean form.
func apiPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case r.Method == http.MethodConnect:
			w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE")
			fail(w, r, fault.New(fault.MethodNotAllowed, "CONNECT is not allowed here.", ""))
		case p == "/api" || strings.HasPrefix(p, "/api/") && p != "/api/" && path.Clean(p) != p:
			fail(w, r, fault.NotFoundf("There is no API endpoint at %s.", p))
		default:
			next.ServeHTTP(w, r)
		}
	})
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
// carries the owner's identity and opens on the console. It answers only
// the webview's own host: were it ever served over a network (wails dev
// does that), a browser or a DNS-rebinding page must not get the owner.
func (s *Server) Window() http.Handler {
	return s.door(DoorWindow, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !WindowHost(r.Host) {
			fail(w, r, fault.Forbid("This door is for the Portico window only.", "Open Portico's LAN address in a browser instead."))
			return
		}
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/console/"
			r = r2
		}
		s.core.ServeHTTP(w, r)
	}))
}

// WindowHost reports whether host is the webview's: wails://wails on Linux
// and macOS, http://wails.localhost on Windows.
func WindowHost(host string) bool { return host == "wails" || host == "wails.localhost" }

// door marks how requests arrived, logs them, sets the security headers on
// every answer (refusals included) and counts them, so shutdown can wait
// for the ones in flight before closing the store.
func (s *Server) door(d Door, next http.Handler) http.Handler {
	logged := securityHeaders(s.accessLog(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enter() {
			w.Header().Set("Retry-After", "5")
			fail(w, r, fault.New(fault.Unavailable, "Portico is shutting down.", "Try again when it is back."))
			return
		}
		defer s.leave()
		logged.ServeHTTP(w, withDoor(r, d))
	})
}

func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight++
	return true
}

func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	if s.closing && s.inflight == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// Drain refuses new requests through either door and waits until those in
// flight have finished, or ctx ends; it returns how many were still running.
func (s *Server) Drain(ctx context.Context) int {
	s.mu.Lock()
	s.closing = true
	if s.inflight == 0 {
		s.mu.Unlock()
		return 0
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return 0
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.inflight
	}
}
