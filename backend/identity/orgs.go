package identity

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"portico/backend/fault"
	"portico/backend/kv"
)

// Org is an organization: a named group of customers (a company, a
// department) that can be attached to service projects.
type Org struct {
	ID   uint64 `json:"id,string"`
	Name string `json:"name"`
}

func orgKey(id uint64) string { return keyOrg + strconv.FormatUint(id, 10) }
func u(id uint64) string      { return strconv.FormatUint(id, 10) }

func checkOrgName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", fault.InvalidFields(map[string]string{"name": "Enter a name for the organization."})
	case n > 120:
		return "", fault.InvalidFields(map[string]string{"name": "Use at most 120 characters."})
	case CheckText(name) != "":
		return "", fault.InvalidFields(map[string]string{"name": CheckText(name)})
	}
	return name, nil
}

var errOrgNameTaken = fault.Conflictf("An organization with this name already exists.")

// CreateOrg makes an organization; names are unique regardless of case.
func (s *Service) CreateOrg(ctx context.Context, name string) (Org, error) {
	name, err := checkOrgName(name)
	if err != nil {
		return Org{}, err
	}
	var o Org
	err = s.db.Update(ctx, func(tx *kv.Tx) (err error) { o, err = createOrgTx(tx, name); return err })
	return o, err
}

// createOrgTx stores a new organization under a checked name.
func createOrgTx(tx *kv.Tx, name string) (Org, error) {
	if ok, err := tx.Has(keyOrgName + strings.ToLower(name)); err != nil || ok {
		if ok {
			return Org{}, errOrgNameTaken
		}
		return Org{}, err
	}
	id, err := tx.Next(seqOrg)
	if err != nil {
		return Org{}, err
	}
	o := Org{ID: id, Name: name}
	if err := kv.Put(tx, orgKey(id), o); err != nil {
		return Org{}, err
	}
	return o, tx.Set(keyOrgName+strings.ToLower(name), []byte(u(id)))
}

// addMemberTx records membership both ways.
func addMemberTx(tx *kv.Tx, org, account uint64) error {
	if err := tx.Set(keyOrgMember+u(org)+"/"+u(account), nil); err != nil {
		return err
	}
	return tx.Set(keyMemberOrg+u(account)+"/"+u(org), nil)
}

// RenameOrg changes an organization's name.
func (s *Service) RenameOrg(ctx context.Context, id uint64, name string) (Org, error) {
	name, err := checkOrgName(name)
	if err != nil {
		return Org{}, err
	}
	var o Org
	err = s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if o, err = GetOrgTx(tx, id); err != nil {
			return err
		}
		if !strings.EqualFold(o.Name, name) {
			if ok, err := tx.Has(keyOrgName + strings.ToLower(name)); err != nil || ok {
				if ok {
					return errOrgNameTaken
				}
				return err
			}
			if err := tx.Delete(keyOrgName + strings.ToLower(o.Name)); err != nil {
				return err
			}
		}
		o.Name = name
		if err := kv.Put(tx, orgKey(id), o); err != nil {
			return err
		}
		return tx.Set(keyOrgName+strings.ToLower(name), []byte(u(id)))
	})
	return o, err
}

// DeleteOrg removes an organization and its memberships; detach lets the
// caller remove what refers to it elsewhere, in the final transaction.
// Memberships go first, in batches, so an organization of any size can be
// deleted (one transaction has a size limit); if that is interrupted, the
// organization is still there, with fewer members, and deleting it again
// finishes the job.
func (s *Service) DeleteOrg(ctx context.Context, id uint64, detach func(tx *kv.Tx, org uint64) error) error {
	if _, err := s.GetOrg(ctx, id); err != nil {
		return err
	}
	for {
		var batch []uint64
		err := s.db.View(ctx, func(tx *kv.Tx) error {
			return OrgMembersTx(tx, id, func(a uint64) error {
				batch = append(batch, a)
				if len(batch) == 1000 {
					return kv.ErrStop
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		if err := s.db.Update(ctx, func(tx *kv.Tx) error {
			for _, a := range batch {
				if err := tx.Delete(keyOrgMember + u(id) + "/" + u(a)); err != nil {
					return err
				}
				if err := tx.Delete(keyMemberOrg + u(a) + "/" + u(id)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		o, err := GetOrgTx(tx, id)
		if err != nil {
			return err
		}
		if detach != nil {
			if err := detach(tx, id); err != nil {
				return err
			}
		}
		if err := tx.Delete(keyOrgName + strings.ToLower(o.Name)); err != nil {
			return err
		}
		return tx.Delete(orgKey(id))
	})
}

// GetOrgTx reads an organization.
func GetOrgTx(tx *kv.Tx, id uint64) (Org, error) {
	o, err := kv.Get[Org](tx, orgKey(id))
	if errors.Is(err, kv.ErrNotFound) {
		return o, fault.NotFoundf("No such organization.")
	}
	return o, err
}

// GetOrg reads an organization.
func (s *Service) GetOrg(ctx context.Context, id uint64) (Org, error) {
	var o Org
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { o, err = GetOrgTx(tx, id); return err })
	return o, err
}

// Orgs lists every organization by name.
func (s *Service) Orgs(ctx context.Context) ([]Org, error) {
	var out []Org
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, keyOrg, func(_ string, o Org) error { out = append(out, o); return nil })
	})
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, err
}

// AddMember puts an account in an organization; adding twice is harmless.
func (s *Service) AddMember(ctx context.Context, org, account uint64) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := GetOrgTx(tx, org); err != nil {
			return err
		}
		if _, err := getAccount(tx, account); err != nil {
			return err
		}
		return addMemberTx(tx, org, account)
	})
}

// RemoveMember takes an account out of an organization.
func (s *Service) RemoveMember(ctx context.Context, org, account uint64) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := GetOrgTx(tx, org); err != nil {
			return err
		}
		if err := tx.Delete(keyOrgMember + u(org) + "/" + u(account)); err != nil {
			return err
		}
		return tx.Delete(keyMemberOrg + u(account) + "/" + u(org))
	})
}

// OrgMembersTx lists an organization's member account ids.
func OrgMembersTx(tx *kv.Tx, org uint64, fn func(account uint64) error) error {
	return kv.ScanIDs(tx, keyOrgMember+u(org)+"/", fn)
}

// OrgsOfTx lists the organizations an account belongs to.
func OrgsOfTx(tx *kv.Tx, account uint64, fn func(org uint64) error) error {
	return kv.ScanIDs(tx, keyMemberOrg+u(account)+"/", fn)
}

// OrgsOf returns the organizations account is a member of.
func (s *Service) OrgsOf(ctx context.Context, account uint64) (map[uint64]bool, error) {
	out := map[uint64]bool{}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.ScanIDs(tx, keyMemberOrg+u(account)+"/", func(org uint64) error { out[org] = true; return nil })
	})
	return out, err
}
