package request

import (
	"context"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
)

// Brief is what other packages (the knowledge base) may read of a request
// its caller may work: staff of its project only.
type Brief struct {
	ID          uint64
	Key         string
	Project     uint64
	Summary     string
	Description string
	Done        bool
	// Replies are the public comments, oldest first.
	Replies []string
}

// BriefFor returns ref's brief to staff of its project; everyone else gets
// the refusal Get would give.
func (s *Service) BriefFor(ctx context.Context, who access.Caller, ref string) (Brief, error) {
	var b Brief
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		sn, err := s.see(tx, who, ref)
		if err != nil {
			return err
		}
		if !sn.inv.Staff() {
			return fault.New(fault.Forbidden, "Only agents and admins of the project can do this.", "")
		}
		r := sn.req
		b = Brief{ID: r.ID, Key: key(sn.project, r), Project: r.Project, Summary: r.Summary,
			Description: r.Description, Done: r.Category == Done}
		return kv.Scan(tx, keyEvent+u(r.ID)+"/", func(_ string, e Event) error {
			if e.Kind == "comment" && e.Public && e.Body != "" {
				b.Replies = append(b.Replies, e.Body)
			}
			return nil
		})
	})
	return b, err
}
