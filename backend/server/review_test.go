package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// An agent works their own projects only, organizations included: an
// organization's members reach every portal it is attached to.
func TestAgentCannotReachOtherProjectsThroughOrganizations(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	k1, n1, k2, n2 := "IT", "IT", "HR", "HR secret"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k1, Name: &n1})
	hr, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k2, Name: &n2})
	payroll, _ := r.b.Identity.CreateOrg(ctx, "Payroll")
	mine, _ := r.b.Identity.CreateOrg(ctx, "IT folk")
	loose, _ := r.b.Identity.CreateOrg(ctx, "Unattached")
	r.b.HelpCenter.AttachOrg(ctx, admin, hr.ID, payroll.ID)
	r.b.HelpCenter.AttachOrg(ctx, admin, it.ID, mine.ID)
	hank := r.newPersona("Hank", "hank@staff.org", identity.Agent)
	r.b.HelpCenter.AssignAgent(ctx, admin, it.ID, hank.id, true)

	base := r.lan.URL + "/api/organizations/"
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"join another portal's organization", "POST", fmt.Sprintf("%d/members", payroll.ID), `{"email":"hank@staff.org"}`, 403},
		{"list its members", "GET", fmt.Sprintf("%d/members", payroll.ID), "", 403},
		{"rename it", "PATCH", fmt.Sprint(payroll.ID), `{"name":"Pwned"}`, 403},
		{"delete it", "DELETE", fmt.Sprint(payroll.ID), "", 403},
		{"manage his own portal's organization", "POST", fmt.Sprintf("%d/members", mine.ID), `{"email":"dirk@corp.org"}`, 201},
		{"manage an unattached organization", "GET", fmt.Sprintf("%d/members", loose.ID), "", 200},
	} {
		if res := do(t, hank.client, tc.method, base+tc.path, tc.body); res.status != tc.want {
			t.Errorf("agent of IT: %s = %d %s; want %d", tc.name, res.status, res.body, tc.want)
		}
	}
	rule := do(t, hank.client, "POST", fmt.Sprintf("%s/api/projects/%d/rules", r.lan.URL, it.ID), fmt.Sprintf(`{"domain":"evil.net","organization":"%d"}`, payroll.ID))
	if rule.status != 403 {
		t.Errorf("agent of IT adds a rule joining HR's organization = %d; want 403", rule.status)
	}
	if res := do(t, hank.client, "GET", fmt.Sprintf("%s/api/portals/%d", r.lan.URL, hr.ID), ""); res.status != 403 {
		t.Errorf("agent of IT opens HR = %d; want 403 still", res.status)
	}
	list := string(do(t, hank.client, "GET", r.lan.URL+"/api/organizations", "").body)
	if strings.Contains(list, "Payroll") || !strings.Contains(list, "IT folk") || !strings.Contains(list, "Unattached") {
		t.Errorf("organizations an agent of IT sees = %s; want his and the unattached, not HR's", list)
	}
	// Adding a person answers who they are, not what they do here.
	res := do(t, hank.client, "POST", fmt.Sprintf("%s/api/projects/%d/customers", r.lan.URL, it.ID), `{"email":"olga@example.org"}`)
	if strings.Contains(string(res.body), "admin") || strings.Contains(string(res.body), "owner") {
		t.Errorf("adding the owner as a customer = %s; want no role in the answer", res.body)
	}
}

