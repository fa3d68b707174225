package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

func (r *rig) ownerClient() *http.Client {
	r.t.Helper()
	c := r.client()
	if res := do(r.t, c, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"`+ownerPassword+`"}`); res.status != 200 {
		r.t.Fatalf("owner login = %d %s", res.status, res.body)
	}
	return c
}

// waitTokens waits (briefly) for n links to an address: reset links are
// queued after the answer, off the request.
func (r *rig) waitTokens(to string, n int) []string {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := r.outboxTokens(to)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outboxTokens returns the set-password tokens queued for an address.
func (r *rig) outboxTokens(to string) []string {
	r.t.Helper()
	emails, err := r.b.Outbox.List(context.Background(), true)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range emails {
		if e.To == to {
			out = append(out, regexp.MustCompile(`#token=(\S+)`).FindStringSubmatch(e.Link)[1])
		}
	}
	return out
}

func (r *rig) setSite(site access.Site) {
	r.t.Helper()
	if _, err := r.b.HelpCenter.Update(context.Background(), r.adminFacts(), helpcenter.Patch{Access: &site}); err != nil {
		r.t.Fatal(err)
	}
}

func TestSignup(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	visitor := r.client()
	signup := `{"name":"Vera","email":"vera@example.net","website":""}`
	res := do(t, visitor, "POST", r.lan.URL+"/api/signup", signup)
	if res.status != 403 || !strings.Contains(string(res.body), "does not let people sign up") {
		t.Fatalf("signup on a closed site = %d %s; want 403 with the reason", res.status, res.body)
	}
	r.setSite(access.Site{Signup: true})
	res = do(t, visitor, "POST", r.lan.URL+"/api/signup", signup)
	if res.status != 202 {
		t.Fatalf("signup = %d %s; want 202", res.status, res.body)
	}
	first := string(res.body)
	tokens := r.outboxTokens("vera@example.net")
	if len(tokens) != 1 {
		t.Fatalf("outbox for vera = %d links; want 1", len(tokens))
	}
	// Signing up again with the same address answers the same; the address
	// owner gets a reset link instead of a second account.
	res = do(t, r.client(), "POST", r.lan.URL+"/api/signup", signup)
	if res.status != 202 || string(res.body) != first {
		t.Errorf("duplicate signup = %d %s; want the same answer as the first", res.status, res.body)
	}
	all := r.waitTokens("vera@example.net", 2)
	if len(all) != 2 {
		t.Errorf("links for vera after a duplicate signup = %d; want 2 (a reset link)", len(all))
	}
	// A bot that fills the honeypot gets the same answer and nothing else.
	res = do(t, r.client(), "POST", r.lan.URL+"/api/signup", `{"name":"Bot","email":"bot@spam.example","website":"http://spam.example"}`)
	if res.status != 202 || string(res.body) != first {
		t.Errorf("honeypot signup = %d %s; want the same answer", res.status, res.body)
	}
	if n := len(r.outboxTokens("bot@spam.example")); n != 0 {
		t.Errorf("honeypot signup queued %d emails; want none", n)
	}
	if _, err := r.b.Identity.Find(context.Background(), "bot@spam.example"); err == nil {
		t.Error("honeypot signup created an account")
	}
	// Bad fields.
	res = do(t, r.client(), "POST", r.lan.URL+"/api/signup", `{"name":"","email":"not-an-email","website":""}`)
	if res.status != 400 {
		t.Errorf("signup with bad fields = %d; want 400", res.status)
	}
	// The link sets the password and logs Vera in; it works once.
	res = do(t, visitor, "POST", r.lan.URL+"/api/password/set", `{"token":"`+tokens[0]+`","password":"vera password 1"}`)
	if res.status != 200 {
		t.Fatalf("set password = %d %s", res.status, res.body)
	}
	if a, _ := do(t, visitor, "GET", r.lan.URL+"/api/session", "").json(t)["account"].(map[string]any); a["email"] != "vera@example.net" || a["role"] != "customer" {
		t.Errorf("session after setting the password = %v; want Vera, a customer", a)
	}
	if res := do(t, r.client(), "POST", r.lan.URL+"/api/password/set", `{"token":"`+tokens[0]+`","password":"other password 1"}`); res.status != 400 {
		t.Errorf("reusing the link = %d; want 400", res.status)
	}
	// Setting the password spends every link of the account: the reset
	// link from the duplicate signup is dead too, and the outbox is clear.
	for _, tok := range all {
		if res := do(t, r.client(), "POST", r.lan.URL+"/api/password/set", `{"token":"`+tok+`","password":"other password 1"}`); res.status != 400 {
			t.Errorf("an older link of vera after her password was set = %d; want 400", res.status)
		}
	}
	if left := r.outboxTokens("vera@example.net"); len(left) != 0 {
		t.Errorf("outbox for vera after she set her password = %v; want empty", left)
	}
}

