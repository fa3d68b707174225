package server

import (
	"net/http"
	"slices"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/kb"
	"portico/backend/request"
)

func (s *Server) jsmRoutes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+jsmBase+"/info", s.jsm(200, s.jsmInfo))
	m.HandleFunc("GET "+jsmBase+"/servicedesk", s.jsm(200, s.jsmDesks))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}", s.jsm(200, s.jsmDesk))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/requesttype", s.jsm(200, s.jsmTypes))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/requesttype/{rt}", s.jsm(200, s.jsmType))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/requesttype/{rt}/field", s.jsm(200, s.jsmFields))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/requesttypegroup", s.jsm(200, s.jsmGroups))
	m.HandleFunc("POST "+jsmBase+"/request", s.jsm(201, s.jsmCreate))
	m.HandleFunc("GET "+jsmBase+"/request", s.jsm(200, s.jsmList))
	m.HandleFunc("GET "+jsmBase+"/request/{key}", s.jsm(200, s.jsmGet))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/comment", s.jsm(200, s.jsmComments))
	m.HandleFunc("POST "+jsmBase+"/request/{key}/comment", s.jsm(201, s.jsmComment))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/status", s.jsm(200, s.requestPage((*Server).statusPage)))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/transition", s.jsm(200, s.requestPage((*Server).transitionsPage)))
	m.HandleFunc("POST "+jsmBase+"/request/{key}/transition", s.jsm(204, s.jsmTransition))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/participant", s.jsm(200, s.requestPage((*Server).participantsPage)))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/notification", s.jsm(200, s.jsmNotification))
	m.HandleFunc("PUT "+jsmBase+"/request/{key}/notification", s.jsm(204, s.jsmSubscribe(true)))
	m.HandleFunc("DELETE "+jsmBase+"/request/{key}/notification", s.jsm(204, s.jsmSubscribe(false)))
	m.HandleFunc("POST "+jsmBase+"/request/{key}/participant", s.jsm(200, s.jsmAddParticipants))
	m.HandleFunc("DELETE "+jsmBase+"/request/{key}/participant", s.jsm(200, s.jsmRemoveParticipants))
	m.HandleFunc("GET "+jsmBase+"/organization", s.jsm(200, s.jsmOrgs))
	m.HandleFunc("POST "+jsmBase+"/organization", s.jsm(201, s.jsmCreateOrg))
	m.HandleFunc("GET "+jsmBase+"/organization/{id}", s.jsm(200, s.jsmOrg))
	m.HandleFunc("DELETE "+jsmBase+"/organization/{id}", s.jsm(204, s.jsmDeleteOrg))
	m.HandleFunc("GET "+jsmBase+"/organization/{id}/user", s.jsm(200, s.jsmOrgUsers))
	m.HandleFunc("POST "+jsmBase+"/organization/{id}/user", s.jsm(204, s.jsmOrgUsersChange(true)))
	m.HandleFunc("DELETE "+jsmBase+"/organization/{id}/user", s.jsm(204, s.jsmOrgUsersChange(false)))
	m.HandleFunc("POST "+jsmBase+"/servicedesk/{id}/attachTemporaryFile", s.jsm(201, s.jsmTemporaryFile))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/comment/{comment}", s.jsm(200, s.jsmOneComment))
	m.HandleFunc("GET "+jsmBase+"/request/{key}/attachment/{att}", s.jsmAttachmentContent)
	m.HandleFunc("GET "+jsmBase+"/request/{key}/attachment", s.jsm(200, s.requestPage((*Server).attachmentsPage)))
	m.HandleFunc("POST "+jsmBase+"/request/{key}/attachment", s.jsm(201, s.jsmAttach))
	m.HandleFunc("POST "+jsmBase+"/customer", s.jsm(201, s.jsmCreateCustomer))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/customer", s.jsm(200, s.jsmDeskCustomers))
	m.HandleFunc("POST "+jsmBase+"/servicedesk/{id}/customer", s.jsm(204, s.jsmDeskCustomersChange(true)))
	m.HandleFunc("DELETE "+jsmBase+"/servicedesk/{id}/customer", s.jsm(204, s.jsmDeskCustomersChange(false)))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/organization", s.jsm(200, s.jsmDeskOrgs))
	m.HandleFunc("POST "+jsmBase+"/servicedesk/{id}/organization", s.jsm(204, s.jsmDeskOrgChange(true)))
	m.HandleFunc("DELETE "+jsmBase+"/servicedesk/{id}/organization", s.jsm(204, s.jsmDeskOrgChange(false)))
	m.HandleFunc("GET "+jsmBase+"/knowledgebase/article", s.jsm(200, s.jsmArticles))
	m.HandleFunc("GET "+jsmBase+"/servicedesk/{id}/knowledgebase/article", s.jsm(200, s.jsmArticles))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := m.Handler(r); pattern == "" {
			jsmFail(w, r, jsmNoEndpoint(r))
			return
		}
		m.ServeHTTP(w, r)
	})
}

