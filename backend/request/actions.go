package request

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// CommentInput is a reply or an internal note.
type CommentInput struct {
	Body        string `json:"body"`
	Internal    bool   `json:"internal"`
	Attachments IDs    `json:"attachments"`
}

func checkBody(body string, required bool) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch {
	case body == "" && required:
		return "", fault.InvalidFields(map[string]string{"body": "Write a comment first."})
	case len(body) > 32<<10:
		return "", fault.InvalidFields(map[string]string{"body": "Use at most 32,000 characters."})
	case !utf8.ValidString(body):
		return "", fault.InvalidFields(map[string]string{"body": "The text is not valid UTF-8."})
	}
	return body, nil
}

// Comment adds a public comment (anyone who may see the request) or an
// internal note (staff of its project). A customer's comment on a request
// waiting for them hands it back to support.
func (s *Service) Comment(ctx context.Context, who access.Caller, client, ref string, in CommentInput) (ActivityView, error) {
	body, err := checkBody(in.Body, len(in.Attachments) == 0)
	if err != nil {
		return ActivityView{}, err
	}
	var ev Event
	err = s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if in.Internal && !sn.inv.Staff() {
			return fault.Forbid("Only agents can add internal notes.", "")
		}
		ev = Event{Kind: "comment", Author: who.AccountID, At: s.now(), Public: !in.Internal, Body: body, Attachments: in.Attachments}
		if err := bind(tx, who, client, in.Attachments, r.ID, r.Events, in.Internal); err != nil {
			return err
		}
		var err error
		if ev, err = addEvent(tx, r, ev); err != nil {
			return err
		}
		if !sn.inv.Staff() && r.Status == WaitingStatus {
			wf, err := workflowTx(tx, r.Project)
			if err != nil {
				return err
			}
			if st, ok := wf.status(wf.Initial); ok {
				if err := s.move(tx, r, wf, st, "", who.AccountID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return ActivityView{}, err
	}
	var out ActivityView
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		staff := access.WorkProject(who, 0).Allow()
		names := newNames(tx, staff, who.AccountID)
		out = activityView(tx, ev, names, nil, who)
		return nil
	})
	return out, err
}

// move puts r in status st with an event; resolution is set on the way to
// done and cleared on the way out.
func (s *Service) move(tx *kv.Tx, r *Request, wf Workflow, st Status, resolution string, author uint64) error {
	from, _ := wf.status(r.Status)
	r.Status, r.Category = st.ID, st.Category
	if st.Category == Done {
		switch {
		case resolution != "":
		case from.Category == Done && r.Resolution != "":
			resolution = r.Resolution // done to done keeps it, as in JSM
		case len(wf.Resolutions) > 0:
			resolution = wf.Resolutions[0]
		default:
			resolution = "Done"
		}
		r.Resolution, r.Resolved = resolution, s.now()
	} else {
		r.Resolution, r.Resolved = "", time.Time{}
	}
	_, err := addEvent(tx, r, Event{Kind: "status", Author: author, At: s.now(), Public: from.CustomerName != st.CustomerName || from.Category != st.Category,
		From: from.ID, To: st.ID, Text: resolution})
	return err
}

// TransitionInput performs a transition.
type TransitionInput struct {
	Transition string `json:"transitionId"`
	Comment    string `json:"comment"`
}

// Transition moves a request along its workflow. Customers may use portal
// transitions, which show no screen and skip validators; staff may use
// any available transition, and validators (a required comment) apply.
func (s *Service) Transition(ctx context.Context, who access.Caller, ref string, in TransitionInput) (View, error) {
	body, err := checkBody(in.Comment, false)
	if err != nil {
		return View{}, fault.InvalidFields(map[string]string{"comment": fault.As(err).Fields["body"]})
	}
	err = s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		wf, err := workflowTx(tx, r.Project)
		if err != nil {
			return err
		}
		staff := sn.inv.Staff()
		var t Transition
		found := false
		for _, x := range wf.available(r.Status, !staff) {
			if x.ID == in.Transition {
				t, found = x, true
			}
		}
		if !found {
			return fault.Conflictf("This request cannot take that step now: it may have moved on. Reload to see what you can do.")
		}
		if staff && t.RequireComment && body == "" {
			return fault.InvalidFields(map[string]string{"comment": "Add a comment: \"" + t.Name + "\" needs one."})
		}
		if body != "" {
			if _, err := addEvent(tx, r, Event{Kind: "comment", Author: who.AccountID, At: s.now(), Public: true, Body: body}); err != nil {
				return err
			}
		}
		st, _ := wf.status(t.To)
		return s.move(tx, r, wf, st, t.Resolution, who.AccountID)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, who, ref)
}