func TestSignupRateLimit(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	r.setSite(access.Site{Signup: true})
	limited := false
	for i := range 10 {
		res := do(t, http.DefaultClient, "POST", r.lan.URL+"/api/signup", fmt.Sprintf(`{"name":"S%d","email":"s%d@example.net","website":""}`, i, i))
		if res.status == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("10 signups from one address in a row were all accepted; want a limit")
	}
}

func TestForgotPasswordRevokesSessions(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	ana := r.newPersona("Ana", "ana@example.net", "customer")
	other := r.client()
	do(t, other, "POST", r.lan.URL+"/api/login", `{"email":"ana@example.net","password":"`+pw+`"}`)

	known := do(t, http.DefaultClient, "POST", r.lan.URL+"/api/password/forgot", `{"email":"ana@example.net"}`)
	unknown := do(t, http.DefaultClient, "POST", r.lan.URL+"/api/password/forgot", `{"email":"nobody@example.net"}`)
	if known.status != 202 || string(known.body) != string(unknown.body) {
		t.Errorf("forgot: known %d %s, unknown %d %s; want the same 202", known.status, known.body, unknown.status, unknown.body)
	}
	tokens := r.waitTokens("ana@example.net", 1)
	if len(tokens) != 1 {
		t.Fatalf("reset links for ana = %d; want 1", len(tokens))
	}
	fresh := r.client()
	if res := do(t, fresh, "POST", r.lan.URL+"/api/password/set", `{"token":"`+tokens[0]+`","password":"brand new password"}`); res.status != 200 {
		t.Fatalf("reset = %d %s", res.status, res.body)
	}
	for name, c := range map[string]*http.Client{"first browser": ana.client, "second browser": other} {
		if s := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t); s["account"] != nil {
			t.Errorf("%s still logged in after the password changed", name)
		}
	}
	if s := do(t, fresh, "GET", r.lan.URL+"/api/session", "").json(t); s["account"] == nil {
		t.Error("the browser that reset the password is not logged in")
	}
}

func TestProjectsAPI(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	for _, tc := range []struct{ body, field string }{
		{`{"key":"it","name":"IT"}`, ""},
		{`{"key":"IT","name":"Again"}`, "key"},
		{`{"key":"1X","name":"Bad key"}`, "key"},
		{`{"key":"TOOLONGKEY11","name":"Bad key"}`, "key"},
		{`{"key":"OK","name":""}`, "name"},
		{`{"key":"OK","name":"x","channel":"public"}`, "channel"},
		{`{"key":"OK","name":"x","sharing":"everyone"}`, "sharing"},
	} {
		res := do(t, owner, "POST", r.lan.URL+"/api/projects", tc.body)
		if tc.field == "" {
			if res.status != 201 || res.json(t)["key"] != "IT" || res.json(t)["channel"] != "restricted" || res.json(t)["id"] != "1" {
				t.Errorf("create %s = %d %s; want 201, key IT, restricted by default", tc.body, res.status, res.body)
			}
			continue
		}
		fields, _ := res.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		if res.status != 400 || fields[tc.field] == nil {
			t.Errorf("create %s = %d %s; want 400 naming %s", tc.body, res.status, res.body, tc.field)
		}
	}
	res := do(t, owner, "PATCH", r.lan.URL+"/api/projects/1", `{"channel":"open","portalAnnouncement":"**Down** <script>alert(1)</script>"}`)
	p := res.json(t)
	if p["channel"] != "open" || !strings.Contains(fmt.Sprint(p["channelMeaning"]), "Open") ||
		!strings.Contains(fmt.Sprint(p["portalAnnouncementHtml"]), "<strong>Down</strong>") ||
		strings.Contains(fmt.Sprint(p["portalAnnouncementHtml"]), "<script") {
		t.Errorf("PATCH = %s; want open, a meaning, and sanitised HTML", res.body)
	}
	if res := do(t, owner, "PATCH", r.lan.URL+"/api/projects/1", `{"key":"HR"}`); res.status != 400 {
		t.Errorf("changing the key = %d; want 400", res.status)
	}
	for _, path := range []string{"/api/projects/99", "/api/projects/abc", "/api/projects/0"} {
		if res := do(t, owner, "GET", r.lan.URL+path, ""); res.status != 404 {
			t.Errorf("GET %s = %d; want 404", path, res.status)
		}
	}
	// A customer cannot create projects or list them.
	cust := r.newPersona("Cy", "cy@example.net", "customer")
	if res := do(t, cust.client, "POST", r.lan.URL+"/api/projects", `{"key":"CY","name":"Mine"}`); res.status != 403 {
		t.Errorf("customer creates a project = %d; want 403", res.status)
	}
	if res := do(t, cust.client, "GET", r.lan.URL+"/api/projects", ""); res.status != 403 {
		t.Errorf("customer lists projects = %d; want 403", res.status)
	}
	// An agent sees only their projects, and another project is 404 to them.
	agent := r.newPersona("Ivy", "ivy@example.net", "agent")
	do(t, owner, "POST", r.lan.URL+"/api/projects", `{"key":"HR","name":"HR"}`)
	do(t, owner, "PUT", fmt.Sprintf("%s/api/projects/1/agents/%d", r.lan.URL, agent.id), "")
	list := do(t, agent.client, "GET", r.lan.URL+"/api/projects", "")
	if !strings.Contains(string(list.body), `"key":"IT"`) || strings.Contains(string(list.body), `"key":"HR"`) {
		t.Errorf("agent's projects = %s; want IT only", list.body)
	}
	if res := do(t, agent.client, "GET", r.lan.URL+"/api/projects/2", ""); res.status != 404 {
		t.Errorf("agent opens another project = %d; want 404", res.status)
	}
	if res := do(t, agent.client, "PATCH", r.lan.URL+"/api/projects/1", `{"name":"Mine"}`); res.status != 403 {
		t.Errorf("agent edits project settings = %d; want 403", res.status)
	}
}

