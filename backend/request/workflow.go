package request

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Category groups statuses: open and in progress count as open requests,
// done as closed (resolved).
type Category string

const (
	Open       Category = "open"
	InProgress Category = "progress"
	Done       Category = "done"
)

// Status is a workflow status with the name customers see.
type Status struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	CustomerName string   `json:"customerName"`
	Category     Category `json:"category"`
}

// Transition moves a request between statuses. Portal transitions show on
// the customer portal with no screen and skip validators (RequireComment),
// which still apply to agents; Resolution is set on the way.
type Transition struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	From           []string `json:"from"` // empty: from any other status
	To             string   `json:"to"`
	Portal         bool     `json:"portal"`
	Resolution     string   `json:"resolution"`
	RequireComment bool     `json:"requireComment"`
}

// Workflow is a project's statuses and transitions.
type Workflow struct {
	Statuses    []Status     `json:"statuses"`
	Initial     string       `json:"initial"`
	Transitions []Transition `json:"transitions"`
	Resolutions []string     `json:"resolutions"`
}

// WaitingStatus is the status the "Waiting for customer" queue shows; a
// customer's comment on a request in it moves it back to the initial status.
const WaitingStatus = "waiting_customer"

// DefaultWorkflow is what a new project starts with, so it works at once.
func DefaultWorkflow() Workflow {
	return Workflow{
		Statuses: []Status{
			{ID: "waiting_support", Name: "Waiting for support", CustomerName: "Waiting for support", Category: Open},
			{ID: "in_progress", Name: "In progress", CustomerName: "In progress", Category: InProgress},
			{ID: WaitingStatus, Name: "Waiting for customer", CustomerName: "Waiting for your reply", Category: InProgress},
			{ID: "resolved", Name: "Resolved", CustomerName: "Resolved", Category: Done},
		},
		Initial: "waiting_support",
		Transitions: []Transition{
			{ID: "start", Name: "Start progress", From: []string{"waiting_support", WaitingStatus}, To: "in_progress"},
			{ID: "wait", Name: "Wait for customer", From: []string{"waiting_support", "in_progress"}, To: WaitingStatus},
			{ID: "respond", Name: "Back to support", From: []string{WaitingStatus}, To: "waiting_support"},
			{ID: "resolve", Name: "Resolve this request", From: []string{"waiting_support", "in_progress", WaitingStatus}, To: "resolved", Portal: true, Resolution: "Done", RequireComment: true},
			{ID: "reopen", Name: "Reopen", From: []string{"resolved"}, To: "waiting_support", Portal: true},
		},
		Resolutions: []string{"Done", "Won't do", "Duplicate", "Cannot reproduce"},
	}
}

func (w Workflow) status(id string) (Status, bool) {
	for _, s := range w.Statuses {
		if s.ID == id {
			return s, true
		}
	}
	return Status{}, false
}

func (w Workflow) transition(id string) (Transition, bool) {
	for _, t := range w.Transitions {
		if t.ID == id {
			return t, true
		}
	}
	return Transition{}, false
}

// available lists the transitions from status; portalOnly for customers.
func (w Workflow) available(status string, portalOnly bool) []Transition {
	var out []Transition
	for _, t := range w.Transitions {
		if portalOnly && !t.Portal || t.To == status {
			continue
		}
		if len(t.From) == 0 || contains(t.From, status) {
			out = append(out, t)
		}
	}
	return out
}

