package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/fault"
	"portico/backend/identity"
	"portico/backend/kv/kvtest"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t testing.TB) (*identity.Service, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s, err := identity.New(kvtest.Open(t), zerolog.Nop(), identity.Options{
		Params: identity.TestParams, SessionTTL: time.Hour, Now: c.Now,
		Limits: identity.Limits{Every: time.Minute, Burst: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

var owner = identity.NewAccount{Name: "Olga Owner", Email: "Olga@Example.ORG ", Password: "correct horse battery"}

func setUp(t *testing.T, s *identity.Service) identity.Account {
	t.Helper()
	a, err := s.Setup(ctx, identity.Claim{Desktop: true}, owner)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return a
}

func TestPasswordHashAndVerify(t *testing.T) {
	h, err := identity.HashPassword("s3cret password", identity.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q; want an argon2id PHC string with the test cost", h)
	}
	h2, _ := identity.HashPassword("s3cret password", identity.TestParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"s3cret password", true}, {"s3cret passwore", false}, {"", false}} {
		if ok, err := identity.VerifyPassword(tc.pw, h); ok != tc.want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=64,t=1,p=1$AA$AA", "$argon2id$v=19$m=64,t=1,p=1$!!$AA"} {
		if _, err := identity.VerifyPassword("x", bad); err == nil {
			t.Errorf("VerifyPassword(hash=%q) err = nil; want malformed", bad)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" Ann@Example.COM ", "Ann@example.com"},
		{"bob@x.org", "bob@x.org"},
		{"", ""},
		{"not an email", ""},
		{"Ann <ann@x.org>", ""},
	} {
		got, err := identity.NormalizeEmail(tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSetupWithDesktopClaimCreatesOwner(t *testing.T) {
	s, _ := newService(t)
	if ok, _ := s.HasOwner(ctx); ok {
		t.Fatal("new instance already has an owner")
	}
	a := setUp(t, s)
	if a.Role != identity.Admin || !a.Owner || a.Email != "Olga@example.org" || a.ID != 1 {
		t.Errorf("Setup = %+v; want owner admin #1 with normalised email", a)
	}
	if _, err := s.Setup(ctx, identity.Claim{Desktop: true}, owner); fault.KindOf(err) != fault.Conflict {
		t.Errorf("second Setup = %v; want conflict", err)
	}
	if tok, err := s.NewSetupToken(ctx); tok != "" || err != nil {
		t.Errorf("NewSetupToken after setup = %q, %v; want no token", tok, err)
	}
}

func TestSetupToken(t *testing.T) {
	s, _ := newService(t)
	old, _ := s.NewSetupToken(ctx)
	tok, _ := s.NewSetupToken(ctx)
	for _, tc := range []struct {
		name  string
		token string
	}{{"no token", ""}, {"wrong token", "x" + tok}, {"earlier start's token", old}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Setup(ctx, identity.Claim{Token: tc.token}, owner)
			if fault.KindOf(err) != fault.Forbidden {
				t.Errorf("Setup(token=%s) = %v; want forbidden", tc.name, err)
			}
		})
	}
	if _, err := s.Setup(ctx, identity.Claim{Token: tok}, owner); err != nil {
		t.Fatalf("Setup(current token) = %v; want success", err)
	}
	other := owner
	other.Email = "mallory@example.org"
	if _, err := s.Setup(ctx, identity.Claim{Token: tok}, other); fault.KindOf(err) != fault.Conflict {
		t.Errorf("Setup(used token) = %v; want conflict", err)
	}
}

func TestSetupValidatesFields(t *testing.T) {
	s, _ := newService(t)
	_, err := s.Setup(ctx, identity.Claim{Desktop: true}, identity.NewAccount{Name: " ", Email: "nope", Password: "short"})
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.Invalid {
		t.Fatalf("Setup(bad fields) = %v; want invalid", err)
	}
	for _, f := range []string{"name", "email", "password"} {
		if fe.Fields[f] == "" {
			t.Errorf("no message for field %q in %v", f, fe.Fields)
		}
	}
	if ok, _ := s.HasOwner(ctx); ok {
		t.Error("invalid setup created an owner")
	}
}

func TestLoginAndSessions(t *testing.T) {
	s, c := newService(t)
	a := setUp(t, s)
	tok, got, err := s.Login(ctx, "10.0.0.1", "olga@example.org", owner.Password)
	if err != nil || got.ID != a.ID {
		t.Fatalf("Login(right password, other case) = %v, %v; want owner", got.ID, err)
	}
	if who, err := s.Authenticate(ctx, tok); err != nil || who.ID != a.ID {
		t.Errorf("Authenticate(fresh token) = %v, %v; want owner", who.ID, err)
	}
	if _, err := s.Authenticate(ctx, tok+"x"); fault.KindOf(err) != fault.Unauthenticated {
		t.Errorf("Authenticate(wrong token) = %v; want unauthenticated", err)
	}
	c.Add(time.Hour)
	if _, err := s.Authenticate(ctx, tok); fault.KindOf(err) != fault.Unauthenticated {
		t.Errorf("Authenticate(expired token) = %v; want unauthenticated", err)
	}
	tok, _, _ = s.Login(ctx, "10.0.0.1", owner.Email, owner.Password)
	if err := s.Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok); fault.KindOf(err) != fault.Unauthenticated {
		t.Errorf("Authenticate(after logout) = %v; want unauthenticated", err)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	s, _ := newService(t)
	setUp(t, s)
	_, _, wrongPw := s.Login(ctx, "10.0.0.1", owner.Email, "wrong password!")
	_, _, noUser := s.Login(ctx, "10.0.0.2", "nobody@example.org", "wrong password!")
	if fault.KindOf(wrongPw) != fault.Unauthenticated || wrongPw.Error() != noUser.Error() {
		t.Errorf("wrong password → %v, unknown email → %v; want the same unauthenticated error", wrongPw, noUser)
	}
}

func TestLoginRateLimit(t *testing.T) {
	s, c := newService(t) // 3 attempts per client, 1 per client and email
	setUp(t, s)
	if _, _, err := s.Login(ctx, "10.0.0.9", owner.Email, "wrong password!"); fault.KindOf(err) != fault.Unauthenticated {
		t.Fatalf("first wrong attempt = %v; want unauthenticated", err)
	}
	_, _, err := s.Login(ctx, "10.0.0.9", owner.Email, owner.Password)
	if fe := fault.As(err); fe == nil || fe.Kind != fault.RateLimited || !strings.Contains(fe.Hint, "120 seconds") {
		t.Fatalf("second attempt on the same account from the same client = %v; want rate limited for 120 seconds", err)
	}
	// A stranger hammering the owner's email does not lock the owner out
	// from their own machine.
	if _, _, err := s.Login(ctx, "10.0.0.10", owner.Email, owner.Password); err != nil {
		t.Errorf("same email from another client = %v; want success", err)
	}
	// The client's own budget covers every email it tries.
	for i, email := range []string{"a@example.org", "b@example.org"} {
		if _, _, err := s.Login(ctx, "10.0.0.9", email, "whatever password"); fault.KindOf(err) != fault.Unauthenticated {
			t.Errorf("attempt %d from the client on %s = %v; want unauthenticated", i+2, email, err)
		}
	}
	if _, _, err := s.Login(ctx, "10.0.0.9", "c@example.org", "whatever password"); fault.KindOf(err) != fault.RateLimited {
		t.Errorf("4th attempt from one client = %v; want rate limited", err)
	}
	c.Add(2 * time.Minute)
	if _, _, err := s.Login(ctx, "10.0.0.9", owner.Email, owner.Password); err != nil {
		t.Errorf("after waiting = %v; want success", err)
	}
}

func TestLoginRateLimitGroupsIPv6ByPrefix(t *testing.T) {
	s, _ := newService(t)
	setUp(t, s)
	for i, client := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3"} {
		if _, _, err := s.Login(ctx, client, "x"+string(rune('a'+i))+"@example.org", "whatever password"); fault.KindOf(err) != fault.Unauthenticated {
			t.Fatalf("attempt %d = %v; want unauthenticated", i+1, err)
		}
	}
	if _, _, err := s.Login(ctx, "2001:db8::ffff", "z@example.org", "whatever password"); fault.KindOf(err) != fault.RateLimited {
		t.Errorf("4th attempt from the same /64 = %v; want rate limited", err)
	}
	if _, _, err := s.Login(ctx, "2001:db8:1::1", "z@example.org", "whatever password"); fault.KindOf(err) != fault.Unauthenticated {
		t.Errorf("attempt from another /64 = %v; want unauthenticated", err)
	}
}

func TestAccountLimitStopsADistributedGuess(t *testing.T) {
	s, _ := newService(t)
	setUp(t, s)
	n := 0
	for i := range 200 {
		_, _, err := s.Login(ctx, fmt.Sprintf("10.1.%d.%d", i/250, i%250), owner.Email, "wrong password!")
		if fault.KindOf(err) == fault.RateLimited {
			break
		}
		n++
	}
	if n < 10 || n >= 200 {
		t.Errorf("guesses at one account from many clients before the limit = %d; want a bound well under 200", n)
	}
}

func TestHashingIsBounded(t *testing.T) {
	s, _ := newService(t)
	setUp(t, s)
	// Many logins at once all get an answer (401 or, past the wait, busy),
	// never a crash; with the cheap test cost nobody waits long.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.Login(ctx, fmt.Sprintf("10.2.0.%d", i), owner.Email, "wrong password!")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if k := fault.KindOf(err); k != fault.Unauthenticated && k != fault.Unavailable && k != fault.RateLimited {
			t.Errorf("concurrent login = %v; want unauthenticated, busy or rate limited", err)
		}
	}
}

func TestVerifyRefusesHostileCost(t *testing.T) {
	for _, h := range []string{
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
	} {
		if _, err := identity.VerifyPassword("x", h); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a hostile cost", h[:40])
		}
	}
}

