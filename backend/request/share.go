package request

import (
	"context"
	"sort"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

func sortRefs(rs []Ref) {
	sort.Slice(rs, func(i, j int) bool { return strings.ToLower(rs[i].Name) < strings.ToLower(rs[j].Name) })
}

// sharePlan is who a share adds, decided before the write.
type sharePlan struct {
	people       []uint64
	orgs         []uint64
	created      []identity.Account
	addCustomers []uint64 // people staff shared with who could not use the portal yet
}

func (p sharePlan) apply(tx *kv.Tx, project uint64) error {
	for _, a := range p.addCustomers {
		if err := helpcenter.AddCustomerTx(tx, project, a); err != nil {
			return err
		}
	}
	return nil
}

func intersects(a, b map[uint64]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

const maxShare = 20

// planShare decides each person and organization the caller wants to share
// with, by the project's sharing setting (JSM.md §2.5), and makes accounts
// for new emails where that is allowed. Nothing is shared yet.
func (s *Service) planShare(ctx context.Context, who access.Caller, client string, site access.Site, p helpcenter.Project,
	emails []string, accounts []uint64, orgs []uint64) (sharePlan, error) {
	var plan sharePlan
	if len(emails)+len(accounts)+len(orgs) == 0 {
		return plan, nil
	}
	if who.Anonymous() {
		return plan, fault.Unauthorized("Log in to share a request.", "")
	}
	if len(emails)+len(accounts)+len(orgs) > maxShare {
		return plan, fault.InvalidFields(map[string]string{"participants": "Share with at most 20 people or organizations at once."})
	}
	staff := access.WorkProject(who, p.ID).Allow()
	var problems []string
	// byID: picked from a list by account id. Outside "search" mode a
	// customer may pick only people of their own organizations by id (the
	// rest by exact email), or ids would enumerate the project's customers.
	person := func(label string, a identity.Account, exists, byID bool) error {
		t := access.ShareTarget{Exists: exists}
		mode := p.Sharing
		if byID && mode == access.ShareEmail {
			mode = access.ShareOrganization
		}
		if exists {
			if !a.Active {
				if staff {
					problems = append(problems, label+": this account is deactivated.")
					return nil
				}
				// Read like an unknown address: refused in the same words,
				// or (where a new address would get an account) left out
				// without a word.
				if d := access.Share(site, p.Portal(), mode, who, access.ShareTarget{}); !d.Allow() {
					problems = append(problems, label+": "+d.Reason)
				}
				return nil
			}
			f, err := s.hc.Facts(ctx, &a)
			if err != nil {
				return err
			}
			t.SameOrg = intersects(who.Orgs, f.Orgs)
			t.SeesPortal = access.PortalAllowed(site, p.Portal(), f)
		}
		d := access.Share(site, p.Portal(), mode, who, t)
		if !d.Allow() {
			problems = append(problems, label+": "+d.Reason)
			return nil
		}
		if !exists {
			if !staff {
				if err := s.ids.Throttle("share", client); err != nil {
					return err
				}
			}
			na, existed, err := s.ids.Invite(ctx, identity.NewAccount{Email: label, Role: identity.Customer})
			if err != nil {
				return err
			}
			a = na
			if !existed || na.PasswordHash == "" {
				plan.created = append(plan.created, na)
			}
			t.SeesPortal = access.PortalAllowed(site, p.Portal(), access.Caller{AccountID: a.ID, Role: access.Customer, Active: true})
		}
		if !t.SeesPortal {
			plan.addCustomers = append(plan.addCustomers, a.ID)
		}
		if !contains(plan.people, a.ID) {
			plan.people = append(plan.people, a.ID)
		}
		return nil
	}
	for _, e := range emails {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if _, err := identity.NormalizeEmail(e); err != nil {
			problems = append(problems, e+": "+err.Error())
			continue
		}
		a, err := s.ids.Find(ctx, e)
		switch fault.KindOf(err) {
		case "":
			err = person(e, a, true, false)
		case fault.NotFound:
			err = person(e, identity.Account{}, false, false)
		}
		if err != nil {
			return plan, err
		}
	}
	for _, id := range accounts {
		a, err := s.ids.Get(ctx, id)
		switch fault.KindOf(err) {
		case "":
			// Not the name: ids must not reveal who has them.
			err = person("Someone you picked", a, true, true)
		case fault.NotFound:
			d := access.Share(site, p.Portal(), p.Sharing, who, access.ShareTarget{Exists: true})
			problems = append(problems, "Someone you picked: "+d.Reason)
			err = nil
		}
		if err != nil {
			return plan, err
		}
	}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		for _, o := range orgs {
			ok, err := helpcenter.OrgAttachedTx(tx, p.ID, o)
			if err != nil {
				return err
			}
			if _, err := identity.GetOrgTx(tx, o); !ok || err != nil {
				msg := "An organization you picked is not one of this portal's."
				if d := access.Share(site, p.Portal(), p.Sharing, who, access.ShareTarget{Org: o}); !staff && !d.Allow() {
					msg = "An organization you picked: " + d.Reason // as for one attached
				}
				problems = append(problems, msg)
				continue
			}
			d := access.Share(site, p.Portal(), p.Sharing, who, access.ShareTarget{Org: o, SameOrg: who.Orgs[o]})
			if !d.Allow() {
				// Not the name: ids must not reveal the project's organizations.
				problems = append(problems, "An organization you picked: "+d.Reason)
				continue
			}
			if !contains(plan.orgs, o) {
				plan.orgs = append(plan.orgs, o)
			}
		}
		return nil
	})
	if err != nil {
		return plan, err
	}
	if len(problems) > 0 {
		return plan, fault.InvalidFields(map[string]string{"participants": strings.Join(problems, " ")})
	}
	return plan, nil
}

