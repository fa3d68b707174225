package access

import (
	"fmt"
	"testing"

	"portico/backend/fault"
)

// Knowledge base access: an article's effective "Who can view" (its own
// rule, else its category's, else its space's), who may read it in which
// portal under which site setting, drafts for the project's staff only,
// and refusals that read like an unknown article (JSM.md §1.9).

const (
	kbOrg      = 60          // an organization an audience lists
	kbOtherOrg = 61          // an organization no audience lists
	kbDomain   = "acme.test" // an email domain an audience lists
)

// kbCaller is a caller of the knowledge base tests: an active account of
// role with the given facts.
type kbCaller struct {
	name string
	c    Caller
}

func kbAccount(id uint64, role Role, domain string) Caller {
	return Caller{AccountID: id, Name: fmt.Sprintf("K%d", id), Role: role, Active: true, Domain: domain}
}

func withRoute(c Caller, project uint64, r Route) Caller {
	if c.CustomerOf == nil {
		c.CustomerOf = map[uint64][]Route{}
	}
	c.CustomerOf[project] = append(c.CustomerOf[project], r)
	return c
}

func withOrgs(c Caller, orgs ...uint64) Caller {
	c.Orgs = map[uint64]bool{}
	for _, o := range orgs {
		c.Orgs[o] = true
	}
	return c
}

func withAgentOf(c Caller, projects ...uint64) Caller {
	c.AgentOf = map[uint64]bool{}
	for _, p := range projects {
		c.AgentOf[p] = true
	}
	return c
}

func off(c Caller) Caller { c.Active = false; return c }

// kbCallers is every kind of caller the knowledge base meets.
var kbCallers = []kbCaller{
	{"anonymous", Caller{}},
	{"anonymous claiming an org and a domain", withOrgs(Caller{Domain: kbDomain}, kbOrg)},
	{"customer of the project", withRoute(kbAccount(20, Customer, "example.org"), it, Route{Kind: Direct})},
	{"customer of another project", withRoute(kbAccount(21, Customer, "example.org"), hr, Route{Kind: Direct})},
	{"logged-in non-customer", kbAccount(22, Customer, "example.org")},
	{"audience org member, customer through it", withOrgs(withRoute(kbAccount(23, Customer, "finance.test"), it, Route{Kind: Organization, Name: "Finance"}), kbOrg)},
	{"audience org member, not a customer", withOrgs(kbAccount(24, Customer, "finance.test"), kbOrg)},
	{"member of another org, customer", withOrgs(withRoute(kbAccount(25, Customer, "finance.test"), it, Route{Kind: Direct}), kbOtherOrg)},
	{"audience domain, customer by domain rule", withRoute(kbAccount(26, Customer, kbDomain), it, Route{Kind: DomainRule, Name: kbDomain})},
	{"audience domain, not a customer", kbAccount(27, Customer, kbDomain)},
	{"subdomain of the audience domain, customer", withRoute(kbAccount(28, Customer, "mail."+kbDomain), it, Route{Kind: Direct})},
	{"agent of this project", withAgentOf(kbAccount(30, Agent, "staff.test"), it)},
	{"agent of another project", withAgentOf(kbAccount(31, Agent, "staff.test"), hr)},
	{"agent of another project, customer in the audience org", withOrgs(withRoute(withAgentOf(kbAccount(32, Agent, "staff.test"), hr), it, Route{Kind: Direct}), kbOrg)},
	{"admin", kbAccount(33, Admin, "staff.test")},
	{"deactivated customer in the audience", off(withOrgs(withRoute(kbAccount(40, Customer, kbDomain), it, Route{Kind: Direct}), kbOrg))},
	{"deactivated agent of this project", off(withAgentOf(kbAccount(41, Agent, "staff.test"), it))},
	{"deactivated admin", off(kbAccount(42, Admin, "staff.test"))},
}

