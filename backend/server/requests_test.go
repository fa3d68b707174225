package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// project creates a service project as the owner and returns its id and
// the id of its first request type.
func (r *rig) project(key string, ch access.Channel) (string, string) {
	r.t.Helper()
	name := key + " desk"
	p, err := r.b.HelpCenter.CreateProject(context.Background(), r.adminFacts(), helpcenter.ProjectInput{Key: &key, Name: &name, Channel: &ch})
	if err != nil {
		r.t.Fatal(err)
	}
	pid := fmt.Sprint(p.ID)
	res := do(r.t, r.ownerClient(), "GET", r.lan.URL+"/api/projects/"+pid+"/request-types", "")
	if res.status != 200 {
		r.t.Fatalf("request types = %d %s", res.status, res.body)
	}
	types := res.json(r.t)["types"].([]any)
	return pid, types[0].(map[string]any)["id"].(string)
}

func (r *rig) customerOf(pid, name, email string) persona {
	r.t.Helper()
	p := r.newPersona(name, email, identity.Customer)
	if res := do(r.t, r.ownerClient(), "POST", r.lan.URL+"/api/projects/"+pid+"/customers", `{"email":"`+email+`"}`); res.status != 201 {
		r.t.Fatalf("add customer = %d %s", res.status, res.body)
	}
	return p
}

func raiseBody(typeID, summary, description string) string {
	b, _ := json.Marshal(map[string]any{"typeId": typeID, "fields": map[string]any{"summary": summary, "description": description}})
	return string(b)
}

func (r *rig) raise(c *http.Client, pid, typeID, summary string) map[string]any {
	r.t.Helper()
	res := do(r.t, c, "POST", r.lan.URL+"/api/portals/"+pid+"/requests", raiseBody(typeID, summary, "Details of "+summary))
	if res.status != 201 {
		r.t.Fatalf("raise = %d %s", res.status, res.body)
	}
	return res.json(r.t)
}

func activityBodies(m map[string]any) string {
	var sb strings.Builder
	for _, a := range m["activity"].([]any) {
		e := a.(map[string]any)
		fmt.Fprintf(&sb, "%v|%v|%v\n", e["kind"], e["html"], e["text"])
	}
	return sb.String()
}

