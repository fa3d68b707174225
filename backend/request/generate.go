package request

import (
	"context"
	"time"

	"portico/backend/helpcenter"
	"portico/backend/kv"
)

// Generated is one request for Import: the dataset generator's, written
// without the checks a person's request goes through.
type Generated struct {
	Project      uint64
	Type         uint64
	Reporter     uint64
	Participants []uint64
	Org          uint64
	Summary      string
	Description  string
	Done         bool
	Assignee     uint64
	Created      time.Time
}

// Import writes many requests in one transaction, with every index key,
// counter and outbox entry a raised request has.
func (s *Service) Import(ctx context.Context, rs []Generated) error {
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		wfs := map[uint64]Workflow{}
		for _, g := range rs {
			wf, ok := wfs[g.Project]
			if !ok {
				var err error
				if wf, err = workflowTx(tx, g.Project); err != nil {
					return err
				}
				wfs[g.Project] = wf
			}
			st, _ := wf.status(wf.Initial)
			if g.Done {
				for _, x := range wf.Statuses {
					if x.Category == Done {
						st = x
						break
					}
				}
			}
			num, err := tx.Next(seqProjectKey(g.Project))
			if err != nil {
				return err
			}
			id, err := tx.Next(seqRequest)
			if err != nil {
				return err
			}
			r := Request{ID: id, Project: g.Project, Number: num, Type: g.Type, Summary: g.Summary, Description: g.Description,
				Reporter: g.Reporter, Participants: g.Participants, Status: st.ID, Category: st.Category, Assignee: g.Assignee,
				Created: g.Created, Updated: g.Created}
			if g.Org != 0 {
				r.Orgs = []uint64{g.Org}
			}
			if g.Done {
				r.Resolution, r.Resolved = "Done", g.Created
			}
			if _, err := addEvent(tx, &r, Event{Kind: "created", Author: g.Reporter, At: g.Created, Public: true}); err != nil {
				return err
			}
			if err := tx.Set(keyRequestKey+u(g.Project)+"/"+u(num), []byte(u(id))); err != nil {
				return err
			}
			if err := tx.Set(keyTypeUse+u(g.Type)+"/"+u(id), nil); err != nil {
				return err
			}
			for _, a := range append([]uint64{g.Reporter}, g.Participants...) {
				if err := helpcenter.AddCustomerTx(tx, g.Project, a); err != nil {
					return err
				}
			}
			if err := save(tx, Request{}, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.ft.Poke()
	}
	return err
}

// FirstType returns a project's first request type, for generators.
func (s *Service) FirstType(ctx context.Context, project uint64) (uint64, error) {
	var id uint64
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		types, _, err := typesOfTx(tx, project)
		if len(types) > 0 {
			id = types[0].ID
		}
		return err
	})
	return id, err
}
