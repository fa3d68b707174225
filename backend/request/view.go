package request

import (
	"context"
	"time"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// PersonView is a person as a request shows them: the email only to staff
// and to the person themself.
type PersonView struct {
	ID    uint64 `json:"id,string"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

func personView(a identity.Account, withEmail bool) PersonView {
	p := PersonView{ID: a.ID, Name: a.Name}
	if withEmail {
		p.Email = a.Email
	}
	return p
}

// names caches accounts read while drawing one answer.
type names struct {
	tx    *kv.Tx
	staff bool
	me    uint64
	seen  map[uint64]PersonView
}

func newNames(tx *kv.Tx, staff bool, me uint64) *names {
	return &names{tx: tx, staff: staff, me: me, seen: map[uint64]PersonView{}}
}

func (n *names) get(id uint64) PersonView {
	if p, ok := n.seen[id]; ok {
		return p
	}
	p := PersonView{ID: id, Name: "Someone"}
	if a, err := identity.GetTx(n.tx, id); err == nil {
		p = personView(a, n.staff || id == n.me)
	}
	n.seen[id] = p
	return p
}

// StatusView is a status as the caller sees it.
type StatusView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Category     Category `json:"category"`
	CustomerName string   `json:"customerName,omitempty"`
}

func statusView(wf Workflow, id string, staff bool) StatusView {
	st, ok := wf.status(id)
	if !ok {
		st = Status{ID: id, Name: id, CustomerName: id, Category: Open}
	}
	if staff {
		return StatusView{ID: st.ID, Name: st.Name, Category: st.Category, CustomerName: st.CustomerName}
	}
	return StatusView{ID: st.ID, Name: st.CustomerName, Category: st.Category}
}

// TypeRef is a request type in a row.
type TypeRef struct {
	ID   uint64 `json:"id,string"`
	Name string `json:"name"`
	Icon string `json:"icon"`
}

// Row is a request in a list.
type Row struct {
	ID       uint64      `json:"id,string"`
	Key      string      `json:"key"`
	Summary  string      `json:"summary"`
	Status   StatusView  `json:"status"`
	Portal   Ref         `json:"portal"`
	Type     TypeRef     `json:"type"`
	Reporter PersonView  `json:"reporter"`
	Assignee *PersonView `json:"assignee,omitempty"`
	Created  time.Time   `json:"created"`
	Updated  time.Time   `json:"updated"`
	Involved *bool       `json:"involved,omitempty"`
}

// AttachmentView is a file as listed.
type AttachmentView struct {
	ID   uint64 `json:"id,string"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

func attachmentView(a Attachment) AttachmentView {
	return AttachmentView{ID: a.ID, Name: a.Name, Size: a.Size, Type: a.Type, URL: "/api/attachments/" + u(a.ID)}
}

// ActivityView is one entry of a request's activity.
type ActivityView struct {
	ID          string           `json:"id"`
	Kind        string           `json:"kind"`
	Author      *PersonView      `json:"author"`
	At          time.Time        `json:"at"`
	Public      bool             `json:"public"`
	HTML        string           `json:"html,omitempty"`
	Text        string           `json:"text,omitempty"`
	From        string           `json:"from,omitempty"`
	To          string           `json:"to,omitempty"`
	Attachments []AttachmentView `json:"attachments,omitempty"`
}

func activityView(tx *kv.Tx, e Event, n *names, wf *Workflow, who access.Caller) ActivityView {
	v := ActivityView{ID: u(uint64(e.N)), Kind: e.Kind, At: e.At, Public: e.Public, Text: e.Text, From: e.From, To: e.To}
	if e.Author != 0 {
		p := n.get(e.Author)
		v.Author = &p
	}
	if e.Body != "" {
		v.HTML = helpcenter.RenderMarkdown(e.Body)
	}
	if e.Kind == "status" && wf != nil {
		from, to := statusView(*wf, e.From, n.staff), statusView(*wf, e.To, n.staff)
		v.From, v.To = from.Name, to.Name
		v.Text = "Status changed to " + to.Name
		if e.Text != "" {
			v.Text += " (" + e.Text + ")"
		}
	}
	for _, id := range e.Attachments {
		if a, err := kv.Get[Attachment](tx, keyAttachment+u(id)); err == nil {
			v.Attachments = append(v.Attachments, attachmentView(a))
		}
	}
	return v
}

// FieldView is a field's value on a request.
type FieldView struct {
	ID    string    `json:"id"`
	Label string    `json:"label"`
	Kind  FieldKind `json:"kind"`
	Value any       `json:"value"`
	HTML  string    `json:"html,omitempty"`
}

// TransitionView is a transition the caller may take.
type TransitionView struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	RequireComment bool   `json:"requireComment,omitempty"`
	Resolution     string `json:"resolution,omitempty"`
}

// Actions say what the caller may do, so screens show only those controls.
type Actions struct {
	Comment            bool `json:"comment"`
	InternalComment    bool `json:"internalComment"`
	Share              bool `json:"share"`
	RemoveParticipant  bool `json:"removeParticipant"`
	RemoveOrganization bool `json:"removeOrganization"`
	Transition         bool `json:"transition"`
	Assign             bool `json:"assign"`
	ChangeType         bool `json:"changeType"`
}

// View is one request as the caller may see it.
type View struct {
	Row
	Resolution      string           `json:"resolution"`
	Description     string           `json:"description"`
	DescriptionHTML string           `json:"descriptionHtml"`
	Fields          []FieldView      `json:"fields"`
	Activity        []ActivityView   `json:"activity"`
	Attachments     []AttachmentView `json:"attachments"`
	Participants    []PersonView     `json:"participants"`
	Organizations   []Ref            `json:"organizations"`
	Transitions     []TransitionView `json:"transitions"`
	Actions         Actions          `json:"actions"`
	Notifications   bool             `json:"notifications"`
	Sharing         access.Sharing   `json:"sharing"`
	Resolutions     []string         `json:"resolutions,omitempty"`
}

func key(p helpcenter.Project, r Request) string { return p.Key + "-" + u(r.Number) }

// row draws a list row; wf and types are looked up once per page by the caller.
func row(tx *kv.Tx, r Request, p helpcenter.Project, wf Workflow, t Type, n *names) Row {
	out := Row{ID: r.ID, Key: key(p, r), Summary: r.Summary, Status: statusView(wf, r.Status, n.staff),
		Portal: Ref{ID: p.ID, Name: p.Title()}, Type: TypeRef{ID: t.ID, Name: t.Name, Icon: t.Icon},
		Reporter: n.get(r.Reporter), Created: r.Created, Updated: r.Updated}
	if r.Assignee != 0 && n.staff {
		a := n.get(r.Assignee)
		out.Assignee = &a
	}
	return out
}

// Get returns a request the caller may see.
func (s *Service) Get(ctx context.Context, who access.Caller, ref string) (View, error) {
	var v View
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		sn, err := s.see(tx, who, ref)
		if err != nil {
			return err
		}
		r, p := sn.req, sn.project
		staff := sn.inv.Staff()
		wf, err := workflowTx(tx, r.Project)
		if err != nil {
			return err
		}
		t, _ := getType(tx, r.Type)
		n := newNames(tx, staff, who.AccountID)
		v = View{Row: row(tx, r, p, wf, t, n), Resolution: r.Resolution, Description: r.Description,
			DescriptionHTML: helpcenter.RenderMarkdown(r.Description), Sharing: p.Sharing,
			Fields: []FieldView{}, Activity: []ActivityView{}, Attachments: []AttachmentView{},
			Participants: []PersonView{}, Organizations: []Ref{}, Transitions: []TransitionView{}}
		for _, f := range t.Fields {
			if f.Kind == KindSummary || f.Kind == KindDescription || f.Kind == KindAttachment || f.Hidden && !staff {
				continue
			}
			if val, ok := r.Fields[f.ID]; ok {
				fv := FieldView{ID: f.ID, Label: f.Label, Kind: f.Kind, Value: val}
				if f.Kind == KindParagraph {
					if s, ok := val.(string); ok {
						fv.HTML = helpcenter.RenderMarkdown(s)
					}
				}
				v.Fields = append(v.Fields, fv)
			}
		}
		for _, id := range r.Attachments {
			if a, err := kv.Get[Attachment](tx, keyAttachment+u(id)); err == nil {
				v.Attachments = append(v.Attachments, attachmentView(a))
			}
		}
		err = kv.Scan(tx, keyEvent+u(r.ID)+"/", func(_ string, e Event) error {
			if e.Public || staff {
				v.Activity = append(v.Activity, activityView(tx, e, n, &wf, who))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, pid := range r.Participants {
			v.Participants = append(v.Participants, n.get(pid))
		}
		for _, o := range r.Orgs {
			if org, err := identity.GetOrgTx(tx, o); err == nil {
				v.Organizations = append(v.Organizations, Ref{ID: o, Name: org.Name})
			}
		}
		for _, tr := range wf.available(r.Status, !staff) {
			tv := TransitionView{ID: tr.ID, Name: tr.Name, Resolution: tr.Resolution}
			if staff {
				tv.RequireComment = tr.RequireComment
			}
			v.Transitions = append(v.Transitions, tv)
		}
		v.Actions = Actions{Comment: true, Transition: len(v.Transitions) > 0,
			Share:              staff || p.Sharing != access.ShareOrganization || len(who.Orgs) > 0,
			RemoveParticipant:  access.RemoveParticipant(who, r.facts(), 0),
			RemoveOrganization: access.RemoveOrg(who, r.facts()),
			InternalComment:    staff, Assign: staff, ChangeType: staff}
		if staff {
			v.Resolutions = wf.Resolutions
		}
		v.Notifications, err = notifyTx(tx, r, who.AccountID)
		return err
	})
	return v, err
}
