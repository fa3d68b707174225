package server

import (
	"net/http"
	"strconv"
	"strings"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// pathID reads a numeric id from the path; anything else is a 404, the
// same answer as an id that does not exist.
func pathID(r *http.Request, name string) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue(name), 10, 64)
	if err != nil || id == 0 {
		return 0, fault.NotFoundf("Nothing here has the id %q.", r.PathValue(name))
	}
	return id, nil
}

// handle is the shape of most handlers: who is asking, one domain call,
// one JSON answer.
func (s *Server) handle(status int, fn func(r *http.Request, who access.Caller) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.who(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		out, err := fn(r, who)
		if err != nil {
			fail(w, r, err)
			return
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, status, out)
	}
}

// body decodes the request body or returns the decoding error.
func body[T any](r *http.Request) (T, error) {
	var v T
	return v, decodeErr(r, &v)
}

type messageOut struct {
	Message string `json:"message"`
}

// Portal side -------------------------------------------------------------

func (s *Server) getPortals(r *http.Request, who access.Caller) (any, error) {
	ps, err := s.b.Portals(r.Context(), who)
	return map[string]any{"portals": ps}, err
}

func (s *Server) getPortal(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.b.Portal(r.Context(), who, id)
}

func (s *Server) postSignup(r *http.Request, _ access.Caller) (any, error) {
	in, err := body[identity.SignupInput](r)
	if err != nil {
		return nil, err
	}
	if err := s.b.Signup(r.Context(), callerOf(r).client, in); err != nil {
		return nil, err
	}
	return messageOut{backend.SignupMessage}, nil
}

func (s *Server) postForgot(r *http.Request, _ access.Caller) (any, error) {
	in, err := body[struct {
		Email string `json:"email"`
	}](r)
	if err != nil {
		return nil, err
	}
	if err := s.b.Forgot(r.Context(), callerOf(r).client, in.Email); err != nil {
		return nil, err
	}
	return messageOut{backend.ForgotMessage}, nil
}

func (s *Server) postSetPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := s.b.SetPassword(r.Context(), in.Token, in.Password)
	if err != nil {
		fail(w, r, err)
		return
	}
	if callerOf(r).door == DoorLAN && !s.startSession(w, r, a.ID) {
		return
	}
	writeJSON(w, http.StatusOK, accountOut{viewAccount(&a)})
}

func (s *Server) postChangePassword(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.account == nil {
		fail(w, r, fault.Unauthorized("Log in to continue.", ""))
		return
	}
	var in struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := s.b.ChangePassword(r.Context(), c.account.ID, in.Current, in.Password)
	if err != nil {
		fail(w, r, err)
		return
	}
	// Every session ended with the change; this browser gets a new one.
	if c.door == DoorLAN && !s.startSession(w, r, a.ID) {
		return
	}
	writeJSON(w, http.StatusOK, accountOut{viewAccount(&a)})
}

// Console: projects --------------------------------------------------------

type projectView struct {
	helpcenter.Project
	PortalAnnouncementHTML string `json:"portalAnnouncementHtml"`
	// ChannelMeaning says what the channel setting means under the current
	// site settings, in plain words.
	ChannelMeaning string `json:"channelMeaning"`
	LogoURL        string `json:"logoUrl"`
}

func (s *Server) viewProject(r *http.Request, p helpcenter.Project) (projectView, error) {
	site, err := s.b.HelpCenter.Site(r.Context())
	return projectView{Project: p, PortalAnnouncementHTML: helpcenter.RenderMarkdown(p.PortalAnnouncement),
		ChannelMeaning: access.ChannelMeaning(site, p.Channel), LogoURL: p.LogoURL()}, err
}