func (s *Server) jsmInfo(r *http.Request, _ access.Caller) (any, error) {
	return map[string]any{
		"version": s.version, "platformVersion": s.version, "buildChangeSet": "", "isLicensedForUse": true,
		"buildDate": dateOf(s.started),
		"_links":    map[string]string{"self": s.baseURL(r.Context()) + jsmBase + "/info"},
	}, nil
}

// jsmDesk is JSM's ServiceDesk: a Portico service project.
type jsmDeskView struct {
	ID             string            `json:"id"`
	ProjectID      string            `json:"projectId"`
	ProjectKey     string            `json:"projectKey"`
	ProjectName    string            `json:"projectName"`
	ProjectTypeKey string            `json:"projectTypeKey"`
	Links          map[string]string `json:"_links"`
}

func deskView(base string, p helpcenter.Project) jsmDeskView {
	id := u64(p.ID)
	return jsmDeskView{ID: id, ProjectID: id, ProjectKey: p.Key, ProjectName: p.Title(), ProjectTypeKey: "service_desk",
		Links: selfLink(base, "/servicedesk/"+id)}
}

func (s *Server) jsmDesks(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	site, err := s.b.HelpCenter.Site(r.Context())
	if err != nil {
		return nil, err
	}
	ps, err := s.b.HelpCenter.UsableProjects(r.Context(), site, who)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(r.Context())
	out := make([]jsmDeskView, len(ps))
	for i, p := range ps {
		out[i] = deskView(base, p)
	}
	return pageOf(s, r, out, start, limit), nil
}

// jsmPortal opens the path's service desk for the caller, or JSM's 404.
func (s *Server) jsmPortal(r *http.Request, who access.Caller) (helpcenter.Project, error) {
	id, err := jsmID(r, "id", "service desk")
	if err != nil {
		return helpcenter.Project{}, err
	}
	p, err := s.b.HelpCenter.UsablePortal(r.Context(), who, id)
	switch k := fault.KindOf(err); {
	case err == nil || k == "" || k == fault.Internal:
		return p, err
	case who.Anonymous():
		return p, fault.Unauthorized("Log in, or send an API token, to use this service desk.", "")
	}
	// The portal explains a refusal to a person; the API does not tell a
	// desk the caller may not use from one that does not exist (JSM.md §3.4).
	return p, jsmNotFound("service desk", r.PathValue("id"))
}

func (s *Server) jsmDesk(r *http.Request, who access.Caller) (any, error) {
	p, err := s.jsmPortal(r, who)
	if err != nil {
		return nil, err
	}
	return deskView(s.baseURL(r.Context()), p), nil
}

