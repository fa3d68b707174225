package server

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"portico/backend/fault"
)

// staticHandler serves the built frontend: hashed files under /assets/
// cached for a year, and the two single-page apps for every other GET —
// the console under /console and at /setup, the portal everywhere else,
// so a shared link like /portal/1 loads the app that can route it.
func (s *Server) staticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fail(w, r, fault.New(fault.MethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+".", "Use GET."))
			return
		}
		if s.assets == nil {
			fail(w, r, fault.New(fault.Unavailable, "Portico's web interface was not built into this binary.",
				"Build it with `make build`."))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		switch {
		case strings.HasPrefix(p, "assets/"):
			if s.serveFile(w, r, p, "public, max-age=31536000, immutable") {
				return
			}
			http.NotFound(w, r)
			return
		case p == "console" || strings.HasPrefix(p, "console/") || p == "setup":
			p = "console/index.html"
		case p != "" && p != "." && !strings.HasSuffix(p, ".html"):
			// favicon.svg, robots.txt and friends sit at the root.
			if s.serveFile(w, r, p, "public, max-age=3600") {
				return
			}
			p = "index.html"
		default:
			p = "index.html"
		}
		if !s.serveFile(w, r, p, "no-cache") {
			fail(w, r, fault.New(fault.Unavailable, "Portico's web interface is missing from this binary.",
				"Build it with `make build`."))
		}
	})
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name, cache string) bool {
	if st, err := fs.Stat(s.assets, name); err != nil || st.IsDir() {
		return false
	}
	b, err := fs.ReadFile(s.assets, name)
	if err != nil {
		fail(w, r, err)
		return true
	}
	w.Header().Set("Cache-Control", cache)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	return true
}