func TestCustomersAndOrganizations(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	do(t, owner, "POST", r.lan.URL+"/api/projects", `{"key":"IT","name":"IT"}`)
	res := do(t, owner, "POST", r.lan.URL+"/api/projects/1/customers", `{"email":"Ana@Example.NET","name":"Ana"}`)
	if res.status != 201 || res.json(t)["created"] != true {
		t.Fatalf("add customer = %d %s; want 201 created", res.status, res.body)
	}
	if n := len(r.outboxTokens("Ana@example.net")); n != 1 {
		t.Errorf("invite links for Ana = %d; want 1", n)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/projects/1/customers", `{"email":"ana@example.net"}`); res.json(t)["created"] != false {
		t.Errorf("adding Ana again = %s; want created false", res.body)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/projects/1/customers", `{"email":"nope"}`); res.status != 400 {
		t.Errorf("add customer with a bad email = %d; want 400", res.status)
	}
	org := do(t, owner, "POST", r.lan.URL+"/api/organizations", `{"name":"Finance"}`).json(t)
	if res := do(t, owner, "POST", r.lan.URL+"/api/organizations", `{"name":"finance"}`); res.status != 409 {
		t.Errorf("duplicate organization name = %d; want 409", res.status)
	}
	do(t, owner, "POST", fmt.Sprintf("%s/api/organizations/%s/members", r.lan.URL, org["id"]), `{"email":"bob@corp.org"}`)
	do(t, owner, "PUT", fmt.Sprintf("%s/api/projects/1/organizations/%s", r.lan.URL, org["id"]), "")
	do(t, owner, "POST", r.lan.URL+"/api/projects/1/rules", `{"domain":"@Example.net"}`)
	if rule := do(t, owner, "POST", r.lan.URL+"/api/projects/1/rules", fmt.Sprintf(`{"domain":"corp.org","organization":"%s"}`, org["id"])); rule.status != 201 || rule.json(t)["organization"] != org["id"] {
		t.Errorf("rule with an organization = %d %s; want it back with the organization's id as a string", rule.status, rule.body)
	}
	do(t, owner, "DELETE", r.lan.URL+"/api/projects/1/rules/corp.org", "")
	if res := do(t, owner, "PATCH", r.lan.URL+"/api/helpcenter", `{"access":{"signup":false,"anonymous":true}}`); res.status != 400 {
		t.Errorf("anonymous access without signup = %d; want 400", res.status)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/projects/1/customers", `{"email":"bad"}`); res.status != 400 || strings.Contains(string(res.body), `"name"`) {
		t.Errorf("bad email without a name = %d %s; want 400 about the email only", res.status, res.body)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/projects/1/rules", `{"domain":"not a domain"}`); res.status != 400 {
		t.Errorf("bad domain = %d; want 400", res.status)
	}
	list := do(t, owner, "GET", r.lan.URL+"/api/projects/1/customers", "").json(t)
	body := fmt.Sprint(list["customers"])
	if list["total"] != float64(2) || !strings.Contains(body, "direct") || !strings.Contains(body, "domain") || !strings.Contains(body, "Finance") {
		t.Errorf("customers = %v; want Ana (direct and by domain) and Bob (Finance)", list)
	}
	if q := do(t, owner, "GET", r.lan.URL+"/api/projects/1/customers?q=bob", "").json(t); q["total"] != float64(1) {
		t.Errorf("search for bob = %v; want 1", q)
	}
	// Deleting the organization detaches it everywhere.
	if res := do(t, owner, "DELETE", fmt.Sprintf("%s/api/organizations/%s", r.lan.URL, org["id"]), ""); res.status != 204 {
		t.Fatalf("delete organization = %d %s", res.status, res.body)
	}
	if q := do(t, owner, "GET", r.lan.URL+"/api/projects/1/customers?q=bob", "").json(t); q["total"] != float64(0) {
		t.Errorf("bob after his organization was deleted = %v; want not a customer", q)
	}
	// Outbox: admins only.
	cust := r.newPersona("Cy", "cy@example.org", "customer")
	if res := do(t, cust.client, "GET", r.lan.URL+"/api/outbox", ""); res.status != 403 {
		t.Errorf("customer reads the outbox = %d; want 403", res.status)
	}
	if res := do(t, cust.client, "GET", r.lan.URL+"/api/projects/1/customers", ""); res.status != 403 {
		t.Errorf("customer lists customers = %d; want 403", res.status)
	}
}

