package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"portico/backend/fault"
	"portico/backend/kv"
)

// API tokens let scripts call the API (JSM's "API token": HTTP Basic with
// email and token, or Bearer). Only their SHA-256 digest is stored and
// looked up: a token has 256 random bits, so a fast hash is enough and
// nothing slow runs on every call.

// APIToken is a personal API token as its owner sees it (never the secret).
type APIToken struct {
	ID       uint64    `json:"id,string"`
	Account  uint64    `json:"account,string"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
	Expires  time.Time `json:"expires,omitzero"`
}

// apiTokenPrefix marks Portico's API tokens, so secret scanners and people
// can tell them apart from session cookies.
const apiTokenPrefix = "ptk_"

const (
	maxAPITokens  = 50
	lastUsedEvery = time.Hour
)

var errAPIToken = fault.Unauthorized("This API token is not valid: it may have been revoked or mistyped.", "Create a new token in your profile.")

// CreateAPIToken makes a token for account; the secret is returned once.
func (s *Service) CreateAPIToken(ctx context.Context, account uint64, name string, days int) (APIToken, string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return APIToken{}, "", fault.InvalidFields(map[string]string{"name": "Name the token after what will use it, such as \"nightly report\"."})
	case n > 100:
		return APIToken{}, "", fault.InvalidFields(map[string]string{"name": "Keep the name under 100 characters."})
	}
	if days < 0 || days > 3650 {
		return APIToken{}, "", fault.InvalidFields(map[string]string{"days": "Choose between 1 and 3650 days, or 0 for a token that does not expire."})
	}
	secret, _ := newToken()
	secret = apiTokenPrefix + secret
	digest := digestOf(secret)
	t := APIToken{Account: account, Name: name, Created: s.now().UTC()}
	if days > 0 {
		t.Expires = t.Created.AddDate(0, 0, days)
	}
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		a, err := getAccount(tx, account)
		if err != nil {
			return err
		}
		if !a.Active {
			return fault.Forbid("This account has been deactivated.", "")
		}
		n := 0
		if err := tx.Scan(keyAcctTokens+u(account)+"/", func(string, func() ([]byte, error)) error { n++; return nil }); err != nil {
			return err
		}
		if n >= maxAPITokens {
			return fault.Invalidf("You have %d API tokens: revoke one you no longer use first.", n)
		}
		if t.ID, err = tx.Next(seqAPIToken); err != nil {
			return err
		}
		if err := tx.Set(keyAcctTokens+u(account)+"/"+u(t.ID), []byte(digest)); err != nil {
			return err
		}
		return kv.Put(tx, keyAPIToken+digest, t)
	})
	if err != nil {
		return APIToken{}, "", err
	}
	return t, secret, nil
}

// APITokens lists account's tokens, newest first.
func (s *Service) APITokens(ctx context.Context, account uint64) ([]APIToken, error) {
	out := []APIToken{}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan(keyAcctTokens+u(account)+"/", func(_ string, value func() ([]byte, error)) error {
			digest, err := value()
			if err != nil {
				return err
			}
			t, err := kv.Get[APIToken](tx, keyAPIToken+string(digest))
			if errors.Is(err, kv.ErrNotFound) {
				return nil
			}
			out = append(out, t)
			return err
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// RevokeAPIToken deletes one of account's tokens; another account's token
// reads as unknown.
func (s *Service) RevokeAPIToken(ctx context.Context, account, id uint64) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		key := keyAcctTokens + u(account) + "/" + u(id)
		digest, err := tx.Get(key)
		if errors.Is(err, kv.ErrNotFound) {
			return fault.NotFoundf("You have no API token %d.", id)
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(keyAPIToken + string(digest)); err != nil {
			return err
		}
		return tx.Delete(key)
	})
}

// AuthenticateAPIToken returns the account a token belongs to. With
// email (HTTP Basic) the token must also be that account's.
func (s *Service) AuthenticateAPIToken(ctx context.Context, email, secret string) (Account, error) {
	if !strings.HasPrefix(secret, apiTokenPrefix) || len(secret) > 128 {
		return Account{}, errAPIToken
	}
	digest := digestOf(secret)
	var a Account
	var t APIToken
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) {
		t, err = kv.Get[APIToken](tx, keyAPIToken+digest)
		if errors.Is(err, kv.ErrNotFound) {
			return errAPIToken
		}
		if err != nil {
			return err
		}
		if a, err = getAccount(tx, t.Account); fault.KindOf(err) == fault.NotFound {
			return errAPIToken
		}
		return err
	})
	if err != nil {
		return Account{}, err
	}
	now := s.now()
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return Account{}, fault.Unauthorized("This API token has expired.", "Create a new token in your profile.")
	}
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" && subtle.ConstantTimeCompare([]byte(email), []byte(strings.ToLower(a.Email))) != 1 {
		return Account{}, errAPIToken
	}
	if !a.Active {
		return Account{}, fault.Unauthorized("This account has been deactivated.", "Ask an administrator of this help center to give you access again.")
	}
	if now.Sub(t.LastUsed) > lastUsedEvery {
		// Rarely, so calls do not each cost a durable write.
		s.db.Update(ctx, func(tx *kv.Tx) error {
			cur, err := kv.Get[APIToken](tx, keyAPIToken+digest)
			if err != nil {
				return nil
			}
			cur.LastUsed = now.UTC()
			return kv.Put(tx, keyAPIToken+digest, cur)
		})
	}
	return a, nil
}