// A customer raises, an agent replies and notes, the customer resolves
// from the portal without the comment agents must give, and reopens.
func TestRaiseReplyResolve(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	owner := r.ownerClient()
	base := r.lan.URL + "/api"

	res := do(t, alice.client, "GET", base+"/portals/"+pid+"/request-types", "")
	if res.status != 200 || len(res.json(t)["types"].([]any)) != 2 || len(res.json(t)["groups"].([]any)) != 1 {
		t.Fatalf("portal types = %d %s", res.status, res.body)
	}
	// A missing summary is refused field by field.
	res = do(t, alice.client, "POST", base+"/portals/"+pid+"/requests", raiseBody(typ, "", "x"))
	if res.status != 400 || !strings.Contains(string(res.body), `"summary"`) {
		t.Fatalf("raise without summary = %d %s", res.status, res.body)
	}
	req := r.raise(alice.client, pid, typ, "Printer on fire")
	key := req["key"].(string)
	if key != "IT-1" || req["status"].(map[string]any)["name"] != "Waiting for support" {
		t.Fatalf("raised %v %v", key, req["status"])
	}
	if res := do(t, alice.client, "POST", base+"/requests/"+key+"/comments", `{"body":"**Still** burning"}`); res.status != 201 {
		t.Fatalf("customer comment = %d %s", res.status, res.body)
	}
	if res := do(t, owner, "POST", base+"/requests/"+key+"/comments", `{"body":"Try water"}`); res.status != 201 {
		t.Fatalf("reply = %d %s", res.status, res.body)
	}
	if res := do(t, owner, "POST", base+"/requests/"+key+"/comments", `{"body":"internal: call the fire brigade","internal":true}`); res.status != 201 {
		t.Fatalf("note = %d %s", res.status, res.body)
	}
	if res := do(t, alice.client, "POST", base+"/requests/"+key+"/comments", `{"body":"sneaky","internal":true}`); res.status != 403 {
		t.Fatalf("customer internal note = %d %s", res.status, res.body)
	}
	seen := do(t, alice.client, "GET", base+"/requests/"+key, "")
	acts := activityBodies(seen.json(t))
	if !strings.Contains(acts, "Try water") || !strings.Contains(acts, "<strong>Still</strong>") || strings.Contains(string(seen.body), "fire brigade") {
		t.Fatalf("customer sees:\n%s", seen.body)
	}
	staffView := do(t, owner, "GET", base+"/requests/"+key, "")
	if !strings.Contains(string(staffView.body), "fire brigade") {
		t.Fatalf("staff do not see the note: %s", staffView.body)
	}
	// Agents must comment to resolve; the portal skips that validator.
	if res := do(t, owner, "POST", base+"/requests/"+key+"/transitions", `{"transitionId":"resolve"}`); res.status != 400 || !strings.Contains(string(res.body), `"comment"`) {
		t.Fatalf("agent resolve without comment = %d %s", res.status, res.body)
	}
	transitions := fmt.Sprint(seen.json(t)["transitions"])
	if !strings.Contains(transitions, "resolve") || strings.Contains(transitions, "start") {
		t.Fatalf("customer transitions = %s", transitions)
	}
	if res := do(t, alice.client, "POST", base+"/requests/"+key+"/transitions", `{"transitionId":"start"}`); res.status != 409 {
		t.Fatalf("customer using an agent transition = %d %s", res.status, res.body)
	}
	res = do(t, alice.client, "POST", base+"/requests/"+key+"/transitions", `{"transitionId":"resolve"}`)
	if res.status != 200 || res.json(t)["resolution"] != "Done" || res.json(t)["status"].(map[string]any)["category"] != "done" {
		t.Fatalf("portal resolve = %d %s", res.status, res.body)
	}
	// Resolved: out of the open list, in the closed one.
	if res := do(t, alice.client, "GET", base+"/requests", ""); len(res.json(t)["values"].([]any)) != 0 {
		t.Fatalf("open list after resolve: %s", res.body)
	}
	if res := do(t, alice.client, "GET", base+"/requests?status=closed", ""); len(res.json(t)["values"].([]any)) != 1 {
		t.Fatalf("closed list: %s", res.body)
	}
	res = do(t, alice.client, "POST", base+"/requests/"+key+"/transitions", `{"transitionId":"reopen"}`)
	if res.status != 200 || res.json(t)["resolution"] != "" {
		t.Fatalf("reopen = %d %s", res.status, res.body)
	}
	res = do(t, owner, "POST", base+"/requests/"+key+"/transitions", `{"transitionId":"resolve","comment":"Put out."}`)
	if res.status != 200 || !strings.Contains(activityBodies(res.json(t)), "Put out.") {
		t.Fatalf("agent resolve with comment = %d %s", res.status, res.body)
	}
}

// Waiting for the customer: their reply hands the request back.
func TestCustomerReplyEndsWaiting(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("HR", access.Restricted)
	bob := r.customerOf(pid, "Bob", "bob@example.com")
	owner := r.ownerClient()
	key := r.raise(bob.client, pid, typ, "Payslip missing")["key"].(string)
	res := do(t, owner, "POST", r.lan.URL+"/api/requests/"+key+"/transitions", `{"transitionId":"wait"}`)
	if res.status != 200 || res.json(t)["status"].(map[string]any)["id"] != "waiting_customer" {
		t.Fatalf("wait = %d %s", res.status, res.body)
	}
	if c := do(t, bob.client, "GET", r.lan.URL+"/api/requests/"+key, "").json(t)["status"].(map[string]any)["name"]; c != "Waiting for your reply" {
		t.Fatalf("customer-facing status = %v", c)
	}
	queues := do(t, owner, "GET", r.lan.URL+"/api/projects/"+pid+"/queues", "")
	if !strings.Contains(string(queues.body), `"id":"waiting","name":"Waiting for customer","count":1`) {
		t.Fatalf("queues = %s", queues.body)
	}
	do(t, bob.client, "POST", r.lan.URL+"/api/requests/"+key+"/comments", `{"body":"Here it is"}`)
	if st := do(t, owner, "GET", r.lan.URL+"/api/requests/"+key, "").json(t)["status"].(map[string]any)["id"]; st != "waiting_support" {
		t.Fatalf("after the customer's reply: %v", st)
	}
	queues = do(t, owner, "GET", r.lan.URL+"/api/projects/"+pid+"/queues", "")
	if !strings.Contains(string(queues.body), `"id":"waiting","name":"Waiting for customer","count":0`) ||
		!strings.Contains(string(queues.body), `"id":"unassigned","name":"Unassigned","count":1`) {
		t.Fatalf("queues after reply = %s", queues.body)
	}
}

