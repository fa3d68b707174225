package server_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"portico/backend/access"
)

// jsmToken creates an API token for a logged-in persona.
func jsmToken(t *testing.T, r *rig, c *http.Client, name string) (id, secret string) {
	t.Helper()
	res := do(t, c, "POST", r.lan.URL+"/api/tokens", `{"name":"`+name+`"}`)
	if res.status != 201 {
		t.Fatalf("create token = %d %s", res.status, res.body)
	}
	m := res.json(t)
	return m["token"].(map[string]any)["id"].(string), m["secret"].(string)
}

func basic(email, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+secret))
}

// jsmCall is a script's call: no cookies, an Authorization header if any.
func jsmCall(t *testing.T, r *rig, auth, method, path, body string) response {
	t.Helper()
	hdr := []string{"X-ExperimentalApi", "opt-in", "Accept", "application/json"}
	if auth != "" {
		hdr = append(hdr, "Authorization", auth)
	}
	return do(t, http.DefaultClient, method, r.lan.URL+"/rest/servicedeskapi"+path, body, hdr...)
}

// jsmError checks JSM's error body and returns its message.
func jsmError(t *testing.T, res response, status int) string {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	m := res.json(t)
	msg, _ := m["errorMessage"].(string)
	i18n, _ := m["i18nErrorMessage"].(map[string]any)
	if msg == "" || i18n == nil || i18n["i18nKey"] == "" || i18n["parameters"] == nil {
		t.Fatalf("not a JSM error body: %s", res.body)
	}
	return msg
}