func TestStaff(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	res := do(t, owner, "POST", r.lan.URL+"/api/staff", `{"email":"ivy@example.org","name":"Ivy","role":"agent"}`)
	if res.status != 201 {
		t.Fatalf("add agent = %d %s", res.status, res.body)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/staff", `{"email":"ivy@example.org","name":"Ivy","role":"agent"}`); res.status != 409 {
		t.Errorf("adding Ivy twice = %d; want 409", res.status)
	}
	if res := do(t, owner, "POST", r.lan.URL+"/api/staff", `{"email":"x@example.org","name":"X","role":"customer"}`); res.status != 400 {
		t.Errorf("adding a customer as staff = %d; want 400", res.status)
	}
	ownerID := do(t, owner, "GET", r.lan.URL+"/api/session", "").json(t)["account"].(map[string]any)["id"]
	if res := do(t, owner, "PATCH", fmt.Sprintf("%s/api/accounts/%s", r.lan.URL, ownerID), `{"active":false}`); res.status != 409 {
		t.Errorf("deactivating the owner = %d; want 409", res.status)
	}
	ivy := r.newPersona("Ivy", "ivy@example.org", "agent") // sets her password through a fresh link
	if res := do(t, ivy.client, "POST", r.lan.URL+"/api/staff", `{"email":"eve@example.org","name":"Eve","role":"admin"}`); res.status != 403 {
		t.Errorf("agent adds an admin = %d; want 403", res.status)
	}
	do(t, owner, "PATCH", fmt.Sprintf("%s/api/accounts/%d", r.lan.URL, ivy.id), `{"active":false}`)
	if s := do(t, ivy.client, "GET", r.lan.URL+"/api/session", "").json(t); s["account"] != nil {
		t.Error("deactivated agent's session still works")
	}
	res = do(t, r.client(), "POST", r.lan.URL+"/api/login", `{"email":"ivy@example.org","password":"`+pw+`"}`)
	if res.status != 403 || !strings.Contains(string(res.body), "deactivated") {
		t.Errorf("deactivated agent logs in = %d %s; want 403 saying so", res.status, res.body)
	}
}

// A session ends at its expiry, over HTTP too: the cookie stops working and
// is cleared.
func TestSessionExpiryOverHTTP(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newRigWith(t, identity.Options{Now: clock, SessionTTL: 24 * time.Hour})
	r.setUpOwner()
	c := r.ownerClient()
	if s := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t); s["account"] == nil {
		t.Fatal("not logged in right after login")
	}
	mu.Lock()
	now = now.Add(24*time.Hour + time.Second)
	mu.Unlock()
	res := do(t, c, "GET", r.lan.URL+"/api/session", "")
	if res.json(t)["account"] != nil {
		t.Errorf("session a day and a second later = %s; want expired", res.body)
	}
	if res := do(t, c, "GET", r.lan.URL+"/api/helpcenter/addresses", ""); res.status != 401 {
		t.Errorf("console call with an expired session = %d; want 401", res.status)
	}
}
