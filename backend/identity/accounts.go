package identity

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"

	"portico/backend/fault"
	"portico/backend/kv"
)

// Domain returns the lower-case domain of an email address.
func Domain(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return strings.ToLower(email[i+1:])
	}
	return ""
}

func domainKey(domain string, id uint64) string {
	return keyDomain + domain + "/" + strconv.FormatUint(id, 10)
}

// layout is the version of identity's secondary indexes; upgrade builds
// what an older data directory lacks.
const layout = 2

func (s *Service) upgrade(ctx context.Context) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		v, err := tx.Get(keyLayout)
		have := 1
		if err == nil {
			have, _ = strconv.Atoi(string(v))
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if have >= layout {
			return nil
		}
		// 1 → 2: the email-domain index, for live domain rules.
		err = kv.Scan(tx, keyAccount, func(_ string, a Account) error {
			return tx.Set(domainKey(Domain(a.Email), a.ID), nil)
		})
		if err != nil {
			return err
		}
		return tx.Set(keyLayout, []byte(strconv.Itoa(layout)))
	})
}

// Invite creates an account with no password for someone else (an admin
// adding staff, an agent adding a customer). The person sets a password
// through the link CreateInvite returns alongside. When the email already
// has an account, that account is returned with existed set.
func (s *Service) Invite(ctx context.Context, in NewAccount) (a Account, existed bool, err error) {
	in.Name = strings.TrimSpace(in.Name)
	email, eerr := NormalizeEmail(in.Email)
	bad := map[string]string{}
	if eerr != nil {
		bad["email"] = eerr.Error()
	}
	if in.Name == "" && eerr == nil {
		in.Name = strings.Split(email, "@")[0]
	}
	if _, msg := checkName(in.Name); msg != "" && eerr == nil {
		bad["name"] = msg
	}
	switch in.Role {
	case Admin, Agent, Customer:
	default:
		bad["role"] = "Choose admin, agent or customer."
	}
	if len(bad) > 0 {
		return Account{}, false, fault.InvalidFields(bad)
	}
	in.Email = email
	err = s.db.Update(ctx, func(tx *kv.Tx) error {
		a, err = findByEmail(tx, email)
		if err == nil {
			existed = true
			return nil
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		existed = false
		a, err = s.create(tx, in, "", false)
		return err
	})
	return a, existed, err
}

// Find returns the account with this email, or a not-found error.
func (s *Service) Find(ctx context.Context, email string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, fault.InvalidFields(map[string]string{"email": err.Error()})
	}
	var a Account
	err = s.db.View(ctx, func(tx *kv.Tx) (err error) { a, err = findByEmail(tx, email); return err })
	if errors.Is(err, kv.ErrNotFound) {
		return Account{}, fault.NotFoundf("No account has this email address.")
	}
	return a, err
}

// GetTx reads an account inside the caller's transaction.
func GetTx(tx *kv.Tx, id uint64) (Account, error) { return getAccount(tx, id) }

// ByDomainTx lists the ids of accounts whose email is at domain.
func ByDomainTx(tx *kv.Tx, domain string, fn func(id uint64) error) error {
	return kv.ScanIDs(tx, keyDomain+strings.ToLower(domain)+"/", fn)
}

// Staff lists admins and agents, by name.
func (s *Service) Staff(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, keyAccount, func(_ string, a Account) error {
			if a.Role == Admin || a.Role == Agent {
				out = append(out, a)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, err
}

// AccountPatch changes what is set.
type AccountPatch struct {
	Name   *string `json:"name"`
	Role   *Role   `json:"role"`
	Active *bool   `json:"active"`
}

// Update changes an account. The owner cannot be demoted or deactivated:
// the instance must always keep one admin who can let everyone else in.
// Deactivating revokes every session at once.
func (s *Service) Update(ctx context.Context, id uint64, p AccountPatch) (Account, error) {
	var a Account
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if a, err = getAccount(tx, id); err != nil {
			return err
		}
		bad := map[string]string{}
		if p.Name != nil {
			name, msg := checkName(*p.Name)
			if msg != "" {
				bad["name"] = msg
			}
			a.Name = name
		}
		if p.Role != nil {
			switch *p.Role {
			case Admin, Agent, Customer:
			default:
				bad["role"] = "Choose admin, agent or customer."
			}
		}
		if len(bad) > 0 {
			return fault.InvalidFields(bad)
		}
		if p.Role != nil {
			if a.Owner && *p.Role != Admin {
				return fault.Conflictf("The owner is always an administrator.")
			}
			a.Role = *p.Role
		}
		if p.Active != nil {
			if a.Owner && !*p.Active {
				return fault.Conflictf("The owner cannot be deactivated.")
			}
			a.Active = *p.Active
			if !a.Active {
				if err := revokeAll(tx, id); err != nil {
					return err
				}
				if err := revokeLinks(tx, id); err != nil {
					return err
				}
			}
		}
		return kv.Put(tx, accountKey(id), a)
	})
	return a, err
}

// revokeAll ends every session of the account.
func revokeAll(tx *kv.Tx, id uint64) error {
	prefix := keyAcctSessions + strconv.FormatUint(id, 10) + "/"
	var keys []string
	err := tx.Scan(prefix, func(key string, _ func() ([]byte, error)) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(keySession + strings.TrimPrefix(k, prefix)); err != nil {
			return err
		}
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
