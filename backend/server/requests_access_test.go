package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// Who may see, list, change and share requests, through the real server:
// JSM.md §2.5 and §2.7, docs/API.md "Requests (Step 3)".

// api calls the LAN listener as c.
func (r *rig) rqCall(c *http.Client, method, path, body string) response {
	r.t.Helper()
	return do(r.t, c, method, r.lan.URL+path, body)
}

// expect fails the test unless res has the status, and returns its JSON
// object (nil for an empty body).
func rqExpect(t *testing.T, res response, status int, what string) map[string]any {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s = %d %s; want %d", what, res.status, res.body, status)
	}
	if len(res.body) == 0 {
		return nil
	}
	return res.json(t)
}

// newProject creates a project as an admin would (it comes with request
// types) and returns it with the id of its first request type.
func (r *rig) rqProject(owner *http.Client, key string, ch access.Channel) (helpcenter.Project, string) {
	r.t.Helper()
	name := key + " desk"
	p, err := r.b.HelpCenter.CreateProject(context.Background(), r.adminFacts(), helpcenter.ProjectInput{Key: &key, Name: &name, Channel: &ch})
	if err != nil {
		r.t.Fatal(err)
	}
	types := rqExpect(r.t, r.rqCall(owner, "GET", fmt.Sprintf("/api/projects/%d/request-types", p.ID), ""), 200, "list request types")
	list, _ := types["types"].([]any)
	if len(list) == 0 {
		r.t.Fatalf("new project %s has no request types: %v", key, types)
	}
	return p, list[0].(map[string]any)["id"].(string)
}

// customer makes a logged-in persona added directly to project.
func (r *rig) rqCustomer(owner *http.Client, project uint64, name, email string) persona {
	r.t.Helper()
	p := r.newPersona(name, email, identity.Customer)
	rqExpect(r.t, r.rqCall(owner, "POST", fmt.Sprintf("/api/projects/%d/customers", project), `{"email":"`+email+`"}`), 201, "add customer "+email)
	return p
}

// newOrg creates an organization attached to the given projects.
func (r *rig) rqOrg(owner *http.Client, name string, projects ...uint64) string {
	r.t.Helper()
	id := rqExpect(r.t, r.rqCall(owner, "POST", "/api/organizations", `{"name":"`+name+`"}`), 201, "create organization")["id"].(string)
	for _, p := range projects {
		rqExpect(r.t, r.rqCall(owner, "PUT", fmt.Sprintf("/api/projects/%d/organizations/%s", p, id), ""), 204, "attach organization")
	}
	return id
}

// member makes a logged-in persona in organization org.
func (r *rig) rqMember(owner *http.Client, org, name, email string) persona {
	r.t.Helper()
	p := r.newPersona(name, email, identity.Customer)
	rqExpect(r.t, r.rqCall(owner, "POST", "/api/organizations/"+org+"/members", `{"email":"`+email+`"}`), 201, "add member "+email)
	return p
}

// agent makes a logged-in agent assigned to project.
func (r *rig) rqAgent(owner *http.Client, name, email string, project uint64) persona {
	r.t.Helper()
	rqExpect(r.t, r.rqCall(owner, "POST", "/api/staff", `{"email":"`+email+`","name":"`+name+`","role":"agent"}`), 201, "add agent "+email)
	p := r.newPersona(name, email, identity.Agent)
	rqExpect(r.t, r.rqCall(owner, "PUT", fmt.Sprintf("/api/projects/%d/agents/%d", project, p.id), ""), 204, "assign agent "+email)
	return p
}

// rqRaised is a request as its raiser got it back.
type rqRaised struct{ id, key string }

// raise raises a request; extra is more JSON members of the body (",..." or "").
func (r *rig) rqRaise(c *http.Client, project uint64, typeID, summary, extra string) rqRaised {
	r.t.Helper()
	v := rqExpect(r.t, r.rqCall(c, "POST", fmt.Sprintf("/api/portals/%d/requests", project),
		fmt.Sprintf(`{"typeId":"%s","fields":{"summary":%q}%s}`, typeID, summary, extra)), 201, "raise "+summary)
	return rqRaised{v["id"].(string), v["key"].(string)}
}

// listed reports whether GET /api/requests?query lists the request with key.
func (r *rig) rqListed(t *testing.T, c *http.Client, query, key string) bool {
	t.Helper()
	res := r.rqCall(c, "GET", "/api/requests?"+query, "")
	if res.status != 200 {
		t.Fatalf("GET /api/requests?%s = %d %s", query, res.status, res.body)
	}
	var page struct {
		Values []struct{ Key string }
	}
	if err := json.Unmarshal(res.body, &page); err != nil {
		t.Fatal(err)
	}
	for _, v := range page.Values {
		if v.Key == key {
			return true
		}
	}
	return false
}

func rqNoServerErrors(t *testing.T, r *rig) {
	t.Helper()
	if strings.Contains(r.logs.String(), `"status":500`) {
		t.Errorf("a call answered 500:\n%s", r.logs.String())
	}
}

