package access

import (
	"fmt"
	"strings"
	"testing"
)

const it, hr = 1, 2 // project ids: the portal under test, and another

var sites = []struct {
	name string
	site Site
}{
	{"A", Site{}},                              // no self-created accounts
	{"B", Site{Signup: true}},                  // accounts may be created, login required
	{"C", Site{Signup: true, Anonymous: true}}, // and anonymous portal access allowed
}

var channels = []Channel{Restricted, Open}

func account(role Role, routes ...Route) Caller {
	c := Caller{AccountID: 7, Name: "Ana", Role: role, Active: true}
	if len(routes) > 0 {
		c.CustomerOf = map[uint64][]Route{it: routes}
	}
	return c
}

var callers = []struct {
	name string
	c    Caller
}{
	{"anonymous", Caller{}},
	{"account, not a customer", account(Customer)},
	{"direct customer", account(Customer, Route{Kind: Direct})},
	{"organization customer", account(Customer, Route{Kind: Organization, Name: "Finance"})},
	{"domain-rule customer", account(Customer, Route{Kind: DomainRule, Name: "example.com"})},
	{"deactivated customer", func() Caller { c := account(Customer, Route{Kind: Direct}); c.Active = false; return c }()},
	{"agent of another project", func() Caller { c := account(Agent); c.AgentOf = map[uint64]bool{hr: true}; return c }()},
	{"agent", func() Caller { c := account(Agent); c.AgentOf = map[uint64]bool{it: true}; return c }()},
	{"admin", account(Admin)},
}

// want holds the expected decision code for each caller in the six cells
// A+R A+O B+R B+O C+R C+O, mirroring JSM.md §2.5.
var want = map[string]map[string]string{
	"see help center": {
		"anonymous":                "login_required login_required login_required login_required anonymous_site anonymous_site",
		"account, not a customer":  "account account account account account account",
		"direct customer":          "account account account account account account",
		"organization customer":    "account account account account account account",
		"domain-rule customer":     "account account account account account account",
		"deactivated customer":     "deactivated deactivated deactivated deactivated deactivated deactivated",
		"agent of another project": "account account account account account account",
		"agent":                    "account account account account account account",
		"admin":                    "account account account account account account",
	},
	"see portal": {
		"anonymous":                "login_required login_required login_required login_required login_required anonymous_open",
		"account, not a customer":  "restricted open restricted open restricted open",
		"direct customer":          "customer customer customer customer customer customer",
		"organization customer":    "customer customer customer customer customer customer",
		"domain-rule customer":     "customer customer customer customer customer customer",
		"deactivated customer":     "deactivated deactivated deactivated deactivated deactivated deactivated",
		"agent of another project": "restricted open restricted open restricted open",
		"agent":                    "agent agent agent agent agent agent",
		"admin":                    "admin admin admin admin admin admin",
	},
}

func init() { want["raise"] = want["see portal"] }

var allowedCodes = map[string]bool{"account": true, "anonymous_site": true, "anonymous_open": true,
	"open": true, "customer": true, "agent": true, "admin": true}

func TestDecisionMatrix(t *testing.T) {
	questions := map[string]func(Site, Portal, Caller) Decision{
		"see help center": func(s Site, _ Portal, c Caller) Decision { return SeeHelpCenter(s, c) },
		"see portal":      SeePortal,
		"raise":           Raise,
	}
	n := 0
	for q, decide := range questions {
		for _, who := range callers {
			cells := strings.Fields(want[q][who.name])
			if len(cells) != 6 {
				t.Fatalf("expectation for %s/%s has %d cells; want 6", q, who.name, len(cells))
			}
			i := 0
			for _, s := range sites {
				for _, ch := range channels {
					d := decide(s.site, Portal{ID: it, Channel: ch}, who.c)
					cell := fmt.Sprintf("%s(site=%s, portal=%s, who=%s)", q, s.name, ch, who.name)
					if d.Code != cells[i] {
						t.Errorf("%s = %s (%s); want %s", cell, d.Code, d.Reason, cells[i])
					}
					if d.Allow() != allowedCodes[cells[i]] {
						t.Errorf("%s allow = %v; want %v", cell, d.Allow(), allowedCodes[cells[i]])
					}
					checkExplained(t, cell, d)
					if q == "see portal" && PortalAllowed(s.site, Portal{ID: it, Channel: ch}, who.c) != d.Allow() {
						t.Errorf("PortalAllowed%s disagrees with SeePortal", cell[len(q):])
					}
					i++
					n++
				}
			}
		}
	}
	if n != 3*9*6 {
		t.Errorf("matrix covered %d cells; want %d", n, 3*9*6)
	}
}