// Queues: counts, assignment, paging, text and key search.
func TestAgentQueues(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("OPS", access.Restricted)
	cara := r.customerOf(pid, "Cara", "cara@example.com")
	owner := r.ownerClient()
	base := r.lan.URL + "/api"
	var keys []string
	for i := range 7 {
		keys = append(keys, r.raise(cara.client, pid, typ, fmt.Sprintf("Laptop %d needs a new battery", i))["key"].(string))
	}
	r.raise(cara.client, pid, typ, "VPN keeps dropping")
	me := do(t, owner, "GET", base+"/session", "").json(t)["account"].(map[string]any)["id"].(string)
	if res := do(t, owner, "POST", base+"/requests/"+keys[0]+"/assign", `{"accountId":"`+me+`"}`); res.status != 200 {
		t.Fatalf("assign = %d %s", res.status, res.body)
	}
	if res := do(t, owner, "POST", base+"/requests/"+keys[0]+"/assign", `{"accountId":"`+fmt.Sprint(cara.id)+`"}`); res.status != 400 {
		t.Fatalf("assign to a customer = %d %s", res.status, res.body)
	}
	count := func(q string) float64 {
		for _, x := range do(t, owner, "GET", base+"/projects/"+pid+"/queues", "").json(t)["queues"].([]any) {
			if m := x.(map[string]any); m["id"] == q {
				return m["count"].(float64)
			}
		}
		t.Fatalf("no queue %s", q)
		return 0
	}
	if count("open") != 8 || count("unassigned") != 7 || count("mine") != 1 || count("resolved") != 0 {
		t.Fatalf("counts open=%v unassigned=%v mine=%v", count("open"), count("unassigned"), count("mine"))
	}
	page := do(t, owner, "GET", base+"/projects/"+pid+"/requests?queue=open&limit=3", "").json(t)
	vals := page["values"].([]any)
	if len(vals) != 3 || page["isLastPage"] != false || page["total"].(float64) != 8 || vals[0].(map[string]any)["key"] != keys[0] {
		// keys[0] was assigned last, so it has the newest activity.
		t.Fatalf("first page = %v", page)
	}
	page = do(t, owner, "GET", base+"/projects/"+pid+"/requests?queue=open&limit=3&start=6", "").json(t)
	if len(page["values"].([]any)) != 2 || page["isLastPage"] != true {
		t.Fatalf("last page = %v", page)
	}
	page = do(t, owner, "GET", base+"/projects/"+pid+"/requests?queue=open&sort=created&limit=1", "").json(t)
	if page["values"].([]any)[0].(map[string]any)["key"] != "OPS-1" {
		t.Fatalf("oldest first = %v", page)
	}
	if err := r.b.Index.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	page = do(t, owner, "GET", base+"/projects/"+pid+"/requests?queue=open&q=vpn", "").json(t)
	if v := page["values"].([]any); len(v) != 1 || !strings.Contains(v[0].(map[string]any)["summary"].(string), "VPN") {
		t.Fatalf("text search = %v", page)
	}
	page = do(t, owner, "GET", base+"/projects/"+pid+"/requests?q=OPS-3", "").json(t)
	if v := page["values"].([]any); len(v) != 1 || v[0].(map[string]any)["key"] != "OPS-3" {
		t.Fatalf("key search = %v", page)
	}
	// The customer's own search goes through the same index.
	list := do(t, cara.client, "GET", base+"/requests?q=battery&limit=50", "").json(t)
	if len(list["values"].([]any)) != 7 {
		t.Fatalf("customer search = %v", list)
	}
	// Customers do not reach the queues.
	if res := do(t, cara.client, "GET", base+"/projects/"+pid+"/queues", ""); res.status != 403 {
		t.Fatalf("customer queues = %d", res.status)
	}
}