// (a) Who sees a request in a Restricted project, by id, by key and in
// lists; and how removing people, organizations and customers ends it.
func TestRequestVisibilityOverHTTP(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	it, typeID := r.rqProject(owner, "IT", access.Restricted)
	hr, _ := r.rqProject(owner, "HR", access.Restricted)

	rita := r.rqCustomer(owner, it.ID, "Rita", "rita@example.org") // reporter of X
	paul := r.rqCustomer(owner, it.ID, "Paul", "paul@example.org") // participant of X
	carl := r.rqCustomer(owner, it.ID, "Carl", "carl@example.org") // another customer
	finance := r.rqOrg(owner, "Finance", it.ID)                    // X is shared with it
	mona := r.rqMember(owner, finance, "Mona", "mona@finance.org") // sees X through Finance
	milo := r.rqMember(owner, finance, "Milo", "milo@finance.org") // raised Y, not shared with Finance
	ivy := r.rqAgent(owner, "Ivy", "ivy@staff.org", it.ID)         // agent of IT
	hank := r.rqAgent(owner, "Hank", "hank@staff.org", hr.ID)      // agent of HR only
	adam := r.newPersona("Adam", "adam@staff.org", identity.Admin) // another admin
	anon := persona{name: "anonymous", client: r.client()}
	olga := persona{name: "owner", client: owner}

	x := r.rqRaise(rita.client, it.ID, typeID, "Printer on fire", "")
	rqExpect(t, r.rqCall(owner, "POST", "/api/requests/"+x.key+"/participants",
		`{"emails":["paul@example.org"],"organizationIds":["`+finance+`"]}`), 200, "owner shares X with Paul and Finance")
	y := r.rqRaise(milo.client, it.ID, typeID, "Laptop is slow", "")
	if err := r.b.Index.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The 404 for a request one may not see reads exactly like the one
	// for a request that does not exist.
	unknown := r.rqCall(carl.client, "GET", "/api/requests/IT-999", "")
	if unknown.status != 404 || !strings.Contains(string(unknown.body), "No Access. You do not have permission to view this request.") {
		t.Fatalf("unknown request = %d %s; want 404 with JSM's no-access words", unknown.status, unknown.body)
	}
	for _, ref := range []string{"999999", "NOPE-1", "IT-0", "garbage"} {
		if res := r.rqCall(carl.client, "GET", "/api/requests/"+ref, ""); res.status != 404 || string(res.body) != string(unknown.body) {
			t.Errorf("GET /api/requests/%s = %d %s; want the same 404 as IT-999", ref, res.status, res.body)
		}
	}

	type want struct {
		x, y         int  // GET status for X and Y, by key and by id
		listX, listY bool // in GET /api/requests?status=all
	}
	check := func(stage string, cases map[persona]want) {
		t.Helper()
		if err := r.b.Index.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		for p, w := range cases {
			for _, req := range []struct {
				name, summary string
				r             rqRaised
				status        int
				listed        bool
			}{{"X", "Printer on fire", x, w.x, w.listX}, {"Y", "Laptop is slow", y, w.y, w.listY}} {
				for _, ref := range []string{req.r.key, req.r.id, strings.ToLower(req.r.key)} {
					res := r.rqCall(p.client, "GET", "/api/requests/"+ref, "")
					if res.status != req.status {
						t.Errorf("%s: %s GET %s (%s) = %d; want %d", stage, p.name, req.name, ref, res.status, req.status)
					}
					if res.status == 404 && string(res.body) != string(unknown.body) {
						t.Errorf("%s: %s GET %s: 404 body %s differs from an unknown request's %s", stage, p.name, req.name, res.body, unknown.body)
					}
					if res.status != 200 && strings.Contains(string(res.body), req.summary) {
						t.Errorf("%s: %s GET %s: refusal leaks the summary: %s", stage, p.name, req.name, res.body)
					}
				}
				if p.name == "anonymous" {
					if res := r.rqCall(p.client, "GET", "/api/requests?status=all", ""); res.status != 401 {
						t.Errorf("%s: anonymous lists requests = %d; want 401", stage, res.status)
					}
					continue
				}
				if got := r.rqListed(t, p.client, "status=all", req.r.key); got != req.listed {
					t.Errorf("%s: %s's list has %s = %v; want %v", stage, p.name, req.name, got, req.listed)
				}
				if got := r.rqListed(t, p.client, "status=all&q=printer", req.r.key); got != (req.listed && req.name == "X") {
					t.Errorf("%s: %s's search for printer has %s = %v", stage, p.name, req.name, got)
				}
			}
		}
	}
	check("shared", map[persona]want{
		rita: {200, 404, true, false},
		paul: {200, 404, true, false},
		mona: {200, 404, true, false},
		milo: {200, 200, true, true},
		carl: {404, 404, false, false},
		anon: {401, 401, false, false},
		hank: {404, 404, false, false},
		ivy:  {200, 200, false, false}, // staff see everything; their own list is what they are involved in
		adam: {200, 200, false, false},
		olga: {200, 200, false, false},
	})

	// The organization filter: members see X (shared with Finance) and not
	// Y (raised by a member, never shared with it); others may not ask.
	orgQuery := "ownership=organization&organization=" + finance + "&status=all"
	for _, p := range []persona{mona, milo} {
		if !r.rqListed(t, p.client, orgQuery, x.key) || r.rqListed(t, p.client, orgQuery, y.key) {
			t.Errorf("%s's Finance list: want X and not Y", p.name)
		}
	}
	for _, p := range []persona{carl, rita, hank} {
		if res := r.rqCall(p.client, "GET", "/api/requests?"+orgQuery, ""); res.status != 400 {
			t.Errorf("%s lists Finance's requests = %d %s; want 400", p.name, res.status, res.body)
		}
	}

	// Internal notes and their files are for the project's staff: the
	// reporter sees neither, nor finds the note by searching; the agent of
	// another project may not write one; customers see no one's email.
	note := rqExpect(t, r.rqCall(ivy.client, "POST", "/api/uploads?name=n.txt", "internal file body 5"), 201, "Ivy uploads")["id"].(string)
	rqExpect(t, r.rqCall(ivy.client, "POST", "/api/requests/"+x.key+"/comments",
		`{"body":"platypus: the toner vendor is late","internal":true,"attachments":["`+note+`"]}`), 201, "Ivy writes an internal note")
	if res := r.rqCall(rita.client, "POST", "/api/requests/"+x.key+"/comments", `{"body":"psst","internal":true}`); res.status != 403 {
		t.Errorf("reporter writes an internal note = %d; want 403", res.status)
	}
	if res := r.rqCall(hank.client, "POST", "/api/requests/"+x.key+"/comments", `{"body":"psst","internal":true}`); res.status != 404 {
		t.Errorf("agent of another project writes an internal note = %d; want 404", res.status)
	}
	if err := r.b.Index.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []persona{rita, paul, mona} {
		res := r.rqCall(p.client, "GET", "/api/requests/"+x.key, "")
		for _, secret := range []string{"platypus", "n.txt", "paul@example.org", "rita@example.org", "ivy@staff.org", "olga@example.org"} {
			if strings.HasPrefix(secret, strings.ToLower(p.name)+"@") {
				continue // their own email is theirs to see
			}
			if strings.Contains(string(res.body), secret) {
				t.Errorf("%s's view of X shows %q: %s", p.name, secret, res.body)
			}
		}
		if res := r.rqCall(p.client, "GET", "/api/attachments/"+note, ""); res.status != 404 {
			t.Errorf("%s downloads the internal note's file = %d; want 404", p.name, res.status)
		}
		if r.rqListed(t, p.client, "status=all&q=platypus", x.key) {
			t.Errorf("%s finds X by a word of an internal note", p.name)
		}
	}
	if res := r.rqCall(owner, "GET", fmt.Sprintf("/api/projects/%d/requests?q=platypus", it.ID), ""); !strings.Contains(string(res.body), x.key) {
		t.Errorf("staff search for a word of the internal note = %s; want X (the index has it)", res.body)
	}
	for _, p := range []persona{ivy, olga} {
		res := r.rqCall(p.client, "GET", "/api/requests/"+x.key, "")
		if !strings.Contains(string(res.body), "platypus") || !strings.Contains(string(res.body), "paul@example.org") {
			t.Errorf("%s's view of X lacks the internal note or the participant's email: %s", p.name, res.body)
		}
		if res := r.rqCall(p.client, "GET", "/api/attachments/"+note, ""); res.status != 200 {
			t.Errorf("%s downloads the internal note's file = %d; want 200", p.name, res.status)
		}
	}

	// The reporter takes Paul off: he loses it.
	v := rqExpect(t, r.rqCall(rita.client, "DELETE", fmt.Sprintf("/api/requests/%s/participants/%d", x.key, paul.id), ""), 200, "Rita removes Paul")
	if ps, _ := v["participants"].([]any); len(ps) != 0 {
		t.Errorf("participants after removing Paul = %v; want none", ps)
	}
	// ...and Finance: its members lose it, the reporter keeps it.
	rqExpect(t, r.rqCall(rita.client, "DELETE", "/api/requests/"+x.key+"/organizations/"+finance, ""), 200, "Rita stops sharing with Finance")
	check("unshared", map[persona]want{
		rita: {200, 404, true, false},
		paul: {404, 404, false, false},
		mona: {404, 404, false, false},
		milo: {404, 200, false, true},
		ivy:  {200, 200, false, false},
	})

	// Removed from the Restricted project, the reporter loses their own request.
	rqExpect(t, r.rqCall(owner, "DELETE", fmt.Sprintf("/api/projects/%d/customers/%d", it.ID, rita.id), ""), 204, "remove Rita from IT")
	check("reporter removed", map[persona]want{
		rita: {404, 404, false, false},
		milo: {404, 200, false, true},
		olga: {200, 200, false, false},
	})
	// A comment is refused too, and changes nothing.
	if res := r.rqCall(rita.client, "POST", "/api/requests/"+x.key+"/comments", `{"body":"hello?"}`); res.status != 404 {
		t.Errorf("removed reporter comments = %d; want 404", res.status)
	}

	// In an Open portal everyone with an account may use it: the reporter has it back.
	rqExpect(t, r.rqCall(owner, "PATCH", fmt.Sprintf("/api/projects/%d", it.ID), `{"channel":"open"}`), 200, "open IT")
	check("open", map[persona]want{
		rita: {200, 404, true, false},
		carl: {404, 404, false, false},
		hank: {404, 404, false, false},
	})

	// Archived: customers lose it, staff keep it.
	rqExpect(t, r.rqCall(owner, "PATCH", fmt.Sprintf("/api/projects/%d", it.ID), `{"archived":true}`), 200, "archive IT")
	check("archived", map[persona]want{
		rita: {404, 404, false, false},
		milo: {404, 404, false, false},
		ivy:  {200, 200, false, false},
		olga: {200, 200, false, false},
	})
	rqNoServerErrors(t, r)
}

