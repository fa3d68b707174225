package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/request"
)

// People in the Service Desk API: request participants and organizations.

// jsmPeople names people as JSM clients do: Cloud's accountIds, or DC's
// usernames (here an account id or an email address).
type jsmPeople struct {
	AccountIDs []string `json:"accountIds"`
	Usernames  []string `json:"usernames"`
}

func (in jsmPeople) split() (ids request.IDs, emails []string, err error) {
	for _, v := range append(append([]string{}, in.AccountIDs...), in.Usernames...) {
		v = strings.TrimSpace(v)
		if id, perr := strconv.ParseUint(v, 10, 64); perr == nil && id > 0 {
			ids = append(ids, id)
		} else if strings.Contains(v, "@") {
			emails = append(emails, v)
		} else {
			return nil, nil, fault.InvalidFields(map[string]string{"accountIds": "\"" + v + "\" is not an account id or an email address."})
		}
	}
	if len(ids)+len(emails) == 0 {
		return nil, nil, fault.InvalidFields(map[string]string{"accountIds": "Name at least one person."})
	}
	return ids, emails, nil
}

// peopleIn reads a body that names people and splits it.
func peopleIn(r *http.Request) (request.IDs, []string, error) {
	in, err := jsmBody[jsmPeople](r)
	if err != nil {
		return nil, nil, err
	}
	return in.split()
}

// accountIDs adds the accounts of emails to ids; an email without an
// account is refused in the words of field.
func (s *Server) accountIDs(r *http.Request, ids request.IDs, emails []string) (request.IDs, error) {
	for _, e := range emails {
		a, err := s.b.Identity.Find(r.Context(), e)
		if err != nil {
			return nil, fault.InvalidFields(map[string]string{"accountIds": "There is no account for " + e + "."})
		}
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// accountsPage is a page of Users.
func (s *Server) accountsPage(r *http.Request, accounts []identity.Account, start, limit int) jsmPage {
	base := s.baseURL(r.Context())
	out := make([]jsmUser, len(accounts))
	for i, a := range accounts {
		out[i] = userView(base, request.PersonView{ID: a.ID, Name: a.Name, Email: a.Email})
		out[i].Active = a.Active
	}
	return pageOf(s, r, out, start, limit)
}

func (s *Server) jsmAddParticipants(r *http.Request, who access.Caller) (any, error) {
	ids, emails, err := peopleIn(r)
	if err != nil {
		return nil, err
	}
	v, err := s.b.Requests.Share(r.Context(), who, callerOf(r).client, r.PathValue("key"), request.ShareInput{Accounts: ids, Emails: emails})
	if err != nil {
		return nil, err
	}
	return s.participantsPage(r, v, 0, 50), nil
}

func (s *Server) jsmRemoveParticipants(r *http.Request, who access.Caller) (any, error) {
	ids, emails, err := peopleIn(r)
	if err == nil {
		ids, err = s.accountIDs(r, ids, emails)
	}
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := s.b.Requests.RemoveParticipant(r.Context(), who, r.PathValue("key"), id); err != nil {
			return nil, err
		}
	}
	v, err := s.b.Requests.Get(r.Context(), who, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return s.participantsPage(r, v, 0, 50), nil
}

// jsmOrg is JSM's Organization.
type jsmOrg struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	UUID        string            `json:"uuid"`
	ScimManaged bool              `json:"scimManaged"`
	Links       map[string]string `json:"_links"`
}

func orgOf(base string, o identity.Org) jsmOrg {
	id := u64(o.ID)
	return jsmOrg{ID: id, Name: o.Name, UUID: "portico-org-" + id, Links: selfLink(base, "/organization/"+id)}
}

// seesOrg: customers see their own organizations; staff those they may
// manage or that are attached to their portals (as the console lists them).
func (s *Server) seesOrg(r *http.Request, who access.Caller, o identity.Org) (bool, error) {
	if who.Orgs[o.ID] {
		return true, nil
	}
	if !access.WorkConsole(who).Allow() {
		return false, nil
	}
	attached, err := s.b.HelpCenter.OrgProjects(r.Context(), o.ID)
	if err != nil {
		return false, err
	}
	return access.ManageOrg(who, attached).Allow() || anyOf(attached, who.AgentOf), nil
}

func (s *Server) jsmOrgs(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	if who.Anonymous() {
		return nil, fault.Unauthorized("Log in, or send an API token, to list organizations.", "")
	}
	var member uint64
	if v := r.URL.Query().Get("accountId"); v != "" {
		if !access.WorkConsole(who).Allow() {
			return nil, fault.Forbid("Only agents and admins can list someone's organizations.", "")
		}
		if member, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fault.InvalidFields(map[string]string{"accountId": "Give an account id."})
		}
	}
	orgs, err := s.b.Identity.Orgs(r.Context())
	if err != nil {
		return nil, err
	}
	var memberOf map[uint64]bool
	if member != 0 {
		if memberOf, err = s.b.Identity.OrgsOf(r.Context(), member); err != nil {
			return nil, err
		}
	}
	base := s.baseURL(r.Context())
	var out []jsmOrg
	for _, o := range orgs {
		if member != 0 && !memberOf[o.ID] {
			continue
		}
		ok, err := s.seesOrg(r, who, o)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, orgOf(base, o))
		}
	}
	return pageOf(s, r, out, start, limit), nil
}

