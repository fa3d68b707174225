package identity

import (
	"context"
	"strings"

	"portico/backend/fault"
	"portico/backend/kv"
)

// Import is one account to create in bulk, with its password already
// hashed (or none: the person sets it through a link).
type Import struct {
	Name         string
	Email        string
	Role         Role
	PasswordHash string
}

// ImportAccounts creates many accounts in one transaction, for imports and
// for seeding benchmarks; keep batches to a few thousand. Any invalid or
// taken address fails the whole batch, naming it.
func (s *Service) ImportAccounts(ctx context.Context, in []Import) ([]Account, error) {
	out := make([]Account, 0, len(in))
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		out = out[:0]
		for _, im := range in {
			email, err := NormalizeEmail(im.Email)
			if err != nil {
				return fault.Invalidf("%s: %v", im.Email, err)
			}
			name, msg := checkName(im.Name)
			if msg != "" {
				return fault.Invalidf("%s: %s", im.Email, msg)
			}
			if im.Role == "" {
				im.Role = Customer
			}
			a, err := s.create(tx, NewAccount{Name: name, Email: email, Role: im.Role}, im.PasswordHash, false)
			if err != nil {
				return fault.Conflictf("%s: %s", email, strings.TrimSuffix(fault.As(err).Message, "."))
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// ImportOrgs creates many organizations in one transaction.
func (s *Service) ImportOrgs(ctx context.Context, names []string, members map[string][]uint64) ([]Org, error) {
	out := make([]Org, 0, len(names))
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		out = out[:0]
		for _, n := range names {
			name, err := checkOrgName(n)
			if err != nil {
				return err
			}
			o, err := createOrgTx(tx, name)
			if err != nil {
				return err
			}
			for _, a := range members[n] {
				if err := addMemberTx(tx, o.ID, a); err != nil {
					return err
				}
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}
