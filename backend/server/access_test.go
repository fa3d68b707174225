package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// persona is a LAN browser logged in as someone (or nobody).
type persona struct {
	name   string
	client *http.Client
	id     uint64
}

const pw = "persona password 1"

// newPersona creates an account through the backend, sets its password
// with a real set-password link and logs in over HTTP.
func (r *rig) newPersona(name, email string, role identity.Role) persona {
	r.t.Helper()
	ctx := context.Background()
	a, _, err := r.b.Identity.Invite(ctx, identity.NewAccount{Name: name, Email: email, Role: role})
	if err != nil {
		r.t.Fatal(err)
	}
	tok, _, err := r.b.Identity.NewPasswordLink(ctx, a.ID, identity.Invite)
	if err != nil {
		r.t.Fatal(err)
	}
	c := r.client()
	if res := do(r.t, c, "POST", r.lan.URL+"/api/password/set", `{"token":"`+tok+`","password":"`+pw+`"}`); res.status != 200 {
		r.t.Fatalf("set password for %s = %d %s", email, res.status, res.body)
	}
	return persona{name: name, client: c, id: a.ID}
}

// admin returns the owner's access facts, for setting things up.
func (r *rig) adminFacts() access.Caller {
	r.t.Helper()
	o, err := r.b.Identity.Owner(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	f, err := r.b.Facts(context.Background(), &o)
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

// The access matrix through the real server: every site profile and channel
// for every kind of caller, by the portal page and by the help center list.
func TestAccessMatrixOverHTTP(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	str := func(s string) *string { return &s }
	ch := func(c access.Channel) *access.Channel { return &c }
	it, err := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: str("IT"), Name: str("IT Support"),
		PortalDescription: str("Secret IT description"), Channel: ch(access.Restricted)})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: str("HR"), Name: str("HR"), Channel: ch(access.Restricted)})

	finance, _ := r.b.Identity.CreateOrg(ctx, "Finance")
	people := map[string]persona{
		"anonymous":                {name: "anonymous", client: r.client()},
		"account, not a customer":  r.newPersona("Nadia", "nadia@other.org", identity.Customer),
		"direct customer":          r.newPersona("Dirk", "dirk@other.org", identity.Customer),
		"organization customer":    r.newPersona("Olga", "olga2@other.org", identity.Customer),
		"domain-rule customer":     r.newPersona("Dora", "dora@example.com", identity.Customer),
		"deactivated customer":     r.newPersona("Dave", "dave@other.org", identity.Customer),
		"agent of another project": r.newPersona("Hank", "hank@staff.org", identity.Agent),
		"agent":                    r.newPersona("Ivy", "ivy@staff.org", identity.Agent),
		"admin":                    r.newPersona("Adam", "adam@staff.org", identity.Admin),
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.b.HelpCenter.AddCustomer(ctx, admin, it.ID, people["direct customer"].id))
	must(r.b.HelpCenter.AddCustomer(ctx, admin, it.ID, people["deactivated customer"].id))
	must(r.b.Identity.AddMember(ctx, finance.ID, people["organization customer"].id))
	must(r.b.HelpCenter.AttachOrg(ctx, admin, it.ID, finance.ID))
	_, err = r.b.HelpCenter.AddRule(ctx, admin, it.ID, helpcenter.Rule{Domain: "example.com"})
	must(err)
	must(r.b.HelpCenter.AssignAgent(ctx, admin, hr.ID, people["agent of another project"].id, true))
	must(r.b.HelpCenter.AssignAgent(ctx, admin, it.ID, people["agent"].id, true))
	f := false
	_, err = r.b.Identity.Update(ctx, people["deactivated customer"].id, identity.AccountPatch{Active: &f})
	must(err)

	// Expected status of GET /api/portals/{IT} in A+R A+O B+R B+O C+R C+O.
	want := map[string]string{
		"anonymous":               "401 401 401 401 401 200",
		"account, not a customer": "403 200 403 200 403 200",
		"direct customer":         "200 200 200 200 200 200",
		"organization customer":   "200 200 200 200 200 200",
		"domain-rule customer":    "200 200 200 200 200 200",
		// Deactivating ended the session: they are an anonymous visitor now.
		"deactivated customer":     "401 401 401 401 401 200",
		"agent of another project": "403 200 403 200 403 200",
		"agent":                    "200 200 200 200 200 200",
		"admin":                    "200 200 200 200 200 200",
	}
	sites := []access.Site{{}, {Signup: true}, {Signup: true, Anonymous: true}}
	i := 0
	got := map[string][]string{}
	for _, site := range sites {
		for _, channel := range []access.Channel{access.Restricted, access.Open} {
			if _, err := r.b.HelpCenter.Update(ctx, admin, helpcenter.Patch{Access: &site}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.b.HelpCenter.UpdateProject(ctx, admin, it.ID, helpcenter.ProjectInput{Channel: &channel}); err != nil {
				t.Fatal(err)
			}
			for who, p := range people {
				res := do(t, p.client, "GET", fmt.Sprintf("%s/api/portals/%d", r.lan.URL, it.ID), "")
				got[who] = append(got[who], fmt.Sprint(res.status))
				if res.status != 200 {
					if strings.Contains(string(res.body), "IT Support") || strings.Contains(string(res.body), "Secret") {
						t.Errorf("refusal for %s names the portal: %s", who, res.body)
					}
					e, _ := res.json(t)["error"].(map[string]any)
					if e["message"] == "" || (res.status == 403 && e["hint"] == nil) {
						t.Errorf("refusal for %s lacks a reason or remedy: %s", who, res.body)
					}
				}
				// The help center list agrees with the portal page.
				list := do(t, p.client, "GET", r.lan.URL+"/api/portals", "")
				listed := strings.Contains(string(list.body), `"key":"IT"`)
				if listed != (res.status == 200) {
					t.Errorf("%s, site %+v, %s: listed=%v but portal page %d", who, site, channel, listed, res.status)
				}
			}
			i++
		}
	}
	for who, w := range want {
		if g := strings.Join(got[who], " "); g != w {
			t.Errorf("GET /api/portals/IT as %s = %s; want %s", who, g, w)
		}
	}
}