var kbPortals = []struct {
	name string
	p    Portal
}{
	{"open", Portal{ID: it, Channel: Open}},
	{"restricted", Portal{ID: it, Channel: Restricted}},
	{"archived open", Portal{ID: it, Channel: Open, Archived: true}},
	{"archived restricted", Portal{ID: it, Channel: Restricted, Archived: true}},
}

// kbViews are effective rules; the last two never come out of Effective
// for a stored article but must fail safe (as logged-in users) if they do.
var kbViews = []struct {
	name string
	v    ViewRule
}{
	{"anyone", ViewRule{Mode: ViewAnyone}},
	{"loggedin", ViewRule{Mode: ViewLoggedIn}},
	{"audience org", ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}},
	{"audience domain", ViewRule{Mode: ViewAudience, Domains: []string{kbDomain}}},
	{"audience org or domain", ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOtherOrg, kbOrg}, Domains: []string{"other.test", kbDomain}}},
	{"audience nobody", ViewRule{Mode: ViewAudience}},
	{"audience of an empty domain", ViewRule{Mode: ViewAudience, Domains: []string{""}}},
	{"unresolved inherit", ViewRule{Mode: ViewInherit}},
	{"unknown mode", ViewRule{Mode: "everyone"}},
}

// kbExpect is the rule as the product describes it, written without the
// code under test:
//
//   - the project's staff (its active agents, active admins) read every
//     article, drafts too, in archived portals too;
//   - a deactivated account reads nothing;
//   - anyone else reads only published articles of a portal they may use:
//     not archived; an anonymous visitor only an Open portal of a site that
//     allows both signup and anonymous access; a logged-in person any Open
//     portal, and a Restricted one only as its customer;
//   - then by the rule: anyone — whoever got this far; audience — logged-in
//     members of a listed organization or with a listed email domain (an
//     empty domain is no domain); logged-in (and anything unknown) — anyone
//     logged in.
//
// It returns the outcome and the refusal's code.
func kbExpect(s Site, p Portal, c Caller, a Article) (Outcome, string) {
	anonymous := c.AccountID == 0
	if !anonymous && c.Active && (c.Role == Admin || c.Role == Agent && c.AgentOf[a.Project]) {
		return Allowed, "staff"
	}
	if !anonymous && !c.Active {
		return Deactivated, "deactivated"
	}
	if !a.Published {
		return Denied, "draft"
	}
	switch {
	case p.Archived:
		return Gone, "archived"
	case anonymous && !(s.Signup && s.Anonymous && p.Channel == Open):
		return LoginRequired, "login_required"
	case !anonymous && p.Channel == Restricted && len(c.CustomerOf[p.ID]) == 0:
		return Denied, "restricted"
	}
	switch a.View.Mode {
	case ViewAnyone:
		return Allowed, "anyone"
	case ViewAudience:
		if anonymous {
			return LoginRequired, "login_required"
		}
		for _, o := range a.View.Orgs {
			if c.Orgs[o] {
				return Allowed, "audience"
			}
		}
		for _, d := range a.View.Domains {
			if d != "" && d == c.Domain {
				return Allowed, "audience"
			}
		}
		return Denied, "not_audience"
	}
	if anonymous {
		return LoginRequired, "login_required"
	}
	return Allowed, "loggedin"
}

func TestKBSeeArticleMatrix(t *testing.T) {
	n, allowed := 0, 0
	for _, who := range kbCallers {
		for _, s := range sites {
			for _, p := range kbPortals {
				for _, v := range kbViews {
					for _, published := range []bool{true, false} {
						a := Article{Project: it, Published: published, View: v.v}
						state := map[bool]string{true: "published", false: "draft"}[published]
						cell := fmt.Sprintf("SeeArticle(site=%s, portal=%s, view=%s, %s, who=%s)", s.name, p.name, v.name, state, who.name)
						wantOutcome, wantCode := kbExpect(s.site, p.p, who.c, a)
						d := SeeArticle(s.site, p.p, who.c, a)
						n++
						if d.Allow() {
							allowed++
						}
						if d.Outcome != wantOutcome || d.Code != wantCode {
							t.Errorf("%s = %s/%s (%s); want %s/%s", cell, d.Outcome, d.Code, d.Reason, wantOutcome, wantCode)
						}
						if d.Reason == "" {
							t.Errorf("%s has no reason: %+v", cell, d)
						}
						checkArticleErr(t, cell, d)
					}
				}
			}
		}
	}
	if want := len(kbCallers) * len(sites) * len(kbPortals) * len(kbViews) * 2; n != want {
		t.Errorf("matrix covered %d cells; want %d", n, want)
	}
	// Both sides are exercised: neither "all allowed" nor "all refused"
	// passes for a broken rule.
	if allowed == 0 || allowed == n {
		t.Errorf("%d of %d cells allowed; the matrix does not test both sides", allowed, n)
	}
}

