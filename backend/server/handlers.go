package server

import (
	"net/http"
	"strconv"

	"rsc.io/qr"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// accountView is an account as the API shows it: never the password hash.
type accountView struct {
	ID    string        `json:"id"`
	Email string        `json:"email"`
	Name  string        `json:"name"`
	Role  identity.Role `json:"role"`
	Owner bool          `json:"owner"`
}

func viewAccount(a *identity.Account) *accountView {
	if a == nil {
		return nil
	}
	return &accountView{ID: strconv.FormatUint(a.ID, 10), Email: a.Email, Name: a.Name, Role: a.Role, Owner: a.Owner}
}

type sessionView struct {
	Door          Door         `json:"door"`
	SetupRequired bool         `json:"setupRequired"`
	Account       *accountView `json:"account"`
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	has, err := s.b.Identity.HasOwner(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionView{Door: c.door, SetupRequired: !has, Account: viewAccount(c.account)})
}

type setupIn struct {
	Token          string           `json:"token"`
	HelpCenterName string           `json:"helpCenterName"`
	Audience       backend.Audience `json:"audience"`
	PortalName     string           `json:"portalName"`
	PortalKey      string           `json:"portalKey"`
	Name           string           `json:"name"`
	Email          string           `json:"email"`
	Password       string           `json:"password"`
}

type accountOut struct {
	Account *accountView `json:"account"`
}

func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) {
	var in setupIn
	if !decode(w, r, &in) {
		return
	}
	c := callerOf(r)
	claim := identity.Claim{Token: in.Token, Desktop: c.door == DoorWindow}
	a, err := s.b.Setup(r.Context(), claim,
		backend.SetupChoices{HelpCenterName: in.HelpCenterName, Audience: in.Audience, PortalName: in.PortalName, PortalKey: in.PortalKey},
		identity.NewAccount{Name: in.Name, Email: in.Email, Password: in.Password})
	if err != nil {
		fail(w, r, err)
		return
	}
	if c.door == DoorLAN {
		if !s.startSession(w, r, a.ID) {
			return
		}
	}
	writeJSON(w, http.StatusCreated, accountOut{viewAccount(&a)})
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, id uint64) bool {
	token, err := s.b.Identity.StartSession(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return false
	}
	s.setSession(w, r, token)
	return true
}

type loginIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	var in loginIn
	if !decode(w, r, &in) {
		return
	}
	c := callerOf(r)
	token, a, err := s.b.Identity.Login(r.Context(), c.client, in.Email, in.Password)
	if err != nil {
		fail(w, r, err)
		return
	}
	if c.token != "" {
		s.b.Identity.Logout(r.Context(), c.token)
	}
	s.setSession(w, r, token)
	writeJSON(w, http.StatusOK, accountOut{viewAccount(&a)})
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if err := s.b.Identity.Logout(r.Context(), c.token); err != nil {
		fail(w, r, err)
		return
	}
	clearSession(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getHelpCenter(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.HelpCenter.Get(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	who, err := s.who(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	// The login screen shows the name, logo, colours and login message;
	// the announcement is for those who may see the help center itself.
	if !access.SeeHelpCenter(st.Access, who).Allow() {
		st.Announcement, st.AnnouncementHTML = "", ""
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) patchHelpCenter(w http.ResponseWriter, r *http.Request) {
	var p helpcenter.Patch
	if !decode(w, r, &p) {
		return
	}
	who, err := s.who(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	st, err := s.b.HelpCenter.Update(r.Context(), who, p)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

type addressesView struct {
	Addresses []string `json:"addresses"`
	Canonical string   `json:"canonical"`
}

func (s *Server) getAddresses(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.HelpCenter.Get(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	addrs := s.b.HelpCenter.Addresses()
	if addrs == nil {
		addrs = []string{}
	}
	writeJSON(w, http.StatusOK, addressesView{Addresses: addrs, Canonical: st.PortalURL})
}

// getQR draws text as a QR code so a phone can open the portal.
func (s *Server) getQR(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	if text == "" || len(text) > 512 {
		fail(w, r, fault.Invalidf("Give the text to encode in ?text=, at most 512 bytes."))
		return
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		fail(w, r, fault.Invalidf("This text cannot be drawn as a QR code."))
		return
	}
	code.Scale = 6
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(code.PNG())
}
