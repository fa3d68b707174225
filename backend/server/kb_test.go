package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"portico/backend/access"
)

// kbArticle creates an article as the owner and returns its id.
func (r *rig) kbArticle(pid, title, body, status string, view string) string {
	r.t.Helper()
	in := map[string]any{"title": title, "body": body, "status": status}
	if view != "" {
		in["view"] = map[string]any{"mode": view}
	}
	b, _ := json.Marshal(in)
	res := do(r.t, r.ownerClient(), "POST", r.lan.URL+"/api/projects/"+pid+"/kb/articles", string(b))
	if res.status != 201 {
		r.t.Fatalf("create article = %d %s", res.status, res.body)
	}
	return res.json(r.t)["id"].(string)
}

// kbSync waits until the index has applied every committed change.
func (r *rig) kbSync() {
	r.t.Helper()
	r.b.Index.Poke()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.b.Index.Sync(ctx); err != nil {
		r.t.Fatal(err)
	}
}

func kbSearchIDs(t *testing.T, res response) []string {
	t.Helper()
	if res.status != 200 {
		t.Fatalf("search = %d %s", res.status, res.body)
	}
	var out []string
	for _, a := range res.json(t)["articles"].([]any) {
		out = append(out, a.(map[string]any)["id"].(string))
	}
	return out
}

// An agent writes articles; a customer finds the published one, ranked and
// highlighted, by a different word form, and never the draft.
func TestKBSearchFlow(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	pid, _ := r.project("IT", access.Restricted)
	alice := r.customerOf(pid, "Alice", "alice@example.com")
	printer := r.kbArticle(pid, "Fix a jammed printer", "Open the tray and **remove** the stuck paper.\n\nPrinters jam when paper is damp.", "published", "")
	vpn := r.kbArticle(pid, "Connect to the VPN", "Install the client, then sign in with your printer badge.", "published", "")
	draft := r.kbArticle(pid, "Printer secrets", "Draft about printers", "draft", "")
	r.kbSync()
	base := r.lan.URL + "/api/kb/search?q="
	got := kbSearchIDs(t, do(t, alice.client, "GET", base+url.QueryEscape("printing jams"), ""))
	if len(got) == 0 || got[0] != printer {
		t.Fatalf("search printing jams = %v, want %s first", got, printer)
	}
	for _, id := range got {
		if id == draft {
			t.Fatalf("a customer found the draft: %v", got)
		}
	}
	res := do(t, alice.client, "GET", base+"jammed", "")
	a := res.json(t)["articles"].([]any)[0].(map[string]any)
	if !strings.Contains(a["titleHl"].(string), "@@@hl@@@jammed@@@endhl@@@") {
		t.Fatalf("title not highlighted: %v", a["titleHl"])
	}
	_ = vpn
	// The owner (staff) finds the draft when asking for drafts.
	got = kbSearchIDs(t, do(t, r.ownerClient(), "GET", base+"printer&drafts=1", ""))
	if !strings.Contains(fmt.Sprint(got), draft) {
		t.Fatalf("staff search with drafts = %v", got)
	}
	// Type-ahead: a prefix.
	res = do(t, alice.client, "GET", r.lan.URL+"/api/kb/suggest?q=jamm", "")
	if res.status != 200 || !strings.Contains(string(res.body), printer) {
		t.Fatalf("suggest = %d %s", res.status, res.body)
	}
	// Deflection on the portal's raise form.
	res = do(t, alice.client, "GET", r.lan.URL+"/api/portals/"+pid+"/kb/deflect?q="+url.QueryEscape("my printer is jammed"), "")
	if res.status != 200 || !strings.Contains(string(res.body), printer) {
		t.Fatalf("deflect = %d %s", res.status, res.body)
	}
	res = do(t, alice.client, "GET", r.lan.URL+"/api/kb/articles/"+printer, "")
	if res.status != 200 || !strings.Contains(res.json(t)["html"].(string), "<strong>remove</strong>") {
		t.Fatalf("article = %d %s", res.status, res.body)
	}
	if res := do(t, alice.client, "GET", r.lan.URL+"/api/kb/articles/"+draft, ""); res.status != 404 {
		t.Fatalf("customer opening a draft = %d %s", res.status, res.body)
	}
}

// Analytics: agents see what was searched in their portals; searches of
// the whole help center and of other portals only admins see.
func TestKBAnalyticsBelongToPortals(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	hr, _ := r.project("HR", access.Open)
	rs, _ := r.project("RS", access.Open)
	alice := r.customerOf(hr, "Alice", "alice@example.com")
	owner := r.ownerClient()
	hank := r.rqAgent(owner, "Hank", "hank@example.com", mustID(t, hr))
	ivy := r.rqAgent(owner, "Ivy", "ivy@example.com", mustID(t, rs))
	for _, q := range []string{"?portal=" + hr + "&q=payslip+missing", "?portal=" + rs + "&q=quokka+tax", "?q=parking+permit"} {
		if res := do(t, alice.client, "GET", r.lan.URL+"/api/kb/search"+q, ""); res.status != 200 {
			t.Fatalf("search %s = %d %s", q, res.status, res.body)
		}
	}
	gaps := func(c *http.Client, query string) string {
		t.Helper()
		res := do(t, c, "GET", r.lan.URL+"/api/kb/analytics"+query, "")
		if res.status != 200 {
			t.Fatalf("analytics %s = %d %s", query, res.status, res.body)
		}
		return fmt.Sprint(res.json(t)["gaps"])
	}
	cases := []struct {
		who        string
		c          *http.Client
		query      string
		see, hides []string
	}{
		{"admin", owner, "", []string{"payslip", "quokka", "parking"}, nil},
		{"HR agent", hank.client, "", []string{"payslip"}, []string{"quokka", "parking"}},
		{"RS agent", ivy.client, "", []string{"quokka"}, []string{"payslip", "parking"}},
		{"RS agent on RS", ivy.client, "?project=" + rs, []string{"quokka"}, []string{"payslip", "parking"}},
	}
	for _, c := range cases {
		got := gaps(c.c, c.query)
		for _, w := range c.see {
			if !strings.Contains(got, w) {
				t.Errorf("%s does not see %q in %s", c.who, w, got)
			}
		}
		for _, w := range c.hides {
			if strings.Contains(got, w) {
				t.Errorf("%s sees %q in %s", c.who, w, got)
			}
		}
	}
	if res := do(t, hank.client, "GET", r.lan.URL+"/api/kb/analytics?project="+rs, ""); res.status < 400 || res.status >= 500 {
		t.Fatalf("HR agent asking for RS analytics = %d %s", res.status, res.body)
	}
	if res := do(t, alice.client, "GET", r.lan.URL+"/api/kb/analytics", ""); res.status < 400 || res.status >= 500 {
		t.Fatalf("a customer asking for analytics = %d %s", res.status, res.body)
	}
}

func mustID(t *testing.T, s string) uint64 {
	t.Helper()
	var id uint64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}