// (b) A customer tries every request endpoint on another customer's request
// of the same portal, by id and by key: every call is refused or filtered,
// nothing leaks, and nothing changes.
func TestRequestIDORSweep(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	ctx := context.Background()
	it, typeID := r.rqProject(owner, "IT", access.Restricted)
	amy := r.rqCustomer(owner, it.ID, "Amy", "amy@example.org")
	bea := r.rqCustomer(owner, it.ID, "Bea", "bea@hive.example.org")
	bees := r.rqOrg(owner, "Bees", it.ID)
	rqExpect(t, r.rqCall(owner, "POST", "/api/organizations/"+bees+"/members", `{"email":"bea@hive.example.org"}`), 201, "Bea joins Bees")

	const secret, payload, tempPayload = "zebra-secret-42", "bee attachment payload 7", "unbound temporary payload 9"
	up := rqExpect(t, r.rqCall(bea.client, "POST", "/api/uploads?name=b.txt", payload), 201, "Bea uploads")
	att := up["id"].(string)
	b := r.rqRaise(bea.client, it.ID, typeID, secret, `,"attachments":["`+att+`"],"organizationId":"`+bees+`"`)
	rqExpect(t, r.rqCall(bea.client, "POST", "/api/requests/"+b.key+"/comments", `{"body":"zebra comment with the details"}`), 201, "Bea comments")
	temp := rqExpect(t, r.rqCall(bea.client, "POST", "/api/uploads?name=temp.txt", tempPayload), 201, "Bea uploads, unbound")["id"].(string)
	own := r.rqRaise(amy.client, it.ID, typeID, "Amy's own request", "")
	otherType := func() string {
		types := rqExpect(t, r.rqCall(owner, "GET", fmt.Sprintf("/api/projects/%d/request-types", it.ID), ""), 200, "types")["types"].([]any)
		return types[1].(map[string]any)["id"].(string)
	}()
	if err := r.b.Index.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// Controls: Bea finds her request, its file and her upload, so the
	// refusals below are not for want of data.
	before := rqExpect(t, r.rqCall(owner, "GET", "/api/requests/"+b.key, ""), 200, "owner reads Bea's request")
	transitions, _ := before["transitions"].([]any)
	beaView := rqExpect(t, r.rqCall(bea.client, "GET", "/api/requests/"+b.key, ""), 200, "Bea reads her request")
	portalTransitions, _ := beaView["transitions"].([]any)
	if len(portalTransitions) == 0 {
		t.Fatalf("Bea's request offers her no transition: %s", beaView)
	}
	resolve := portalTransitions[0].(map[string]any)["id"].(string)
	if !r.rqListed(t, bea.client, "status=all&q=zebra", b.key) {
		t.Fatal("Bea's search for zebra misses her request: the index is not ready")
	}
	if res := r.rqCall(bea.client, "GET", fmt.Sprintf("/api/portals/%d/similar?q=zebra", it.ID), ""); !strings.Contains(string(res.body), secret) {
		t.Fatalf("Bea's similar requests = %s; want hers", res.body)
	}
	for _, id := range []string{att, temp} {
		if res := r.rqCall(bea.client, "GET", "/api/attachments/"+id, ""); res.status != 200 {
			t.Fatalf("Bea downloads her file %s = %d", id, res.status)
		}
	}

	leaks := []string{secret, "bea@hive.example.org", payload, tempPayload, "zebra comment"}
	checkLeak := func(what string, res response) {
		t.Helper()
		for _, l := range leaks {
			if strings.Contains(string(res.body), l) {
				t.Errorf("%s leaks %q: %d %s", what, l, res.status, res.body)
			}
		}
	}

	for _, ref := range []string{b.id, b.key} {
		base := "/api/requests/" + ref
		for _, c := range []struct{ method, path, body string }{
			{"GET", base, ""},
			{"POST", base + "/comments", `{"body":"let me in"}`},
			{"POST", base + "/comments", `{"body":"note","internal":true}`},
			{"POST", base + "/transitions", `{"transitionId":"` + resolve + `"}`},
			{"POST", base + "/participants", `{"emails":["amy@example.org"]}`},
			{"POST", base + "/participants", fmt.Sprintf(`{"accountIds":["%d"]}`, amy.id)},
			{"POST", base + "/participants", `{"emails":["stranger@nowhere.example"]}`},
			{"POST", base + "/participants", `{"organizationIds":["` + bees + `"]}`},
			{"DELETE", fmt.Sprintf("%s/participants/%d", base, bea.id), ""},
			{"DELETE", fmt.Sprintf("%s/participants/%d", base, amy.id), ""},
			{"DELETE", base + "/organizations/" + bees, ""},
			{"GET", base + "/share-candidates", ""},
			{"GET", base + "/share-candidates?q=bea", ""},
			{"POST", base + "/join", ""},
			{"PUT", base + "/notifications", `{"on":true}`},
			{"PUT", base + "/notifications", `{"on":false}`},
			{"POST", base + "/assign", fmt.Sprintf(`{"accountId":"%d"}`, amy.id)},
			{"POST", base + "/assign", `{"accountId":""}`},
			{"PATCH", base, `{"typeId":"` + otherType + `"}`},
		} {
			res := r.rqCall(amy.client, c.method, c.path, c.body)
			if res.status != 404 {
				t.Errorf("Amy %s %s %s = %d %s; want 404", c.method, c.path, c.body, res.status, res.body)
			}
			checkLeak(c.method+" "+c.path, res)
		}
	}
	for _, id := range []string{att, temp} {
		res := r.rqCall(amy.client, "GET", "/api/attachments/"+id, "")
		if res.status != 404 {
			t.Errorf("Amy downloads Bea's file %s = %d; want 404", id, res.status)
		}
		checkLeak("GET /api/attachments/"+id, res)
	}
	// Lists and searches filter silently.
	for _, q := range []string{
		"q=zebra", "q=zebra&status=all", "q=zebra-secret-42&status=all", "status=all",
		fmt.Sprintf("portal=%d&status=all", it.ID), fmt.Sprintf("portal=%d&status=all&q=zebra", it.ID),
		"type=" + typeID + "&status=all", "ownership=participated&status=all&q=zebra", "ownership=owned&status=all",
		"q=bea%40hive.example.org&status=all", "q=details&status=all",
	} {
		res := r.rqCall(amy.client, "GET", "/api/requests?"+q, "")
		if res.status != 200 {
			t.Errorf("Amy GET /api/requests?%s = %d %s; want 200", q, res.status, res.body)
		}
		checkLeak("GET /api/requests?"+q, res)
	}
	for _, q := range []string{"ownership=organization&organization=" + bees, "ownership=organization&organization=" + bees + "&q=zebra&status=all"} {
		res := r.rqCall(amy.client, "GET", "/api/requests?"+q, "")
		if res.status != 400 {
			t.Errorf("Amy lists Bees' requests (%s) = %d; want 400", q, res.status)
		}
		checkLeak("GET /api/requests?"+q, res)
	}
	for _, q := range []string{"zebra", "zebra-secret-42", "zebr"} {
		res := r.rqCall(amy.client, "GET", fmt.Sprintf("/api/portals/%d/similar?q=%s", it.ID, url.QueryEscape(q)), "")
		if res.status != 200 {
			t.Errorf("Amy's similar requests for %q = %d; want 200", q, res.status)
		}
		checkLeak("similar "+q, res)
	}
	// Bea's files cannot be bound to Amy's request or comment.
	if res := r.rqCall(amy.client, "POST", "/api/requests/"+own.key+"/comments", `{"body":"mine now","attachments":["`+att+`"]}`); res.status != 400 {
		t.Errorf("Amy attaches Bea's bound file to her comment = %d %s; want 400", res.status, res.body)
	}
	if res := r.rqCall(amy.client, "POST", "/api/requests/"+own.key+"/comments", `{"body":"mine now","attachments":["`+temp+`"]}`); res.status != 400 {
		t.Errorf("Amy attaches Bea's temporary upload to her comment = %d %s; want 400", res.status, res.body)
	}
	res := r.rqCall(amy.client, "POST", fmt.Sprintf("/api/portals/%d/requests", it.ID),
		fmt.Sprintf(`{"typeId":"%s","fields":{"summary":"grab"},"attachments":["%s"]}`, typeID, temp))
	if res.status != 400 {
		t.Errorf("Amy raises with Bea's temporary upload = %d %s; want 400", res.status, res.body)
	}
	checkLeak("raise with Bea's upload", res)
	if res := r.rqCall(bea.client, "GET", "/api/attachments/"+temp, ""); res.status != 200 || string(res.body) != tempPayload {
		t.Errorf("Bea's temporary upload after Amy's attempts = %d %q; want hers, unchanged", res.status, res.body)
	}
	if res := r.rqCall(amy.client, "GET", "/api/attachments/"+temp, ""); res.status != 404 {
		t.Errorf("Amy downloads Bea's temporary upload after trying to bind it = %d; want 404", res.status)
	}
	mine := rqExpect(t, r.rqCall(amy.client, "GET", "/api/requests/"+own.key, ""), 200, "Amy reads her request")
	if atts, _ := mine["attachments"].([]any); len(atts) != 0 {
		t.Errorf("Amy's request gained attachments: %v", atts)
	}
	if res := r.rqCall(amy.client, "GET", "/api/requests/"+own.key, ""); strings.Contains(string(res.body), secret) {
		t.Errorf("Amy's own request mentions Bea's: %s", res.body)
	}

	// Bea's request is as it was.
	after := rqExpect(t, r.rqCall(owner, "GET", "/api/requests/"+b.key, ""), 200, "owner reads Bea's request again")
	for _, f := range []string{"activity", "participants", "organizations", "status", "type", "attachments", "assignee", "summary", "updated", "resolution", "fields"} {
		bj, _ := json.Marshal(before[f])
		aj, _ := json.Marshal(after[f])
		if string(bj) != string(aj) {
			t.Errorf("Bea's request %s changed: %s → %s", f, bj, aj)
		}
	}
	if len(transitions) == 0 {
		t.Errorf("owner sees no transitions on Bea's request")
	}
	// Amy's failed notifications calls stored nothing for her either way.
	if v := rqExpect(t, r.rqCall(bea.client, "GET", "/api/requests/"+b.key, ""), 200, "Bea reads again"); v["notifications"] != true {
		t.Errorf("Bea's notifications = %v; want on", v["notifications"])
	}
	rqNoServerErrors(t, r)
}

