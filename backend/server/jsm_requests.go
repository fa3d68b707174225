package server

import (
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/request"
)

func u64(id uint64) string { return strconv.FormatUint(id, 10) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsmNotFound(what, id string) error {
	return fault.NotFoundf("There is no %s %q, or you may not see it.", what, id)
}

func jsmNoEndpoint(r *http.Request) error {
	return fault.NotFoundf("There is no Service Desk API endpoint %s %s in Portico (docs/API.md lists what is served).", r.Method, r.URL.Path)
}

// jsmUser is JSM's User.
type jsmUser struct {
	AccountID    string            `json:"accountId"`
	Name         string            `json:"name"`
	Key          string            `json:"key"`
	DisplayName  string            `json:"displayName"`
	EmailAddress string            `json:"emailAddress,omitempty"`
	Active       bool              `json:"active"`
	TimeZone     string            `json:"timeZone"`
	Links        map[string]string `json:"_links"`
}

func userView(base string, p request.PersonView) jsmUser {
	id := u64(p.ID)
	return jsmUser{AccountID: id, Name: id, Key: id, DisplayName: p.Name, EmailAddress: p.Email, Active: true, TimeZone: "UTC",
		Links: map[string]string{"self": base + jsmBase + "/customer/user/" + id}}
}

// statusCategory maps Portico's status categories onto Jira's.
var statusCategory = map[request.Category]string{request.Open: "NEW", request.InProgress: "INDETERMINATE", request.Done: "DONE"}

// jsmRequest is JSM's CustomerRequest.
type jsmRequest struct {
	Expands            []string         `json:"_expands"`
	IssueID            string           `json:"issueId"`
	IssueKey           string           `json:"issueKey"`
	Summary            string           `json:"summary"`
	RequestTypeID      string           `json:"requestTypeId"`
	ServiceDeskID      string           `json:"serviceDeskId"`
	CreatedDate        jsmDate          `json:"createdDate"`
	Reporter           jsmUser          `json:"reporter"`
	RequestFieldValues []map[string]any `json:"requestFieldValues"`
	CurrentStatus      map[string]any   `json:"currentStatus"`
	Actions            map[string]any   `json:"actions,omitempty"`
	Links              map[string]any   `json:"_links"`
	// Expansions.
	ServiceDesk  *jsmDeskView `json:"serviceDesk,omitempty"`
	RequestType  *jsmTypeView `json:"requestType,omitempty"`
	Participants *jsmPage     `json:"participants,omitempty"`
	Status       *jsmPage     `json:"status,omitempty"`
	Comments     *jsmPage     `json:"comments,omitempty"`
}

// statusDate is when the request entered its status: its last status
// change, or its creation.
func statusDate(v request.View) time.Time {
	at := v.Created
	for _, a := range v.Activity {
		if a.Kind == "status" && a.At.After(at) {
			at = a.At
		}
	}
	return at
}

func (s *Server) requestView(r *http.Request, who access.Caller, v request.View) jsmRequest {
	base := s.baseURL(r.Context())
	id := u64(v.ID)
	out := jsmRequest{Expands: []string{"participant", "status", "requestType", "serviceDesk", "comment", "action"},
		IssueID: id, IssueKey: v.Key, Summary: v.Summary, RequestTypeID: u64(v.Type.ID), ServiceDeskID: u64(v.Portal.ID),
		CreatedDate: dateOf(v.Created), Reporter: userView(base, v.Reporter),
		CurrentStatus: map[string]any{"status": v.Status.Name, "statusCategory": statusCategory[v.Status.Category], "statusDate": dateOf(statusDate(v))},
		Links: map[string]any{"self": base + jsmBase + "/request/" + id, "web": base + "/requests/" + v.Key,
			"agent": base + "/console/#/requests/" + v.Key, "jiraRest": base + jsmBase + "/request/" + id}}
	out.RequestFieldValues = []map[string]any{{"fieldId": "summary", "label": "Summary", "value": v.Summary}}
	if v.Description != "" {
		out.RequestFieldValues = append(out.RequestFieldValues, map[string]any{"fieldId": "description", "label": "Description",
			"value": v.Description, "renderedValue": map[string]string{"html": v.DescriptionHTML}})
	}
	for _, f := range v.Fields {
		if f.ID == "summary" || f.ID == "description" {
			continue
		}
		fv := map[string]any{"fieldId": f.ID, "label": f.Label, "value": f.Value}
		if f.HTML != "" {
			fv["renderedValue"] = map[string]string{"html": f.HTML}
		}
		out.RequestFieldValues = append(out.RequestFieldValues, fv)
	}
	ex := expands(r)
	if ex["action"] {
		allowed := func(b bool) map[string]bool { return map[string]bool{"allowed": b} }
		out.Actions = map[string]any{"addAttachment": allowed(v.Actions.Comment), "addComment": allowed(v.Actions.Comment),
			"addParticipant": allowed(v.Actions.Share), "removeParticipant": allowed(v.Actions.RemoveParticipant)}
	}
	if ex["serviceDesk"] {
		if p, err := s.b.HelpCenter.Project(r.Context(), v.Portal.ID); err == nil {
			d := deskView(base, p)
			out.ServiceDesk = &d
		}
	}
	if ex["participant"] {
		pg := s.participantsPage(r, v, 0, 50)
		out.Participants = &pg
	}
	if ex["status"] {
		pg := s.statusPage(r, v, 0, 50)
		out.Status = &pg
	}
	if ex["comment"] {
		pg := s.commentsPage(r, who, v, 0, 50, true, true)
		out.Comments = &pg
	}
	return out
}

// jsmCreateInput is POST /request's body.
type jsmCreateInput struct {
	ServiceDeskID       json.RawMessage            `json:"serviceDeskId"`
	RequestTypeID       json.RawMessage            `json:"requestTypeId"`
	RequestFieldValues  map[string]json.RawMessage `json:"requestFieldValues"`
	RequestParticipants []string                   `json:"requestParticipants"`
	RaiseOnBehalfOf     string                     `json:"raiseOnBehalfOf"`
}

// idValue reads an id JSM clients send as a string or a number.
func idValue(raw json.RawMessage, field string) (uint64, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return 0, fault.InvalidFields(map[string]string{field: "Give an id."})
		}
		s = n.String()
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fault.InvalidFields(map[string]string{field: "Give an id."})
	}
	return id, nil
}