// checkArticleErr: an allowed decision is no error; "log in" is a 401;
// every other refusal is exactly ErrNoArticle, the words of an unknown id.
func checkArticleErr(t *testing.T, cell string, d Decision) {
	t.Helper()
	err := ArticleErr(d)
	switch d.Outcome {
	case Allowed:
		if err != nil {
			t.Errorf("%s: ArticleErr(allowed) = %v", cell, err)
		}
	case LoginRequired:
		if fault.KindOf(err) != fault.Unauthenticated {
			t.Errorf("%s: ArticleErr(login) = %v; want unauthenticated", cell, err)
		}
	default:
		if err != ErrNoArticle || fault.KindOf(err) != fault.NotFound {
			t.Errorf("%s: ArticleErr(%s) = %v; want ErrNoArticle (404)", cell, d.Outcome, err)
		}
	}
}

// Spot checks of the matrix in words, so a reader sees the rule's corners
// without running kbExpect in their head.
func TestKBSeeArticleCorners(t *testing.T) {
	anonSite := Site{Signup: true, Anonymous: true}
	open := Portal{ID: it, Channel: Open}
	restricted := Portal{ID: it, Channel: Restricted}
	anyone := Article{Project: it, Published: true, View: ViewRule{Mode: ViewAnyone}}
	byName := map[string]Caller{}
	for _, c := range kbCallers {
		byName[c.name] = c.c
	}
	for _, tc := range []struct {
		what string
		s    Site
		p    Portal
		who  string
		a    Article
		want bool
	}{
		{"anyone, open portal, site allows anonymous: the visitor reads it", anonSite, open, "anonymous", anyone, true},
		{"anyone, open portal, site allows signup only: the visitor must log in", Site{Signup: true}, open, "anonymous", anyone, false},
		{"anyone, open portal, anonymous set without signup: still login", Site{Anonymous: true}, open, "anonymous", anyone, false},
		{"anyone, restricted portal, site allows anonymous: hidden from visitors (as JSM)", anonSite, restricted, "anonymous", anyone, false},
		{"anyone, restricted portal: a logged-in non-customer may not", anonSite, restricted, "logged-in non-customer", anyone, false},
		{"anyone, restricted portal: a customer of another project may not", anonSite, restricted, "customer of another project", anyone, false},
		{"anyone, restricted portal: an agent of another project may not", anonSite, restricted, "agent of another project", anyone, false},
		{"anyone, open portal: an agent of another project reads it like anyone logged in", Site{}, open, "agent of another project", anyone, true},
		{"audience org, open portal: a member need not be a customer", Site{}, open, "audience org member, not a customer",
			Article{Project: it, Published: true, View: ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}}, true},
		{"audience org, restricted portal: a member who is no customer may not", Site{}, restricted, "audience org member, not a customer",
			Article{Project: it, Published: true, View: ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}}, false},
		{"audience domain: a subdomain is another domain", Site{}, restricted, "subdomain of the audience domain, customer",
			Article{Project: it, Published: true, View: ViewRule{Mode: ViewAudience, Domains: []string{kbDomain}}}, false},
		{"audience org: an admin reads it though in no organization", Site{}, restricted, "admin",
			Article{Project: it, Published: true, View: ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}}, true},
		{"draft: a customer of the project may not", Site{}, restricted, "customer of the project", Article{Project: it, View: ViewRule{Mode: ViewAnyone}}, false},
		{"draft: an agent of another project may not", Site{}, open, "agent of another project", Article{Project: it, View: ViewRule{Mode: ViewAnyone}}, false},
		{"draft: the project's agent may", Site{}, restricted, "agent of this project", Article{Project: it, View: ViewRule{Mode: ViewAudience}}, true},
		{"archived portal: its customer may not", anonSite, Portal{ID: it, Channel: Open, Archived: true}, "customer of the project", anyone, false},
		{"archived portal: its agent may", anonSite, Portal{ID: it, Channel: Open, Archived: true}, "agent of this project", anyone, true},
		{"archived portal: an admin may", anonSite, Portal{ID: it, Channel: Restricted, Archived: true}, "admin", anyone, true},
		{"deactivated admin: nothing", anonSite, open, "deactivated admin", anyone, false},
		{"deactivated agent of the project: not even drafts", anonSite, open, "deactivated agent of this project", Article{Project: it, View: ViewRule{Mode: ViewAnyone}}, false},
		{"unknown mode never opens to visitors", anonSite, open, "anonymous", Article{Project: it, Published: true, View: ViewRule{Mode: "public"}}, false},
		{"audience with no one listed: not even its project's customers", anonSite, open, "customer of the project", Article{Project: it, Published: true, View: ViewRule{Mode: ViewAudience}}, false},
	} {
		c, ok := byName[tc.who]
		if !ok {
			t.Fatalf("no caller %q", tc.who)
		}
		if got := SeeArticle(tc.s, tc.p, c, tc.a).Allow(); got != tc.want {
			t.Errorf("%s: allowed = %v; want %v", tc.what, got, tc.want)
		}
	}
}