func contains[T comparable](xs []T, x T) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// without returns xs less every x, in a new slice (xs may be shared with
// the stored copy a change started from).
func without[S ~[]E, E comparable](xs S, x E) S {
	out := make(S, 0, len(xs))
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

var idRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// check validates a workflow; inUse are statuses requests are in now.
func (w *Workflow) check(inUse map[string]bool) error {
	bad := map[string]string{}
	seen := map[string]bool{}
	open := false
	if len(w.Statuses) == 0 {
		bad["statuses"] = "Add at least one status."
	}
	if len(w.Statuses) > 50 || len(w.Transitions) > 200 || len(w.Resolutions) > 50 {
		bad["statuses"] = "Use at most 50 statuses, 200 transitions and 50 resolutions."
	}
	for i := range w.Statuses {
		s := &w.Statuses[i]
		f := "statuses." + u(uint64(i))
		s.Name, s.CustomerName = strings.TrimSpace(s.Name), strings.TrimSpace(s.CustomerName)
		if s.CustomerName == "" {
			s.CustomerName = s.Name
		}
		switch {
		case !idRE.MatchString(s.ID):
			bad[f+".id"] = "Use lower-case letters, digits and _ for a status id, starting with a letter."
		case seen[s.ID]:
			bad[f+".id"] = "Two statuses have the id " + s.ID + "."
		}
		seen[s.ID] = true
		if msg := checkLabel(s.Name, 60); msg != "" {
			bad[f+".name"] = msg
		}
		if msg := checkLabel(s.CustomerName, 60); msg != "" {
			bad[f+".customerName"] = msg
		}
		switch s.Category {
		case Open, InProgress:
			open = true
		case Done:
		default:
			bad[f+".category"] = "Choose open, in progress or done."
		}
	}
	for id := range inUse {
		if !seen[id] {
			bad["statuses"] = "Requests are in the status " + id + ": move them before removing it."
		}
	}
	if len(w.Statuses) > 0 && !open {
		bad["statuses"] = "At least one status must be open or in progress."
	}
	if st, ok := w.status(w.Initial); !ok {
		bad["initial"] = "Choose the status new requests start in."
	} else if st.Category == Done {
		bad["initial"] = "New requests cannot start in a done status."
	}
	res := map[string]bool{}
	for i, r := range w.Resolutions {
		r = strings.TrimSpace(r)
		w.Resolutions[i] = r
		if msg := checkLabel(r, 60); msg != "" {
			bad["resolutions."+u(uint64(i))] = msg
		}
		res[r] = true
	}
	tids := map[string]bool{}
	for i := range w.Transitions {
		t := &w.Transitions[i]
		f := "transitions." + u(uint64(i))
		t.Name = strings.TrimSpace(t.Name)
		t.Resolution = strings.TrimSpace(t.Resolution)
		switch {
		case !idRE.MatchString(t.ID):
			bad[f+".id"] = "Use lower-case letters, digits and _ for a transition id, starting with a letter."
		case tids[t.ID]:
			bad[f+".id"] = "Two transitions have the id " + t.ID + "."
		}
		tids[t.ID] = true
		if msg := checkLabel(t.Name, 60); msg != "" {
			bad[f+".name"] = msg
		}
		to, ok := w.status(t.To)
		if !ok {
			bad[f+".to"] = "This transition leads to a status that does not exist."
		}
		for _, from := range t.From {
			if _, ok := w.status(from); !ok {
				bad[f+".from"] = "This transition starts from a status that does not exist: " + from + "."
			}
		}
		if t.Resolution != "" && !res[t.Resolution] {
			bad[f+".resolution"] = "Choose one of the workflow's resolutions."
		}
		if ok && to.Category != Done && t.Resolution != "" {
			bad[f+".resolution"] = "Only a transition to a done status sets a resolution."
		}
	}
	if len(bad) > 0 {
		return fault.InvalidFields(bad)
	}
	return nil
}

func checkLabel(s string, max int) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "Enter a name."
	case n > max:
		return "Use at most " + u(uint64(max)) + " characters."
	}
	return identity.CheckText(s)
}

func workflowTx(tx *kv.Tx, project uint64) (Workflow, error) {
	w, err := kv.Get[Workflow](tx, keyWorkflow+u(project))
	if errors.Is(err, kv.ErrNotFound) {
		return DefaultWorkflow(), nil
	}
	return w, err
}

// Workflow returns a project's workflow to its staff.
func (s *Service) Workflow(ctx context.Context, who access.Caller, project uint64) (Workflow, error) {
	if err := access.WorkProject(who, project).Err(); err != nil {
		return Workflow{}, err
	}
	var w Workflow
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		w, err = workflowTx(tx, project)
		return err
	})
	return w, err
}

// SetWorkflow replaces a project's workflow; admins only. A status that
// requests are in cannot go.
func (s *Service) SetWorkflow(ctx context.Context, who access.Caller, project uint64, w Workflow) (Workflow, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Workflow{}, err
	}
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		inUse := map[string]bool{}
		old, err := workflowTx(tx, project)
		if err != nil {
			return err
		}
		recategorised := map[string]bool{}
		for _, st := range old.Statuses {
			nst, kept := w.status(st.ID)
			if kept && nst.Category == st.Category {
				continue
			}
			n, err := s.countStatus(tx, project, st.ID)
			if err != nil {
				return err
			}
			if n > 0 && !kept {
				inUse[st.ID] = true
			}
			if n > 0 && kept {
				recategorised[st.ID] = true
			}
		}
		if err := w.check(inUse); err != nil {
			return err
		}
		// Lists and counts follow a status's category: changing it under
		// requests would leave them in the wrong lists.
		for id := range recategorised {
			return fault.InvalidFields(map[string]string{"statuses": "Requests are in the status " + id + ": its category cannot change while they are. Move them first, or add a new status."})
		}
		return kv.Put(tx, keyWorkflow+u(project), w)
	})
	return w, err
}

func statusIDs(w Workflow) []string {
	out := make([]string, len(w.Statuses))
	for i, s := range w.Statuses {
		out[i] = s.ID
	}
	return out
}

// countStatus counts a project's requests in a status (from the per-status
// counters kept with every change).
func (s *Service) countStatus(tx *kv.Tx, project uint64, status string) (int64, error) {
	return counter(tx, keyCount+u(project)+"/status/"+status)
}