// fieldValue turns a JSM field value into Portico's: options come as
// {"value": …} or {"id": …}, lists of them for multi-selects.
func fieldValue(raw json.RawMessage) any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		if o, ok := x["value"]; ok {
			return o
		}
		if o, ok := x["id"]; ok {
			return o
		}
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if o, ok := m["value"]; ok {
					out = append(out, o)
					continue
				}
				if o, ok := m["id"]; ok {
					out = append(out, o)
					continue
				}
			}
			out = append(out, e)
		}
		return out
	}
	return v
}

func (s *Server) jsmCreate(r *http.Request, who access.Caller) (any, error) {
	in, err := jsmBody[jsmCreateInput](r)
	if err != nil {
		return nil, err
	}
	desk, err := idValue(in.ServiceDeskID, "serviceDeskId")
	if err != nil {
		return nil, err
	}
	typ, err := idValue(in.RequestTypeID, "requestTypeId")
	if err != nil {
		return nil, err
	}
	if who.Anonymous() {
		return nil, fault.Unauthorized("Log in, or send an API token, to raise a request here.", "")
	}
	fields := map[string]any{}
	for k, raw := range in.RequestFieldValues {
		fields[k] = fieldValue(raw)
	}
	raise := request.RaiseInput{TypeID: request.ID(typ), Fields: fields, Participants: in.RequestParticipants, OnBehalfOf: in.RaiseOnBehalfOf}
	out, err := s.b.Requests.Raise(r.Context(), who, callerOf(r).client, desk, raise)
	if err != nil {
		return nil, err
	}
	s.b.KB.Raised(desk)
	if out.Request == nil {
		return nil, fault.Invalidf("%s", out.Message)
	}
	return s.requestView(r, who, *out.Request), nil
}

func (s *Server) jsmGet(r *http.Request, who access.Caller) (any, error) {
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return s.requestView(r, who, v), nil
}