func TestBootstrap(t *testing.T) {
	s, _ := newService(t)
	created, same, err := s.Bootstrap(ctx, identity.NewAccount{Email: "ci@example.org", Password: "ci password 123"})
	if !created || !same || err != nil {
		t.Fatalf("Bootstrap(new) = %v, %v, %v; want created", created, same, err)
	}
	created, same, err = s.Bootstrap(ctx, identity.NewAccount{Email: "CI@example.org", Password: "other password"})
	if created || !same || err != nil {
		t.Errorf("Bootstrap(same owner again) = %v, %v, %v; want not created, same", created, same, err)
	}
	created, same, err = s.Bootstrap(ctx, identity.NewAccount{Email: "eve@example.org", Password: "other password"})
	if created || same || err != nil {
		t.Errorf("Bootstrap(someone else) = %v, %v, %v; want not created, not same", created, same, err)
	}
	if _, _, err := s.Login(ctx, "c", "ci@example.org", "other password"); err == nil {
		t.Error("a later Bootstrap changed the owner's password")
	}
}

func TestImportAccounts(t *testing.T) {
	s, _ := newService(t)
	hash, _ := identity.HashPassword("shared password 1", identity.TestParams)
	got, err := s.ImportAccounts(ctx, []identity.Import{
		{Name: "A", Email: "a@x.org", PasswordHash: hash},
		{Name: "B", Email: "B@X.org", PasswordHash: hash},
	})
	if err != nil || len(got) != 2 || got[1].Email != "B@x.org" || got[1].Role != identity.Customer {
		t.Fatalf("ImportAccounts = %+v, %v; want two customers", got, err)
	}
	if _, _, err := s.Login(ctx, "c", "b@x.org", "shared password 1"); err != nil {
		t.Errorf("imported account cannot log in: %v", err)
	}
	_, err = s.ImportAccounts(ctx, []identity.Import{{Name: "C", Email: "c@x.org"}, {Name: "A again", Email: "a@x.org"}})
	if fault.KindOf(err) != fault.Conflict || !strings.Contains(err.Error(), "a@x.org") {
		t.Errorf("importing a taken address = %v; want a conflict naming it", err)
	}
	if _, err := s.Find(ctx, "c@x.org"); err == nil {
		t.Error("a failed batch left an account behind")
	}
}

