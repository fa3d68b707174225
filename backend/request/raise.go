package request

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// ID is an optional id in a JSON body: "", null, a string or a number.
type ID uint64

func (id *ID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*id = 0
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return errors.New("expected an id")
	}
	*id = ID(n)
	return nil
}

// RaiseInput is the raise form as sent.
type RaiseInput struct {
	TypeID       ID             `json:"typeId"`
	Fields       map[string]any `json:"fields"`
	Attachments  IDs            `json:"attachments"`
	Organization ID             `json:"organizationId"`
	Participants []string       `json:"participants"`
	OnBehalfOf   string         `json:"onBehalfOf"`
	Email        string         `json:"email"` // anonymous visitors
	Name         string         `json:"name"`  // anonymous visitors, optional
}

// AnonymousMessage is all an anonymous raiser is told, whatever happened.
const AnonymousMessage = "Thanks, your request was received. We sent an email to set a password; you need it to see and follow your request. If you already have an account, log in to see it."

// Raised is the outcome of Raise: the request for a logged-in caller, or
// only a message for an anonymous one.
type Raised struct {
	Request *View
	Message string
}

// RaiseForm is what the portal needs to draw a request type's form.
type RaiseForm struct {
	Type      Type      `json:"type"`
	Share     ShareForm `json:"share"`
	OnBehalf  bool      `json:"onBehalf"`
	Anonymous bool      `json:"anonymous"`
}

// ShareForm says how the caller may share while raising.
type ShareForm struct {
	Mode          access.Sharing `json:"mode"`
	Organizations []Ref          `json:"organizations"`
	Default       string         `json:"defaultOrganization,omitempty"`
}

// Ref is an id with a name.
type Ref struct {
	ID   uint64 `json:"id,string"`
	Name string `json:"name"`
}

// raiseType loads a type the caller may raise in portal.
func (s *Service) raiseType(tx *kv.Tx, who access.Caller, portal, typeID uint64) (Type, error) {
	t, err := getType(tx, typeID)
	if err != nil || t.Project != portal {
		if err != nil && fault.KindOf(err) != fault.NotFound {
			return t, err
		}
		return t, fault.InvalidFields(map[string]string{"typeId": "Choose a request type of this portal."})
	}
	staff := access.WorkProject(who, portal).Allow()
	if !staff && (len(t.Groups) == 0 || !access.UseRequestType(who, portal, t.Audience.access())) {
		return t, fault.InvalidFields(map[string]string{"typeId": "This request type is not available to you here."})
	}
	return t, nil
}

// Form returns a request type's form for the caller.
func (s *Service) Form(ctx context.Context, who access.Caller, portal, typeID uint64) (RaiseForm, error) {
	p, _, err := s.raisablePortal(ctx, who, portal)
	if err != nil {
		return RaiseForm{}, err
	}
	var f RaiseForm
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		t, err := s.raiseType(tx, who, portal, typeID)
		if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
			return fault.NotFoundf("There is no such request type here.")
		}
		if err != nil {
			return err
		}
		staff := access.WorkProject(who, portal).Allow()
		f = RaiseForm{Type: t, OnBehalf: staff, Anonymous: who.Anonymous(), Share: ShareForm{Mode: p.Sharing, Organizations: []Ref{}}}
		if !staff {
			f.Type = customerType(t)
		}
		f.Share.Organizations, err = s.shareOrgs(tx, who, portal, staff)
		if len(f.Share.Organizations) == 1 && !staff {
			f.Share.Default = u(f.Share.Organizations[0].ID)
		}
		return err
	})
	return f, err
}