// jsmFindOrg opens the path's organization for a caller who may see it.
func (s *Server) jsmFindOrg(r *http.Request, who access.Caller) (identity.Org, error) {
	id, err := jsmID(r, "id", "organization")
	if err != nil {
		return identity.Org{}, err
	}
	o, err := s.b.Identity.GetOrg(r.Context(), id)
	if fault.KindOf(err) == fault.NotFound {
		return o, jsmNotFound("organization", r.PathValue("id"))
	}
	if err != nil {
		return o, err
	}
	if ok, err := s.seesOrg(r, who, o); err != nil || !ok {
		if err == nil {
			err = jsmNotFound("organization", r.PathValue("id"))
		}
		return o, err
	}
	return o, nil
}

func (s *Server) jsmOrg(r *http.Request, who access.Caller) (any, error) {
	o, err := s.jsmFindOrg(r, who)
	if err != nil {
		return nil, err
	}
	return orgOf(s.baseURL(r.Context()), o), nil
}

func (s *Server) jsmCreateOrg(r *http.Request, who access.Caller) (any, error) {
	if err := access.WorkConsole(who).Err(); err != nil {
		return nil, err
	}
	in, err := jsmBody[struct {
		Name string `json:"name"`
	}](r)
	if err != nil {
		return nil, err
	}
	o, err := s.b.Identity.CreateOrg(r.Context(), in.Name)
	if err != nil {
		return nil, err
	}
	return orgOf(s.baseURL(r.Context()), o), nil
}

func (s *Server) jsmDeleteOrg(r *http.Request, who access.Caller) (any, error) {
	o, err := s.jsmFindOrg(r, who)
	if err != nil {
		return nil, err
	}
	return nil, s.b.DeleteOrg(r.Context(), who, o.ID)
}

func (s *Server) jsmOrgUsers(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	o, err := s.jsmFindOrg(r, who)
	if err != nil {
		return nil, err
	}
	if err := s.b.ManageOrg(r.Context(), who, o.ID); err != nil {
		return nil, err
	}
	members, err := s.b.OrgMembers(r.Context(), o.ID)
	if err != nil {
		return nil, err
	}
	return s.accountsPage(r, members, start, limit), nil
}