func BenchmarkLogin(b *testing.B) {
	// The real cost, not the test cost: this is what a person waits for.
	s, err := identity.New(kvtest.Open(b), zerolog.Nop(), identity.Options{
		Limits: identity.Limits{Every: time.Nanosecond, Burst: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Setup(ctx, identity.Claim{Desktop: true}, owner); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Login(ctx, "bench", owner.Email, owner.Password); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate: what every API call (a token) and every portal
// call (a session cookie) costs to know who is asking.
func BenchmarkAuthenticate(b *testing.B) {
	s, _ := newService(b)
	a, err := s.Setup(ctx, identity.Claim{Desktop: true}, owner)
	if err != nil {
		b.Fatal(err)
	}
	_, secret, err := s.CreateAPIToken(ctx, a.ID, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	sess, _, err := s.Login(ctx, "bench", owner.Email, owner.Password)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("APITokenBasic", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.AuthenticateAPIToken(ctx, owner.Email, secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Authenticate(ctx, sess); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// API tokens: shown once, found by their digest, bound to their account's
// email under Basic, revocable, and refused once expired.
func TestAPITokens(t *testing.T) {
	s, clock := newService(t)
	a, err := s.Setup(ctx, identity.Claim{Desktop: true}, owner)
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.CreateAPIToken(ctx, a.ID, "report", 1)
	if err != nil || !strings.HasPrefix(secret, "ptk_") || tok.ID == 0 {
		t.Fatalf("CreateAPIToken = %+v %q %v", tok, secret, err)
	}
	if got, err := s.AuthenticateAPIToken(ctx, "", secret); err != nil || got.ID != a.ID {
		t.Fatalf("Bearer = %v, %v", got.ID, err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, "someone@else.org", secret); fault.KindOf(err) != fault.Unauthenticated {
		t.Fatalf("another email = %v", err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, "", "ptk_"+strings.Repeat("A", 43)); fault.KindOf(err) != fault.Unauthenticated {
		t.Fatalf("unknown token = %v", err)
	}
	list, err := s.APITokens(ctx, a.ID)
	if err != nil || len(list) != 1 || list[0].Name != "report" {
		t.Fatalf("APITokens = %+v, %v", list, err)
	}
	clock.Add(25 * time.Hour)
	if _, err := s.AuthenticateAPIToken(ctx, "", secret); fault.KindOf(err) != fault.Unauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token = %v", err)
	}
	if err := s.RevokeAPIToken(ctx, a.ID+1, tok.ID); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("revoking another's token = %v", err)
	}
	if err := s.RevokeAPIToken(ctx, a.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.APITokens(ctx, a.ID); len(list) != 0 {
		t.Fatalf("after revoking: %+v", list)
	}
	for _, bad := range []struct {
		name string
		days int
	}{{"", 0}, {strings.Repeat("x", 101), 0}, {"ok", -1}, {"ok", 4000}} {
		if _, _, err := s.CreateAPIToken(ctx, a.ID, bad.name, bad.days); fault.KindOf(err) != fault.Invalid {
			t.Errorf("CreateAPIToken(%q, %d) = %v", bad.name, bad.days, err)
		}
	}
}