// shareOrgs are the organizations the caller may put a new request in:
// their own that are attached to the project; staff, all attached.
func (s *Service) shareOrgs(tx *kv.Tx, who access.Caller, project uint64, staff bool) ([]Ref, error) {
	out := []Ref{}
	var ids []uint64
	if staff {
		if err := helpcenter.ProjectOrgIDsTx(tx, project, func(o uint64) error { ids = append(ids, o); return nil }); err != nil {
			return nil, err
		}
	} else {
		for o := range who.Orgs {
			ok, err := helpcenter.OrgAttachedTx(tx, project, o)
			if err != nil {
				return nil, err
			}
			if ok {
				ids = append(ids, o)
			}
		}
	}
	for _, o := range ids {
		org, err := identity.GetOrgTx(tx, o)
		if fault.KindOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Ref{ID: o, Name: org.Name})
	}
	sortRefs(out)
	return out, nil
}

// values checks the form's values against the type.
func values(t Type, in map[string]any, attachments int) (map[string]any, error) {
	bad := map[string]string{}
	out := map[string]any{}
	for k := range in {
		if f, ok := t.field(k); !ok || f.Hidden || f.Kind == KindAttachment {
			bad[k] = "This request type has no such field."
		}
	}
	for _, f := range t.Fields {
		var v any
		var msg string
		switch {
		case f.Hidden:
			v = f.Preset
		case f.Kind == KindAttachment:
			if f.Required && attachments == 0 {
				msg = "Attach at least one file."
			}
		default:
			v, msg = f.value(in[f.ID])
			if msg == "" && v == nil && f.Required {
				msg = "This field is required."
				if f.Kind == KindCheckbox {
					msg = "Tick this box to go on."
				}
			}
			if f.Kind == KindCheckbox && f.Required && v == false {
				msg = "Tick this box to go on."
			}
		}
		if msg != "" {
			bad[f.ID] = msg
		}
		if v != nil {
			out[f.ID] = v
		}
	}
	if len(bad) > 0 {
		return nil, fault.InvalidFields(bad)
	}
	return out, nil
}