// jsmTypeView is JSM's RequestType.
type jsmTypeView struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Description       string            `json:"description"`
	HelpText          string            `json:"helpText"`
	IssueTypeID       string            `json:"issueTypeId"`
	ServiceDeskID     string            `json:"serviceDeskId"`
	PortalID          string            `json:"portalId"`
	GroupIDs          []string          `json:"groupIds"`
	Icon              map[string]any    `json:"icon"`
	RestrictionStatus string            `json:"restrictionStatus"`
	CanCreateRequest  bool              `json:"canCreateRequest"`
	Expands           []string          `json:"_expands"`
	Links             map[string]string `json:"_links"`
}

func typeView(base string, t request.Type) jsmTypeView {
	desk, id := u64(t.Project), u64(t.ID)
	groups := make([]string, len(t.Groups))
	for i, g := range t.Groups {
		groups[i] = u64(g)
	}
	restriction := "OPEN"
	if len(t.Audience.Orgs) > 0 || len(t.Audience.Domains) > 0 {
		restriction = "RESTRICTED"
	}
	return jsmTypeView{ID: id, Name: t.Name, Description: t.Description, HelpText: t.HelpText, IssueTypeID: id,
		ServiceDeskID: desk, PortalID: desk, GroupIDs: groups,
		Icon:              map[string]any{"id": t.Icon, "_links": map[string]any{"iconUrls": map[string]string{}}},
		RestrictionStatus: restriction, CanCreateRequest: true, Expands: []string{"field"},
		Links: selfLink(base, "/servicedesk/"+desk+"/requesttype/"+id)}
}

// portalTypes is what the caller may raise in portal, as the portal
// shows it (staff see the same catalogue customers do).
func (s *Server) portalTypes(r *http.Request, who access.Caller) (request.Catalogue, helpcenter.Project, error) {
	p, err := s.jsmPortal(r, who)
	if err != nil {
		return request.Catalogue{}, p, err
	}
	c, err := s.b.Requests.PortalTypes(r.Context(), who, p.ID)
	return c, p, err
}

func (s *Server) jsmTypes(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	c, _, err := s.portalTypes(r, who)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("searchQuery")))
	group := r.URL.Query().Get("groupId")
	base := s.baseURL(r.Context())
	var out []jsmTypeView
	for _, t := range c.Types {
		v := typeView(base, t)
		if q != "" && !strings.Contains(strings.ToLower(t.Name+" "+t.Description), q) {
			continue
		}
		if group != "" && !slices.Contains(v.GroupIDs, group) {
			continue
		}
		out = append(out, v)
	}
	return pageOf(s, r, out, start, limit), nil
}

// jsmFindType finds the path's request type among those the caller may use.
func (s *Server) jsmFindType(r *http.Request, who access.Caller) (request.Type, error) {
	c, _, err := s.portalTypes(r, who)
	if err != nil {
		return request.Type{}, err
	}
	id, err := jsmID(r, "rt", "request type")
	if err != nil {
		return request.Type{}, err
	}
	for _, t := range c.Types {
		if t.ID == id {
			return t, nil
		}
	}
	return request.Type{}, jsmNotFound("request type", r.PathValue("rt"))
}

func (s *Server) jsmType(r *http.Request, who access.Caller) (any, error) {
	t, err := s.jsmFindType(r, who)
	if err != nil {
		return nil, err
	}
	return typeView(s.baseURL(r.Context()), t), nil
}

// jsmField is JSM's RequestTypeField.
type jsmField struct {
	FieldID       string           `json:"fieldId"`
	Name          string           `json:"name"`
	Description   string           `json:"description"`
	Required      bool             `json:"required"`
	Visible       bool             `json:"visible"`
	ValidValues   []map[string]any `json:"validValues"`
	PresetValues  []string         `json:"presetValues"`
	DefaultValues []map[string]any `json:"defaultValues"`
	JiraSchema    map[string]any   `json:"jiraSchema"`
}