// Bad input gets a 4xx and a message, and nothing is stored.
func TestRequestBadInput(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("BAD", access.Restricted)
	dan := r.customerOf(pid, "Dan", "dan@example.com")
	owner := r.ownerClient()
	base := r.lan.URL + "/api"
	// A type with every kind of field.
	tres := do(t, owner, "POST", base+"/projects/"+pid+"/request-types", `{"name":"Everything","groupIds":[],"fields":[
		{"id":"summary","kind":"summary","label":"Summary","required":true},
		{"id":"size","kind":"number","label":"Size","required":true},
		{"id":"colour","kind":"select","label":"Colour","options":["red","blue"]},
		{"id":"when","kind":"date","label":"When"},
		{"id":"ok","kind":"checkbox","label":"I agree","required":true},
		{"id":"prio","kind":"text","label":"Priority","hidden":true,"preset":"high"}]}`)
	if tres.status != 201 {
		t.Fatalf("create type = %d %s", tres.status, tres.body)
	}
	full := tres.json(t)["id"].(string)
	// Not in a group: hidden from the portal, refused to customers.
	if res := do(t, dan.client, "GET", base+"/portals/"+pid+"/request-types/"+full, ""); res.status != 404 {
		t.Fatalf("form of an ungrouped type = %d %s", res.status, res.body)
	}
	groups := do(t, owner, "GET", base+"/projects/"+pid+"/request-types", "").json(t)["groups"].([]any)
	gid := groups[0].(map[string]any)["id"].(string)
	if res := do(t, owner, "PATCH", base+"/request-types/"+full, `{"groupIds":["`+gid+`"]}`); res.status != 200 {
		t.Fatalf("group it = %d %s", res.status, res.body)
	}
	form := do(t, dan.client, "GET", base+"/portals/"+pid+"/request-types/"+full, "")
	if form.status != 200 || strings.Contains(string(form.body), "prio") {
		t.Fatalf("customer form shows the hidden field: %s", form.body)
	}
	cases := []struct{ name, body, field string }{
		{"unknown type", `{"typeId":"999","fields":{"summary":"x"}}`, "typeId"},
		{"type of another portal", `{"typeId":"abc","fields":{}}`, ""},
		{"number as text", `{"typeId":"` + full + `","fields":{"summary":"x","size":"big","ok":true}}`, "size"},
		{"not an option", `{"typeId":"` + full + `","fields":{"summary":"x","size":1,"colour":"green","ok":true}}`, "colour"},
		{"bad date", `{"typeId":"` + full + `","fields":{"summary":"x","size":1,"when":"31/12/2026","ok":true}}`, "when"},
		{"required box", `{"typeId":"` + full + `","fields":{"summary":"x","size":1,"ok":false}}`, "ok"},
		{"hidden field set", `{"typeId":"` + full + `","fields":{"summary":"x","size":1,"ok":true,"prio":"low"}}`, "prio"},
		{"unknown field", `{"typeId":"` + full + `","fields":{"summary":"x","size":1,"ok":true,"nope":1}}`, "nope"},
		{"summary too long", `{"typeId":"` + typ + `","fields":{"summary":"` + strings.Repeat("a", 300) + `"}}`, "summary"},
		{"unknown upload", `{"typeId":"` + typ + `","fields":{"summary":"x"},"attachments":["77"]}`, "attachments"},
		{"malformed", `{"typeId":`, ""},
		{"wrong shape", `{"typeId":"` + typ + `","fields":"x"}`, ""},
	}
	for _, c := range cases {
		res := do(t, dan.client, "POST", base+"/portals/"+pid+"/requests", c.body)
		if res.status != 400 || c.field != "" && !strings.Contains(string(res.body), `"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.name, res.status, res.body)
		}
	}
	ok := do(t, dan.client, "POST", base+"/portals/"+pid+"/requests", `{"typeId":"`+full+`","fields":{"summary":"<script>alert(1)</script> hi","size":"3","colour":"red","ok":true}}`)
	if ok.status != 201 {
		t.Fatalf("valid raise = %d %s", ok.status, ok.body)
	}
	key := ok.json(t)["key"].(string)
	if key != "BAD-1" {
		t.Fatalf("the refused raises used numbers: %s", key)
	}
	staff := do(t, owner, "GET", base+"/requests/"+key, "").json(t)
	if !strings.Contains(fmt.Sprint(staff["fields"]), "high") {
		t.Fatalf("hidden preset not stored: %v", staff["fields"])
	}
	if strings.Contains(fmt.Sprint(do(t, dan.client, "GET", base+"/requests/"+key, "").json(t)["fields"]), "high") {
		t.Fatal("customer sees the hidden field")
	}
	hostile := `{"body":"<img src=x onerror=alert(1)><script>alert(2)</script>[x](javascript:alert(3))"}`
	c := do(t, dan.client, "POST", base+"/requests/"+key+"/comments", hostile)
	if c.status != 201 {
		t.Fatalf("comment = %d %s", c.status, c.body)
	}
	html := c.json(t)["html"].(string)
	if strings.Contains(html, "<script") || strings.Contains(html, "onerror") || strings.Contains(html, "javascript:") {
		t.Fatalf("hostile Markdown rendered unsafe: %s", html)
	}
	for _, x := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/requests/" + key + "/transitions", `{"transitionId":"nope"}`, 409},
		{"POST", "/requests/" + key + "/comments", `{"body":"   "}`, 400},
		{"POST", "/requests/BAD-999/comments", `{"body":"x"}`, 404},
		{"GET", "/requests/NOPE-1", ``, 404},
		{"GET", "/requests/-1", ``, 404},
		{"GET", "/requests?status=weird", ``, 400},
		{"GET", "/requests?limit=abc", ``, 400},
		{"PUT", "/requests/" + key + "/notifications", `{}`, 400},
		{"GET", "/attachments/123", ``, 404},
	} {
		if res := do(t, dan.client, x.method, base+x.path, x.body); res.status != x.want || res.errKind(t) == "" {
			t.Errorf("%s %s = %d %s, want %d", x.method, x.path, res.status, res.body, x.want)
		}
	}
	// An upload over the limit is refused before it is read.
	big := strings.Repeat("x", int(r.b.Requests.MaxUpload)+1)
	if res := do(t, dan.client, "POST", base+"/uploads?name=big.bin", big, "Content-Type", "application/octet-stream"); res.status != 413 {
		t.Fatalf("oversized upload = %d %s", res.status, res.body)
	}
	// A file that is a web page is served as a download, sandboxed.
	up := do(t, dan.client, "POST", base+"/uploads?name=../../evil.html", "<html><script>alert(1)</script>", "Content-Type", "text/html")
	if up.status != 201 || up.json(t)["name"] != "evil.html" {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	aid := up.json(t)["id"].(string)
	if res := do(t, dan.client, "POST", base+"/requests/"+key+"/comments", `{"body":"see file","attachments":["`+aid+`"]}`); res.status != 201 {
		t.Fatalf("comment with file = %d %s", res.status, res.body)
	}
	dl := do(t, dan.client, "GET", base+"/attachments/"+aid, "")
	if dl.status != 200 || !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") || !strings.Contains(dl.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download = %d %v", dl.status, dl.header)
	}
	// The same upload cannot be bound twice.
	if res := do(t, dan.client, "POST", base+"/requests/"+key+"/comments", `{"body":"again","attachments":["`+aid+`"]}`); res.status != 400 {
		t.Fatalf("rebinding = %d %s", res.status, res.body)
	}
}

// Anonymous raising on an open portal of a help center that allows it.
func TestAnonymousRaise(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("WEB", access.Open)
	anon := r.client()
	base := r.lan.URL + "/api"
	body := `{"typeId":"` + typ + `","fields":{"summary":"Site down"},"email":"visitor@example.net"}`
	if res := do(t, anon, "POST", base+"/portals/"+pid+"/requests", body); res.status != 401 {
		t.Fatalf("anonymous raise on a login-only site = %d %s", res.status, res.body)
	}
	r.setSite(access.Site{Signup: true, Anonymous: true})
	if res := do(t, anon, "POST", base+"/portals/"+pid+"/requests", `{"typeId":"`+typ+`","fields":{"summary":"Site down"}}`); res.status != 400 || !strings.Contains(string(res.body), `"email"`) {
		t.Fatalf("anonymous raise without email = %d %s", res.status, res.body)
	}
	res := do(t, anon, "POST", base+"/portals/"+pid+"/requests", body)
	if res.status != 202 || !strings.Contains(res.json(t)["message"].(string), "set a password") || strings.Contains(string(res.body), "WEB-1") {
		t.Fatalf("anonymous raise = %d %s", res.status, res.body)
	}
	if toks := r.outboxTokens("visitor@example.net"); len(toks) != 1 {
		t.Fatalf("set-password links for the visitor: %v", toks)
	}
	if res := do(t, anon, "GET", base+"/requests/WEB-1", ""); res.status != 401 {
		t.Fatalf("anonymous view = %d", res.status)
	}
	// Once they set a password, the request is theirs.
	c := r.client()
	if res := do(t, c, "POST", base+"/password/set", `{"token":"`+r.outboxTokens("visitor@example.net")[0]+`","password":"a long password 1"}`); res.status != 200 {
		t.Fatalf("set password = %d %s", res.status, res.body)
	}
	if res := do(t, c, "GET", base+"/requests/WEB-1", ""); res.status != 200 {
		t.Fatalf("visitor's own request = %d %s", res.status, res.body)
	}
}

// The workflow editor refuses what would break requests.
func TestWorkflowValidation(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("WF", access.Restricted)
	eve := r.customerOf(pid, "Eve", "eve@example.com")
	owner := r.ownerClient()
	url := r.lan.URL + "/api/projects/" + pid + "/workflow"
	wf := do(t, owner, "GET", url, "")
	if wf.status != 200 {
		t.Fatalf("workflow = %d", wf.status)
	}
	var w map[string]any
	json.Unmarshal(wf.body, &w)
	w["transitions"] = append(w["transitions"].([]any), map[string]any{"id": "lost", "name": "Lost", "from": []string{}, "to": "nowhere"})
	b, _ := json.Marshal(w)
	if res := do(t, owner, "PUT", url, string(b)); res.status != 400 || !strings.Contains(string(res.body), "does not exist") {
		t.Fatalf("transition to nowhere = %d %s", res.status, res.body)
	}
	r.raise(eve.client, pid, typ, "Something")
	json.Unmarshal(wf.body, &w)
	w["statuses"] = w["statuses"].([]any)[1:] // drop waiting_support, which a request is in
	w["initial"] = "in_progress"
	var ts []any
	for _, x := range w["transitions"].([]any) {
		m := x.(map[string]any)
		m["from"] = []string{}
		if m["to"] != "waiting_support" {
			ts = append(ts, m)
		}
	}
	w["transitions"] = ts
	b, _ = json.Marshal(w)
	if res := do(t, owner, "PUT", url, string(b)); res.status != 400 || !strings.Contains(string(res.body), "waiting_support") {
		t.Fatalf("removing a status in use = %d %s", res.status, res.body)
	}
	if res := do(t, eve.client, "GET", url, ""); res.status != 403 {
		t.Fatalf("customer reads the workflow = %d", res.status)
	}
}