// Raise creates a request in a portal.
func (s *Service) Raise(ctx context.Context, who access.Caller, client string, portal uint64, in RaiseInput) (Raised, error) {
	p, site, err := s.raisablePortal(ctx, who, portal)
	if err != nil {
		return Raised{}, err
	}
	staff := access.WorkProject(who, portal).Allow()
	var t Type
	if err := s.db.View(ctx, func(tx *kv.Tx) (err error) { t, err = s.raiseType(tx, who, portal, uint64(in.TypeID)); return err }); err != nil {
		return Raised{}, err
	}
	vals, err := values(t, in.Fields, len(in.Attachments))
	if err != nil {
		return Raised{}, err
	}

	// Who reports it.
	reporter := who
	var newAccounts []identity.Account
	switch {
	case who.Anonymous():
		if strings.TrimSpace(in.Email) == "" {
			return Raised{}, fault.InvalidFields(map[string]string{"email": "Enter your email address: we send you a link to follow your request."})
		}
		if len(in.Participants) > 0 || in.Organization != 0 {
			return Raised{}, fault.Unauthorized("Log in to share a request.", "")
		}
		if err := s.ids.Throttle("raise", client); err != nil {
			return Raised{}, err
		}
		a, existed, err := s.ids.Invite(ctx, identity.NewAccount{Email: in.Email, Name: in.Name, Role: identity.Customer})
		if err != nil {
			return Raised{}, err
		}
		if !a.Active {
			return Raised{Message: AnonymousMessage}, nil
		}
		if !existed || a.PasswordHash == "" {
			// Also an account made by an earlier attempt that failed: the
			// visitor still needs the link.
			newAccounts = append(newAccounts, a)
		}
		if reporter, err = s.hc.Facts(ctx, &a); err != nil {
			return Raised{}, err
		}
	case strings.TrimSpace(in.OnBehalfOf) != "":
		if !staff {
			return Raised{}, fault.Forbid("Only agents can raise a request on behalf of someone else.", "Raise it yourself and share it with them.")
		}
		a, existed, err := s.ids.Invite(ctx, identity.NewAccount{Email: in.OnBehalfOf, Role: identity.Customer})
		if fe := fault.As(err); fe != nil && fe.Fields["email"] != "" {
			return Raised{}, fault.InvalidFields(map[string]string{"onBehalfOf": fe.Fields["email"]})
		}
		if err != nil {
			return Raised{}, err
		}
		if !a.Active {
			return Raised{}, fault.InvalidFields(map[string]string{"onBehalfOf": "This account is deactivated."})
		}
		if !existed || a.PasswordHash == "" {
			newAccounts = append(newAccounts, a)
		}
		if reporter, err = s.hc.Facts(ctx, &a); err != nil {
			return Raised{}, err
		}
	}

	// With whom it is shared: the sharer is the caller.
	plan, err := s.planShare(ctx, who, client, site, p, in.Participants, nil, nil)
	if err != nil {
		return Raised{}, err
	}
	newAccounts = append(newAccounts, plan.created...)

	summary, _ := vals["summary"].(string)
	description, _ := vals["description"].(string)
	delete(vals, "summary")
	delete(vals, "description")
	if in.Organization != 0 {
		var ok bool
		err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
			ok, err = helpcenter.OrgAttachedTx(tx, portal, uint64(in.Organization))
			return err
		})
		if err != nil {
			return Raised{}, err
		}
		if !ok || !staff && !reporter.Orgs[uint64(in.Organization)] {
			return Raised{}, fault.InvalidFields(map[string]string{"organizationId": "Choose one of your organizations on this portal."})
		}
	}

	// The write may run more than once (a conflict, or a batch that failed
	// for someone else): it builds everything afresh from what is above.
	var r Request
	write := s.db.Batch
	if !s.GroupCommit {
		write = s.db.Update
	}
	err = write(ctx, func(tx *kv.Tx) error {
		wf, err := workflowTx(tx, portal)
		if err != nil {
			return err
		}
		st, _ := wf.status(wf.Initial)
		num, err := tx.Next(seqProjectKey(portal))
		if err != nil {
			return err
		}
		id, err := tx.Next(seqRequest)
		if err != nil {
			return err
		}
		now := s.now()
		r = Request{ID: id, Project: portal, Number: num, Type: t.ID, Reporter: reporter.AccountID,
			Status: st.ID, Category: st.Category, Created: now, Updated: now, Fields: maps.Clone(vals),
			Summary: summary, Description: description}
		if in.Organization != 0 {
			r.Orgs = []uint64{uint64(in.Organization)}
		}
		for _, pid := range plan.people {
			if pid != r.Reporter && !contains(r.Participants, pid) {
				r.Participants = append(r.Participants, pid)
			}
		}
		if err := plan.apply(tx, portal); err != nil {
			return err
		}
		if err := bind(tx, who, client, in.Attachments, id, -1, false); err != nil {
			return err
		}
		r.Attachments = in.Attachments
		// Raising in an Open portal makes the reporter a customer, as in JSM.
		if len(reporter.CustomerOf[portal]) == 0 && !access.WorkProject(reporter, portal).Allow() {
			if err := helpcenter.AddCustomerTx(tx, portal, r.Reporter); err != nil {
				return err
			}
		}
		ev := Event{Kind: "created", Author: who.AccountID, At: now, Public: true}
		if who.Anonymous() {
			ev.Author = r.Reporter
		}
		if _, err := addEvent(tx, &r, ev); err != nil {
			return err
		}
		if err := tx.Set(keyRequestKey+u(portal)+"/"+u(num), []byte(u(id))); err != nil {
			return err
		}
		if err := tx.Set(keyTypeUse+u(t.ID)+"/"+u(id), nil); err != nil {
			return err
		}
		return save(tx, Request{}, r)
	})
	if err != nil {
		return Raised{}, err
	}
	s.ft.Poke()
	for _, a := range newAccounts {
		s.NewAccount(ctx, a)
	}
	if who.Anonymous() {
		return Raised{Message: AnonymousMessage}, nil
	}
	v, err := s.Get(ctx, who, u(r.ID))
	return Raised{Request: &v}, err
}