// API tokens: made with a session, used with Basic (email + token) or
// Bearer, refused with another email, after revocation, and to make
// more tokens; passwords are never accepted.
func TestJSMTokens(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	bob := r.customerOf(pid, "Bob", "bob@example.com")
	id, secret := jsmToken(t, r, alice.client, "nightly report")
	if !strings.HasPrefix(secret, "ptk_") {
		t.Fatalf("secret %q", secret)
	}
	list := do(t, alice.client, "GET", r.lan.URL+"/api/tokens", "")
	if list.status != 200 || !strings.Contains(string(list.body), "nightly report") || strings.Contains(string(list.body), secret) {
		t.Fatalf("token list = %d %s", list.status, list.body)
	}
	for name, auth := range map[string]string{"basic": basic("alice@example.com", secret), "basic, other case": basic("ALICE@example.com", secret), "bearer": "Bearer " + secret} {
		if res := jsmCall(t, r, auth, "GET", "/servicedesk", ""); res.status != 200 {
			t.Fatalf("%s = %d %s", name, res.status, res.body)
		}
	}
	for name, auth := range map[string]string{
		"another's email":  basic("bob@example.com", secret),
		"a password":       basic("alice@example.com", "alice password 1"),
		"a mangled token":  "Bearer " + secret + "x",
		"an unknown shape": "Digest abc",
		"bad base64":       "Basic !!!",
	} {
		res := jsmCall(t, r, auth, "GET", "/servicedesk", "")
		jsmError(t, res, 401)
		if res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
	// A token may not mint tokens.
	res := do(t, http.DefaultClient, "POST", r.lan.URL+"/api/tokens", `{"name":"more"}`, "Authorization", "Bearer "+secret)
	if res.status != 403 {
		t.Fatalf("token making a token = %d %s", res.status, res.body)
	}
	// Bob cannot revoke Alice's token; Alice can.
	if res := do(t, bob.client, "DELETE", r.lan.URL+"/api/tokens/"+id, ""); res.status != 404 {
		t.Fatalf("another's revoke = %d %s", res.status, res.body)
	}
	if res := do(t, alice.client, "DELETE", r.lan.URL+"/api/tokens/"+id, ""); res.status != 204 {
		t.Fatalf("revoke = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, "Bearer "+secret, "GET", "/servicedesk", ""), 401)
	if res := do(t, alice.client, "POST", r.lan.URL+"/api/tokens", `{"name":""}`); res.status != 400 {
		t.Fatalf("nameless token = %d %s", res.status, res.body)
	}
}

// The conventions: info without login, the paging envelope and its
// edges, JSM error bodies, unknown endpoints.
func TestJSMConventions(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	for _, k := range []string{"AA", "BB", "CC"} {
		r.project(k, access.Open)
	}
	info := jsmCall(t, r, "", "GET", "/info", "")
	if info.status != 200 {
		t.Fatalf("info = %d %s", info.status, info.body)
	}
	bd, _ := info.json(t)["buildDate"].(map[string]any)
	if bd["iso8601"] == nil || bd["jira"] == nil || bd["friendly"] == nil || bd["epochMillis"] == nil {
		t.Fatalf("info's date: %s", info.body)
	}
	if !strings.HasSuffix(bd["jira"].(string), "+0000") {
		t.Fatalf("jira date %v", bd["jira"])
	}
	_, secret := jsmToken(t, r, r.ownerClient(), "admin script")
	auth := "Bearer " + secret
	page := func(q string) map[string]any {
		t.Helper()
		res := jsmCall(t, r, auth, "GET", "/servicedesk"+q, "")
		if res.status != 200 {
			t.Fatalf("servicedesk%s = %d %s", q, res.status, res.body)
		}
		return res.json(t)
	}
	p := page("?limit=2")
	for _, k := range []string{"_expands", "size", "start", "limit", "isLastPage", "_links", "values"} {
		if _, ok := p[k]; !ok {
			t.Fatalf("envelope lacks %s: %v", k, p)
		}
	}
	if p["size"].(float64) != 2 || p["isLastPage"] != false || p["_links"].(map[string]any)["next"] == nil {
		t.Fatalf("first page of 2: %v", p)
	}
	if id, _ := p["values"].([]any)[0].(map[string]any)["id"].(string); id == "" {
		t.Fatalf("ids are strings: %v", p["values"])
	}
	if p := page("?start=2&limit=2"); p["size"].(float64) != 1 || p["isLastPage"] != true || p["_links"].(map[string]any)["prev"] == nil {
		t.Fatalf("last page: %v", p)
	}
	if p := page("?start=50"); p["size"].(float64) != 0 || p["isLastPage"] != true {
		t.Fatalf("start past the end: %v", p)
	}
	if p := page("?limit=0"); p["limit"].(float64) != 50 {
		t.Fatalf("limit 0: %v", p)
	}
	if p := page("?limit=100000"); p["limit"].(float64) != 100 {
		t.Fatalf("huge limit: %v", p)
	}
	jsmError(t, jsmCall(t, r, auth, "GET", "/servicedesk?start=-1", ""), 400)
	jsmError(t, jsmCall(t, r, auth, "GET", "/servicedesk?limit=x", ""), 400)
	jsmError(t, jsmCall(t, r, auth, "GET", "/servicedesk/999", ""), 404)
	jsmError(t, jsmCall(t, r, auth, "GET", "/servicedesk/abc", ""), 404)
	jsmError(t, jsmCall(t, r, auth, "GET", "/no/such/thing", ""), 404)
	jsmError(t, jsmCall(t, r, auth, "POST", "/request", `{"serviceDeskId":`), 400)
	jsmError(t, jsmCall(t, r, auth, "POST", "/request", `{"serviceDeskId":"1","requestTypeId":[]}`), 400)
	jsmError(t, jsmCall(t, r, auth, "POST", "/request", ``), 400)
}

// A customer's script raises, reads, comments, transitions and follows a
// request through the API; another customer sees none of it.
func TestJSMRequestFlow(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	bob := r.customerOf(pid, "Bob", "bob@example.com")
	_, as := jsmToken(t, r, alice.client, "script")
	_, bs := jsmToken(t, r, bob.client, "script")
	a, b := basic("alice@example.com", as), basic("bob@example.com", bs)

	types := jsmCall(t, r, a, "GET", "/servicedesk/"+pid+"/requesttype?searchQuery=help", "")
	if types.status != 200 || !strings.Contains(string(types.body), `"id":"`+typ+`"`) {
		t.Fatalf("request types = %d %s", types.status, types.body)
	}
	fields := jsmCall(t, r, a, "GET", "/servicedesk/"+pid+"/requesttype/"+typ+"/field", "")
	if fields.status != 200 || !strings.Contains(string(fields.body), `"fieldId":"summary"`) || !strings.Contains(string(fields.body), `"canRaiseOnBehalfOf":false`) {
		t.Fatalf("fields = %d %s", fields.status, fields.body)
	}
	// Ids as strings or numbers, unknown fields ignored.
	res := jsmCall(t, r, a, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":%s,"requestTypeId":"%s","isAdfRequest":false,
		"requestFieldValues":{"summary":"VPN drops every hour","description":"Since **Monday**"}}`, pid, typ))
	if res.status != 201 {
		t.Fatalf("create = %d %s", res.status, res.body)
	}
	cr := res.json(t)
	key, id := cr["issueKey"].(string), cr["issueId"].(string)
	if key != "IT-1" || cr["currentStatus"].(map[string]any)["statusCategory"] != "NEW" || cr["reporter"].(map[string]any)["emailAddress"] != "alice@example.com" {
		t.Fatalf("created %s", res.body)
	}
	if !strings.Contains(fmt.Sprint(cr["requestFieldValues"]), `<strong>Monday</strong>`) {
		t.Fatalf("description not rendered: %s", res.body)
	}
	for _, ref := range []string{key, id} {
		if res := jsmCall(t, r, a, "GET", "/request/"+ref, ""); res.status != 200 || res.json(t)["issueKey"] != key {
			t.Fatalf("get %s = %d %s", ref, res.status, res.body)
		}
	}
	// Expansions, comma-separated or repeated.
	for _, q := range []string{"?expand=participant,status", "?expand=participant&expand=status"} {
		res := jsmCall(t, r, a, "GET", "/request/"+key+q, "")
		m := res.json(t)
		if m["participants"] == nil || m["status"] == nil {
			t.Fatalf("expand %s: %s", q, res.body)
		}
	}
	if res := jsmCall(t, r, a, "POST", "/request/"+key+"/comment", `{"body":"Still dropping","public":true}`); res.status != 201 || res.json(t)["public"] != true {
		t.Fatalf("comment = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, a, "POST", "/request/"+key+"/comment", `{"body":"secret","public":false}`), 403)
	owner := r.ownerClient()
	if res := do(t, owner, "POST", r.lan.URL+"/api/requests/"+key+"/comments", `{"body":"internal: check the firewall","internal":true}`); res.status != 201 {
		t.Fatalf("note = %d %s", res.status, res.body)
	}
	comments := jsmCall(t, r, a, "GET", "/request/"+key+"/comment", "")
	if comments.status != 200 || !strings.Contains(string(comments.body), "Still dropping") || strings.Contains(string(comments.body), "firewall") {
		t.Fatalf("customer's comments = %d %s", comments.status, comments.body)
	}
	list := jsmCall(t, r, a, "GET", "/request?requestOwnership=OWNED_REQUESTS&requestStatus=OPEN_REQUESTS&searchTerm=vpn", "")
	if list.status != 200 || !strings.Contains(string(list.body), key) {
		t.Fatalf("list = %d %s", list.status, list.body)
	}
	jsmError(t, jsmCall(t, r, a, "GET", "/request?requestOwnership=EVERYTHING", ""), 400)
	tr := jsmCall(t, r, a, "GET", "/request/"+key+"/transition", "")
	if tr.status != 200 || !strings.Contains(string(tr.body), `"id":"resolve"`) {
		t.Fatalf("transitions = %d %s", tr.status, tr.body)
	}
	if res := jsmCall(t, r, a, "POST", "/request/"+key+"/transition", `{"id":"resolve","additionalComment":{"body":"Fixed by a reboot"}}`); res.status != 204 {
		t.Fatalf("transition = %d %s", res.status, res.body)
	}
	st := jsmCall(t, r, a, "GET", "/request/"+key+"/status", "")
	vals, _ := st.json(t)["values"].([]any)
	if len(vals) < 2 || vals[0].(map[string]any)["statusCategory"] != "DONE" {
		t.Fatalf("status history = %s", st.body)
	}
	if res := jsmCall(t, r, a, "DELETE", "/request/"+key+"/notification", ""); res.status != 204 {
		t.Fatalf("unsubscribe = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, a, "GET", "/request/"+key+"/notification", ""); res.status != 200 || res.json(t)["subscribed"] != false {
		t.Fatalf("subscription = %d %s", res.status, res.body)
	}

	// Bob: every path to Alice's request is JSM's 404, and lists leave it out.
	for _, p := range []string{"/request/" + key, "/request/" + id, "/request/" + key + "/comment", "/request/" + key + "/status",
		"/request/" + key + "/transition", "/request/" + key + "/participant", "/request/" + key + "/notification"} {
		msg := jsmError(t, jsmCall(t, r, b, "GET", p, ""), 404)
		if strings.Contains(msg, "VPN") {
			t.Fatalf("%s names the request: %s", p, msg)
		}
	}
	jsmError(t, jsmCall(t, r, b, "POST", "/request/"+key+"/comment", `{"body":"hi","public":true}`), 404)
	jsmError(t, jsmCall(t, r, b, "POST", "/request/"+key+"/transition", `{"id":"reopen"}`), 404)
	if res := jsmCall(t, r, b, "GET", "/request", ""); res.status != 200 || strings.Contains(string(res.body), key) {
		t.Fatalf("Bob's list = %d %s", res.status, res.body)
	}
	// Anonymous scripts are asked to authenticate.
	jsmError(t, jsmCall(t, r, "", "GET", "/request/"+key, ""), 401)
	jsmError(t, jsmCall(t, r, "", "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"x"}}`, pid, typ)), 401)
}