func (s *Server) getProjects(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	ps, err := s.b.HelpCenter.Projects(r.Context())
	if err != nil {
		return nil, err
	}
	out := []projectView{}
	for _, p := range ps {
		if who.Role != access.Admin && !who.AgentOf[p.ID] {
			continue
		}
		v, err := s.viewProject(r, p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return map[string]any{"projects": out}, nil
}

func (s *Server) postProject(r *http.Request, who access.Caller) (any, error) {
	in, err := body[helpcenter.ProjectInput](r)
	if err != nil {
		return nil, err
	}
	p, err := s.b.HelpCenter.CreateProject(r.Context(), who, in)
	if err != nil {
		return nil, err
	}
	return s.viewProject(r, p)
}

// project reads a project the caller works on (admin, or its agent).
func (s *Server) project(r *http.Request, who access.Caller) (helpcenter.Project, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return helpcenter.Project{}, err
	}
	if err := access.ManageCustomers(who, id).Err(); err != nil {
		if fault.KindOf(err) == fault.Forbidden && who.Role == access.Agent {
			return helpcenter.Project{}, errNoProject
		}
		return helpcenter.Project{}, err
	}
	return s.b.HelpCenter.Project(r.Context(), id)
}

var errNoProject = fault.NotFoundf("No such service project.")

func (s *Server) getProject(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	return s.viewProject(r, p)
}

func (s *Server) patchProject(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	in, err := body[helpcenter.ProjectInput](r)
	if err != nil {
		return nil, err
	}
	p, err := s.b.HelpCenter.UpdateProject(r.Context(), who, id, in)
	if err != nil {
		return nil, err
	}
	return s.viewProject(r, p)
}

// Console: customers, rules, organizations, agents -------------------------

type customerRow struct {
	Account *accountView   `json:"account"`
	Active  bool           `json:"active"`
	Routes  []access.Route `json:"routes"`
}

func (s *Server) getCustomers(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	rows, total, err := s.b.HelpCenter.Customers(r.Context(), who, p.ID, r.URL.Query().Get("q"), 200)
	if err != nil {
		return nil, err
	}
	out := make([]customerRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, customerRow{Account: viewAccount(&row.Account), Active: row.Account.Active, Routes: row.Routes})
	}
	note := ""
	if p.Channel == access.Open {
		note = "This portal is Open: people who are not on this list may use it too, and removing someone here does not keep them out."
	}
	return map[string]any{"customers": out, "total": total, "note": note}, nil
}

type personIn struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// addedOut answers "add this person": who they are, not what role they
// hold elsewhere, so adding people by email cannot map the staff.
type addedOut struct {
	Account personView `json:"account"`
	Created bool       `json:"created"`
}

type personView struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func viewPerson(a identity.Account) personView {
	return personView{ID: strconv.FormatUint(a.ID, 10), Email: a.Email, Name: a.Name}
}

func (s *Server) postCustomer(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	in, err := body[personIn](r)
	if err != nil {
		return nil, err
	}
	a, created, err := s.b.AddCustomer(r.Context(), who, p.ID, in.Email, in.Name)
	if err != nil {
		return nil, err
	}
	return addedOut{viewPerson(a), created}, nil
}

func (s *Server) deleteCustomer(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	account, err := pathID(r, "account")
	if err != nil {
		return nil, err
	}
	return nil, s.b.HelpCenter.RemoveCustomer(r.Context(), who, p.ID, account)
}

func (s *Server) getRules(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	rules, err := s.b.HelpCenter.Rules(r.Context(), p.ID)
	return map[string]any{"rules": rules}, err
}

func (s *Server) postRule(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	in, err := body[helpcenter.Rule](r)
	if err != nil {
		return nil, err
	}
	return s.b.HelpCenter.AddRule(r.Context(), who, p.ID, in)
}

func (s *Server) deleteRule(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	return nil, s.b.HelpCenter.RemoveRule(r.Context(), who, p.ID, r.PathValue("domain"))
}

func (s *Server) getProjectOrgs(r *http.Request, who access.Caller) (any, error) {
	p, err := s.project(r, who)
	if err != nil {
		return nil, err
	}
	orgs, err := s.b.HelpCenter.ProjectOrgs(r.Context(), p.ID)
	if orgs == nil {
		orgs = []identity.Org{}
	}
	return map[string]any{"organizations": orgs}, err
}

func (s *Server) putProjectOrg(attach bool) func(r *http.Request, who access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		p, err := s.project(r, who)
		if err != nil {
			return nil, err
		}
		org, err := pathID(r, "org")
		if err != nil {
			return nil, err
		}
		if attach {
			return nil, s.b.HelpCenter.AttachOrg(r.Context(), who, p.ID, org)
		}
		return nil, s.b.HelpCenter.DetachOrg(r.Context(), who, p.ID, org)
	}
}

func (s *Server) putAgent(assign bool) func(r *http.Request, who access.Caller) (any, error) {
	return func(r *http.Request, who access.Caller) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		account, err := pathID(r, "account")
		if err != nil {
			return nil, err
		}
		return nil, s.b.HelpCenter.AssignAgent(r.Context(), who, id, account, assign)
	}
}

func (s *Server) getExplain(r *http.Request, who access.Caller) (any, error) {
	q := r.URL.Query()
	project, err := strconv.ParseUint(q.Get("project"), 10, 64)
	if err != nil {
		return nil, fault.InvalidFields(map[string]string{"project": "Choose a portal."})
	}
	if strings.TrimSpace(q.Get("email")) == "" {
		return nil, fault.InvalidFields(map[string]string{"email": "Enter the person's email address."})
	}
	ex, err := s.b.Explain(r.Context(), who, q.Get("email"), project)
	if err != nil {
		return nil, err
	}
	return map[string]any{"account": viewAccount(ex.Account), "decision": ex.Decision}, nil
}

type nameIn struct {
	Name string `json:"name"`
}

type orgView struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Projects []string `json:"projects"`
}