// Assign gives a request to an agent of its project (0 unassigns).
func (s *Service) Assign(ctx context.Context, who access.Caller, ref string, account uint64) (View, error) {
	err := s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if !sn.inv.Staff() {
			return access.ErrNoRequest
		}
		if r.Assignee == account {
			return nil
		}
		text := "Unassigned"
		if account != 0 {
			a, err := identity.GetTx(tx, account)
			if fault.KindOf(err) == fault.NotFound {
				return fault.InvalidFields(map[string]string{"accountId": "Choose an agent of this project."})
			}
			if err != nil {
				return err
			}
			f := access.Caller{AccountID: a.ID, Role: access.Role(a.Role), Active: a.Active}
			if a.Role == identity.Agent {
				ok, err := helpcenter.IsAgentTx(tx, r.Project, a.ID)
				if err != nil {
					return err
				}
				f.AgentOf = map[uint64]bool{r.Project: ok}
			}
			if !access.WorkProject(f, r.Project).Allow() {
				return fault.InvalidFields(map[string]string{"accountId": a.Name + " is not an agent of this project."})
			}
			text = "Assigned to " + a.Name
		}
		r.Assignee = account
		_, err := addEvent(tx, r, Event{Kind: "assigned", Author: who.AccountID, At: s.now(), Text: text})
		return err
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, who, ref)
}

// ChangeType moves a request to another request type of its project.
func (s *Service) ChangeType(ctx context.Context, who access.Caller, ref string, typeID uint64) (View, error) {
	err := s.change(ctx, who, ref, func(tx *kv.Tx, sn seen, r *Request) error {
		if !sn.inv.Staff() {
			return access.ErrNoRequest
		}
		if r.Type == typeID {
			return nil
		}
		t, err := getType(tx, typeID)
		if err != nil || t.Project != r.Project {
			if err != nil && fault.KindOf(err) != fault.NotFound {
				return err
			}
			return fault.InvalidFields(map[string]string{"typeId": "Choose a request type of this project."})
		}
		old, _ := getType(tx, r.Type)
		if err := tx.Delete(keyTypeUse + u(r.Type) + "/" + u(r.ID)); err != nil {
			return err
		}
		if err := tx.Set(keyTypeUse+u(t.ID)+"/"+u(r.ID), nil); err != nil {
			return err
		}
		r.Type = t.ID
		// Keep what the new type has a visible field of the same kind for;
		// its hidden fields take their presets (an old hidden value must
		// not surface in a visible field of the new type).
		fields := map[string]any{}
		for _, f := range t.Fields {
			if f.Hidden {
				if f.Preset != nil {
					fields[f.ID] = f.Preset
				}
				continue
			}
			if of, ok := old.field(f.ID); ok && !of.Hidden && of.Kind == f.Kind {
				if v, ok := r.Fields[f.ID]; ok {
					fields[f.ID] = v
				}
			}
		}
		r.Fields = fields
		_, err = addEvent(tx, r, Event{Kind: "type", Author: who.AccountID, At: s.now(), Public: true, From: old.Name, To: t.Name,
			Text: "Request type changed to " + t.Name})
		return err
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, who, ref)
}

// notifyDefault: the reporter and participants hear about a request unless
// they turn it off; organization members and staff only if they turn it on.
func notifyDefault(r Request, account uint64) bool {
	return r.Reporter == account || contains(r.Participants, account)
}

func notifyTx(tx *kv.Tx, r Request, account uint64) (bool, error) {
	v, err := tx.Get(keyNotify + u(r.ID) + "/" + u(account))
	if err == kv.ErrNotFound {
		return notifyDefault(r, account), nil
	}
	if err != nil {
		return false, err
	}
	return string(v) == "1", nil
}

// SetNotifications turns the caller's notifications for a request on or
// off (Step 6 delivers them; "resolved" always reaches the reporter).
func (s *Service) SetNotifications(ctx context.Context, who access.Caller, ref string, on bool) (bool, error) {
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		sn, err := s.see(tx, who, ref)
		if err != nil {
			return err
		}
		v := "0"
		if on {
			v = "1"
		}
		return tx.Set(keyNotify+u(sn.req.ID)+"/"+u(who.AccountID), []byte(v))
	})
	return on, err
}