// The article is in one project; staff of another project are no staff of
// it, whatever the portal says.
func TestKBStaffIsPerProject(t *testing.T) {
	agentIT := withAgentOf(kbAccount(30, Agent, "staff.test"), it)
	draftHR := Article{Project: hr, View: ViewRule{Mode: ViewAnyone}}
	for _, p := range kbPortals {
		portal := p.p
		portal.ID = hr
		if d := SeeArticle(Site{Signup: true, Anonymous: true}, portal, agentIT, draftHR); d.Allow() {
			t.Errorf("agent of IT reads a draft of HR (%s) = %s; want refused", p.name, d.Code)
		}
	}
}

func TestKBEffective(t *testing.T) {
	anyone := ViewRule{Mode: ViewAnyone}
	loggedin := ViewRule{Mode: ViewLoggedIn}
	inherit := ViewRule{Mode: ViewInherit}
	unset := ViewRule{}
	finance := ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}, Domains: []string{kbDomain}}
	for _, tc := range []struct {
		what                     string
		article, category, space ViewRule
		want                     ViewRule
	}{
		{"the article's own rule beats a stricter category and space", anyone, finance, loggedin, anyone},
		{"the article's own rule beats a looser category and space", finance, anyone, anyone, finance},
		{"an inheriting article takes its category's rule", inherit, loggedin, anyone, loggedin},
		{"an unset article rule inherits like inherit", unset, finance, anyone, finance},
		{"an article and category that inherit take the space's rule", inherit, inherit, finance, finance},
		{"an uncategorized article (no category rule) takes the space's", inherit, unset, loggedin, loggedin},
		{"the default space is anyone", inherit, inherit, anyone, anyone},
		{"all inherit (never stored) reads as logged-in users, the safer reading", inherit, inherit, inherit, loggedin},
		{"all unset reads as logged-in users", unset, unset, unset, loggedin},
	} {
		got := Effective(tc.article, tc.category, tc.space)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: Effective = %+v; want %+v", tc.what, got, tc.want)
		}
	}
	if got := Effective(); got.Mode != ViewLoggedIn {
		t.Errorf("Effective() = %+v; want logged-in users", got)
	}
	// The audience's lists come through whole, not just the mode.
	got := Effective(inherit, finance, anyone)
	if len(got.Orgs) != 1 || got.Orgs[0] != kbOrg || len(got.Domains) != 1 || got.Domains[0] != kbDomain {
		t.Errorf("Effective(inherit, audience, anyone) = %+v; want the category's audience lists", got)
	}
}