// ownership maps JSM's requestOwnership onto Portico's lists.
var ownership = map[string]string{"OWNED_REQUESTS": "owned", "PARTICIPATED_REQUESTS": "participated",
	"ORGANIZATION": "organization", "ALL_ORGANIZATIONS": "organization", "ALL_REQUESTS": "all", "": "all"}

var requestStatus = map[string]string{"OPEN_REQUESTS": "open", "CLOSED_REQUESTS": "closed", "ALL_REQUESTS": "all", "": "all"}

func (s *Server) jsmList(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	lq := request.ListQuery{Q: q.Get("searchTerm"), Start: start, Limit: limit}
	var ok bool
	if lq.Ownership, ok = ownership[strings.ToUpper(q.Get("requestOwnership"))]; !ok {
		return nil, fault.InvalidFields(map[string]string{"requestOwnership": "Use OWNED_REQUESTS, PARTICIPATED_REQUESTS, ORGANIZATION or ALL_REQUESTS."})
	}
	if lq.Status, ok = requestStatus[strings.ToUpper(q.Get("requestStatus"))]; !ok {
		return nil, fault.InvalidFields(map[string]string{"requestStatus": "Use OPEN_REQUESTS, CLOSED_REQUESTS or ALL_REQUESTS."})
	}
	for name, dst := range map[string]*uint64{"serviceDeskId": &lq.Portal, "requestTypeId": &lq.Type, "organizationId": &lq.Org} {
		if v := q.Get(name); v != "" {
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fault.InvalidFields(map[string]string{name: "Give an id."})
			}
			*dst = id
		}
	}
	if who.Anonymous() {
		return nil, fault.Unauthorized("Log in, or send an API token, to list requests.", "")
	}
	page, err := s.b.Requests.List(r.Context(), who, lq)
	if err != nil {
		return nil, err
	}
	ex := expands(r)
	out := make([]jsmRequest, 0, len(page.Values))
	for _, row := range page.Values {
		if len(ex) > 0 {
			v, err := s.b.Requests.Get(r.Context(), who, row.Key)
			if err != nil {
				continue
			}
			out = append(out, s.requestView(r, who, v))
			continue
		}
		out = append(out, s.requestView(r, who, request.View{Row: row}))
	}
	return s.envelope(r, out, len(out), start, limit, page.IsLastPage), nil
}

// jsmComment is JSM's Comment.
type jsmComment struct {
	ID           string            `json:"id"`
	Body         string            `json:"body"`
	RenderedBody map[string]string `json:"renderedBody,omitempty"`
	Public       bool              `json:"public"`
	Author       jsmUser           `json:"author"`
	Created      jsmDate           `json:"created"`
	Links        map[string]string `json:"_links"`
}

func (s *Server) commentsPage(r *http.Request, who access.Caller, v request.View, start, limit int, public, internal bool) jsmPage {
	base := s.baseURL(r.Context())
	var out []jsmComment
	for _, a := range v.Activity {
		if a.Kind != "comment" || a.Public && !public || !a.Public && !internal {
			continue
		}
		c := jsmComment{ID: a.ID, Body: textOf(a.HTML), Public: a.Public, Created: dateOf(a.At),
			Links: selfLink(base, "/request/"+u64(v.ID)+"/comment/"+a.ID)}
		if a.HTML != "" {
			c.RenderedBody = map[string]string{"html": a.HTML}
		}
		if a.Author != nil {
			c.Author = userView(base, *a.Author)
		}
		out = append(out, c)
	}
	return pageOf(s, r, out, start, limit)
}

var strict = bluemonday.StrictPolicy()

// textOf is a comment's text without its markup (the stored Markdown is
// rendered for views; renderedBody carries the HTML).
func textOf(h string) string {
	return strings.TrimSpace(html.UnescapeString(strict.Sanitize(h)))
}

func boolParam(r *http.Request, name string, def bool) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}

func (s *Server) jsmComments(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	// Customers get public comments only: the view holds nothing else for them.
	return s.commentsPage(r, who, v, start, limit, boolParam(r, "public", true), boolParam(r, "internal", true)), nil
}