// Knowledge base search through the API: JSM's Article shape, highlight
// markers on request, and only what the caller may read.
func TestJSMKnowledgeBase(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("IT", access.Restricted)
	other, _ := r.project("HR", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	r.kbArticle(pid, "Reset a forgotten password", "Open the **account** page.", "published", "")
	r.kbArticle(other, "Password rules for HR", "HR only.", "published", "")
	r.kbArticle(pid, "Password draft", "Not yet.", "draft", "")
	r.kbSync()
	_, secret := jsmToken(t, r, alice.client, "kb")
	a := "Bearer " + secret
	res := jsmCall(t, r, a, "GET", "/knowledgebase/article?query=passwords&highlight=true", "")
	if res.status != 200 {
		t.Fatalf("kb search = %d %s", res.status, res.body)
	}
	vals := res.json(t)["values"].([]any)
	if len(vals) != 1 {
		t.Fatalf("Alice should find exactly her portal's published article: %s", res.body)
	}
	art := vals[0].(map[string]any)
	if !strings.Contains(art["title"].(string), "@@@hl@@@password@@@endhl@@@") || art["content"].(map[string]any)["iframeSrc"] == "" {
		t.Fatalf("article = %v", art)
	}
	res = jsmCall(t, r, a, "GET", "/servicedesk/"+pid+"/knowledgebase/article?query=password&highlight=false", "")
	if strings.Contains(string(res.body), "@@@hl@@@") || !strings.Contains(string(res.body), "Reset a forgotten password") {
		t.Fatalf("without highlight = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, a, "GET", "/servicedesk/"+other+"/knowledgebase/article?query=password", ""), 404)
	jsmError(t, jsmCall(t, r, a, "GET", "/knowledgebase/article", ""), 400)
}

// A desk the caller may not use reads exactly like one that does not
// exist; anonymous scripts are asked to authenticate either way.
func TestJSMDeskRefusalsLeakNothing(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	hr, _ := r.project("HR", access.Restricted)
	it, _ := r.project("IT", access.Restricted)
	alice := r.customerOf(it, "Alice", "alice@example.com")
	_, secret := jsmToken(t, r, alice.client, "x")
	a := "Bearer " + secret
	hidden := jsmError(t, jsmCall(t, r, a, "GET", "/servicedesk/"+hr, ""), 404)
	missing := jsmError(t, jsmCall(t, r, a, "GET", "/servicedesk/424242", ""), 404)
	if strings.ReplaceAll(hidden, hr, "N") != strings.ReplaceAll(missing, "424242", "N") {
		t.Fatalf("a hidden desk (%q) reads differently from a missing one (%q)", hidden, missing)
	}
	for _, p := range []string{"/servicedesk/" + hr + "/requesttype", "/servicedesk/" + hr + "/requesttypegroup"} {
		jsmError(t, jsmCall(t, r, a, "GET", p, ""), 404)
	}
	if res := jsmCall(t, r, a, "GET", "/servicedesk/"+it, ""); res.status != 200 {
		t.Fatalf("her own desk = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, "", "GET", "/servicedesk/"+hr, ""), 401)
	jsmError(t, jsmCall(t, r, "", "GET", "/servicedesk/424242", ""), 401)
}

// Participants and organizations through the API: who is added can see
// the request, who is removed cannot; organizations are seen by their
// members and the staff who manage them.
func TestJSMParticipantsAndOrganizations(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	bob := r.customerOf(pid, "Bob", "bob@example.com")
	_, ownerSecret := jsmToken(t, r, r.ownerClient(), "admin")
	_, as := jsmToken(t, r, alice.client, "a")
	_, bs := jsmToken(t, r, bob.client, "b")
	o, a, b := "Bearer "+ownerSecret, "Bearer "+as, "Bearer "+bs
	res := jsmCall(t, r, a, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"Printer jam"}}`, pid, typ))
	if res.status != 201 {
		t.Fatalf("create = %d %s", res.status, res.body)
	}
	key := res.json(t)["issueKey"].(string)
	jsmError(t, jsmCall(t, r, b, "GET", "/request/"+key, ""), 404)
	res = jsmCall(t, r, o, "POST", "/request/"+key+"/participant", fmt.Sprintf(`{"accountIds":["%d"]}`, bob.id))
	if res.status != 200 || !strings.Contains(string(res.body), `"displayName":"Bob"`) {
		t.Fatalf("add participant = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, b, "GET", "/request/"+key, ""); res.status != 200 {
		t.Fatalf("Bob as participant = %d %s", res.status, res.body)
	}
	res = jsmCall(t, r, o, "DELETE", "/request/"+key+"/participant", `{"usernames":["bob@example.com"]}`)
	if res.status != 200 || strings.Contains(string(res.body), "Bob") {
		t.Fatalf("remove participant = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, b, "GET", "/request/"+key, ""), 404)
	jsmError(t, jsmCall(t, r, o, "POST", "/request/"+key+"/participant", `{"accountIds":["not-an-id"]}`), 400)
	jsmError(t, jsmCall(t, r, o, "POST", "/request/"+key+"/participant", `{}`), 400)

	jsmError(t, jsmCall(t, r, a, "POST", "/organization", `{"name":"Sneaky"}`), 403)
	res = jsmCall(t, r, o, "POST", "/organization", `{"name":"Acme"}`)
	if res.status != 201 {
		t.Fatalf("create org = %d %s", res.status, res.body)
	}
	org := res.json(t)["id"].(string)
	if res := jsmCall(t, r, o, "POST", "/organization/"+org+"/user", fmt.Sprintf(`{"accountIds":["%d"]}`, alice.id)); res.status != 204 {
		t.Fatalf("add member = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, a, "GET", "/organization", ""); !strings.Contains(string(res.body), `"name":"Acme"`) {
		t.Fatalf("Alice's organizations = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, b, "GET", "/organization", ""); res.status != 200 || strings.Contains(string(res.body), "Acme") {
		t.Fatalf("Bob's organizations = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, b, "GET", "/organization/"+org, ""), 404)
	jsmError(t, jsmCall(t, r, a, "GET", "/organization?accountId="+fmt.Sprint(alice.id), ""), 403)
	if res := jsmCall(t, r, o, "GET", "/organization?accountId="+fmt.Sprint(alice.id), ""); !strings.Contains(string(res.body), "Acme") {
		t.Fatalf("staff filtering by member = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, o, "GET", "/organization/"+org+"/user", ""); res.status != 200 || !strings.Contains(string(res.body), "alice@example.com") {
		t.Fatalf("members = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, o, "DELETE", "/organization/"+org+"/user", fmt.Sprintf(`{"accountIds":["%d"]}`, alice.id)); res.status != 204 {
		t.Fatalf("remove member = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, a, "GET", "/organization", ""); strings.Contains(string(res.body), "Acme") {
		t.Fatalf("Alice still sees the organization she left: %s", res.body)
	}
	if res := jsmCall(t, r, o, "DELETE", "/organization/"+org, ""); res.status != 204 {
		t.Fatalf("delete org = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, o, "GET", "/organization/"+org, ""), 404)
}

// Customers and a desk's organizations through the API: admins create
// customers (who get a set-password link), staff add and remove them and
// attach organizations; customers are told the desk's lists do not exist.
func TestJSMCustomers(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	_, ownerSecret := jsmToken(t, r, r.ownerClient(), "admin")
	_, as := jsmToken(t, r, alice.client, "a")
	o, a := "Bearer "+ownerSecret, "Bearer "+as

	res := jsmCall(t, r, o, "POST", "/customer", `{"email":"dan@example.com","displayName":"Dan"}`)
	if res.status != 201 || res.json(t)["emailAddress"] != "dan@example.com" {
		t.Fatalf("create customer = %d %s", res.status, res.body)
	}
	dan := res.json(t)["accountId"].(string)
	jsmError(t, jsmCall(t, r, o, "POST", "/customer", `{"email":"dan@example.com","displayName":"Dan"}`), 400)
	jsmError(t, jsmCall(t, r, o, "POST", "/customer?strictConflictStatusCode=true", `{"email":"dan@example.com","displayName":"Dan"}`), 409)
	jsmError(t, jsmCall(t, r, a, "POST", "/customer", `{"email":"eve@example.com","displayName":"Eve"}`), 403)
	if out := do(t, r.ownerClient(), "GET", r.lan.URL+"/api/outbox", ""); !strings.Contains(string(out.body), "dan@example.com") {
		t.Fatalf("no set-password link waiting for the new customer: %s", out.body)
	}

	if res := jsmCall(t, r, o, "POST", "/servicedesk/"+pid+"/customer", `{"accountIds":["`+dan+`"]}`); res.status != 204 {
		t.Fatalf("add customer = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, o, "POST", "/servicedesk/"+pid+"/customer", `{"accountIds":["`+dan+`"]}`); res.status != 204 {
		t.Fatalf("adding again = %d %s", res.status, res.body)
	}
	list := jsmCall(t, r, o, "GET", "/servicedesk/"+pid+"/customer?query=dan", "")
	if list.status != 200 || !strings.Contains(string(list.body), "dan@example.com") || strings.Contains(string(list.body), "alice@") {
		t.Fatalf("customers matching dan = %d %s", list.status, list.body)
	}
	jsmError(t, jsmCall(t, r, a, "GET", "/servicedesk/"+pid+"/customer", ""), 404)
	jsmError(t, jsmCall(t, r, a, "POST", "/servicedesk/"+pid+"/customer", `{"accountIds":["`+dan+`"]}`), 404)
	if res := jsmCall(t, r, o, "DELETE", "/servicedesk/"+pid+"/customer", `{"accountIds":["`+dan+`"]}`); res.status != 204 {
		t.Fatalf("remove customer = %d %s", res.status, res.body)
	}
	if list := jsmCall(t, r, o, "GET", "/servicedesk/"+pid+"/customer", ""); strings.Contains(string(list.body), "dan@example.com") {
		t.Fatalf("removed customer still listed: %s", list.body)
	}
	jsmError(t, jsmCall(t, r, o, "POST", "/servicedesk/"+pid+"/customer", `{"accountIds":["999999"]}`), 400)

	org := jsmCall(t, r, o, "POST", "/organization", `{"name":"Acme"}`).json(t)["id"].(string)
	for _, body := range []string{`{"organizationId":` + org + `}`, `{"organizationId":"` + org + `"}`} {
		if res := jsmCall(t, r, o, "POST", "/servicedesk/"+pid+"/organization", body); res.status != 204 {
			t.Fatalf("attach %s = %d %s", body, res.status, res.body)
		}
	}
	if res := jsmCall(t, r, o, "GET", "/servicedesk/"+pid+"/organization", ""); !strings.Contains(string(res.body), `"name":"Acme"`) {
		t.Fatalf("desk's organizations = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, a, "GET", "/servicedesk/"+pid+"/organization", ""), 404)
	if res := jsmCall(t, r, o, "DELETE", "/servicedesk/"+pid+"/organization", `{"organizationId":"`+org+`"}`); res.status != 204 {
		t.Fatalf("detach = %d %s", res.status, res.body)
	}
	if res := jsmCall(t, r, o, "GET", "/servicedesk/"+pid+"/organization", ""); strings.Contains(string(res.body), "Acme") {
		t.Fatalf("detached organization still listed: %s", res.body)
	}
}

// Attachments as JSM clients send them: a temporary upload with the XSRF
// header, then attached with a comment; another customer can neither
// attach to nor list the request's files.
func TestJSMAttachments(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	bob := r.customerOf(pid, "Bob", "bob@example.com")
	_, as := jsmToken(t, r, alice.client, "a")
	_, bs := jsmToken(t, r, bob.client, "b")
	a, b := "Bearer "+as, "Bearer "+bs
	key := jsmCall(t, r, a, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"Screen flickers"}}`, pid, typ)).json(t)["issueKey"].(string)

	upload := func(auth string, xsrf bool) response {
		t.Helper()
		var buf strings.Builder
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "flicker.txt")
		fw.Write([]byte("it flickers at 60 Hz"))
		mw.Close()
		hdr := []string{"Authorization", auth, "Content-Type", mw.FormDataContentType()}
		if xsrf {
			hdr = append(hdr, "X-Atlassian-Token", "no-check")
		}
		req, _ := http.NewRequest("POST", r.lan.URL+"/rest/servicedeskapi/servicedesk/"+pid+"/attachTemporaryFile", strings.NewReader(buf.String()))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return response{res.StatusCode, res.Header, body}
	}
	jsmError(t, upload(a, false), 403)
	res := upload(a, true)
	if res.status != 201 {
		t.Fatalf("temporary file = %d %s", res.status, res.body)
	}
	tmp := res.json(t)["temporaryAttachments"].([]any)[0].(map[string]any)["temporaryAttachmentId"].(string)
	// Bob cannot attach Alice's upload to anything, nor reach her request.
	jsmError(t, jsmCall(t, r, b, "POST", "/request/"+key+"/attachment", `{"temporaryAttachmentIds":["`+tmp+`"],"public":true}`), 404)
	res = jsmCall(t, r, a, "POST", "/request/"+key+"/attachment", `{"temporaryAttachmentIds":["`+tmp+`"],"public":true,"additionalComment":{"body":"Here is what I see"}}`)
	if res.status != 201 || !strings.Contains(string(res.body), "flicker.txt") || !strings.Contains(string(res.body), "Here is what I see") {
		t.Fatalf("attach = %d %s", res.status, res.body)
	}
	list := jsmCall(t, r, a, "GET", "/request/"+key+"/attachment", "")
	if list.status != 200 || !strings.Contains(string(list.body), `"filename":"flicker.txt"`) {
		t.Fatalf("attachments = %d %s", list.status, list.body)
	}
	jsmError(t, jsmCall(t, r, b, "GET", "/request/"+key+"/attachment", ""), 404)
	att := list.json(t)["values"].([]any)[0].(map[string]any)
	content := att["_links"].(map[string]any)["content"].(string)
	path := content[strings.Index(content, "/rest/servicedeskapi")+len("/rest/servicedeskapi"):]
	if res := jsmCall(t, r, a, "GET", path, ""); res.status != 200 || string(res.body) != "it flickers at 60 Hz" ||
		!strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("content = %d %v %s", res.status, res.header, res.body)
	}
	jsmError(t, jsmCall(t, r, b, "GET", path, ""), 404)
	// The same file through another request of Alice's is not found there.
	other := jsmCall(t, r, a, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"Other"}}`, pid, typ)).json(t)["issueKey"].(string)
	attID := path[strings.LastIndex(path, "/")+1:]
	jsmError(t, jsmCall(t, r, a, "GET", "/request/"+other+"/attachment/"+attID, ""), 404)
	comments := jsmCall(t, r, a, "GET", "/request/"+key+"/comment", "").json(t)["values"].([]any)
	cid := comments[len(comments)-1].(map[string]any)["id"].(string)
	if res := jsmCall(t, r, a, "GET", "/request/"+key+"/comment/"+cid, ""); res.status != 200 || !strings.Contains(string(res.body), "Here is what I see") {
		t.Fatalf("one comment = %d %s", res.status, res.body)
	}
	jsmError(t, jsmCall(t, r, b, "GET", "/request/"+key+"/comment/"+cid, ""), 404)
	jsmError(t, jsmCall(t, r, a, "GET", "/request/"+key+"/comment/9999", ""), 404)
	// An id that is not a temporary upload of the caller's.
	jsmError(t, jsmCall(t, r, a, "POST", "/request/"+key+"/attachment", `{"temporaryAttachmentIds":["`+tmp+`"],"public":true}`), 400)
}

// The Step 3 IDOR sweep on the API's paths: a customer of the same portal,
// a customer of another portal and an agent of another project call every
// request endpoint of the API on someone else's request, by id and by
// key. Every answer is a 404 (never a 403 or a 5xx), no body names the
// request, and the request is unchanged afterwards.
func TestJSMRequestIDORSweep(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	hr, _ := r.project("HR", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	mallory := r.customerOf(pid, "Mallory", "mallory@example.com")
	carl := r.customerOf(hr, "Carl", "carl@example.com")
	hank := r.rqAgent(r.ownerClient(), "Hank", "hank@example.com", mustID(t, hr))
	_, as := jsmToken(t, r, alice.client, "a")
	a := "Bearer " + as
	created := jsmCall(t, r, a, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"Quarterly salary spreadsheet","description":"confidential figures"}}`, pid, typ)).json(t)
	key, id := created["issueKey"].(string), created["issueId"].(string)
	if res := jsmCall(t, r, a, "POST", "/request/"+key+"/comment", `{"body":"the secret appendix","public":true}`); res.status != 201 {
		t.Fatalf("comment = %d %s", res.status, res.body)
	}
	before := jsmCall(t, r, a, "GET", "/request/"+key+"?expand=participant,status,comment", "").body

	type call struct{ method, path, body string }
	calls := func(ref string) []call {
		return []call{
			{"GET", "/request/" + ref, ""},
			{"GET", "/request/" + ref + "?expand=comment,participant,status,serviceDesk,action", ""},
			{"GET", "/request/" + ref + "/comment", ""},
			{"POST", "/request/" + ref + "/comment", `{"body":"pwned","public":true}`},
			{"GET", "/request/" + ref + "/status", ""},
			{"GET", "/request/" + ref + "/transition", ""},
			{"POST", "/request/" + ref + "/transition", `{"id":"resolve"}`},
			{"GET", "/request/" + ref + "/participant", ""},
			{"POST", "/request/" + ref + "/participant", `{"accountIds":["` + fmt.Sprint(mallory.id) + `"]}`},
			{"DELETE", "/request/" + ref + "/participant", `{"accountIds":["` + fmt.Sprint(alice.id) + `"]}`},
			{"GET", "/request/" + ref + "/notification", ""},
			{"PUT", "/request/" + ref + "/notification", ""},
			{"DELETE", "/request/" + ref + "/notification", ""},
			{"GET", "/request/" + ref + "/attachment", ""},
			{"POST", "/request/" + ref + "/attachment", `{"temporaryAttachmentIds":["1"],"public":true}`},
		}
	}
	for _, p := range []persona{mallory, carl, hank} {
		_, secret := jsmToken(t, r, p.client, "sweep")
		auth := "Bearer " + secret
		for _, ref := range []string{key, id} {
			for _, c := range calls(ref) {
				res := jsmCall(t, r, auth, c.method, c.path, c.body)
				if res.status != 404 {
					t.Errorf("%s: %s %s = %d %s", p.name, c.method, c.path, res.status, res.body)
					continue
				}
				body := strings.ToLower(string(res.body))
				for _, secretWord := range []string{"salary", "confidential", "appendix", "alice"} {
					if strings.Contains(body, secretWord) {
						t.Errorf("%s: %s %s names %q: %s", p.name, c.method, c.path, secretWord, res.body)
					}
				}
			}
		}
		for _, q := range []string{"", "?searchTerm=salary", "?requestOwnership=ALL_REQUESTS&requestStatus=ALL_REQUESTS", "?serviceDeskId=" + pid} {
			res := jsmCall(t, r, auth, "GET", "/request"+q, "")
			if res.status != 200 && res.status != 404 || strings.Contains(string(res.body), key) {
				t.Errorf("%s: list %s = %d %s", p.name, q, res.status, res.body)
			}
		}
		if res := jsmCall(t, r, auth, "GET", "/knowledgebase/article?query=salary", ""); res.status >= 500 {
			t.Errorf("%s: kb search = %d", p.name, res.status)
		}
	}
	after := jsmCall(t, r, a, "GET", "/request/"+key+"?expand=participant,status,comment", "").body
	if string(before) != string(after) {
		t.Fatalf("the request changed under the sweep:\nbefore %s\nafter  %s", before, after)
	}
}