// Old set-password links die when the password is set or changed, or the
// account is deactivated.
func TestLinksDieWithPasswordChanges(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	sam := r.newPersona("Sam", "sam@example.net", identity.Customer)
	do(t, r.client(), "POST", r.lan.URL+"/api/password/forgot", `{"email":"sam@example.net"}`)
	old := r.waitTokens("sam@example.net", 1)
	if len(old) != 1 {
		t.Fatalf("reset links = %d; want 1", len(old))
	}
	if res := do(t, sam.client, "POST", r.lan.URL+"/api/password/change", `{"current":"`+pw+`","password":"sams new password"}`); res.status != 200 {
		t.Fatalf("change password = %d %s", res.status, res.body)
	}
	if res := do(t, r.client(), "POST", r.lan.URL+"/api/password/set", `{"token":"`+old[0]+`","password":"attacker pass 3"}`); res.status != 400 {
		t.Errorf("an older reset link after a password change = %d; want 400", res.status)
	}
	// Deactivation too.
	do(t, r.client(), "POST", r.lan.URL+"/api/password/forgot", `{"email":"sam@example.net"}`)
	old = r.waitTokens("sam@example.net", 1)
	f := false
	r.b.UpdateAccount(context.Background(), r.adminFacts(), sam.id, identity.AccountPatch{Active: &f})
	if res := do(t, r.client(), "POST", r.lan.URL+"/api/password/set", `{"token":"`+old[0]+`","password":"attacker pass 3"}`); res.status != 400 {
		t.Errorf("a reset link after deactivation = %d; want 400", res.status)
	}
	// And a wrong current password is not an unlimited oracle.
	tess := r.newPersona("Tess", "tess@example.net", identity.Customer)
	n := 0
	for range 30 {
		res := do(t, tess.client, "POST", r.lan.URL+"/api/password/change", `{"current":"guess","password":"whatever password"}`)
		if res.status == 429 {
			break
		}
		n++
	}
	if n >= 30 {
		t.Error("30 wrong current passwords in a row were all answered; want a limit")
	}
}

// Only the owner reads reset links for staff in the outbox.
func TestStaffResetLinksAreTheOwnersOnly(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	adam := r.newPersona("Adam", "adam@example.org", identity.Admin)
	do(t, r.client(), "POST", r.lan.URL+"/api/password/forgot", `{"email":"olga@example.org"}`)
	if len(r.waitTokens("olga@example.org", 1)) != 1 {
		t.Fatal("no reset link queued for the owner")
	}
	if body := string(do(t, adam.client, "GET", r.lan.URL+"/api/outbox", "").body); strings.Contains(body, "olga@example.org") {
		t.Errorf("another admin sees the owner's reset link: %s", body)
	}
	if body := string(do(t, r.ownerClient(), "GET", r.lan.URL+"/api/outbox", "").body); !strings.Contains(body, "olga@example.org") {
		t.Errorf("the owner does not see their own reset link: %s", body)
	}
}

func TestEmailsThatLookAlike(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\u212aim@x.org", ""},           // Kelvin sign folds to k
		{"ann@x.org\u200b", "ann@x.org"}, // UTS 46 drops the zero-width space: one address, one account
		{"ann@localhost", ""},            // not a dotted host
		{"ann@[1.2.3.4]", ""},            // IP literal
		{"ann@-x.org", ""},               // bad label
		{"ann@bücher.example", "ann@xn--bcher-kva.example"},
		{"Ann@XN--BCHER-KVA.example", "Ann@xn--bcher-kva.example"},
	} {
		got, err := identity.NormalizeEmail(tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestControlCharactersInNames(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	do(t, owner, "POST", r.lan.URL+"/api/projects", `{"key":"IT","name":"IT"}`)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/projects/1/customers", `{"email":"z@x.org","name":"a\r\nBcc: x@y"}`},
		{"POST", "/api/organizations", `{"name":"\u0000"}`},
		{"POST", "/api/projects", `{"key":"XX","name":"\u202ex"}`},
		{"PATCH", "/api/helpcenter", `{"name":"Help\u0007"}`},
		{"POST", "/api/projects", `{"key":"OR","name":"Order","order":9223372036854775807}`},
		{"PATCH", "/api/accounts/1", `{"role":"root"}`},
	} {
		if res := do(t, owner, tc.method, r.lan.URL+tc.path, tc.body); res.status != 400 {
			t.Errorf("%s %s %s = %d %s; want 400", tc.method, tc.path, tc.body, res.status, res.body)
		}
	}
}

func TestLargeOrganizationCanBeDeleted(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	var in []identity.Import
	for i := range 3000 {
		in = append(in, identity.Import{Name: fmt.Sprint("M", i), Email: fmt.Sprintf("m%d@big.example", i)})
	}
	var ids []uint64
	for i := 0; i < len(in); i += 1000 {
		got, err := r.b.Identity.ImportAccounts(ctx, in[i:i+1000])
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			ids = append(ids, a.ID)
		}
	}
	orgs, err := r.b.Identity.ImportOrgs(ctx, []string{"Big"}, map[string][]uint64{"Big": ids})
	if err != nil {
		t.Fatal(err)
	}
	if res := do(t, r.ownerClient(), "DELETE", fmt.Sprintf("%s/api/organizations/%d", r.lan.URL, orgs[0].ID), ""); res.status != 204 {
		t.Errorf("delete an organization of 3000 = %d %s; want 204", res.status, res.body)
	}
}