// jsmOrgUsersChange adds (by account) or removes members; 204.
func (s *Server) jsmOrgUsersChange(add bool) jsmHandler {
	return func(r *http.Request, who access.Caller) (any, error) {
		o, err := s.jsmFindOrg(r, who)
		if err != nil {
			return nil, err
		}
		ids, emails, err := peopleIn(r)
		if err != nil {
			return nil, err
		}
		if err := s.b.ManageOrg(r.Context(), who, o.ID); err != nil {
			return nil, err
		}
		for _, id := range ids {
			a, err := s.b.Identity.Get(r.Context(), id)
			if err != nil {
				return nil, fault.InvalidFields(map[string]string{"accountIds": "There is no account " + u64(id) + "."})
			}
			emails = append(emails, a.Email)
		}
		for _, e := range emails {
			if add {
				if _, _, err := s.b.AddOrgMember(r.Context(), who, o.ID, e, ""); err != nil {
					return nil, err
				}
				continue
			}
			a, err := s.b.Identity.Find(r.Context(), e)
			if err != nil {
				continue // not an account: not a member either
			}
			if err := s.b.Identity.RemoveMember(r.Context(), o.ID, a.ID); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

// jsmStaffDesk opens the path's service desk for those who manage its
// customers; anyone else is told it does not exist.
func (s *Server) jsmStaffDesk(r *http.Request, who access.Caller) (uint64, error) {
	p, err := s.jsmPortal(r, who)
	if err != nil {
		return 0, err
	}
	if err := access.ManageCustomers(who, p.ID).Err(); err != nil {
		if who.Role == access.Customer {
			return 0, jsmNotFound("service desk", r.PathValue("id"))
		}
		return 0, err
	}
	return p.ID, nil
}

func (s *Server) jsmDeskCustomers(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	desk, err := s.jsmStaffDesk(r, who)
	if err != nil {
		return nil, err
	}
	rows, _, err := s.b.HelpCenter.Customers(r.Context(), who, desk, r.URL.Query().Get("query"), 10_000)
	if err != nil {
		return nil, err
	}
	accounts := make([]identity.Account, len(rows))
	for i, row := range rows {
		accounts[i] = row.Account
	}
	return s.accountsPage(r, accounts, start, limit), nil
}

// jsmDeskCustomersChange adds existing accounts to a desk's customers (ids
// already there are ignored) or removes them; 204.
func (s *Server) jsmDeskCustomersChange(add bool) jsmHandler {
	return func(r *http.Request, who access.Caller) (any, error) {
		desk, err := s.jsmStaffDesk(r, who)
		if err != nil {
			return nil, err
		}
		ids, emails, err := peopleIn(r)
		if err == nil {
			ids, err = s.accountIDs(r, ids, emails)
		}
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if add {
				err = s.b.HelpCenter.AddCustomer(r.Context(), who, desk, id)
			} else {
				err = s.b.HelpCenter.RemoveCustomer(r.Context(), who, desk, id)
			}
			if fault.KindOf(err) == fault.NotFound {
				return nil, fault.InvalidFields(map[string]string{"accountIds": "There is no account " + u64(id) + "."})
			}
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

// jsmCreateCustomer makes a customer account (JSM: a portal-only
// customer) and queues its set-password link. An email that has an
// account is a 400, or a 409 with strictConflictStatusCode=true.
func (s *Server) jsmCreateCustomer(r *http.Request, who access.Caller) (any, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return nil, err
	}
	in, err := jsmBody[struct {
		Email       string `json:"email"`
		DisplayName string `json:"displayName"`
		FullName    string `json:"fullName"`
	}](r)
	if err != nil {
		return nil, err
	}
	name := in.DisplayName
	if name == "" {
		name = in.FullName
	}
	a, existed, err := s.b.Identity.Invite(r.Context(), identity.NewAccount{Name: name, Email: in.Email, Role: identity.Customer})
	if err != nil {
		return nil, err
	}
	if existed {
		msg := "An account already exists for this email."
		if boolParam(r, "strictConflictStatusCode", false) {
			return nil, fault.Conflictf("%s", msg)
		}
		return nil, fault.Invalidf("%s", msg)
	}
	s.b.Requests.NewAccount(r.Context(), a)
	return userView(s.baseURL(r.Context()), request.PersonView{ID: a.ID, Name: a.Name, Email: a.Email}), nil
}

func (s *Server) jsmDeskOrgs(r *http.Request, who access.Caller) (any, error) {
	start, limit, err := jsmPaging(r)
	if err != nil {
		return nil, err
	}
	desk, err := s.jsmStaffDesk(r, who)
	if err != nil {
		return nil, err
	}
	orgs, err := s.b.HelpCenter.ProjectOrgs(r.Context(), desk)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(r.Context())
	out := make([]jsmOrg, len(orgs))
	for i, o := range orgs {
		out[i] = orgOf(base, o)
	}
	return pageOf(s, r, out, start, limit), nil
}

func (s *Server) jsmDeskOrgChange(attach bool) jsmHandler {
	return func(r *http.Request, who access.Caller) (any, error) {
		desk, err := s.jsmStaffDesk(r, who)
		if err != nil {
			return nil, err
		}
		in, err := jsmBody[struct {
			OrganizationID json.RawMessage `json:"organizationId"`
		}](r)
		if err != nil {
			return nil, err
		}
		org, err := idValue(in.OrganizationID, "organizationId")
		if err != nil {
			return nil, err
		}
		if attach {
			return nil, s.b.HelpCenter.AttachOrg(r.Context(), who, desk, org)
		}
		return nil, s.b.HelpCenter.DetachOrg(r.Context(), who, desk, org)
	}
}