// Bad bodies on every API endpoint that takes one: a JSM error and a 4xx,
// never a 5xx, and nothing stored.
func TestJSMBadBodies(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	_, secret := jsmToken(t, r, r.ownerClient(), "admin")
	o := "Bearer " + secret
	key := jsmCall(t, r, o, "POST", "/request", fmt.Sprintf(`{"serviceDeskId":"%s","requestTypeId":"%s","requestFieldValues":{"summary":"Keep me"}}`, pid, typ)).json(t)["issueKey"].(string)
	org := jsmCall(t, r, o, "POST", "/organization", `{"name":"Acme"}`).json(t)["id"].(string)
	before := jsmCall(t, r, o, "GET", "/request/"+key+"?expand=participant,comment,status", "").body
	endpoints := []struct{ method, path string }{
		{"POST", "/request"}, {"POST", "/request/" + key + "/comment"}, {"POST", "/request/" + key + "/transition"},
		{"POST", "/request/" + key + "/participant"}, {"DELETE", "/request/" + key + "/participant"},
		{"POST", "/request/" + key + "/attachment"}, {"POST", "/organization"}, {"POST", "/organization/" + org + "/user"},
		{"DELETE", "/organization/" + org + "/user"}, {"POST", "/customer"}, {"POST", "/servicedesk/" + pid + "/customer"},
		{"DELETE", "/servicedesk/" + pid + "/customer"}, {"POST", "/servicedesk/" + pid + "/organization"},
		{"DELETE", "/servicedesk/" + pid + "/organization"},
	}
	bodies := []string{``, `{`, `[]`, `"text"`, `{"accountIds":"x","usernames":7,"id":[],"body":{},"name":false,"email":1,"organizationId":{},"temporaryAttachmentIds":"x","serviceDeskId":{},"requestFieldValues":[]}`,
		`{"accountIds":[],"id":"","body":"","name":"","email":"not an email","organizationId":"x","temporaryAttachmentIds":[],"serviceDeskId":"0"}`}
	for _, e := range endpoints {
		for _, b := range bodies {
			res := jsmCall(t, r, o, e.method, e.path, b)
			if res.status < 400 || res.status >= 500 {
				t.Errorf("%s %s with %q = %d %s", e.method, e.path, b, res.status, res.body)
				continue
			}
			jsmError(t, res, res.status)
		}
	}
	if after := jsmCall(t, r, o, "GET", "/request/"+key+"?expand=participant,comment,status", "").body; string(after) != string(before) {
		t.Fatalf("bad bodies changed the request:\nbefore %s\nafter  %s", before, after)
	}
	if res := jsmCall(t, r, o, "GET", "/organization/"+org+"/user", ""); !strings.Contains(string(res.body), `"size":0`) {
		t.Fatalf("bad bodies changed the organization: %s", res.body)
	}
}