func (s *Server) jsmComment(r *http.Request, who access.Caller) (any, error) {
	in, err := jsmBody[struct {
		Body   string `json:"body"`
		Public *bool  `json:"public"`
	}](r)
	if err != nil {
		return nil, err
	}
	internal := in.Public != nil && !*in.Public
	a, err := s.b.Requests.Comment(r.Context(), who, callerOf(r).client, r.PathValue("key"), request.CommentInput{Body: in.Body, Internal: internal})
	if err != nil {
		return nil, err
	}
	base := s.baseURL(r.Context())
	c := jsmComment{ID: a.ID, Body: in.Body, Public: a.Public, Created: dateOf(a.At),
		Links: selfLink(base, "/request/"+escape(r.PathValue("key"))+"/comment/"+a.ID)}
	if a.HTML != "" {
		c.RenderedBody = map[string]string{"html": a.HTML}
	}
	if a.Author != nil {
		c.Author = userView(base, *a.Author)
	}
	return c, nil
}

// statusPage is a request's status history, newest first.
func (s *Server) statusPage(r *http.Request, v request.View, start, limit int) jsmPage {
	type change struct {
		Status         string  `json:"status"`
		StatusCategory string  `json:"statusCategory"`
		StatusDate     jsmDate `json:"statusDate"`
	}
	out := []change{{Status: v.Status.Name, StatusCategory: statusCategory[v.Status.Category], StatusDate: dateOf(statusDate(v))}}
	var earlier []change
	for _, a := range v.Activity {
		if a.Kind == "status" && a.From != "" {
			earlier = append(earlier, change{Status: a.From, StatusCategory: "UNDEFINED", StatusDate: dateOf(a.At)})
		}
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		out = append(out, earlier[i])
	}
	return pageOf(s, r, out, start, limit)
}

func (s *Server) jsmTransition(r *http.Request, who access.Caller) (any, error) {
	in, err := jsmBody[struct {
		ID                string `json:"id"`
		AdditionalComment struct {
			Body string `json:"body"`
		} `json:"additionalComment"`
	}](r)
	if err != nil {
		return nil, err
	}
	if in.ID == "" {
		return nil, fault.InvalidFields(map[string]string{"id": "Give the transition's id (GET …/transition lists them)."})
	}
	_, err = s.b.Requests.Transition(r.Context(), who, r.PathValue("key"), request.TransitionInput{Transition: in.ID, Comment: in.AdditionalComment.Body})
	return nil, err
}

// requestPage answers a list about the path's request, one page of it.
func (s *Server) requestPage(page func(s *Server, r *http.Request, v request.View, start, limit int) jsmPage) jsmHandler {
	return func(r *http.Request, who access.Caller) (any, error) {
		start, limit, err := jsmPaging(r)
		if err != nil {
			return nil, err
		}
		v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
		if err != nil {
			return nil, err
		}
		return page(s, r, v, start, limit), nil
	}
}

func (s *Server) transitionsPage(r *http.Request, v request.View, start, limit int) jsmPage {
	out := make([]map[string]string, len(v.Transitions))
	for i, t := range v.Transitions {
		out[i] = map[string]string{"id": t.ID, "name": t.Name}
	}
	return pageOf(s, r, out, start, limit)
}

func (s *Server) participantsPage(r *http.Request, v request.View, start, limit int) jsmPage {
	base := s.baseURL(r.Context())
	out := make([]jsmUser, len(v.Participants))
	for i, p := range v.Participants {
		out[i] = userView(base, p)
	}
	return pageOf(s, r, out, start, limit)
}

func (s *Server) jsmNotification(r *http.Request, who access.Caller) (any, error) {
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return map[string]bool{"subscribed": v.Notifications}, nil
}

func (s *Server) jsmSubscribe(on bool) jsmHandler {
	return func(r *http.Request, who access.Caller) (any, error) {
		_, err := s.b.Requests.SetNotifications(r.Context(), who, r.PathValue("key"), on)
		return nil, err
	}
}

func (s *Server) jsmOneComment(r *http.Request, who access.Caller) (any, error) {
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	page := s.commentsPage(r, who, v, 0, len(v.Activity)+1, true, true)
	for _, c := range page.Values.([]jsmComment) {
		if c.ID == r.PathValue("comment") {
			return c, nil
		}
	}
	return nil, jsmNotFound("comment", r.PathValue("comment"))
}