// checkExplained: every decision says why; every refusal says what to do,
// except a bare "log in" where the remedy is the login form itself.
func checkExplained(t *testing.T, cell string, d Decision) {
	t.Helper()
	if d.Reason == "" || len(d.Facts) == 0 {
		t.Errorf("%s has no reason or facts: %+v", cell, d)
	}
	if !d.Allow() && d.Remedy == "" {
		t.Errorf("%s refuses without a remedy: %+v", cell, d)
	}
}

func TestAnonymousNeedsSignup(t *testing.T) {
	// "Customers can access … without logging in" is forced off when
	// accounts may not be created.
	s := Site{Signup: false, Anonymous: true}
	if d := SeePortal(s, Portal{ID: it, Channel: Open}, Caller{}); d.Allow() {
		t.Errorf("SeePortal(site=no signup but anonymous, open, anonymous) = %s; want login required", d.Code)
	}
	if d := SeeHelpCenter(s, Caller{}); d.Allow() {
		t.Errorf("SeeHelpCenter(site=no signup but anonymous, anonymous) = %s; want login required", d.Code)
	}
}

func TestLoginRemedyFollowsSignup(t *testing.T) {
	a := SeePortal(Site{}, Portal{ID: it, Channel: Open}, Caller{})
	b := SeePortal(Site{Signup: true}, Portal{ID: it, Channel: Open}, Caller{})
	if strings.Contains(a.Remedy, "sign up") || !strings.Contains(b.Remedy, "sign up") {
		t.Errorf("remedies: closed site %q, signup site %q; want 'sign up' offered only where signup is allowed", a.Remedy, b.Remedy)
	}
}

func TestArchivedPortal(t *testing.T) {
	p := Portal{ID: it, Channel: Open, Archived: true}
	for _, who := range callers {
		d := SeePortal(Site{Signup: true, Anonymous: true}, p, who.c)
		want := Gone
		switch who.name {
		case "admin", "agent": // admins and the project's agents always reach their portals
			want = Allowed
		case "deactivated customer":
			want = Deactivated
		}
		if d.Outcome != want {
			t.Errorf("SeePortal(archived, who=%s) = %s; want %s", who.name, d.Outcome, want)
		}
		if PortalAllowed(Site{Signup: true, Anonymous: true}, p, who.c) != d.Allow() {
			t.Errorf("PortalAllowed(archived, who=%s) disagrees with SeePortal", who.name)
		}
	}
}

func TestRemovingOneRouteKeepsTheOthers(t *testing.T) {
	both := account(Customer, Route{Kind: Organization, Name: "Finance"}, Route{Kind: Direct})
	p := Portal{ID: it, Channel: Restricted}
	d := SeePortal(Site{}, p, both)
	if !d.Allow() || !strings.Contains(strings.Join(d.Facts, " "), "organization Finance") {
		t.Fatalf("SeePortal(two routes) = %+v; want allowed, naming both routes", d)
	}
	// The organization is detached: the direct route still holds.
	direct := account(Customer, Route{Kind: Direct})
	if d := SeePortal(Site{}, p, direct); !d.Allow() {
		t.Errorf("SeePortal(direct route left) = %s; want allowed", d.Code)
	}
	// The last route goes: access goes with it.
	if d := SeePortal(Site{}, p, account(Customer)); d.Allow() {
		t.Errorf("SeePortal(no route left) = %s; want restricted", d.Code)
	}
}

