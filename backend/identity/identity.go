// Package identity owns accounts (admins, agents, customers), their
// passwords, sessions and the one-time claim of a new instance by its owner.
package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/rs/zerolog"

	"portico/backend/fault"
	"portico/backend/kv"
)

type Role string

const (
	Admin    Role = "admin"
	Agent    Role = "agent"
	Customer Role = "customer"
)

// Account is a person who can log in. PasswordHash never leaves the package
// boundary in a response: the server has its own view type.
type Account struct {
	ID           uint64    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Owner        bool      `json:"owner,omitempty"`
	Active       bool      `json:"active"`
	PasswordHash string    `json:"passwordHash"`
	Created      time.Time `json:"created"`
}

type session struct {
	AccountID uint64    `json:"accountId"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
}

// Options configure the service; zero values take the defaults.
type Options struct {
	Params     Params
	SessionTTL time.Duration
	Now        func() time.Time
	Limits     Limits
	// SignupLimits bound signups and password-reset requests per client.
	SignupLimits Limits
}

// Service is the identity domain.
type Service struct {
	db      *kv.DB
	log     zerolog.Logger
	hasher  *hasher
	ttl     time.Duration
	now     func() time.Time
	limiter *limiter
	limits  Limits
	signup  Limits
	// dummyHash is verified against when an email is unknown, so a failed
	// login takes as long whether or not the account exists.
	dummyHash string
}

func New(db *kv.DB, log zerolog.Logger, o Options) (*Service, error) {
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits.Every == 0 {
		o.Limits = DefaultLimits
	}
	if o.SignupLimits.Every == 0 {
		o.SignupLimits = Limits{Every: time.Minute, Burst: 5}
	}
	dummy, err := HashPassword("not a real password", o.Params)
	if err != nil {
		return nil, err
	}
	s := &Service{
		db: db, log: log.With().Str("pkg", "identity").Logger(),
		hasher: newHasher(o.Params), ttl: o.SessionTTL, now: o.Now,
		limiter:   newLimiter(o.Now),
		limits:    o.Limits,
		signup:    o.SignupLimits,
		dummyHash: dummy,
	}
	if err := s.upgrade(context.Background()); err != nil {
		return nil, fmt.Errorf("identity: upgrade indexes: %w", err)
	}
	return s, nil
}

// NormalizeEmail trims the address and lower-cases its domain; lookups
// ignore case altogether, so "Ann@X.org" and "ann@x.org" are one person.
//
// The local part must be ASCII (as without SMTPUTF8): Unicode case folding
// would otherwise make "Kim@x.org" (Kelvin sign) and "kim@x.org" one
// key, letting one person squat on another's address. The domain is turned
// into its ASCII (IDNA) form, so "bücher.example" and
// "xn--bcher-kva.example" are one domain, and must be a dotted host name:
// no IP literals, no "localhost".
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("Enter an email address.")
	}
	bad := errors.New("Enter a valid email address, like name@example.com.")
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	for _, r := range local {
		if r > unicode.MaxASCII || r < ' ' || r == 0x7f {
			return "", errors.New("Use an email address made of plain letters, digits and punctuation before the @.")
		}
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") || strings.HasPrefix(domain, "[") || len(ascii) > 253 {
		return "", bad
	}
	return local + "@" + strings.ToLower(ascii), nil
}

func emailKey(email string) string { return keyEmail + strings.ToLower(email) }
func accountKey(id uint64) string  { return keyAccount + strconv.FormatUint(id, 10) }

func checkPassword(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case n < 10:
		return "Use at least 10 characters."
	case len(pw) > 1024:
		return "Use at most 1024 bytes."
	}
	return ""
}

func checkName(name string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", "Enter a name."
	case utf8.RuneCountInString(name) > 200:
		return "", "Use at most 200 characters."
	case CheckText(name) != "":
		return "", CheckText(name)
	}
	return name, ""
}

// CheckText refuses control and format characters (line breaks, NUL,
// bidi overrides, zero-width joiners) in one-line text such as names:
// they forge email headers and make one name look like another.
func CheckText(s string) string {
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return "Remove the invisible or control characters."
		}
	}
	return ""
}

// NewAccount is what creating an account needs.
type NewAccount struct {
	Name     string
	Email    string
	Password string
	Role     Role
}

// Validate checks and normalises in without storing anything.
func (s *Service) Validate(in NewAccount) (NewAccount, error) {
	bad := map[string]string{}
	var msg string
	if in.Name, msg = checkName(in.Name); msg != "" {
		bad["name"] = msg
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		bad["email"] = err.Error()
	}
	in.Email = email
	if msg := checkPassword(in.Password); msg != "" {
		bad["password"] = msg
	}
	if len(bad) > 0 {
		return in, fault.InvalidFields(bad)
	}
	return in, nil
}

// create stores a new account inside tx. The caller has validated in and
// hashed the password (outside the transaction: hashing is slow and a
// conflict retry must not repeat it).
func (s *Service) create(tx *kv.Tx, in NewAccount, hash string, owner bool) (Account, error) {
	if ok, err := tx.Has(emailKey(in.Email)); err != nil {
		return Account{}, err
	} else if ok {
		return Account{}, fault.Conflictf("An account with this email already exists.")
	}
	id, err := tx.Next(seqAccount)
	if err != nil {
		return Account{}, err
	}
	a := Account{ID: id, Email: in.Email, Name: in.Name, Role: in.Role, Owner: owner,
		Active: true, PasswordHash: hash, Created: s.now().UTC()}
	if err := kv.Put(tx, accountKey(id), a); err != nil {
		return Account{}, err
	}
	if err := tx.Set(domainKey(Domain(in.Email), id), nil); err != nil {
		return Account{}, err
	}
	return a, tx.Set(emailKey(in.Email), []byte(strconv.FormatUint(id, 10)))
}

// Get returns the account with id.
func (s *Service) Get(ctx context.Context, id uint64) (Account, error) {
	var a Account
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { a, err = getAccount(tx, id); return err })
	return a, err
}

func getAccount(tx *kv.Tx, id uint64) (Account, error) {
	a, err := kv.Get[Account](tx, accountKey(id))
	if errors.Is(err, kv.ErrNotFound) {
		return a, fault.NotFoundf("No such account.")
	}
	return a, err
}

func findByEmail(tx *kv.Tx, email string) (Account, error) {
	v, err := tx.Get(emailKey(email))
	if err != nil {
		return Account{}, err
	}
	id, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return Account{}, fmt.Errorf("identity: email index holds %q: %w", v, err)
	}
	return kv.Get[Account](tx, accountKey(id))
}

// Login checks an email and password and opens a session. client names the
// caller for rate limiting (its IP address).
func (s *Service) Login(ctx context.Context, client, email, password string) (string, Account, error) {
	email = strings.TrimSpace(email)
	if email == "" || password == "" {
		return "", Account{}, fault.Invalidf("Enter your email and password.")
	}
	if len(email) > 254 || len(password) > 1024 {
		return "", Account{}, errLogin
	}
	client = clientKey(client)
	lower := strings.ToLower(email)
	if err := s.limiter.allow(
		key{"login:" + client, s.limits},
		key{"login:" + client + ":" + lower, Limits{Every: 2 * s.limits.Every, Burst: max(1, s.limits.Burst/2)}},
		key{"account:" + lower, accountLimits},
	); err != nil {
		return "", Account{}, err
	}
	var a Account
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { a, err = findByEmail(tx, email); return err })
	if errors.Is(err, kv.ErrNotFound) {
		if _, err := s.hasher.verify(ctx, password, s.dummyHash); err != nil {
			return "", Account{}, err
		}
		return "", Account{}, errLogin
	}
	if err != nil {
		return "", Account{}, err
	}
	if a.PasswordHash == "" {
		// Invited but has not set a password yet: same answer as a wrong one.
		if _, err := s.hasher.verify(ctx, password, s.dummyHash); err != nil {
			return "", Account{}, err
		}
		return "", Account{}, errLogin
	}
	ok, err := s.hasher.verify(ctx, password, a.PasswordHash)
	if fault.KindOf(err) == fault.Unavailable || errors.Is(err, context.Canceled) {
		return "", Account{}, err
	}
	if err != nil {
		return "", Account{}, fmt.Errorf("identity: account %d: %w", a.ID, err)
	}
	if !ok {
		return "", Account{}, errLogin
	}
	if !a.Active {
		return "", Account{}, fault.Forbid("This account has been deactivated.", "Ask an administrator of this help center to give you access again.")
	}
	s.limiter.forget("login:" + client + ":" + lower)
	token, err := s.StartSession(ctx, a.ID)
	return token, a, err
}

var errLogin = fault.Unauthorized("Email or password is incorrect.", "Check both and try again.")

// StartSession opens a session for an account whose identity the caller has
// just established (a login, or the setup that created it).
func (s *Service) StartSession(ctx context.Context, account uint64) (string, error) {
	token, digest := newToken()
	now := s.now().UTC()
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if err := kv.Put(tx, keySession+digest, session{AccountID: account, Created: now, Expires: now.Add(s.ttl)}); err != nil {
			return err
		}
		return tx.Set(keyAcctSessions+strconv.FormatUint(account, 10)+"/"+digest, nil)
	})
	return token, err
}

var errSession = fault.Unauthorized("Your session has ended.", "Log in again.")

// Authenticate returns the account a session token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (Account, error) {
	if token == "" || len(token) > 128 {
		return Account{}, errSession
	}
	digest := digestOf(token)
	var a Account
	expired := false
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		se, err := kv.Get[session](tx, keySession+digest)
		if errors.Is(err, kv.ErrNotFound) {
			return errSession
		}
		if err != nil {
			return err
		}
		if !s.now().Before(se.Expires) {
			expired = true
			return errSession
		}
		a, err = getAccount(tx, se.AccountID)
		if fault.KindOf(err) == fault.NotFound {
			return errSession
		}
		return err
	})
	if expired {
		s.Logout(ctx, token)
	}
	if err != nil {
		return Account{}, err
	}
	if !a.Active {
		return Account{}, fault.Unauthorized("This account has been deactivated.", "Ask an administrator of this help center to give you access again.")
	}
	return a, nil
}

// Logout ends the session; ending an unknown session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 128 {
		return nil
	}
	digest := digestOf(token)
	return s.db.Update(ctx, func(tx *kv.Tx) error {
		se, err := kv.Get[session](tx, keySession+digest)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(keySession + digest); err != nil {
			return err
		}
		return tx.Delete(keyAcctSessions + strconv.FormatUint(se.AccountID, 10) + "/" + digest)
	})
}

// Owner returns the account that owns this instance, or a not-found error
// before setup.
func (s *Service) Owner(ctx context.Context) (Account, error) {
	var a Account
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		v, err := tx.Get(keyOwner)
		if errors.Is(err, kv.ErrNotFound) {
			return fault.NotFoundf("Portico has not been set up yet.")
		}
		if err != nil {
			return err
		}
		id, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("identity: owner key holds %q: %w", v, err)
		}
		a, err = getAccount(tx, id)
		return err
	})
	return a, err
}

// HasOwner reports whether setup is done.
func (s *Service) HasOwner(ctx context.Context) (bool, error) {
	var ok bool
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { ok, err = tx.Has(keyOwner); return err })
	return ok, err
}

// ClearSetupToken forgets any setup token from an earlier start, so a link
// printed then cannot claim the instance now; the window's start, which
// prints none, calls it.
func (s *Service) ClearSetupToken(ctx context.Context) error {
	return s.db.Update(ctx, func(tx *kv.Tx) error { return tx.Delete(keySetup) })
}

// SessionTTL is how long a session lasts; the server's cookie matches it.
func (s *Service) SessionTTL() time.Duration { return s.ttl }

// PurgeExpired deletes sessions and set-password links past their expiry;
// Authenticate deletes an expired session it meets, this catches the rest.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	now := s.now()
	var dead []string
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if err := kv.Scan(tx, keySession, func(k string, se session) error {
			if !now.Before(se.Expires) {
				dead = append(dead, k, keyAcctSessions+strconv.FormatUint(se.AccountID, 10)+"/"+strings.TrimPrefix(k, keySession))
			}
			return nil
		}); err != nil {
			return err
		}
		return kv.Scan(tx, keyPassToken, func(k string, pt passToken) error {
			if !now.Before(pt.Expires) {
				dead = append(dead, k, keyAcctLinks+u(pt.AccountID)+"/"+strings.TrimPrefix(k, keyPassToken))
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	purged := len(dead)
	// In small batches: one transaction has a size limit.
	for len(dead) > 0 {
		n := min(len(dead), 500)
		batch := dead[:n]
		dead = dead[n:]
		if err := s.db.Update(ctx, func(tx *kv.Tx) error {
			for _, k := range batch {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return purged, nil
}

// NewSetupToken makes a fresh one-time token that lets whoever holds it
// claim the instance, replacing any earlier one. It returns "" once setup is
// done.
func (s *Service) NewSetupToken(ctx context.Context) (string, error) {
	token, digest := newToken()
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if ok, err := tx.Has(keyOwner); err != nil || ok {
			token = ""
			return err
		}
		return tx.Set(keySetup, []byte(digest))
	})
	return token, err
}

// Claim is how a caller proves it may set up the instance: either it holds
// the printed setup token, or it is the desktop window (its user is at the
// machine). Only the server, which knows the door, may set Desktop.
type Claim struct {
	Token   string
	Desktop bool
}

// Setup makes the first admin the owner of the instance. It works once.
func (s *Service) Setup(ctx context.Context, claim Claim, in NewAccount) (Account, error) {
	if err := s.CheckClaim(ctx, claim); err != nil {
		return Account{}, err
	}
	in.Role = Admin
	in, err := s.Validate(in)
	if err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.hash(ctx, in.Password)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = s.db.Update(ctx, func(tx *kv.Tx) error {
		if ok, err := tx.Has(keyOwner); err != nil {
			return err
		} else if ok {
			return errSetupDone
		}
		// Checked again inside the transaction: two racing setups with the
		// same token must not both win.
		if !claim.Desktop {
			if err := matchSetup(tx, claim.Token); err != nil {
				return err
			}
		}
		if err := tx.Delete(keySetup); err != nil {
			return err
		}
		if a, err = s.create(tx, in, hash, true); err != nil {
			return err
		}
		return tx.Set(keyOwner, []byte(strconv.FormatUint(a.ID, 10)))
	})
	if err != nil {
		return Account{}, err
	}
	s.log.Info().Uint64("account", a.ID).Bool("desktop", claim.Desktop).Msg("instance set up")
	return a, nil
}

var errSetupDone = fault.Conflictf("Portico is already set up.").WithHint("Log in instead.")

// CheckClaim reports whether claim may set up the instance now.
func (s *Service) CheckClaim(ctx context.Context, claim Claim) error {
	return s.db.View(ctx, func(tx *kv.Tx) error {
		if ok, err := tx.Has(keyOwner); err != nil {
			return err
		} else if ok {
			return errSetupDone
		}
		if claim.Desktop {
			return nil
		}
		return matchSetup(tx, claim.Token)
	})
}

func matchSetup(tx *kv.Tx, token string) error {
	if token == "" {
		return fault.Forbid("Setting up Portico needs the setup link.",
			"Open the setup link printed in the terminal where Portico was started.")
	}
	want, err := tx.Get(keySetup)
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	if len(token) > 128 || subtle.ConstantTimeCompare([]byte(digestOf(token)), want) != 1 {
		return fault.Forbid("This setup link is not valid.",
			"Each start of Portico prints a new link and each link works once. Use the latest one.")
	}
	return nil
}

// Bootstrap creates the owner from settings (PORTICO_ADMIN_*), for scripts
// and CI. When the instance already has an owner it changes nothing and
// reports whether that owner is the one named.
func (s *Service) Bootstrap(ctx context.Context, in NewAccount) (created, sameOwner bool, err error) {
	owner, err := s.Owner(ctx)
	switch {
	case err == nil:
		norm, _ := NormalizeEmail(in.Email)
		return false, strings.EqualFold(owner.Email, norm), nil
	case fault.KindOf(err) != fault.NotFound:
		return false, false, err
	}
	if strings.TrimSpace(in.Name) == "" {
		in.Name = "Administrator"
	}
	_, err = s.Setup(ctx, Claim{Desktop: true}, in)
	return err == nil, err == nil, err
}
