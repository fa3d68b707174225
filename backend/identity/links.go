package identity

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"portico/backend/fault"
	"portico/backend/kv"
)

// Purpose says why a set-password link was made; it sets the link's life
// and the words around it.
type Purpose string

const (
	Invite Purpose = "invite" // someone else made the account
	Verify Purpose = "verify" // the person signed up: setting a password proves the address
	Reset  Purpose = "reset"  // forgotten password
)

var linkTTL = map[Purpose]time.Duration{Invite: 7 * 24 * time.Hour, Verify: 3 * 24 * time.Hour, Reset: 2 * time.Hour}

type passToken struct {
	AccountID uint64    `json:"accountId"`
	Purpose   Purpose   `json:"purpose"`
	Expires   time.Time `json:"expires"`
}

// NewPasswordLink returns a secret for a set-password link for the account.
// Only its digest is stored.
func (s *Service) NewPasswordLink(ctx context.Context, account uint64, p Purpose) (string, time.Time, error) {
	ttl, ok := linkTTL[p]
	if !ok {
		return "", time.Time{}, fault.Invalidf("Unknown link purpose %q.", p)
	}
	token, digest := newToken()
	exp := s.now().UTC().Add(ttl)
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := getAccount(tx, account); err != nil {
			return err
		}
		if err := tx.Set(keyAcctLinks+u(account)+"/"+digest, nil); err != nil {
			return err
		}
		return kv.Put(tx, keyPassToken+digest, passToken{AccountID: account, Purpose: p, Expires: exp})
	})
	return token, exp, err
}

var errLink = fault.New(fault.Invalid, "This link is not valid any more.",
	"Links work once and expire. Ask for a new one with \"Forgot your password?\".")

// SetPassword uses a set-password link: it sets the password, ends every
// other session of the account, spends the link, and returns the account.
func (s *Service) SetPassword(ctx context.Context, token, password string) (Account, error) {
	if token == "" || len(token) > 128 {
		return Account{}, errLink
	}
	if msg := checkPassword(password); msg != "" {
		return Account{}, fault.InvalidFields(map[string]string{"password": msg})
	}
	digest := digestOf(token)
	// Check before hashing so a bad link costs nothing; check again inside
	// the transaction so a link cannot be spent twice.
	if err := s.db.View(ctx, func(tx *kv.Tx) error { _, err := s.linkAccount(tx, digest); return err }); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if a, err = s.linkAccount(tx, digest); err != nil {
			return err
		}
		a.PasswordHash = hash
		if err := kv.Put(tx, accountKey(a.ID), a); err != nil {
			return err
		}
		if err := revokeLinks(tx, a.ID); err != nil {
			return err
		}
		return revokeAll(tx, a.ID)
	})
	return a, err
}