// Inheritance end to end: the effective rule decides; changing the
// category's or the space's rule changes what an inheriting article
// shows, and never what an article with its own rule shows.
func TestKBInheritanceDecides(t *testing.T) {
	site := Site{Signup: true, Anonymous: true}
	open := Portal{ID: it, Channel: Open}
	visitor := Caller{}
	customer := withRoute(kbAccount(20, Customer, "example.org"), it, Route{Kind: Direct})
	member := withOrgs(kbAccount(24, Customer, "finance.test"), kbOrg)
	see := func(c Caller, rules ...ViewRule) bool {
		return SeeArticle(site, open, c, Article{Project: it, Published: true, View: Effective(rules...)}).Allow()
	}
	inherit := ViewRule{Mode: ViewInherit}
	anyone := ViewRule{Mode: ViewAnyone}
	loggedin := ViewRule{Mode: ViewLoggedIn}
	audience := ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}
	for _, tc := range []struct {
		what                      string
		rules                     []ViewRule
		visitor, customer, member bool
	}{
		{"space anyone", []ViewRule{inherit, inherit, anyone}, true, true, true},
		{"space changed to logged-in", []ViewRule{inherit, inherit, loggedin}, false, true, true},
		{"space changed to an audience", []ViewRule{inherit, inherit, audience}, false, false, true},
		{"category overrides an open space", []ViewRule{inherit, audience, anyone}, false, false, true},
		{"article overrides its category", []ViewRule{anyone, audience, loggedin}, true, true, true},
		{"article narrows an open category", []ViewRule{audience, anyone, anyone}, false, false, true},
	} {
		if got := see(visitor, tc.rules...); got != tc.visitor {
			t.Errorf("%s: visitor reads = %v; want %v", tc.what, got, tc.visitor)
		}
		if got := see(customer, tc.rules...); got != tc.customer {
			t.Errorf("%s: customer reads = %v; want %v", tc.what, got, tc.customer)
		}
		if got := see(member, tc.rules...); got != tc.member {
			t.Errorf("%s: audience member reads = %v; want %v", tc.what, got, tc.member)
		}
	}
}

func TestKBInAudience(t *testing.T) {
	member := withOrgs(kbAccount(24, Customer, "finance.test"), kbOrg)
	domain := kbAccount(27, Customer, kbDomain)
	noDomain := kbAccount(29, Customer, "")
	for _, tc := range []struct {
		what string
		c    Caller
		r    ViewRule
		want bool
	}{
		{"member of a listed org", member, ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOtherOrg, kbOrg}}, true},
		{"member of no listed org", member, ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOtherOrg}}, false},
		{"listed domain", domain, ViewRule{Mode: ViewAudience, Domains: []string{"x.test", kbDomain}}, true},
		{"unlisted domain", domain, ViewRule{Mode: ViewAudience, Domains: []string{"x.test"}}, false},
		{"a parent domain is not listed by its subdomain", kbAccount(28, Customer, "mail."+kbDomain), ViewRule{Mode: ViewAudience, Domains: []string{kbDomain}}, false},
		{"a subdomain listed does not admit its parent", domain, ViewRule{Mode: ViewAudience, Domains: []string{"mail." + kbDomain}}, false},
		{"empty audience matches an org member", member, ViewRule{Mode: ViewAudience}, false},
		{"empty audience matches a domain", domain, ViewRule{Mode: ViewAudience}, false},
		{"empty audience matches an admin", kbAccount(33, Admin, kbDomain), ViewRule{Mode: ViewAudience}, false},
		{"empty audience matches an agent of project 0", withAgentOf(kbAccount(30, Agent, kbDomain), 0), ViewRule{Mode: ViewAudience}, false},
		{"empty audience matches anonymous", Caller{}, ViewRule{Mode: ViewAudience}, false},
		{"domain \"\" never matches a caller without a domain", noDomain, ViewRule{Mode: ViewAudience, Domains: []string{""}}, false},
		{"domain \"\" never matches a caller with one", domain, ViewRule{Mode: ViewAudience, Domains: []string{""}}, false},
		{"anonymous is in no audience, whatever it claims", withOrgs(Caller{Domain: kbDomain}, kbOrg),
			ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}, Domains: []string{kbDomain}}, false},
		{"being an admin is not being in the audience", kbAccount(33, Admin, "staff.test"), ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}, false},
		{"being the project's agent is not being in the audience", withAgentOf(kbAccount(30, Agent, "staff.test"), it, 0),
			ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}, false},
		{"an agent in the org is in the audience", withOrgs(withAgentOf(kbAccount(31, Agent, "staff.test"), hr), kbOrg),
			ViewRule{Mode: ViewAudience, Orgs: []uint64{kbOrg}}, true},
	} {
		if got := InAudience(tc.c, tc.r); got != tc.want {
			t.Errorf("InAudience(%s) = %v; want %v", tc.what, got, tc.want)
		}
	}
}