// ShareInput is whom to share a request with.
type ShareInput struct {
	Emails   []string `json:"emails"`
	Accounts IDs      `json:"accountIds"`
	Orgs     IDs      `json:"organizationIds"`
}

// Share adds participants and organizations to a request.
func (s *Service) Share(ctx context.Context, who access.Caller, client, ref string, in ShareInput) (View, error) {
	var sn seen
	if err := s.db.View(ctx, func(tx *kv.Tx) (err error) { sn, err = s.see(tx, who, ref); return err }); err != nil {
		return View{}, err
	}
	plan, err := s.planShare(ctx, who, client, sn.site, sn.project, in.Emails, in.Accounts, in.Orgs)
	if err != nil {
		return View{}, err
	}
	err = s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		var names []string
		for _, pid := range plan.people {
			if pid != r.Reporter && !contains(r.Participants, pid) {
				r.Participants = append(r.Participants, pid)
				a, err := identity.GetTx(tx, pid)
				if err != nil {
					return err
				}
				names = append(names, a.Name)
			}
		}
		for _, o := range plan.orgs {
			if !contains(r.Orgs, o) {
				r.Orgs = append(r.Orgs, o)
				org, err := identity.GetOrgTx(tx, o)
				if err != nil {
					return err
				}
				names = append(names, org.Name)
			}
		}
		if len(names) == 0 {
			return nil
		}
		if err := plan.apply(tx, r.Project); err != nil {
			return err
		}
		_, err := addEvent(tx, r, Event{Kind: "shared", Author: who.AccountID, At: s.now(), Public: true, Text: "Shared with " + strings.Join(names, ", ")})
		return err
	})
	if err != nil {
		return View{}, err
	}
	for _, a := range plan.created {
		s.NewAccount(ctx, a)
	}
	return s.Get(ctx, who, ref)
}

// change runs fn on a request the caller may see and saves what it did.
func (s *Service) change(ctx context.Context, who access.Caller, ref string, fn func(tx *kv.Tx, sn seen, r *Request) error) error {
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		sn, err := s.see(tx, who, ref)
		if err != nil {
			return err
		}
		old := sn.req
		r := old
		r.Participants = append([]uint64(nil), old.Participants...)
		r.Orgs = append([]uint64(nil), old.Orgs...)
		if err := fn(tx, sn, &r); err != nil {
			return err
		}
		if r.Events == old.Events {
			return nil // nothing happened
		}
		return save(tx, old, r)
	})
	if err == nil {
		s.ft.Poke()
	}
	return err
}