func TestRoleChangeEndsAssignments(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	k, n := "IT", "IT"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k, Name: &n})
	ivy := r.newPersona("Ivy", "ivy@example.org", identity.Agent)
	r.b.HelpCenter.AssignAgent(ctx, admin, it.ID, ivy.id, true)
	do(t, r.ownerClient(), "PATCH", fmt.Sprintf("%s/api/accounts/%d", r.lan.URL, ivy.id), `{"role":"customer"}`)
	if ps, _ := r.b.HelpCenter.AgentProjects(ctx, ivy.id); len(ps) != 0 {
		t.Errorf("projects of a former agent = %v; want none", ps)
	}
}

func TestArchivedAndUnknownPortalsLookAlike(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ctx := context.Background()
	admin := r.adminFacts()
	k, n := "IT", "IT"
	it, _ := r.b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &k, Name: &n, Channel: ptrChannel(access.Open)})
	ivy := r.newPersona("Ivy", "ivy@example.org", identity.Agent)
	r.b.HelpCenter.AssignAgent(ctx, admin, it.ID, ivy.id, true)
	yes := true
	r.b.HelpCenter.UpdateProject(ctx, admin, it.ID, helpcenter.ProjectInput{Archived: &yes})
	cust := r.newPersona("Cy", "cy@example.org", identity.Customer)
	archived := do(t, cust.client, "GET", fmt.Sprintf("%s/api/portals/%d", r.lan.URL, it.ID), "")
	unknown := do(t, cust.client, "GET", r.lan.URL+"/api/portals/999", "")
	if archived.status != 404 || string(archived.body) != string(unknown.body) {
		t.Errorf("archived = %d %s, unknown = %d %s; want the same 404", archived.status, archived.body, unknown.status, unknown.body)
	}
	if res := do(t, ivy.client, "GET", fmt.Sprintf("%s/api/portals/%d", r.lan.URL, it.ID), ""); res.status != 200 {
		t.Errorf("its agent opens the archived portal = %d; want 200 (agents always reach their portals)", res.status)
	}
}

func TestAnnouncementNeedsTheHelpCenter(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ann := "Internal: the VPN password is hunter2"
	r.b.HelpCenter.Update(context.Background(), r.adminFacts(), helpcenter.Patch{Announcement: &ann})
	anon := do(t, r.client(), "GET", r.lan.URL+"/api/helpcenter", "")
	if strings.Contains(string(anon.body), "hunter2") {
		t.Errorf("anonymous visitor of a login-only help center gets the announcement: %s", anon.body)
	}
	if !strings.Contains(string(do(t, r.ownerClient(), "GET", r.lan.URL+"/api/helpcenter", "").body), "hunter2") {
		t.Error("a logged-in admin does not get the announcement")
	}
}

func ptrChannel(c access.Channel) *access.Channel { return &c }