func TestKBEditArticles(t *testing.T) {
	for _, tc := range []struct {
		who  string
		c    Caller
		want Outcome
	}{
		{"anonymous", Caller{}, LoginRequired},
		{"customer of the project", withRoute(kbAccount(20, Customer, ""), it, Route{Kind: Direct}), Denied},
		{"customer in every audience", withOrgs(kbAccount(23, Customer, kbDomain), kbOrg), Denied},
		{"agent of another project", withAgentOf(kbAccount(31, Agent, ""), hr), Denied},
		{"agent of the project", withAgentOf(kbAccount(30, Agent, ""), it), Allowed},
		{"admin", kbAccount(33, Admin, ""), Allowed},
		{"deactivated agent of the project", off(withAgentOf(kbAccount(41, Agent, ""), it)), Deactivated},
		{"deactivated admin", off(kbAccount(42, Admin, "")), Deactivated},
		{"anonymous claiming to be an admin", Caller{Role: Admin, Active: true}, LoginRequired},
		{"anonymous claiming to be the project's agent", withAgentOf(Caller{Role: Agent, Active: true}, it), LoginRequired},
	} {
		if d := EditArticles(tc.c, it); d.Outcome != tc.want {
			t.Errorf("EditArticles(%s, IT) = %s; want %s", tc.who, d.Outcome, tc.want)
		}
		// Writing the knowledge base never implies more than reading it:
		// whoever may edit may read every article of the project.
		if EditArticles(tc.c, it).Allow() {
			for _, p := range kbPortals {
				if d := SeeArticle(Site{}, p.p, tc.c, Article{Project: it, View: ViewRule{Mode: ViewAudience}}); !d.Allow() {
					t.Errorf("%s may edit but not read a draft in a %s portal: %s", tc.who, p.name, d.Code)
				}
			}
		}
	}
}

// An anonymous caller claiming facts it cannot have (an id of 0 with a
// role, routes, organizations) is treated as the visitor it is.
func TestKBAnonymousFactsAreIgnored(t *testing.T) {
	forged := withOrgs(withRoute(withAgentOf(Caller{Role: Admin, Active: true, Domain: kbDomain}, it), it, Route{Kind: Direct}), kbOrg)
	site := Site{Signup: true, Anonymous: true}
	for _, p := range kbPortals {
		for _, v := range kbViews {
			for _, published := range []bool{true, false} {
				a := Article{Project: it, Published: published, View: v.v}
				got := SeeArticle(site, p.p, forged, a)
				want := SeeArticle(site, p.p, Caller{}, a)
				if got.Outcome != want.Outcome {
					t.Errorf("forged anonymous, %s, %s, published=%v = %s; plain visitor gets %s", p.name, v.name, published, got.Outcome, want.Outcome)
				}
			}
		}
	}
}