// RemoveParticipant takes a person off a request: staff and the reporter
// may remove anyone, anyone themself. It reports whether the caller can
// still see the request.
func (s *Service) RemoveParticipant(ctx context.Context, who access.Caller, ref string, account uint64) (bool, error) {
	err := s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if !access.RemoveParticipant(who, r.facts(), account) {
			return fault.Forbid("Only the person who raised the request, or an agent, can remove others.", "")
		}
		if !contains(r.Participants, account) {
			return fault.NotFoundf("They are not a participant of this request.")
		}
		r.Participants = without(r.Participants, account)
		a, err := identity.GetTx(tx, account)
		if err != nil {
			return err
		}
		_, err = addEvent(tx, r, Event{Kind: "unshared", Author: who.AccountID, At: s.now(), Public: true, Text: "Removed " + a.Name})
		return err
	})
	if err != nil {
		return false, err
	}
	still := true
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		_, err := s.see(tx, who, ref)
		if fault.KindOf(err) == fault.NotFound {
			still = false
			return nil
		}
		return err
	})
	return still, err
}

// RemoveOrg takes an organization off a request: its members lose access
// unless another route grants it.
func (s *Service) RemoveOrg(ctx context.Context, who access.Caller, ref string, org uint64) error {
	return s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if !access.RemoveOrg(who, r.facts()) {
			return fault.Forbid("Only the person who raised the request, or an agent, can stop sharing it with an organization.", "")
		}
		if !contains(r.Orgs, org) {
			return fault.NotFoundf("The request is not shared with this organization.")
		}
		r.Orgs = without(r.Orgs, org)
		name := "an organization"
		if o, err := identity.GetOrgTx(tx, org); err == nil {
			name = o.Name
		}
		_, err := addEvent(tx, r, Event{Kind: "unshared", Author: who.AccountID, At: s.now(), Public: true, Text: "Stopped sharing with " + name})
		return err
	})
}

// Join makes the caller a participant of a request they may already see
// (through an organization): duplicate help's "join" instead of a new one.
func (s *Service) Join(ctx context.Context, who access.Caller, ref string) (View, error) {
	err := s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if r.Reporter == who.AccountID || contains(r.Participants, who.AccountID) {
			return nil
		}
		r.Participants = append(r.Participants, who.AccountID)
		_, err := addEvent(tx, r, Event{Kind: "shared", Author: who.AccountID, At: s.now(), Public: true, Text: who.Name + " joined"})
		return err
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, who, ref)
}

// ShareCandidates lists whom the caller may pick when sharing: members of
// their own organizations always; with "search", the project's customers
// and organizations; staff, everyone of the project.
func (s *Service) ShareCandidates(ctx context.Context, who access.Caller, ref, q string) ([]PersonView, []Ref, error) {
	var sn seen
	if err := s.db.View(ctx, func(tx *kv.Tx) (err error) { sn, err = s.see(tx, who, ref); return err }); err != nil {
		return nil, nil, err
	}
	staff := sn.inv.Staff()
	search := staff || sn.project.Sharing == access.ShareSearch
	q = strings.ToLower(strings.TrimSpace(q))
	people := []PersonView{}
	orgs := []Ref{}
	seenIDs := map[uint64]bool{who.AccountID: true, sn.req.Reporter: true}
	for _, p := range sn.req.Participants {
		seenIDs[p] = true
	}
	// Customers match names, and an email only in full: a partial match
	// would spell out addresses they may not see.
	match := func(a identity.Account) bool {
		if q == "" || strings.Contains(strings.ToLower(a.Name), q) {
			return true
		}
		if staff {
			return strings.Contains(strings.ToLower(a.Email), q)
		}
		return strings.EqualFold(a.Email, q)
	}
	add := func(a identity.Account) {
		if !seenIDs[a.ID] && a.Active && match(a) && len(people) < 20 {
			seenIDs[a.ID] = true
			people = append(people, personView(a, staff))
		}
	}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		own, err := s.shareOrgs(tx, who, sn.req.Project, false)
		if err != nil {
			return err
		}
		for _, o := range own {
			if err := identity.OrgMembersTx(tx, o.ID, func(id uint64) error {
				a, err := identity.GetTx(tx, id)
				if err == nil {
					add(a)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		all, err := s.shareOrgs(tx, who, sn.req.Project, search)
		if err != nil {
			return err
		}
		for _, o := range all {
			if !contains(sn.req.Orgs, o.ID) && (q == "" || strings.Contains(strings.ToLower(o.Name), q)) {
				orgs = append(orgs, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if search && q != "" {
		rows, _, err := s.hc.SearchCustomers(ctx, sn.req.Project, q, 20)
		if err != nil {
			return nil, nil, err
		}
		for _, row := range rows {
			add(row.Account)
		}
	}
	return people, orgs, nil
}