// schemas map Portico's field kinds onto Jira's field schemas.
var schemas = map[request.FieldKind]map[string]any{
	request.KindSummary:     {"type": "string", "system": "summary"},
	request.KindDescription: {"type": "string", "system": "description"},
	request.KindText:        {"type": "string"},
	request.KindParagraph:   {"type": "string"},
	request.KindSelect:      {"type": "option"},
	request.KindMulti:       {"type": "array", "items": "option"},
	request.KindDate:        {"type": "date"},
	request.KindNumber:      {"type": "number"},
	request.KindCheckbox:    {"type": "boolean"},
	request.KindAttachment:  {"type": "array", "items": "attachment", "system": "attachment"},
}

func (s *Server) jsmFields(r *http.Request, who access.Caller) (any, error) {
	t, err := s.jsmFindType(r, who)
	if err != nil {
		return nil, err
	}
	p, err := s.jsmPortal(r, who)
	if err != nil {
		return nil, err
	}
	staff := access.WorkProject(who, p.ID).Allow()
	fields := []jsmField{}
	for _, f := range t.Fields {
		if f.Hidden && !staff {
			continue
		}
		jf := jsmField{FieldID: f.ID, Name: f.Label, Description: f.Help, Required: f.Required, Visible: !f.Hidden,
			ValidValues: []map[string]any{}, PresetValues: []string{}, DefaultValues: []map[string]any{}, JiraSchema: schemas[f.Kind]}
		for _, o := range f.Options {
			jf.ValidValues = append(jf.ValidValues, map[string]any{"value": o, "label": o, "children": []any{}})
		}
		if f.Hidden && f.Preset != nil {
			jf.PresetValues = append(jf.PresetValues, strings.TrimSpace(strings.Trim(jsonString(f.Preset), `"`)))
		}
		fields = append(fields, jf)
	}
	return map[string]any{"requestTypeFields": fields, "canRaiseOnBehalfOf": staff, "canAddRequestParticipants": true}, nil
}

func (s *Server) jsmGroups(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	c, _, err := s.portalTypes(r, who)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(c.Groups))
	for i, g := range c.Groups {
		out[i] = map[string]string{"id": u64(g.ID), "name": g.Name}
	}
	return pageOf(s, r, out, start, limit), nil
}

// jsmArticles is knowledge base search: JSM's Article shape, with its
// @@@hl@@@ markers when highlight=true (the default, as JSM's).
func (s *Server) jsmArticles(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	var portal uint64
	if r.PathValue("id") != "" {
		p, err := s.jsmPortal(r, who)
		if err != nil {
			return nil, err
		}
		portal = p.ID
	}
	q := r.URL.Query().Get("query")
	if strings.TrimSpace(q) == "" {
		return nil, fault.InvalidFields(map[string]string{"query": "Give the words to search for."})
	}
	res, err := s.b.KB.Search(r.Context(), who, q, kb.SearchOptions{Portal: portal, Start: min(start, 1000), Limit: min(limit, 50),
		NoTypes: true, NoLog: who.Role == access.Admin || who.Role == access.Agent})
	if err != nil {
		return nil, err
	}
	hl := boolParam(r, "highlight", true)
	mark := func(s string) string {
		if hl {
			return s
		}
		return strings.NewReplacer("@@@hl@@@", "", "@@@endhl@@@", "").Replace(s)
	}
	base := s.baseURL(r.Context())
	out := make([]map[string]any, len(res.Articles))
	for i, a := range res.Articles {
		title := a.Title
		if a.TitleHl != "" {
			title = a.TitleHl
		}
		out[i] = map[string]any{"title": mark(title), "excerpt": mark(a.Excerpt),
			"source":  map[string]string{"type": "portico", "pageId": u64(a.ID), "spaceKey": u64(a.Portal.ID)},
			"content": map[string]string{"iframeSrc": base + "/articles/" + u64(a.ID)}}
	}
	return s.envelope(r, out, len(out), start, limit, start+len(out) >= res.Total), nil
}
