package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
)

// readImage reads an uploaded image body; its type is decided from the
// content later, never from the header or a file name.
func readImage(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("Logos can be at most %d KB.", helpcenter.MaxLogoBytes>>10), "Use a smaller image.")
	}
	return b, err
}

func (s *Server) putHelpCenterLogo(r *http.Request, who access.Caller) (any, error) {
	raw, err := readImage(r)
	if err != nil {
		return nil, err
	}
	return s.b.HelpCenter.SetLogo(r.Context(), who, raw)
}

func (s *Server) deleteHelpCenterLogo(r *http.Request, who access.Caller) (any, error) {
	return s.b.HelpCenter.SetLogo(r.Context(), who, nil)
}

func (s *Server) putProjectLogo(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	raw, err := readImage(r)
	if err != nil {
		return nil, err
	}
	p, err := s.b.HelpCenter.SetProjectLogo(r.Context(), who, id, raw)
	if err != nil {
		return nil, err
	}
	return s.viewProject(r, p)
}

func (s *Server) deleteProjectLogo(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.b.HelpCenter.SetProjectLogo(r.Context(), who, id, nil)
	if err != nil {
		return nil, err
	}
	return s.viewProject(r, p)
}

// servePNG sends a stored image with headers that keep it an image: its
// own type, no sniffing, and a CSP that forbids it doing anything.
func servePNG(w http.ResponseWriter, r *http.Request, id string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	// The URL carries the image id, so a changed logo is a new URL.
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", `"`+id[:16]+`"`)
	if r.Header.Get("If-None-Match") == `"`+id[:16]+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}

func (s *Server) getHelpCenterLogo(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.HelpCenter.Get(r.Context())
	if err == nil && st.Logo == "" {
		err = fault.NotFoundf("This help center has no logo.")
	}
	var b []byte
	if err == nil {
		b, err = s.b.HelpCenter.Image(r.Context(), st.Logo)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	servePNG(w, r, st.Logo, b)
}

// getPortalLogo serves a portal's logo to whoever may use the portal.
func (s *Server) getPortalLogo(w http.ResponseWriter, r *http.Request) {
	who, id, ok := s.callerAndID(w, r)
	if !ok {
		return
	}
	logo, b, err := s.b.PortalLogo(r.Context(), who, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	servePNG(w, r, logo, b)
}