func TestCustomerOfAnotherProjectOnly(t *testing.T) {
	c := account(Customer)
	c.CustomerOf = map[uint64][]Route{hr: {{Kind: Direct}}}
	if d := SeePortal(Site{}, Portal{ID: it, Channel: Restricted}, c); d.Code != "restricted" {
		t.Errorf("SeePortal(customer of HR only, IT restricted) = %s; want restricted", d.Code)
	}
}

func TestSignup(t *testing.T) {
	for _, s := range sites {
		if got, want := Signup(s.site).Allow(), s.site.Signup; got != want {
			t.Errorf("Signup(site=%s) = %v; want %v", s.name, got, want)
		}
	}
}

func TestStaffQuestions(t *testing.T) {
	for _, tc := range []struct {
		who                      string
		site, customers, console Outcome
	}{
		{"anonymous", LoginRequired, LoginRequired, LoginRequired},
		{"account, not a customer", Denied, Denied, Denied},
		{"direct customer", Denied, Denied, Denied},
		{"deactivated customer", Deactivated, Deactivated, Deactivated},
		{"agent of another project", Denied, Denied, Allowed},
		{"agent", Denied, Allowed, Allowed},
		{"admin", Allowed, Allowed, Allowed},
	} {
		var c Caller
		for _, x := range callers {
			if x.name == tc.who {
				c = x.c
			}
		}
		if d := ManageSite(c); d.Outcome != tc.site {
			t.Errorf("ManageSite(who=%s) = %s; want %s", tc.who, d.Outcome, tc.site)
		}
		if d := ManageCustomers(c, it); d.Outcome != tc.customers {
			t.Errorf("ManageCustomers(who=%s, IT) = %s; want %s", tc.who, d.Outcome, tc.customers)
		}
		if d := WorkConsole(c); d.Outcome != tc.console {
			t.Errorf("WorkConsole(who=%s) = %s; want %s", tc.who, d.Outcome, tc.console)
		}
		for _, d := range []Decision{ManageSite(c), ManageCustomers(c, it), WorkConsole(c)} {
			if !d.Allow() && d.Outcome != LoginRequired && d.Remedy == "" {
				t.Errorf("refusal for %s without a remedy: %+v", tc.who, d)
			}
		}
	}
}

func BenchmarkSeePortal(b *testing.B) {
	c := account(Customer, Route{Kind: Organization, Name: "Finance"})
	p := Portal{ID: it, Channel: Restricted}
	s := Site{Signup: true}
	b.ReportAllocs()
	for b.Loop() {
		if !SeePortal(s, p, c).Allow() {
			b.Fatal("denied")
		}
	}
}

func TestManageOrg(t *testing.T) {
	agentIT := account(Agent)
	agentIT.AgentOf = map[uint64]bool{it: true}
	for _, tc := range []struct {
		who      string
		c        Caller
		attached []uint64
		want     Outcome
	}{
		{"anonymous", Caller{}, nil, LoginRequired},
		{"customer", account(Customer), nil, Denied},
		{"agent, unattached org", agentIT, nil, Allowed},
		{"agent, org of their portal", agentIT, []uint64{it}, Allowed},
		{"agent, org also of another portal", agentIT, []uint64{it, hr}, Denied},
		{"agent, org of another portal", agentIT, []uint64{hr}, Denied},
		{"admin, org of any portal", account(Admin), []uint64{it, hr}, Allowed},
	} {
		if d := ManageOrg(tc.c, tc.attached); d.Outcome != tc.want {
			t.Errorf("ManageOrg(who=%s, attached=%v) = %s; want %s", tc.who, tc.attached, d.Outcome, tc.want)
		}
	}
}