// Rules are evaluated live: removing one takes access away at once, for
// a session that was already open.
func TestDomainRuleIsLive(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	key, name := "IT", "IT Support"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &key, Name: &name})
	bob := r.newPersona("Bob", "bob@example.com", identity.Customer)
	url := fmt.Sprintf("%s/api/portals/%d", r.lan.URL, it.ID)
	if res := do(t, bob.client, "GET", url, ""); res.status != 403 {
		t.Fatalf("before the rule = %d; want 403", res.status)
	}
	r.b.HelpCenter.AddRule(ctx, admin, it.ID, helpcenter.Rule{Domain: "@Example.COM"})
	if res := do(t, bob.client, "GET", url, ""); res.status != 200 {
		t.Errorf("with the rule = %d; want 200", res.status)
	}
	ex := do(t, r.client(), "GET", r.lan.URL+"/api/explain?project=1&email=bob@example.com", "")
	if ex.status != 401 {
		t.Errorf("explain, anonymous = %d; want 401", ex.status)
	}
	if err := r.b.HelpCenter.RemoveRule(ctx, admin, it.ID, "example.com"); err != nil {
		t.Fatal(err)
	}
	if res := do(t, bob.client, "GET", url, ""); res.status != 403 {
		t.Errorf("after removing the rule = %d; want 403 at once", res.status)
	}
}

func TestExplainAccess(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	key, name := "IT", "IT Support"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &key, Name: &name})
	ana := r.newPersona("Ana", "ana@corp.org", identity.Customer)
	fin, _ := r.b.Identity.CreateOrg(ctx, "Finance")
	r.b.Identity.AddMember(ctx, fin.ID, ana.id)
	r.b.HelpCenter.AttachOrg(ctx, admin, it.ID, fin.ID)

	owner := r.client()
	do(t, owner, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"`+ownerPassword+`"}`)
	res := do(t, owner, "GET", fmt.Sprintf("%s/api/explain?project=%d&email=ana@corp.org", r.lan.URL, it.ID), "")
	if res.status != 200 {
		t.Fatalf("explain = %d %s", res.status, res.body)
	}
	d := res.json(t)["decision"].(map[string]any)
	if d["outcome"] != "allowed" || !strings.Contains(fmt.Sprint(d["facts"]), "organization Finance") {
		t.Errorf("explain(ana) = %v; want allowed through organization Finance", d)
	}
	res = do(t, owner, "GET", fmt.Sprintf("%s/api/explain?project=%d&email=nobody@corp.org", r.lan.URL, it.ID), "")
	d = res.json(t)["decision"].(map[string]any)
	if d["outcome"] != "login" || !strings.Contains(fmt.Sprint(d["facts"]), "No account uses") {
		t.Errorf("explain(unknown) = %v; want an anonymous visitor's answer", d)
	}
	// A customer may not ask.
	if res := do(t, ana.client, "GET", fmt.Sprintf("%s/api/explain?project=%d&email=ana@corp.org", r.lan.URL, it.ID), ""); res.status != 403 {
		t.Errorf("explain as a customer = %d; want 403", res.status)
	}
}

// A domain rule that puts people in an organization reaches every portal
// that organization is attached to, and stops when the rule goes.
func TestDomainRuleJoinsOrganization(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	k1, n1, k2, n2 := "IT", "IT", "HR", "HR"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k1, Name: &n1})
	hr, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k2, Name: &n2})
	fin, _ := r.b.Identity.CreateOrg(ctx, "Finance")
	r.b.HelpCenter.AttachOrg(ctx, admin, hr.ID, fin.ID)
	bob := r.newPersona("Bob", "bob@example.com", identity.Customer)
	hrURL := fmt.Sprintf("%s/api/portals/%d", r.lan.URL, hr.ID)
	if res := do(t, bob.client, "GET", hrURL, ""); res.status != 403 {
		t.Fatalf("HR before the rule = %d; want 403", res.status)
	}
	r.b.HelpCenter.AddRule(ctx, admin, it.ID, helpcenter.Rule{Domain: "example.com", Organization: fin.ID})
	if res := do(t, bob.client, "GET", hrURL, ""); res.status != 200 {
		t.Errorf("HR with a rule putting Bob in Finance = %d; want 200", res.status)
	}
	rows, _, _ := r.b.HelpCenter.Customers(ctx, admin, hr.ID, "bob", 10)
	if len(rows) != 1 || !strings.Contains(fmt.Sprint(rows[0].Routes), "Finance (by the domain rule @example.com)") {
		t.Errorf("HR customers = %+v; want Bob through Finance by the rule", rows)
	}
	r.b.HelpCenter.RemoveRule(ctx, admin, it.ID, "example.com")
	if res := do(t, bob.client, "GET", hrURL, ""); res.status != 403 {
		t.Errorf("HR after removing the rule = %d; want 403", res.status)
	}
}
