package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"portico/backend/access"
)

// Regression tests from a review of the request domain.

// A raise's write may run more than once (conflicts; a batch one of whose
// members failed): every request keeps what was raised.
func TestConcurrentRaisesKeepTheirText(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprint("groupCommit=", group), func(t *testing.T) {
			r := newRig(t)
			r.setUpOwner()
			r.b.Requests.GroupCommit = group
			pid, typ := r.project("CC", access.Restricted)
			kim := r.customerOf(pid, "Kim", "kim@example.com")
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{"typeId":"%s","fields":{"summary":"Summary %d","description":"Text %d"}}`, typ, i, i)
					if i == 7 { // fails inside the write: its batch reruns alone
						body = fmt.Sprintf(`{"typeId":"%s","fields":{"summary":"Bad"},"attachments":["424242"]}`, typ)
					}
					res := do(t, kim.client, "POST", r.lan.URL+"/api/portals/"+pid+"/requests", body)
					if (res.status == 201) == (i == 7) {
						t.Errorf("raise %d = %d %s", i, res.status, res.body)
					}
				}()
			}
			wg.Wait()
			page := do(t, kim.client, "GET", r.lan.URL+"/api/requests?limit=100", "").json(t)
			vals := page["values"].([]any)
			if len(vals) != 29 {
				t.Fatalf("%d requests listed, want 29", len(vals))
			}
			for _, v := range vals {
				key := v.(map[string]any)["key"].(string)
				got := do(t, kim.client, "GET", r.lan.URL+"/api/requests/"+key, "").json(t)
				sum, desc := got["summary"].(string), got["description"].(string)
				if !strings.HasPrefix(sum, "Summary ") || desc != "Text "+strings.TrimPrefix(sum, "Summary ") {
					t.Errorf("%s: summary %q, description %q", key, sum, desc)
				}
			}
		})
	}
}

// NaN and infinities are not numbers a request can store.
func TestNumberFieldRefusesNaN(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("NUM", access.Restricted)
	owner := r.ownerClient()
	res := do(t, owner, "POST", r.lan.URL+"/api/projects/"+pid+"/request-types", `{"name":"N","fields":[{"id":"summary","kind":"summary","label":"S"},{"id":"n","kind":"number","label":"N","hidden":true,"preset":"NaN"}]}`)
	if res.status != 400 {
		t.Fatalf("NaN preset = %d %s", res.status, res.body)
	}
	res = do(t, owner, "POST", r.lan.URL+"/api/projects/"+pid+"/request-types", `{"name":"N","groupIds":[],"fields":[{"id":"summary","kind":"summary","label":"S"},{"id":"n","kind":"number","label":"N"}]}`)
	typ := res.json(t)["id"].(string)
	for _, v := range []string{`"NaN"`, `"Inf"`, `"-Infinity"`, `"1e999"`} {
		res := do(t, owner, "POST", r.lan.URL+"/api/portals/"+pid+"/requests", `{"typeId":"`+typ+`","fields":{"summary":"x","n":`+v+`}}`)
		if res.status != 400 || !strings.Contains(string(res.body), `"n"`) {
			t.Errorf("n=%s: %d %s", v, res.status, res.body)
		}
	}
}

// Paging far in is refused with a message, not a 500 from the index.
func TestDeepPagingIsRefused(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("DP", access.Restricted)
	owner := r.ownerClient()
	for _, path := range []string{"/api/requests?q=printer&start=9223372036854775800", "/api/requests?start=20000",
		"/api/projects/" + pid + "/requests?q=printer&start=9223372036854775800", "/api/projects/" + pid + "/requests?start=99999"} {
		if res := do(t, owner, "GET", r.lan.URL+path, ""); res.status != 400 || !strings.Contains(string(res.body), "start") {
			t.Errorf("%s = %d %s", path, res.status, res.body)
		}
	}
}

// A visitor whose first anonymous raise failed after their account was made
// still gets the link on the next try.
func TestAnonymousRetryStillGetsTheLink(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	r.setSite(access.Site{Signup: true, Anonymous: true})
	pid, typ := r.project("AR", access.Open)
	anon := r.client()
	url := r.lan.URL + "/api/portals/" + pid + "/requests"
	if res := do(t, anon, "POST", url, `{"typeId":"`+typ+`","fields":{"summary":"x"},"email":"late@example.net","attachments":["5"]}`); res.status/100 != 4 {
		t.Fatalf("first try = %d %s", res.status, res.body)
	}
	if res := do(t, anon, "POST", url, `{"typeId":"`+typ+`","fields":{"summary":"x"},"email":"late@example.net"}`); res.status != 202 {
		t.Fatalf("second try = %d %s", res.status, res.body)
	}
	if toks := r.outboxTokens("late@example.net"); len(toks) == 0 {
		t.Fatal("no set-password link after the retry")
	}
	if res := do(t, anon, "POST", r.lan.URL+"/api/uploads?name=a.txt", "hello", "Content-Type", "text/plain"); res.status != 401 {
		t.Fatalf("anonymous upload = %d %s", res.status, res.body)
	}
}

// Changing the request type never shows a customer the old type's hidden
// values, and hidden values are searchable by staff only.
func TestChangeTypeKeepsHiddenValuesHidden(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("CT", access.Restricted)
	mo := r.customerOf(pid, "Mo", "mo@example.com")
	owner := r.ownerClient()
	base := r.lan.URL + "/api"
	gid := do(t, owner, "GET", base+"/projects/"+pid+"/request-types", "").json(t)["groups"].([]any)[0].(map[string]any)["id"].(string)
	a := do(t, owner, "POST", base+"/projects/"+pid+"/request-types", `{"name":"A","groupIds":["`+gid+`"],"fields":[{"id":"summary","kind":"summary","label":"S"},{"id":"note","kind":"text","label":"Note","hidden":true,"preset":"wombatsecret"}]}`).json(t)["id"].(string)
	b := do(t, owner, "POST", base+"/projects/"+pid+"/request-types", `{"name":"B","groupIds":["`+gid+`"],"fields":[{"id":"summary","kind":"summary","label":"S"},{"id":"note","kind":"text","label":"Note"}]}`).json(t)["id"].(string)
	if res := do(t, owner, "POST", base+"/projects/"+pid+"/request-types", `{"name":"C","fields":[{"id":"summary","kind":"summary","label":"S"},{"id":"description","kind":"description","label":"D","hidden":true,"preset":"x"}]}`); res.status != 400 {
		t.Fatalf("hidden description = %d %s", res.status, res.body)
	}
	key := do(t, mo.client, "POST", base+"/portals/"+pid+"/requests", `{"typeId":"`+a+`","fields":{"summary":"Hello"}}`).json(t)["key"].(string)
	r.b.Index.Sync(context.Background())
	if res := do(t, mo.client, "GET", base+"/requests?q=wombatsecret", ""); strings.Contains(string(res.body), key) {
		t.Fatalf("customer finds the hidden value by search: %s", res.body)
	}
	if res := do(t, owner, "GET", base+"/projects/"+pid+"/requests?q=wombatsecret", ""); !strings.Contains(string(res.body), key) {
		t.Fatalf("staff do not find the hidden value: %s", res.body)
	}
	if res := do(t, owner, "PATCH", base+"/requests/"+key, `{"typeId":"`+b+`"}`); res.status != 200 {
		t.Fatalf("change type = %d %s", res.status, res.body)
	}
	if res := do(t, mo.client, "GET", base+"/requests/"+key, ""); strings.Contains(string(res.body), "wombatsecret") {
		t.Fatalf("customer sees the old hidden value: %s", res.body)
	}
}

// A status's category cannot change under requests in it.
func TestWorkflowCategoryChangeInUse(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("WC", access.Restricted)
	ned := r.customerOf(pid, "Ned", "ned@example.com")
	owner := r.ownerClient()
	key := r.raise(ned.client, pid, typ, "x")["key"].(string)
	do(t, owner, "POST", r.lan.URL+"/api/requests/"+key+"/transitions", `{"transitionId":"start"}`)
	url := r.lan.URL + "/api/projects/" + pid + "/workflow"
	var w map[string]any
	json.Unmarshal(do(t, owner, "GET", url, "").body, &w)
	for _, s := range w["statuses"].([]any) {
		if m := s.(map[string]any); m["id"] == "in_progress" {
			m["category"] = "done"
		}
	}
	b, _ := json.Marshal(w)
	if res := do(t, owner, "PUT", url, string(b)); res.status != 400 || !strings.Contains(string(res.body), "in_progress") {
		t.Fatalf("recategorising a status in use = %d %s", res.status, res.body)
	}
}

// Sharing by id follows email mode's rule (own organization only); refusals
// name no organization; share candidates match emails only in full.
func TestSharingLeaksNothing(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	p, typ := r.rqProject(owner, "SL", access.Restricted)
	pid := fmt.Sprint(p.ID)
	do(t, owner, "PATCH", r.lan.URL+"/api/projects/"+pid, `{"sharing":"email"}`)
	ann := r.customerOf(pid, "Ann", "ann@example.com")
	bob := r.customerOf(pid, "Bob Hidden", "bob.hidden@corp.example")
	r.rqOrg(owner, "Acquisition Target Inc", p.ID)
	other := r.rqOrg(owner, "Secret Org", p.ID)
	key := r.rqRaise(ann.client, p.ID, typ, "Mine", "").key
	res := do(t, ann.client, "POST", r.lan.URL+"/api/requests/"+key+"/participants", fmt.Sprintf(`{"accountIds":["%d"]}`, bob.id))
	if res.status != 400 || strings.Contains(string(res.body), "Bob") {
		t.Fatalf("share by id in email mode = %d %s", res.status, res.body)
	}
	res = do(t, ann.client, "POST", r.lan.URL+"/api/requests/"+key+"/participants", `{"organizationIds":["`+other+`"]}`)
	if res.status != 400 || strings.Contains(string(res.body), "Secret") {
		t.Fatalf("share with another org = %d %s", res.status, res.body)
	}
	do(t, owner, "PATCH", r.lan.URL+"/api/projects/"+pid, `{"sharing":"search"}`)
	if res := do(t, ann.client, "GET", r.lan.URL+"/api/requests/"+key+"/share-candidates?q=bob.hid", ""); strings.Contains(string(res.body), "Bob") {
		t.Fatalf("partial email matched: %s", res.body)
	}
	if res := do(t, ann.client, "GET", r.lan.URL+"/api/requests/"+key+"/share-candidates?q=bob.hidden@corp.example", ""); !strings.Contains(string(res.body), "Bob") || strings.Contains(string(res.body), "corp.example") {
		t.Fatalf("full email: %s", res.body)
	}
}

// A key typed in a queue's search finds the request only in its queue.
func TestKeySearchRespectsTheQueue(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, typ := r.project("KQ", access.Restricted)
	ola := r.customerOf(pid, "Ola", "ola@example.com")
	owner := r.ownerClient()
	key := r.raise(ola.client, pid, typ, "x")["key"].(string)
	for q, want := range map[string]int{"open": 1, "unassigned": 1, "resolved": 0, "waiting": 0, "mine": 0} {
		page := do(t, owner, "GET", r.lan.URL+"/api/projects/"+pid+"/requests?queue="+q+"&q="+key, "").json(t)
		if n := len(page["values"].([]any)); n != want {
			t.Errorf("queue %s: %d rows, want %d", q, n, want)
		}
	}
}