func (s *Server) viewOrg(r *http.Request, o identity.Org) (orgView, []uint64, error) {
	ps, err := s.b.HelpCenter.OrgProjects(r.Context(), o.ID)
	v := orgView{ID: strconv.FormatUint(o.ID, 10), Name: o.Name, Projects: []string{}}
	for _, p := range ps {
		v.Projects = append(v.Projects, strconv.FormatUint(p, 10))
	}
	return v, ps, err
}

func anyOf(ids []uint64, set map[uint64]bool) bool {
	for _, id := range ids {
		if set[id] {
			return true
		}
	}
	return false
}

func (s *Server) getOrgs(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	orgs, err := s.b.Identity.Orgs(r.Context())
	if err != nil {
		return nil, err
	}
	out := []orgView{}
	for _, o := range orgs {
		v, attached, err := s.viewOrg(r, o)
		if err != nil {
			return nil, err
		}
		// Agents see the organizations they may manage, and those of
		// their own portals (to attach, detach and explain).
		if !access.ManageOrg(who, attached).Allow() && !anyOf(attached, who.AgentOf) {
			continue
		}
		out = append(out, v)
	}
	return map[string]any{"organizations": out}, nil
}

func (s *Server) postOrg(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	in, err := body[nameIn](r)
	if err != nil {
		return nil, err
	}
	o, err := s.b.Identity.CreateOrg(r.Context(), in.Name)
	if err != nil {
		return nil, err
	}
	v, _, err := s.viewOrg(r, o)
	return v, err
}

func (s *Server) patchOrg(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.b.ManageOrg(r.Context(), who, id); err != nil {
		return nil, err
	}
	in, err := body[nameIn](r)
	if err != nil {
		return nil, err
	}
	o, err := s.b.Identity.RenameOrg(r.Context(), id, in.Name)
	if err != nil {
		return nil, err
	}
	v, _, err := s.viewOrg(r, o)
	return v, err
}

func (s *Server) deleteOrg(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, s.b.DeleteOrg(r.Context(), who, id)
}

func (s *Server) getOrgMembers(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.b.ManageOrg(r.Context(), who, id); err != nil {
		return nil, err
	}
	members, err := s.b.OrgMembers(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := []*accountView{}
	for i := range members {
		out = append(out, viewAccount(&members[i]))
	}
	return map[string]any{"members": out}, nil
}

func (s *Server) postOrgMember(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	in, err := body[personIn](r)
	if err != nil {
		return nil, err
	}
	a, created, err := s.b.AddOrgMember(r.Context(), who, id, in.Email, in.Name)
	if err != nil {
		return nil, err
	}
	return addedOut{viewPerson(a), created}, nil
}

func (s *Server) deleteOrgMember(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := s.b.ManageOrg(r.Context(), who, id); err != nil {
		return nil, err
	}
	account, err := pathID(r, "account")
	if err != nil {
		return nil, err
	}
	return nil, s.b.Identity.RemoveMember(r.Context(), id, account)
}

// Console: staff and the outbox -------------------------------------------

type staffRow struct {
	*accountView
	Active   bool     `json:"active"`
	Projects []string `json:"projects"`
}

func (s *Server) getStaff(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	staff, err := s.b.Identity.Staff(r.Context())
	if err != nil {
		return nil, err
	}
	out := []staffRow{}
	for i, a := range staff {
		ps, err := s.b.HelpCenter.AgentProjects(r.Context(), a.ID)
		if err != nil {
			return nil, err
		}
		row := staffRow{accountView: viewAccount(&staff[i]), Active: a.Active, Projects: []string{}}
		for _, p := range ps {
			row.Projects = append(row.Projects, strconv.FormatUint(p, 10))
		}
		out = append(out, row)
	}
	return map[string]any{"staff": out}, nil
}

func (s *Server) postStaff(r *http.Request, who access.Caller) (any, error) {
	in, err := body[struct {
		Email string        `json:"email"`
		Name  string        `json:"name"`
		Role  identity.Role `json:"role"`
	}](r)
	if err != nil {
		return nil, err
	}
	a, err := s.b.AddStaff(r.Context(), who, in.Email, in.Name, in.Role)
	if err != nil {
		return nil, err
	}
	return accountOut{viewAccount(&a)}, nil
}

func (s *Server) patchAccount(r *http.Request, who access.Caller) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	in, err := body[identity.AccountPatch](r)
	if err != nil {
		return nil, err
	}
	a, err := s.b.UpdateAccount(r.Context(), who, id, in)
	if err != nil {
		return nil, err
	}
	return accountOut{viewAccount(&a)}, nil
}

func (s *Server) getOutbox(r *http.Request, who access.Caller) (any, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return nil, err
	}
	emails, err := s.b.Outbox.List(r.Context(), callerOf(r).account.Owner)
	return map[string]any{"emails": emails}, err
}

func (s *Server) deleteOutbox(r *http.Request, who access.Caller) (any, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, s.b.Outbox.Dismiss(r.Context(), id)
}