// revokeLinks spends every set-password link of the account: once its
// password is set or changed, or it is deactivated, an older invite or
// reset email must not set it again.
func revokeLinks(tx *kv.Tx, id uint64) error {
	prefix := keyAcctLinks + u(id) + "/"
	var keys []string
	if err := tx.Scan(prefix, func(k string, _ func() ([]byte, error)) error { keys = append(keys, k); return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(keyPassToken + strings.TrimPrefix(k, prefix)); err != nil {
			return err
		}
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) linkAccount(tx *kv.Tx, digest string) (Account, error) {
	pt, err := kv.Get[passToken](tx, keyPassToken+digest)
	if errors.Is(err, kv.ErrNotFound) {
		return Account{}, errLink
	}
	if err != nil {
		return Account{}, err
	}
	if !s.now().Before(pt.Expires) {
		return Account{}, errLink
	}
	a, err := getAccount(tx, pt.AccountID)
	if fault.KindOf(err) == fault.NotFound {
		return Account{}, errLink
	}
	if err != nil {
		return Account{}, err
	}
	if !a.Active {
		return Account{}, fault.Forbid("This account has been deactivated.", "Ask an administrator of this help center to give you access again.")
	}
	return a, nil
}

// ChangePassword sets a new password for a logged-in account that proves
// the old one, and ends every session; the caller starts a fresh one.
func (s *Service) ChangePassword(ctx context.Context, id uint64, old, password string) (Account, error) {
	// A stolen session must not become a password-guessing oracle.
	if err := s.limiter.allow(key{"change:" + u(id), s.limits}); err != nil {
		return Account{}, err
	}
	if msg := checkPassword(password); msg != "" {
		return Account{}, fault.InvalidFields(map[string]string{"password": msg})
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return Account{}, err
	}
	ok, err := s.hasher.verify(ctx, old, a.PasswordHash)
	if fault.KindOf(err) == fault.Unavailable {
		return Account{}, err
	}
	if !ok {
		return Account{}, fault.InvalidFields(map[string]string{"current": "This is not your current password."})
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	err = s.db.Update(ctx, func(tx *kv.Tx) error {
		if a, err = getAccount(tx, id); err != nil {
			return err
		}
		a.PasswordHash = hash
		if err := kv.Put(tx, accountKey(id), a); err != nil {
			return err
		}
		if err := revokeLinks(tx, id); err != nil {
			return err
		}
		return revokeAll(tx, id)
	})
	return a, err
}

// LinkAccount says whose link a token is, without spending it (for the
// caller that must tidy up after SetPassword).
func (s *Service) LinkAccount(ctx context.Context, token string) (uint64, error) {
	var id uint64
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		pt, err := kv.Get[passToken](tx, keyPassToken+digestOf(token))
		if errors.Is(err, kv.ErrNotFound) {
			return errLink
		}
		id = pt.AccountID
		return err
	})
	return id, err
}

// SignupInput is what the signup form sends. Website is a honeypot: people
// never see the field, form-filling bots do.
type SignupInput struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Website string `json:"website"`
}

// SignupResult says what happened, for the caller to queue the right
// email. The response to the visitor must be the same in every case, so
// nobody learns whether an address has an account.
type SignupResult struct {
	Account  Account
	Existed  bool // the address already had an account
	Trap     bool // the honeypot was filled: do nothing
	Inactive bool // the existing account is deactivated: send nothing
}

// Signup creates a customer account without a password for a visitor;
// the caller has already checked that the site allows signup.
func (s *Service) Signup(ctx context.Context, client string, in SignupInput) (SignupResult, error) {
	if err := s.limiter.allow(key{"signup:" + clientKey(client), s.signup}); err != nil {
		return SignupResult{}, fault.New(fault.RateLimited, "Too many sign-ups from this computer.", fault.As(err).Hint)
	}
	if strings.TrimSpace(in.Website) != "" {
		return SignupResult{Trap: true}, nil
	}
	name, msg := checkName(in.Name)
	bad := map[string]string{}
	if msg != "" {
		bad["name"] = msg
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		bad["email"] = err.Error()
	}
	if len(bad) > 0 {
		return SignupResult{}, fault.InvalidFields(bad)
	}
	a, existed, err := s.Invite(ctx, NewAccount{Name: name, Email: email, Role: Customer})
	if err != nil {
		return SignupResult{}, err
	}
	return SignupResult{Account: a, Existed: existed, Inactive: !a.Active}, nil
}

// Forgot finds the active account for a password reset, rate limited per
// client. ok is false when there is nothing to send; the caller answers
// the same either way.
func (s *Service) Forgot(ctx context.Context, client, email string) (Account, bool, error) {
	if err := s.limiter.allow(key{"forgot:" + clientKey(client), s.signup}); err != nil {
		return Account{}, false, fault.New(fault.RateLimited, "Too many requests from this computer.", fault.As(err).Hint)
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, false, fault.InvalidFields(map[string]string{"email": err.Error()})
	}
	var a Account
	err = s.db.View(ctx, func(tx *kv.Tx) (err error) { a, err = findByEmail(tx, email); return err })
	if errors.Is(err, kv.ErrNotFound) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, err
	}
	return a, a.Active, nil
}

// SessionCount is for tests and the account page: how many sessions are open.
func (s *Service) SessionCount(ctx context.Context, id uint64) (int, error) {
	n := 0
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan(keyAcctSessions+strconv.FormatUint(id, 10)+"/", func(string, func() ([]byte, error)) error { n++; return nil })
	})
	return n, err
}