// shareProblem is the participants field of a refused share, with the
// email (or name) that starts it cut off, so messages can be compared.
func rqShareProblem(t *testing.T, res response) string {
	t.Helper()
	e, _ := res.json(t)["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	msg, _ := f["participants"].(string)
	if i := strings.Index(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// (c) Sharing by the project's "Customer sharing" setting, JSM.md §2.5's
// sharing matrix, for a customer; staff may add anyone.
func TestSharingModesOverHTTP(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	r.setSite(access.Site{Signup: true})
	owner := r.ownerClient()
	ctx := context.Background()
	sh, typeID := r.rqProject(owner, "SH", access.Restricted)
	alpha := r.rqOrg(owner, "Alpha", sh.ID)
	beta := r.rqOrg(owner, "Beta", sh.ID)
	sam := r.rqMember(owner, alpha, "Sam", "sam@alpha.example") // the sharer
	sue := r.rqMember(owner, alpha, "Sue", "sue@alpha.example") // his colleague
	ben := r.rqMember(owner, beta, "Ben", "ben@beta.example")   // another organization
	cat := r.rqCustomer(owner, sh.ID, "Cat", "cat@example.org") // another customer
	nick := r.newPersona("Nick", "nick@example.org", identity.Customer)
	// A deactivated account: an existing non-customer too.
	dee, _, err := r.b.Identity.Invite(ctx, identity.NewAccount{Name: "Dee", Email: "dee@example.org", Role: identity.Customer})
	if err != nil {
		t.Fatal(err)
	}
	rqExpect(t, r.rqCall(owner, "PATCH", fmt.Sprintf("/api/accounts/%d", dee.ID), `{"active":false}`), 200, "deactivate Dee")

	project := fmt.Sprintf("/api/projects/%d", sh.ID)
	set := func(t *testing.T, body string) {
		t.Helper()
		rqExpect(t, r.rqCall(owner, "PATCH", project, body), 200, "PATCH project "+body)
	}
	share := func(c *http.Client, key, body string) response {
		return r.rqCall(c, "POST", "/api/requests/"+key+"/participants", body)
	}
	sees := func(p persona, key string) int { return r.rqCall(p.client, "GET", "/api/requests/"+key, "").status }
	exists := func(t *testing.T, email string) bool {
		t.Helper()
		_, err := r.b.Identity.Find(ctx, email)
		if err != nil && fault.KindOf(err) != fault.NotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	// login sets a password from the outbox link to email and logs in.
	login := func(t *testing.T, email string) persona {
		t.Helper()
		toks := r.outboxTokens(email)
		if len(toks) == 0 {
			t.Fatalf("no set-password link for %s", email)
		}
		c := r.client()
		rqExpect(t, do(t, c, "POST", r.lan.URL+"/api/password/set", `{"token":"`+toks[len(toks)-1]+`","password":"`+pw+`"}`), 200, "set password for "+email)
		return persona{name: email, client: c}
	}

	for _, tc := range []struct {
		mode                                       string
		colleague, customer, otherOrg, unknownOpen int
	}{
		{"organization", 200, 400, 400, 400},
		{"email", 200, 200, 400, 200},
		{"search", 200, 200, 200, 200},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			set(t, `{"sharing":"`+tc.mode+`","channel":"restricted"}`)
			q := r.rqRaise(sam.client, sh.ID, typeID, "Shared under "+tc.mode, "")
			if v := rqExpect(t, r.rqCall(sam.client, "GET", "/api/requests/"+q.key, ""), 200, "Sam reads"); v["sharing"] != tc.mode {
				t.Errorf("request's sharing = %v; want %s", v["sharing"], tc.mode)
			}
			for _, c := range []struct {
				what   string
				body   string
				want   int
				person persona
			}{
				{"a member of his own organization by email", `{"emails":["sue@alpha.example"]}`, tc.colleague, sue},
				{"another customer by email", `{"emails":["cat@example.org"]}`, tc.customer, cat},
				{"another organization of the project", `{"organizationIds":["` + beta + `"]}`, tc.otherOrg, ben},
				{"an account that is no customer", `{"emails":["nick@example.org"]}`, 400, nick},
			} {
				res := share(sam.client, q.key, c.body)
				if res.status != c.want {
					t.Errorf("Sam shares with %s = %d %s; want %d", c.what, res.status, res.body, c.want)
				}
				wantSee := 404
				if c.want == 200 {
					wantSee = 200
				}
				if got := sees(c.person, q.key); got != wantSee {
					t.Errorf("after sharing with %s (%d), %s GET = %d; want %d", c.what, res.status, c.person.name, got, wantSee)
				}
			}

			// Restricted: an unknown email is refused in the words an
			// existing non-customer gets, and no account is made.
			newR := "new-" + tc.mode + "-r@nowhere.example"
			unknown := share(sam.client, q.key, `{"emails":["`+newR+`"]}`)
			existing := share(sam.client, q.key, `{"emails":["nick@example.org"]}`)
			if unknown.status != 400 || existing.status != 400 {
				t.Fatalf("restricted: unknown email = %d, non-customer = %d; want 400 both", unknown.status, existing.status)
			}
			if a, b := rqShareProblem(t, unknown), rqShareProblem(t, existing); a != b || a == "" {
				t.Errorf("restricted: unknown email refused with %q, existing non-customer with %q; want the same words", a, b)
			}
			if exists(t, newR) || len(r.outboxTokens(newR)) > 0 {
				t.Errorf("restricted: sharing with %s made an account or a link", newR)
			}
			t.Run("deactivated account reads like an unknown email", func(t *testing.T) {
				res := share(sam.client, q.key, `{"emails":["dee@example.org"]}`)
				if res.status != 400 {
					t.Fatalf("share with a deactivated account = %d %s; want 400", res.status, res.body)
				}
				if a, b := rqShareProblem(t, unknown), rqShareProblem(t, res); a != b {
					t.Errorf("unknown email refused with %q, deactivated account with %q; want the same words", a, b)
				}
			})

			// Open, on a site that lets people sign up: an unknown email
			// becomes a customer account where the mode lets customers type
			// emails.
			set(t, `{"channel":"open"}`)
			newO := "new-" + tc.mode + "-o@nowhere.example"
			res := share(sam.client, q.key, `{"emails":["`+newO+`"]}`)
			if res.status != tc.unknownOpen {
				t.Errorf("open: share with unknown %s = %d %s; want %d", newO, res.status, res.body, tc.unknownOpen)
			}
			if tc.unknownOpen == 200 {
				if !exists(t, newO) {
					t.Errorf("open: no account was made for %s", newO)
				}
				if got := sees(login(t, newO), q.key); got != 200 {
					t.Errorf("open: %s, once their password is set, GET = %d; want 200", newO, got)
				}
			} else {
				if exists(t, newO) || len(r.outboxTokens(newO)) > 0 {
					t.Errorf("open: refused share with %s still made an account or a link", newO)
				}
				if a, b := rqShareProblem(t, unknown), rqShareProblem(t, res); a != b {
					t.Errorf("refusal for an unknown email differs between restricted (%q) and open (%q)", a, b)
				}
			}
			set(t, `{"channel":"restricted"}`)

			// Share candidates follow the mode: own organizations' members
			// always; the project's customers and organizations with search.
			cands := rqExpect(t, r.rqCall(sam.client, "GET", "/api/requests/"+q.key+"/share-candidates?q=", ""), 200, "candidates")
			body, _ := json.Marshal(cands)
			if tc.mode != "search" && (strings.Contains(string(body), "Beta") || strings.Contains(string(body), "Nick")) {
				t.Errorf("%s mode: Sam's candidates %s offer Beta or a non-customer", tc.mode, body)
			}
			if strings.Contains(string(body), "@") {
				t.Errorf("candidates show a customer email addresses: %s", body)
			}
			if tc.mode == "search" {
				found := rqExpect(t, r.rqCall(sam.client, "GET", "/api/requests/"+q.key+"/share-candidates?q=be", ""), 200, "candidates q=be")
				fb, _ := json.Marshal(found)
				if !strings.Contains(string(fb), "Beta") && !strings.Contains(string(fb), "Ben") {
					t.Errorf("search mode: candidates for 'be' = %s; want Ben or Beta", fb)
				}
			}

			// A participant may take only themself off (the reporter and
			// staff may take anyone): Cat may not remove Sue; Sue leaves,
			// gets 204 as she can no longer see it, and then a 404.
			if tc.customer == 200 {
				if res := r.rqCall(cat.client, "DELETE", fmt.Sprintf("/api/requests/%s/participants/%d", q.key, sue.id), ""); res.status != 403 {
					t.Errorf("participant removes another participant = %d %s; want 403", res.status, res.body)
				}
			}
			if res := r.rqCall(sue.client, "DELETE", fmt.Sprintf("/api/requests/%s/participants/%d", q.key, sue.id), ""); res.status != 204 {
				t.Errorf("participant removes herself = %d %s; want 204", res.status, res.body)
			}
			if got := sees(sue, q.key); got != 404 {
				t.Errorf("after leaving, Sue GET = %d; want 404", got)
			}
		})
	}

	// Staff may add anyone, in the tightest mode, to a Restricted project:
	// the people added become customers and can see it.
	set(t, `{"sharing":"organization","channel":"restricted"}`)
	q := r.rqRaise(sam.client, sh.ID, typeID, "Staff share this", "")
	staffNew := "staff-new@nowhere.example"
	v := rqExpect(t, share(owner, q.key, `{"emails":["nick@example.org","cat@example.org","`+staffNew+`"],"organizationIds":["`+beta+`"]}`), 200, "owner shares")
	if ps, _ := v["participants"].([]any); len(ps) != 3 {
		t.Errorf("participants after the owner's share = %v; want 3", ps)
	}
	for _, p := range []persona{nick, cat, ben, login(t, staffNew)} {
		if got := sees(p, q.key); got != 200 {
			t.Errorf("after the owner shared, %s GET = %d; want 200", p.name, got)
		}
	}
	if res := share(owner, q.key, `{"emails":["dee@example.org"]}`); res.status != 400 {
		t.Errorf("owner shares with a deactivated account = %d; want 400", res.status)
	}
	// An organization not attached to the project is refused even to staff.
	gamma := r.rqOrg(owner, "Gamma")
	if res := share(owner, q.key, `{"organizationIds":["`+gamma+`"]}`); res.status != 400 {
		t.Errorf("owner shares with an unattached organization = %d; want 400", res.status)
	}
	rqNoServerErrors(t, r)
}

// Sharing by account id must not turn ids into a directory: a refusal
// for an existing account reads like one for an id nobody has, and never
// names the account (a customer could otherwise read every name on the
// site by counting ids).
func TestShareByAccountIDRevealsNoNames(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	it, typeID := r.rqProject(owner, "IT", access.Restricted)
	amy := r.rqCustomer(owner, it.ID, "Amy", "amy@example.org")
	bea := r.rqCustomer(owner, it.ID, "Bea", "bea@example.org")                 // a customer of the same portal
	hank := r.rqAgent(owner, "Hank", "hank@staff.example", it.ID)               // staff
	zoe := r.newPersona("Zoe Secretname", "zoe@example.org", identity.Customer) // no customer of IT
	mine := r.rqRaise(amy.client, it.ID, typeID, "Amy's request", "")

	nobody := r.rqCall(amy.client, "POST", "/api/requests/"+mine.key+"/participants", `{"accountIds":["999999"]}`)
	if nobody.status != 400 {
		t.Fatalf("share with an unknown account id = %d %s; want 400", nobody.status, nobody.body)
	}
	for _, p := range []persona{bea, zoe, hank} {
		res := r.rqCall(amy.client, "POST", "/api/requests/"+mine.key+"/participants", fmt.Sprintf(`{"accountIds":["%d"]}`, p.id))
		if res.status != 400 {
			t.Errorf("organization mode: Amy shares with %s by id = %d %s; want 400", p.name, res.status, res.body)
			continue
		}
		if strings.Contains(string(res.body), strings.Fields(p.name)[0]) || strings.Contains(string(res.body), strings.Fields(p.name)[len(strings.Fields(p.name))-1]) {
			t.Errorf("refusal to share with account %d names them: %s", p.id, res.body)
		}
		if a, b := rqShareProblem(t, res), rqShareProblem(t, nobody); a != b {
			t.Errorf("refusal for %s's id reads %q, for an unknown id %q; want the same", p.name, a, b)
		}
	}
	rqNoServerErrors(t, r)
}

// What share-candidates offers can be picked: every person and
// organization listed for a customer can then be shared with.
func TestShareCandidatesCanBePicked(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	sh, typeID := r.rqProject(owner, "SH", access.Restricted)
	alpha := r.rqOrg(owner, "Alpha", sh.ID)
	r.rqOrg(owner, "Beta", sh.ID)
	zeta := r.rqOrg(owner, "Zeta") // Sam's other organization, not attached to SH
	sam := r.rqMember(owner, alpha, "Sam", "sam@alpha.example")
	r.rqMember(owner, alpha, "Sue", "sue@alpha.example")
	rqExpect(t, r.rqCall(owner, "POST", "/api/organizations/"+zeta+"/members", `{"email":"sam@alpha.example"}`), 201, "Sam joins Zeta")
	r.rqMember(owner, zeta, "Zed", "zed@zeta.example") // no customer of SH
	r.rqCustomer(owner, sh.ID, "Cat", "cat@example.org")

	for _, mode := range []string{"organization", "email", "search"} {
		rqExpect(t, r.rqCall(owner, "PATCH", fmt.Sprintf("/api/projects/%d", sh.ID), `{"sharing":"`+mode+`"}`), 200, "set sharing")
		for _, q := range []string{"", "z", "a"} {
			req := r.rqRaise(sam.client, sh.ID, typeID, "Candidates under "+mode, "")
			var c struct {
				People        []struct{ ID, Name string }
				Organizations []struct{ ID, Name string }
			}
			res := rqExpect(t, r.rqCall(sam.client, "GET", "/api/requests/"+req.key+"/share-candidates?q="+q, ""), 200, "candidates")
			b, _ := json.Marshal(res)
			json.Unmarshal(b, &c)
			for _, p := range c.People {
				if got := r.rqCall(sam.client, "POST", "/api/requests/"+req.key+"/participants", `{"accountIds":["`+p.ID+`"]}`); got.status != 200 {
					t.Errorf("%s mode, q=%q: candidate %s is offered but sharing with them = %d %s", mode, q, p.Name, got.status, got.body)
				}
			}
			for _, o := range c.Organizations {
				if got := r.rqCall(sam.client, "POST", "/api/requests/"+req.key+"/participants", `{"organizationIds":["`+o.ID+`"]}`); got.status != 200 {
					t.Errorf("%s mode, q=%q: organization %s is offered but sharing with it = %d %s", mode, q, o.Name, got.status, got.body)
				}
			}
		}
	}
	rqNoServerErrors(t, r)
}

// POST /api/uploads is for "whoever may raise somewhere" (docs/API.md): an
// account that may use no portal stores nothing.
func TestUploadNeedsAPortal(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	it, _ := r.rqProject(owner, "IT", access.Restricted)
	cust := r.rqCustomer(owner, it.ID, "Cy", "cy@example.org")
	nobody := r.newPersona("Nora", "nora@example.org", identity.Customer) // customer of no project; every portal Restricted
	if res := r.rqCall(cust.client, "POST", "/api/uploads?name=a.txt", "hello"); res.status != 201 {
		t.Errorf("customer uploads = %d %s; want 201", res.status, res.body)
	}
	if res := r.rqCall(nobody.client, "POST", "/api/uploads?name=a.txt", "hello"); res.status != 403 {
		t.Errorf("account that may raise nowhere uploads = %d %s; want 403", res.status, res.body)
	}
	if res := r.rqCall(r.client(), "POST", "/api/uploads?name=a.txt", "hello"); res.status != 401 {
		t.Errorf("anonymous upload on a login-only site = %d %s; want 401", res.status, res.body)
	}
}
