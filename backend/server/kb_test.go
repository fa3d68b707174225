package server_test

import (
	"context"
	"encoding/json"
	"fmt"
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
