package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/identity"
	"portico/backend/kb"
	"portico/backend/server"
)

// Who may read knowledge base articles, through the real server, on every
// path an article can leak through: search (help-center wide and per
// portal), suggestions, a portal's list, deflection on the raise form, the
// article itself, its files, feedback and "this solved my problem". The
// expected answers come from a model of the rule written here (kbModel),
// not from the code under test. JSM.md §1.9.

// ---------------------------------------------------------------- rigs

// kbOptions lift the login and signup limits: one test logs many people in
// from one address, and anonymous votes are rate-limited per address.
func kbOptions() identity.Options {
	free := identity.Limits{Every: time.Nanosecond, Burst: 1 << 30}
	return identity.Options{Limits: free, SignupLimits: free}
}

func newKBRig(t *testing.T) *rig { return newRigWith(t, kbOptions()) }

// kbRigAt opens a rig on data directory dir; with hold the text index
// never applies a change, standing for an index that lags the store. It
// returns a function that closes it (also called when the test ends).
func kbRigAt(t *testing.T, dir string, hold bool) (*rig, func()) {
	t.Helper()
	logs := &syncBuffer{}
	log := zerolog.New(logs)
	o := kbOptions()
	o.Params = identity.TestParams
	b, err := backend.Open(backend.Config{DataDir: dir, Logger: log, Identity: o, HoldIndex: hold})
	if err != nil {
		t.Fatalf("backend.Open: %v", err)
	}
	b.HelpCenter.SetAddresses([]string{"http://192.168.1.5:8480/"})
	srv := server.New(b, log, server.Options{Assets: assets, MaxBody: 4096})
	win := srv.Window()
	asWebview := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { req.Host = "wails"; win.ServeHTTP(w, req) })
	r := &rig{t: t, b: b, srv: srv, lan: httptest.NewServer(srv.LAN()), window: httptest.NewServer(asWebview), logs: logs}
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			r.lan.Close()
			r.window.Close()
			b.Close()
		})
	}
	t.Cleanup(closeAll)
	return r, closeAll
}

// kbPNG is a real one-pixel PNG.
var kbPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

// kbCall calls the LAN listener; raw bodies (files) go as they are.
func (r *rig) kbCall(c *http.Client, method, path, body string, hdr ...string) response {
	r.t.Helper()
	return do(r.t, c, method, r.lan.URL+path, body, hdr...)
}

func kbJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ---------------------------------------------------------------- model

// kbRule is "Who can view" as the model keeps it.
type kbRule struct {
	mode    string // anyone | loggedin | audience | inherit
	orgs    []string
	domains []string
}

func (r kbRule) input() map[string]any {
	in := map[string]any{"mode": r.mode}
	if len(r.orgs) > 0 {
		in["orgs"] = r.orgs
	}
	if len(r.domains) > 0 {
		in["domains"] = r.domains
	}
	return in
}

type kbPortal struct {
	key, id  string
	open     bool
	archived bool
	view     kbRule // the space's rule
}

type kbCategory struct {
	id, portal string
	view       kbRule
}

type kbArt struct {
	name, token, title, id, file string
	portal, cat                  string // portal key, category name ("" for none)
	published                    bool
	view                         kbRule
	deleted                      bool
}

// kbWho is a caller with the facts the model needs.
type kbWho struct {
	name       string
	client     *http.Client
	id         uint64
	anon       bool
	admin      bool
	agentOf    map[string]bool // portal keys
	customerOf map[string]bool // portal keys
	orgs       map[string]bool // organization ids
	domain     string
}

type kbModel struct {
	anonSite bool // the site allows signup and anonymous access
	portals  map[string]*kbPortal
	cats     map[string]*kbCategory
	arts     []*kbArt
}

func (m *kbModel) staff(w *kbWho, p *kbPortal) bool { return w.admin || w.agentOf[p.key] }

// usesPortal: staff always; nobody else an archived portal; a visitor an
// Open portal of a site that allows anonymous access; anyone logged in an
// Open portal; a Restricted portal its customers.
func (m *kbModel) usesPortal(w *kbWho, p *kbPortal) bool {
	switch {
	case m.staff(w, p):
		return true
	case p.archived:
		return false
	case w.anon:
		return m.anonSite && p.open
	}
	return p.open || w.customerOf[p.key]
}

// portalRefusal is the status of a portal-scoped call the caller may not
// make: an archived portal reads as none, a visitor must log in, a
// logged-in non-customer is refused.
func (m *kbModel) portalRefusal(w *kbWho, p *kbPortal) int {
	switch {
	case p.archived:
		return 404
	case w.anon:
		return 401
	}
	return 403
}

func (m *kbModel) effective(a *kbArt) kbRule {
	r := a.view
	if r.mode == "inherit" && a.cat != "" {
		r = m.cats[a.cat].view
	}
	if r.mode == "inherit" {
		r = m.portals[a.portal].view
	}
	return r
}

// canRead: GET /api/kb/articles/{id} answers 200.
func (m *kbModel) canRead(w *kbWho, a *kbArt) bool {
	p := m.portals[a.portal]
	switch {
	case a.deleted:
		return false
	case m.staff(w, p):
		return true
	case !a.published || !m.usesPortal(w, p):
		return false
	}
	r := m.effective(a)
	switch r.mode {
	case "anyone":
		return true
	case "loggedin":
		return !w.anon
	case "audience":
		if w.anon {
			return false
		}
		for _, o := range r.orgs {
			if w.orgs[o] {
				return true
			}
		}
		for _, d := range r.domains {
			if d == w.domain {
				return true
			}
		}
	}
	return false
}

// findable: what lists, search, suggestions and deflection may show — a
// published article the caller may read (staff search drafts only when
// they ask).
func (m *kbModel) findable(w *kbWho, a *kbArt) bool { return a.published && m.canRead(w, a) }

// wide: what help-center-wide search and suggestions cover — never an
// archived portal, not even for its staff.
func (m *kbModel) wide(w *kbWho, a *kbArt) bool { return !m.portals[a.portal].archived }

// ---------------------------------------------------------------- world

// kbWorld: an Open portal OP and a Restricted portal RS with knowledge
// bases, and HR for customers and agents of another project.
//
//	OP (Open, space: anyone)          RS (Restricted, space changed to logged-in)
//	o1 inherit → anyone               r1 anyone (own rule)
//	o2 logged-in                      r2 inherit → logged-in (the space's)
//	o3 audience: Finance              r3 audience: Finance
//	o4 audience: @acme.test           r4 audience: @acme.test
//	o5 draft                          r5 draft
//	o6 in "Internal" (logged-in)      r6 in "Finance corner" (audience: Finance)
//	                                  r7 in "Finance corner", own rule anyone
type kbWorld struct {
	r       *rig
	t       *testing.T
	owner   *http.Client
	m       *kbModel
	finance string
	people  []*kbWho
	who     map[string]*kbWho
	art     map[string]*kbArt
	reqKey  string // a resolved request of RS, raised by Rita
}

func (k *kbWorld) createArticle(a *kbArt, category string) {
	k.t.Helper()
	p := k.m.portals[a.portal]
	a.title = "Quokka " + a.token + " guide"
	in := map[string]any{"title": a.title, "body": "All about the quokka and the " + a.token + ".\n\nMore **words** here.",
		"status": map[bool]string{true: "published", false: "draft"}[a.published], "view": a.view.input()}
	if category != "" {
		in["category"] = category
	}
	v := rqExpect(k.t, k.r.kbCall(k.owner, "POST", "/api/projects/"+p.id+"/kb/articles", kbJSON(in)), 201, "create article "+a.name)
	a.id = v["id"].(string)
	f := rqExpect(k.t, k.r.kbCall(k.owner, "POST", "/api/kb/articles/"+a.id+"/files?name=x.png", string(kbPNG), "Content-Type", "image/png"),
		201, "upload a file to "+a.name)
	a.file = f["id"].(string)
	k.m.arts = append(k.m.arts, a)
	k.art[a.name] = a
}

func newKBWorld(t *testing.T, r *rig) *kbWorld {
	t.Helper()
	r.setUpOwner()
	owner := r.ownerClient()
	r.setSite(access.Site{Signup: true, Anonymous: true})
	op, _ := r.rqProject(owner, "OP", access.Open)
	rs, typeRS := r.rqProject(owner, "RS", access.Restricted)
	hr, _ := r.rqProject(owner, "HR", access.Restricted)
	k := &kbWorld{r: r, t: t, owner: owner, who: map[string]*kbWho{}, art: map[string]*kbArt{},
		m: &kbModel{anonSite: true, cats: map[string]*kbCategory{}, portals: map[string]*kbPortal{
			"OP": {key: "OP", id: fmt.Sprint(op.ID), open: true, view: kbRule{mode: "anyone"}},
			"RS": {key: "RS", id: fmt.Sprint(rs.ID), view: kbRule{mode: "anyone"}},
		}}}
	k.finance = r.rqOrg(owner, "Finance", rs.ID)
	rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+k.m.portals["RS"].id+"/rules", `{"domain":"acme.test"}`), 201, "domain rule acme.test on RS")

	add := func(w *kbWho) { k.people = append(k.people, w); k.who[w.name] = w }
	person := func(p persona, w *kbWho) *kbWho { w.client, w.id = p.client, p.id; return w }
	add(&kbWho{name: "anonymous", client: r.client(), anon: true})
	add(person(r.rqCustomer(owner, rs.ID, "Rita", "rita@example.org"),
		&kbWho{name: "Rita (customer of RS)", customerOf: map[string]bool{"RS": true}, domain: "example.org"}))
	add(person(r.rqCustomer(owner, hr.ID, "Carl", "carl@other.test"),
		&kbWho{name: "Carl (customer of HR only)", domain: "other.test"}))
	add(person(r.rqMember(owner, k.finance, "Mona", "mona@finance.test"),
		&kbWho{name: "Mona (Finance member)", customerOf: map[string]bool{"RS": true}, orgs: map[string]bool{k.finance: true}, domain: "finance.test"}))
	add(person(r.newPersona("Dora", "dora@acme.test", identity.Customer),
		&kbWho{name: "Dora (@acme.test)", customerOf: map[string]bool{"RS": true}, domain: "acme.test"}))
	add(person(r.rqAgent(owner, "Ivy", "ivy@staff.test", rs.ID),
		&kbWho{name: "Ivy (agent of RS)", agentOf: map[string]bool{"RS": true}, domain: "staff.test"}))
	add(person(r.rqAgent(owner, "Hank", "hank@staff.test", hr.ID),
		&kbWho{name: "Hank (agent of HR)", agentOf: map[string]bool{"HR": true}, domain: "staff.test"}))
	add(person(r.newPersona("Adam", "adam@staff.test", identity.Admin),
		&kbWho{name: "Adam (admin)", admin: true, domain: "staff.test"}))

	// A space-level change: RS is for logged-in users.
	rqExpect(t, r.kbCall(owner, "PATCH", "/api/projects/"+k.m.portals["RS"].id+"/kb", `{"view":{"mode":"loggedin"}}`), 200, "RS space → logged-in")
	k.m.portals["RS"].view = kbRule{mode: "loggedin"}
	// Categories with rules of their own.
	internal := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+k.m.portals["OP"].id+"/kb/categories",
		`{"name":"Internal","view":{"mode":"loggedin"}}`), 201, "category Internal")["id"].(string)
	k.m.cats["Internal"] = &kbCategory{id: internal, portal: "OP", view: kbRule{mode: "loggedin"}}
	corner := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+k.m.portals["RS"].id+"/kb/categories",
		kbJSON(map[string]any{"name": "Finance corner", "view": map[string]any{"mode": "audience", "orgs": []string{k.finance}}})), 201, "category Finance corner")["id"].(string)
	k.m.cats["Finance corner"] = &kbCategory{id: corner, portal: "RS", view: kbRule{mode: "audience", orgs: []string{k.finance}}}

	inherit := kbRule{mode: "inherit"}
	fin := kbRule{mode: "audience", orgs: []string{k.finance}}
	acme := kbRule{mode: "audience", domains: []string{"acme.test"}}
	for _, a := range []struct {
		a   *kbArt
		cat string
	}{
		{&kbArt{name: "o1", token: "aardvark", portal: "OP", published: true, view: inherit}, ""},
		{&kbArt{name: "o2", token: "bison", portal: "OP", published: true, view: kbRule{mode: "loggedin"}}, ""},
		{&kbArt{name: "o3", token: "caracal", portal: "OP", published: true, view: fin}, ""},
		{&kbArt{name: "o4", token: "dingo", portal: "OP", published: true, view: acme}, ""},
		{&kbArt{name: "o5", token: "echidna", portal: "OP", published: false, view: inherit}, ""},
		{&kbArt{name: "o6", token: "fossa", portal: "OP", published: true, view: inherit, cat: "Internal"}, internal},
		{&kbArt{name: "r1", token: "gerenuk", portal: "RS", published: true, view: kbRule{mode: "anyone"}}, ""},
		{&kbArt{name: "r2", token: "hoatzin", portal: "RS", published: true, view: inherit}, ""},
		{&kbArt{name: "r3", token: "ibex", portal: "RS", published: true, view: fin}, ""},
		{&kbArt{name: "r4", token: "jerboa", portal: "RS", published: true, view: acme}, ""},
		{&kbArt{name: "r5", token: "kinkajou", portal: "RS", published: false, view: inherit}, ""},
		{&kbArt{name: "r6", token: "lemur", portal: "RS", published: true, view: inherit, cat: "Finance corner"}, corner},
		{&kbArt{name: "r7", token: "margay", portal: "RS", published: true, view: kbRule{mode: "anyone"}, cat: "Finance corner"}, corner},
	} {
		k.createArticle(a.a, a.cat)
	}

	// A resolved request of RS, for the request-scoped endpoints.
	x := r.rqRaise(k.who["Rita (customer of RS)"].client, rs.ID, typeRS, "Printer on fire", "")
	rqExpect(t, r.kbCall(owner, "POST", "/api/requests/"+x.key+"/transitions", `{"transitionId":"resolve","comment":"Put out."}`), 200, "resolve the request")
	k.reqKey = x.key
	r.kbSync()
	return k
}

// names turns article ids into sorted model names, for readable failures.
func (k *kbWorld) names(ids []string) string {
	var out []string
	for _, id := range ids {
		name := "id " + id
		for _, a := range k.m.arts {
			if a.id == id {
				name = a.name
			}
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (k *kbWorld) want(keep func(a *kbArt) bool) string {
	var ids []string
	for _, a := range k.m.arts {
		if keep(a) {
			ids = append(ids, a.id)
		}
	}
	return k.names(ids)
}

// leaks returns the tokens in body of articles not in shown (model names).
func (k *kbWorld) leaks(body []byte, shown func(a *kbArt) bool) []string {
	var out []string
	low := strings.ToLower(string(body))
	for _, a := range k.m.arts {
		if !shown(a) && strings.Contains(low, a.token) {
			out = append(out, a.name)
		}
	}
	return out
}

func rowIDs(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok && v != nil {
		t.Fatalf("not a list: %v", v)
	}
	var out []string
	for _, x := range list {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

// listIDs reads GET /api/portals/{id}/kb.
func listIDs(t *testing.T, m map[string]any) []string {
	t.Helper()
	out := rowIDs(t, m["uncategorized"])
	for _, c := range m["categories"].([]any) {
		out = append(out, rowIDs(t, c.(map[string]any)["list"])...)
	}
	return out
}

// ---------------------------------------------------------------- checks

// lists checks every path that lists articles for w: each shows exactly
// what the model says. exact=false (the index may lag a change) checks
// only that nothing is shown that w may not read now.
func (k *kbWorld) lists(t *testing.T, w *kbWho, exact bool) {
	m := k.m
	call := func(c *http.Client, method, path, body string) response {
		t.Helper()
		return do(t, c, method, k.r.lan.URL+path, body)
	}
	// compare: exactly the model's list; or, while the index may lag, only
	// articles w may read — and, where drafts are never offered
	// (suggestions, deflection, a portal's list), only published ones.
	compare := func(what string, got []string, keep func(a *kbArt) bool) {
		t.Helper()
		g := k.names(got)
		if exact {
			if wnt := k.want(keep); g != wnt {
				t.Errorf("%s lists [%s]; want [%s]", what, g, wnt)
			}
			return
		}
		publishedOnly := !strings.Contains(what, "/api/kb/search")
		for _, id := range got {
			for _, a := range m.arts {
				if a.id == id && !m.canRead(w, a) {
					t.Errorf("%s lists %s, which %s may not read", what, a.name, w.name)
				}
				if a.id == id && publishedOnly && !a.published {
					t.Errorf("%s lists %s, a draft now", what, a.name)
				}
			}
		}
	}
	noLeak := func(what string, res response, shown func(a *kbArt) bool) {
		t.Helper()
		if !exact {
			shown = func(a *kbArt) bool { return m.canRead(w, a) }
		}
		if l := k.leaks(res.body, shown); len(l) > 0 {
			t.Errorf("%s = %d shows words of %v: %s", what, res.status, l, res.body)
		}
	}

	// Help-center wide search, without and with drafts.
	for _, drafts := range []bool{false, true} {
		q := "/api/kb/search?q=quokka&limit=50"
		keep := func(a *kbArt) bool { return m.findable(w, a) && m.wide(w, a) }
		if drafts {
			q += "&drafts=1"
			keep = func(a *kbArt) bool { return m.canRead(w, a) && m.wide(w, a) }
		}
		res := call(w.client, "GET", q, "")
		v := rqExpect(t, res, 200, "search "+q)
		ids := rowIDs(t, v["articles"])
		compare("GET "+q, ids, keep)
		noLeak("GET "+q, res, keep)
		// The count says no more than the page: hits the caller may not
		// see are not counted either.
		if total := int(v["total"].(float64)); total != len(ids) {
			t.Errorf("GET %s: total %d but %d articles shown (%s): the count reveals hidden articles", q, total, len(ids), k.names(ids))
		}
	}
	// Page by page too: the count on a short page covers hits on later
	// pages, and must not count what w may not read either; nor may a
	// page past the end make up a count. (While the index lags, only the
	// first page: later ones may legitimately miss what moved.)
	{
		mayFind, mayRead := 0, 0
		for _, a := range m.arts {
			if m.findable(w, a) && m.wide(w, a) {
				mayFind++
			}
			if m.canRead(w, a) && m.wide(w, a) {
				mayRead++
			}
		}
		starts := []int{0, 1}
		if !exact {
			starts = starts[:1]
		}
		for _, start := range starts {
			q := fmt.Sprintf("/api/kb/search?q=quokka&limit=1&start=%d", start)
			v := rqExpect(t, call(w.client, "GET", q, ""), 200, "search "+q)
			total := int(v["total"].(float64))
			switch {
			case exact && total != mayFind:
				t.Errorf("GET %s: total %d; want %d, the articles %s may find", q, total, mayFind, w.name)
			case !exact && total > mayRead:
				t.Errorf("GET %s: total %d, but %s may read only %d: the count reveals hidden articles", q, total, w.name, mayRead)
			}
		}
	}
	// Per portal: search and the portal's list.
	for _, key := range []string{"OP", "RS"} {
		p := m.portals[key]
		keep := func(a *kbArt) bool { return a.portal == key && m.findable(w, a) }
		for _, path := range []string{"/api/kb/search?q=quokka&limit=50&portal=" + p.id, "/api/portals/" + p.id + "/kb"} {
			res := call(w.client, "GET", path, "")
			noLeak("GET "+path, res, keep)
			if !m.usesPortal(w, p) {
				if want := m.portalRefusal(w, p); res.status != want {
					t.Errorf("GET %s (%s) = %d; want %d", path, key, res.status, want)
				}
				continue
			}
			v := rqExpect(t, res, 200, "GET "+path)
			var ids []string
			if strings.Contains(path, "/search") {
				ids = rowIDs(t, v["articles"])
			} else {
				ids = listIDs(t, v)
			}
			compare("GET "+path+" ("+key+")", ids, keep)
		}
	}
	// Per article: type-ahead (help-center wide) and deflection (its portal).
	for _, a := range m.arts {
		res := call(w.client, "GET", "/api/kb/suggest?q="+a.token, "")
		v := rqExpect(t, res, 200, "suggest "+a.token)
		var ids []string
		for _, s := range v["suggestions"].([]any) {
			if s := s.(map[string]any); s["kind"] == "article" {
				ids = append(ids, s["id"].(string))
			}
		}
		keep := func(x *kbArt) bool { return x == a && m.findable(w, x) && m.wide(w, x) }
		compare("suggest "+a.token+" ("+a.name+")", ids, keep)
		noLeak("suggest "+a.token, res, keep)

		p := m.portals[a.portal]
		path := "/api/portals/" + p.id + "/kb/deflect?q=" + url.QueryEscape("my "+a.token+" is broken")
		res = call(w.client, "GET", path, "")
		keep = func(x *kbArt) bool { return x == a && m.findable(w, x) }
		noLeak("deflect "+a.name, res, keep)
		if !m.usesPortal(w, p) {
			if want := m.portalRefusal(w, p); res.status != want {
				t.Errorf("deflect %s = %d; want %d", a.name, res.status, want)
			}
			continue
		}
		v = rqExpect(t, res, 200, "deflect "+a.name)
		compare("deflect "+a.name, rowIDs(t, v["articles"]), keep)
	}
}

// refusedLike checks a refusal: anonymous callers are asked to log in,
// everyone else gets the 404 of an unknown id, word for word; neither
// names the article.
func (k *kbWorld) refusedLike(t *testing.T, what string, w *kbWho, a *kbArt, res, unknown response) {
	t.Helper()
	want := 404
	if w.anon {
		want = 401
	}
	if res.status != want {
		t.Errorf("%s %s = %d %s; want %d", what, a.name, res.status, res.body, want)
		return
	}
	if !bytes.Equal(res.body, unknown.body) {
		t.Errorf("%s %s: refusal %s differs from an unknown id's %s", what, a.name, res.body, unknown.body)
	}
	if strings.Contains(strings.ToLower(string(res.body)), a.token) {
		t.Errorf("%s %s: refusal names the article: %s", what, a.name, res.body)
	}
}

// reads checks opening each article and its file; with writes, also
// voting and "this solved my problem" on its portal's raise form.
func (k *kbWorld) reads(t *testing.T, w *kbWho, writes bool) {
	m := k.m
	call := func(c *http.Client, method, path, body string) response {
		t.Helper()
		return do(t, c, method, k.r.lan.URL+path, body)
	}
	unknownArt := call(w.client, "GET", "/api/kb/articles/987654321", "")
	unknownFile := call(w.client, "GET", "/api/kb/files/987654321", "")
	unknownVote := call(w.client, "POST", "/api/kb/articles/987654321/feedback", `{"helpful":true}`)
	for _, a := range m.arts {
		p := m.portals[a.portal]
		ok := m.canRead(w, a)
		res := call(w.client, "GET", "/api/kb/articles/"+a.id, "")
		if ok {
			v := rqExpect(t, res, 200, w.name+" reads "+a.name)
			if v["title"] != a.title || !strings.Contains(v["html"].(string), a.token) {
				t.Errorf("%s reads %s: %s", w.name, a.name, res.body)
			}
			// Only staff see how the article is set up.
			staff := m.staff(w, p)
			for _, f := range []string{"status", "view", "effectiveView", "body", "author", "views"} {
				if _, has := v[f]; has != staff {
					t.Errorf("%s reads %s: field %q present = %v; want %v (staff only)", w.name, a.name, f, has, staff)
				}
			}
			if v["canEdit"] != staff {
				t.Errorf("%s reads %s: canEdit = %v; want %v", w.name, a.name, v["canEdit"], staff)
			}
		} else {
			k.refusedLike(t, "GET article", w, a, res, unknownArt)
		}
		res = call(w.client, "GET", "/api/kb/files/"+a.file, "")
		if ok {
			if res.status != 200 || !bytes.Equal(res.body, kbPNG) || res.header.Get("Content-Type") != "image/png" {
				t.Errorf("%s downloads %s's file = %d %s", w.name, a.name, res.status, res.header.Get("Content-Type"))
			}
		} else {
			k.refusedLike(t, "GET file", w, a, res, unknownFile)
		}
		if !writes {
			continue
		}
		res = call(w.client, "POST", "/api/kb/articles/"+a.id+"/feedback", `{"helpful":true,"reason":"fine"}`)
		if ok {
			if v := rqExpect(t, res, 200, w.name+" votes on "+a.name); v["myVote"] != "yes" {
				t.Errorf("%s votes on %s: %s", w.name, a.name, res.body)
			}
		} else {
			k.refusedLike(t, "POST feedback", w, a, res, unknownVote)
		}
		res = call(w.client, "POST", "/api/portals/"+p.id+"/kb/deflections", `{"article":"`+a.id+`","query":"help"}`)
		switch {
		case !m.usesPortal(w, p):
			if want := m.portalRefusal(w, p); res.status != want {
				t.Errorf("%s: solved by %s = %d; want %d (the portal's refusal)", w.name, a.name, res.status, want)
			}
			if strings.Contains(string(res.body), a.token) {
				t.Errorf("%s: solved by %s: refusal names the article: %s", w.name, a.name, res.body)
			}
		case ok:
			rqExpect(t, res, 204, w.name+": solved by "+a.name)
		default:
			unknown := call(w.client, "POST", "/api/portals/"+p.id+"/kb/deflections", `{"article":"987654321"}`)
			k.refusedLike(t, "POST deflections", w, a, res, unknown)
		}
	}
}

// check runs every path for each caller (everyone if none are named),
// the callers side by side, under t.Run(stage/name). exact=false is for a
// store the index may not have caught up with: whatever the index still
// says, nothing the caller may no longer read is shown, and opening it is
// refused at once.
func (k *kbWorld) check(t *testing.T, stage string, exact, writes bool, who ...*kbWho) {
	t.Helper()
	if len(who) == 0 {
		who = k.people
	}
	t.Run(stage, func(t *testing.T) {
		for _, w := range who {
			t.Run(w.name, func(t *testing.T) {
				t.Parallel()
				k.lists(t, w, exact)
				k.reads(t, w, writes)
			})
		}
	})
}

// kbStep is one change made by the owner, and what it does to the model.
type kbStep struct {
	method, path, body string
	status             int
	update             func()
}

// change makes some changes as the owner, checks at once, then again
// after the index has applied them.
func (k *kbWorld) change(t *testing.T, stage string, steps ...kbStep) {
	t.Helper()
	for _, s := range steps {
		rqExpect(t, k.r.kbCall(k.owner, s.method, s.path, s.body), s.status, stage+": "+s.method+" "+s.path)
		s.update()
	}
	k.check(t, stage+" (before the index syncs)", false, false)
	k.r.kbSync()
	k.check(t, stage, true, false)
}

// ---------------------------------------------------------------- the matrix

func TestKBVisibilityMatrixOverHTTP(t *testing.T) {
	r := newKBRig(t)
	k := newKBWorld(t, r)
	m := k.m

	// The model itself: each caller reads what the table in kbWorld says.
	wantRead := map[string]string{
		"anonymous":                  "o1",
		"Rita (customer of RS)":      "o1 o2 o6 r1 r2 r7",
		"Carl (customer of HR only)": "o1 o2 o6",
		"Mona (Finance member)":      "o1 o2 o3 o6 r1 r2 r3 r6 r7",
		"Dora (@acme.test)":          "o1 o2 o4 o6 r1 r2 r4 r7",
		"Ivy (agent of RS)":          "o1 o2 o6 r1 r2 r3 r4 r5 r6 r7",
		"Hank (agent of HR)":         "o1 o2 o6",
		"Adam (admin)":               "o1 o2 o3 o4 o5 o6 r1 r2 r3 r4 r5 r6 r7",
	}
	for _, w := range k.people {
		if got := k.want(func(a *kbArt) bool { return m.canRead(w, a) }); got != wantRead[w.name] {
			t.Fatalf("model: %s reads [%s]; the table says [%s]", w.name, got, wantRead[w.name])
		}
	}

	k.check(t, "anonymous site", true, true)

	// A site that does not allow anonymous access: visitors must log in
	// everywhere, even for "anyone" articles of an Open portal; nothing
	// changes for people with accounts.
	r.setSite(access.Site{Signup: true})
	m.anonSite = false
	k.check(t, "login-only site", true, true, k.who["anonymous"], k.who["Carl (customer of HR only)"])
	r.setSite(access.Site{})
	k.check(t, "closed site", true, false, k.who["anonymous"], k.who["Dora (@acme.test)"])
	r.setSite(access.Site{Signup: true, Anonymous: true})
	m.anonSite = true

	op, rs := m.portals["OP"], m.portals["RS"]
	rita, mona := k.who["Rita (customer of RS)"], k.who["Mona (Finance member)"]
	k.change(t, "rules narrowed: OP space → logged-in, category Internal → Finance, r2 → @acme.test",
		kbStep{"PATCH", "/api/projects/" + op.id + "/kb", `{"view":{"mode":"loggedin"}}`, 200,
			func() { op.view = kbRule{mode: "loggedin"} }},
		kbStep{"PATCH", "/api/kb/categories/" + m.cats["Internal"].id, kbJSON(map[string]any{"view": map[string]any{"mode": "audience", "orgs": []string{k.finance}}}), 200,
			func() { m.cats["Internal"].view = kbRule{mode: "audience", orgs: []string{k.finance}} }},
		kbStep{"PATCH", "/api/kb/articles/" + k.art["r2"].id, `{"view":{"mode":"audience","domains":["@ACME.test"]}}`, 200,
			func() { k.art["r2"].view = kbRule{mode: "audience", domains: []string{"acme.test"}} }})
	k.change(t, "r1 unpublished, Rita removed from RS",
		kbStep{"PATCH", "/api/kb/articles/" + k.art["r1"].id, `{"status":"draft"}`, 200, func() { k.art["r1"].published = false }},
		kbStep{"DELETE", fmt.Sprintf("/api/projects/%s/customers/%d", rs.id, rita.id), "", 204, func() { rita.customerOf = nil }})
	k.change(t, "RS archived",
		kbStep{"PATCH", "/api/projects/" + rs.id, `{"archived":true}`, 200, func() { rs.archived = true }})
	k.change(t, "RS restored",
		kbStep{"PATCH", "/api/projects/" + rs.id, `{"archived":false}`, 200, func() { rs.archived = false }})
	k.change(t, "Mona leaves Finance, o3 deleted, category Finance corner deleted (r6 inherits RS's logged-in)",
		kbStep{"DELETE", fmt.Sprintf("/api/organizations/%s/members/%d", k.finance, mona.id), "", 204,
			func() { mona.orgs, mona.customerOf = nil, nil }},
		kbStep{"DELETE", "/api/kb/articles/" + k.art["o3"].id, "", 204, func() { k.art["o3"].deleted = true }},
		kbStep{"DELETE", "/api/kb/categories/" + m.cats["Finance corner"].id, "", 204, func() {
			for _, a := range m.arts {
				if a.cat == "Finance corner" {
					a.cat = ""
				}
			}
		}})
	k.check(t, "in the end", true, true)
	rqNoServerErrors(t, r)
}

// An index that lags the store (its worker held) still lists articles by
// the rules it was built with. Every hit is checked again in the store, so
// nobody is shown, counted, suggested or offered an article they may no
// longer read.
func TestKBStaleIndexNeverLeaks(t *testing.T) {
	dir := t.TempDir()
	r, closeFirst := kbRigAt(t, dir, false)
	k := newKBWorld(t, r)
	closeFirst()

	// The same data directory, with the index held from now on. Sessions
	// live in the store, so everyone is still logged in.
	r2, _ := kbRigAt(t, dir, true)
	k.r = r2
	m := k.m
	op, rs := m.portals["OP"], m.portals["RS"]
	step := func(what, method, path, body string, status int, update func()) {
		t.Helper()
		rqExpect(t, r2.kbCall(k.owner, method, path, body), status, what)
		update()
	}
	step("OP space → logged-in", "PATCH", "/api/projects/"+op.id+"/kb", `{"view":{"mode":"loggedin"}}`, 200,
		func() { op.view = kbRule{mode: "loggedin"} })
	step("category Internal → Finance only", "PATCH", "/api/kb/categories/"+m.cats["Internal"].id,
		kbJSON(map[string]any{"view": map[string]any{"mode": "audience", "orgs": []string{k.finance}}}), 200,
		func() { m.cats["Internal"].view = kbRule{mode: "audience", orgs: []string{k.finance}} })
	step("r2 → @acme.test only", "PATCH", "/api/kb/articles/"+k.art["r2"].id, `{"view":{"mode":"audience","domains":["acme.test"]}}`, 200,
		func() { k.art["r2"].view = kbRule{mode: "audience", domains: []string{"acme.test"}} })
	step("r1 unpublished", "PATCH", "/api/kb/articles/"+k.art["r1"].id, `{"status":"draft"}`, 200,
		func() { k.art["r1"].published = false })
	step("o2 deleted", "DELETE", "/api/kb/articles/"+k.art["o2"].id, "", 204, func() { k.art["o2"].deleted = true })
	rita := k.who["Rita (customer of RS)"]
	step("Rita removed from RS", "DELETE", fmt.Sprintf("/api/projects/%s/customers/%d", rs.id, rita.id), "", 204,
		func() { rita.customerOf = nil })

	// The index really is stale: it still files o1 under "anyone" and r1
	// as published.
	for _, c := range []struct{ art, field, term string }{{"o1", "vis", "anyone"}, {"r1", "status", "published"}, {"o2", "status", "published"}} {
		tq := bleve.NewTermQuery(c.term)
		tq.SetField(c.field)
		mq := bleve.NewMatchQuery(k.art[c.art].token)
		mq.SetField("title")
		res, err := r2.b.Index.Search(context.Background(), kb.IndexName, bleve.NewSearchRequest(bleve.NewConjunctionQuery(tq, mq)))
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 {
			t.Fatalf("the held index no longer has %s as %s=%s (%d hits); the test needs a stale index", c.art, c.field, c.term, res.Total)
		}
	}
	k.check(t, "stale index", false, false)
	rqNoServerErrors(t, r2)
}

// ---------------------------------------------------------------- IDOR

// kbSnapshot is everything about the knowledge bases that writes could
// change, read by the owner: spaces, categories, articles (without the
// counters that reading moves), revisions and exported files.
func (k *kbWorld) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	strip := func(v any) any {
		var walk func(v any) any
		walk = func(v any) any {
			switch x := v.(type) {
			case map[string]any:
				for _, f := range []string{"views", "helpful", "notHelpful", "myVote"} {
					delete(x, f)
				}
				for key, y := range x {
					x[key] = walk(y)
				}
			case []any:
				for i, y := range x {
					x[i] = walk(y)
				}
			}
			return v
		}
		return walk(v)
	}
	for _, key := range []string{"OP", "RS"} {
		p := k.m.portals[key]
		v := rqExpect(t, k.r.kbCall(k.owner, "GET", "/api/projects/"+p.id+"/kb", ""), 200, "owner reads space "+key)
		b.WriteString(kbJSON(strip(v)))
		res := k.r.kbCall(k.owner, "GET", "/api/projects/"+p.id+"/kb/export", "")
		if res.status != 200 {
			t.Fatalf("owner exports %s = %d %s", key, res.status, res.body)
		}
		zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			fmt.Fprintf(&b, "\n%s %d", f.Name, f.UncompressedSize64)
		}
	}
	for _, a := range k.m.arts {
		v := rqExpect(t, k.r.kbCall(k.owner, "GET", "/api/kb/articles/"+a.id, ""), 200, "owner reads "+a.name)
		b.WriteString(kbJSON(strip(v)))
		v = rqExpect(t, k.r.kbCall(k.owner, "GET", "/api/kb/articles/"+a.id+"/revisions", ""), 200, "owner reads revisions of "+a.name)
		b.WriteString(kbJSON(v))
	}
	return b.String()
}

// Customers and agents of other projects call every knowledge base
// endpoint by id of projects they do not work: every answer is a refusal
// that names nothing, and nothing changes.
func TestKBIDORSweep(t *testing.T) {
	r := newKBRig(t)
	k := newKBWorld(t, r)
	m := k.m
	before := k.snapshot(t)

	pngBody := string(kbPNG)
	type target struct {
		project string // portal key
		visible *kbArt // a published article the caller may read
		draft   *kbArt
		cat     *kbCategory
	}
	targets := map[string]target{
		"OP": {"OP", k.art["o1"], k.art["o5"], m.cats["Internal"]},
		"RS": {"RS", k.art["r1"], k.art["r5"], m.cats["Finance corner"]},
	}
	attackers := []struct {
		who      *kbWho
		projects []string
	}{
		{k.who["anonymous"], []string{"OP", "RS"}},
		{k.who["Rita (customer of RS)"], []string{"OP", "RS"}},
		{k.who["Carl (customer of HR only)"], []string{"OP", "RS"}},
		{k.who["Mona (Finance member)"], []string{"OP", "RS"}},
		{k.who["Hank (agent of HR)"], []string{"OP", "RS"}},
		{k.who["Ivy (agent of RS)"], []string{"OP"}},
	}
	for _, at := range attackers {
		for _, key := range at.projects {
			tg := targets[key]
			pid := m.portals[key].id
			calls := []struct{ method, path, body string }{}
			for _, a := range []*kbArt{tg.visible, tg.draft} {
				calls = append(calls,
					struct{ method, path, body string }{"PATCH", "/api/kb/articles/" + a.id, `{"title":"pwned","status":"published","view":{"mode":"anyone"}}`},
					struct{ method, path, body string }{"DELETE", "/api/kb/articles/" + a.id, ""},
					struct{ method, path, body string }{"GET", "/api/kb/articles/" + a.id + "/revisions", ""},
					struct{ method, path, body string }{"GET", "/api/kb/articles/" + a.id + "/revisions/1", ""},
					struct{ method, path, body string }{"POST", "/api/kb/articles/" + a.id + "/revisions/1/restore", ""},
					struct{ method, path, body string }{"POST", "/api/kb/articles/" + a.id + "/files?name=pwned.png", pngBody},
				)
			}
			calls = append(calls, []struct{ method, path, body string }{
				{"GET", "/api/kb/articles/" + tg.draft.id, ""},
				{"GET", "/api/kb/files/" + tg.draft.file, ""},
				{"POST", "/api/kb/articles/" + tg.draft.id + "/feedback", `{"helpful":false}`},
				{"POST", "/api/portals/" + pid + "/kb/deflections", `{"article":"` + tg.draft.id + `"}`},
				{"PATCH", "/api/kb/categories/" + tg.cat.id, `{"name":"pwned","view":{"mode":"anyone"},"order":0}`},
				{"DELETE", "/api/kb/categories/" + tg.cat.id, ""},
				{"POST", "/api/projects/" + pid + "/kb/categories", `{"name":"pwned"}`},
				{"POST", "/api/projects/" + pid + "/kb/articles", `{"title":"pwned","status":"published"}`},
				{"GET", "/api/projects/" + pid + "/kb", ""},
				{"PATCH", "/api/projects/" + pid + "/kb", `{"view":{"mode":"anyone"}}`},
				{"POST", "/api/projects/" + pid + "/kb/import", `{"files":[{"path":"x.md","content":"# pwned\n\nbody"}],"status":"published"}`},
				{"GET", "/api/projects/" + pid + "/kb/export", ""},
				{"GET", "/api/kb/analytics?project=" + pid, ""},
			}...)
			if key == "RS" {
				calls = append(calls,
					struct{ method, path, body string }{"POST", "/api/requests/" + k.reqKey + "/article", ""},
					struct{ method, path, body string }{"GET", "/api/requests/" + k.reqKey + "/articles", ""},
					struct{ method, path, body string }{"GET", "/api/requests/" + k.reqKey + "/articles?q=quokka", ""},
				)
			}
			t.Run(at.who.name+" against "+key, func(t *testing.T) {
				for _, c := range calls {
					var hdr []string
					if strings.HasSuffix(strings.Split(c.path, "?")[0], "/files") {
						hdr = []string{"Content-Type", "image/png"}
					}
					res := r.kbCall(at.who.client, c.method, c.path, c.body, hdr...)
					if res.status < 400 || res.status > 499 {
						t.Errorf("%s %s = %d %.300s; want a refusal", c.method, c.path, res.status, res.body)
						continue
					}
					if l := k.leaks(res.body, func(*kbArt) bool { return false }); len(l) > 0 || strings.Contains(string(res.body), "Finance corner") ||
						strings.Contains(string(res.body), "Printer on fire") {
						t.Errorf("%s %s = %d: refusal names %v: %s", c.method, c.path, res.status, l, res.body)
					}
				}
			})
		}
	}
	// Help-center analytics for an agent cover their own projects' articles only.
	v := rqExpect(t, r.kbCall(k.who["Hank (agent of HR)"].client, "GET", "/api/kb/analytics", ""), 200, "Hank's analytics")
	if ids := rowIDs(t, v["articles"]); len(ids) > 0 {
		t.Errorf("Hank's analytics list articles of projects he does not work: %s", k.names(ids))
	}
	if after := k.snapshot(t); after != before {
		t.Errorf("the knowledge bases changed under refused calls:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(k.snapshot(t), "pwned") {
		t.Error("something named pwned was stored")
	}
	// The owner may do what they were refused (the refusals were about
	// who, not about the calls).
	rqExpect(t, r.kbCall(k.owner, "GET", "/api/kb/articles/"+k.art["r1"].id+"/revisions/1", ""), 200, "owner reads revision 1")
	rqExpect(t, r.kbCall(k.owner, "POST", "/api/requests/"+k.reqKey+"/article", ""), 201, "owner makes an article from the request")
	rqExpect(t, r.kbCall(k.owner, "GET", "/api/requests/"+k.reqKey+"/articles?q=quokka", ""), 200, "owner finds articles for a reply")
	rqNoServerErrors(t, r)
}

// ---------------------------------------------------------------- bad input

// kbSafeHTML reports what in h could run script: script-like elements,
// event-handler attributes, and links or sources with a script or data
// scheme (entities decoded).
func kbSafeHTML(h string) []string {
	var bad []string
	tag := regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	attr := regexp.MustCompile(`\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?`)
	name := regexp.MustCompile(`^<([a-zA-Z][a-zA-Z0-9]*)`)
	for _, tg := range tag.FindAllString(h, -1) {
		el := strings.ToLower(name.FindStringSubmatch(tg)[1])
		switch el {
		case "script", "iframe", "object", "embed", "style", "svg", "math", "form", "input", "button", "link", "meta", "base", "frame", "frameset":
			bad = append(bad, "element "+tg)
		}
		for _, a := range attr.FindAllStringSubmatch(tg, -1) {
			n := strings.ToLower(a[1])
			v := strings.Trim(a[2], `"'`)
			v = strings.ToLower(strings.Join(strings.Fields(html.UnescapeString(v)), ""))
			switch {
			case strings.HasPrefix(n, "on"), n == "style", n == "srcdoc", n == "formaction":
				bad = append(bad, "attribute "+a[0]+" in "+tg)
			case (n == "href" || n == "src" || n == "action" || n == "xlink:href") &&
				(strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")):
				bad = append(bad, "link "+a[0]+" in "+tg)
			}
		}
		if strings.Contains(strings.ToLower(html.UnescapeString(tg)), "javascript:") {
			bad = append(bad, "javascript: in "+tg)
		}
	}
	return bad
}

func TestKBHostileContent(t *testing.T) {
	r := newKBRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	r.setSite(access.Site{Signup: true, Anonymous: true})
	op, _ := r.rqProject(owner, "OP", access.Open)
	pid := fmt.Sprint(op.ID)
	visitor := r.client()

	title := `<script>alert(1)</script> Wombat <img src=x onerror=alert(1)>`
	body := "# Wombat burrows\n\n<script>alert('x')</script>\n\n" +
		"[click](javascript:alert(1)) <img src=x onerror=alert(2)> <a href=\"javascript:alert(3)\">raw link</a>\n\n" +
		"<iframe src=\"https://evil.test\"></iframe>\n\n<div onmouseover=\"alert(4)\">wombat hover</div>\n\n" +
		"![pic](javascript:alert(5)) [data](data:text/html;base64,PHNjcmlwdD4=) [x](JaVaScRiPt:alert(6)) [z](&#106;avascript:alert(7))\n\n" +
		"<style>body{display:none}</style>\n\n<svg onload=alert(8)>\n\n<form action=\"javascript:alert(9)\"><button>go</button></form>\n\n" +
		"<javascript:alert(10)>\n\nWombats dig long burrows at night."
	v := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles",
		kbJSON(map[string]any{"title": title, "body": body, "status": "published", "view": map[string]any{"mode": "anyone"}})), 201, "create the hostile article")
	id := v["id"].(string)
	// Code shows tags as text.
	code := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles",
		kbJSON(map[string]any{"title": "Numbat markup", "body": "Type `<script>alert(1)</script>` to see numbat code.\n\n```html\n<img src=x onerror=alert(1)>\n```", "status": "published"})), 201, "create the code article")
	r.kbSync()

	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"visitor", visitor}, {"owner", owner}} {
		v := rqExpect(t, r.kbCall(c.client, "GET", "/api/kb/articles/"+id, ""), 200, c.name+" reads the hostile article")
		h := v["html"].(string)
		if bad := kbSafeHTML(h); len(bad) > 0 {
			t.Errorf("%s: the article's html can run script: %v\n%s", c.name, bad, h)
		}
		for _, s := range []string{"<script", "onerror", "onmouseover", "onload", "<iframe", "<style", "<svg", "<form"} {
			if strings.Contains(strings.ToLower(h), s) {
				t.Errorf("%s: the article's html holds %q:\n%s", c.name, s, h)
			}
		}
		if strings.Contains(h, title) || strings.Contains(h, "<img src=x") {
			t.Errorf("%s: raw markup passed into the html:\n%s", c.name, h)
		}
		if !strings.Contains(h, "Wombats dig long burrows") {
			t.Errorf("%s: the article's text is gone:\n%s", c.name, h)
		}
		// The preview renders like the article.
		if c.name == "owner" {
			p := rqExpect(t, r.kbCall(owner, "POST", "/api/kb/preview", kbJSON(map[string]any{"body": body})), 200, "preview")
			if bad := kbSafeHTML(p["html"].(string)); len(bad) > 0 {
				t.Errorf("preview can run script: %v", bad)
			}
		}
	}
	cv := rqExpect(t, r.kbCall(visitor, "GET", "/api/kb/articles/"+code["id"].(string), ""), 200, "read the code article")
	if h := cv["html"].(string); !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") || len(kbSafeHTML(h)) > 0 || strings.Contains(h, "<script") {
		t.Errorf("code should show tags as text, escaped: %s", h)
	}

	// Search excerpts are plain text of what a reader sees: no tags or
	// handlers from the body's raw HTML (the client shows them as text).
	for _, q := range []string{"wombat", "burrows", "hover", "click", "raw link"} {
		for _, path := range []string{"/api/kb/search?q=" + url.QueryEscape(q), "/api/portals/" + pid + "/kb/deflect?q=" + url.QueryEscape(q)} {
			res := r.kbCall(visitor, "GET", path, "")
			v := rqExpect(t, res, 200, path)
			for _, a := range v["articles"].([]any) {
				a := a.(map[string]any)
				if a["id"] != id {
					continue
				}
				ex := a["excerpt"].(string)
				// (An autolink's text is what a reader sees; the raw HTML's
				// handlers and scripts are not.)
				for _, s := range []string{"<", ">", "onerror", "onmouseover", "onload", "alert('x')", "alert(2)", "alert(3)", "alert(4)",
					"alert(8)", "alert(9)", "evil.test", "display:none"} {
					if strings.Contains(strings.ToLower(ex), s) {
						t.Errorf("%s: excerpt holds %q from raw HTML: %q", path, s, ex)
					}
				}
			}
		}
	}
	// The portal's list shows the opening as plain text too.
	lv := rqExpect(t, r.kbCall(visitor, "GET", "/api/portals/"+pid+"/kb", ""), 200, "portal list")
	for _, a := range lv["uncategorized"].([]any) {
		a := a.(map[string]any)
		if ex := a["excerpt"].(string); a["id"] == id && (strings.Contains(ex, "<") || strings.Contains(ex, "onerror")) {
			t.Errorf("list excerpt holds raw HTML: %q", ex)
		}
	}

	// Files that could run script are never shown inline.
	for _, f := range []struct{ name, data string }{
		{"evil.svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`},
		{"evil.png", "<html><body><script>alert(1)</script></body></html>"},
		{"evil.html", "<!doctype html><script>alert(1)</script>"},
	} {
		fv := rqExpect(t, r.kbCall(owner, "POST", "/api/kb/articles/"+id+"/files?name="+url.QueryEscape(f.name), f.data, "Content-Type", "application/octet-stream"), 201, "upload "+f.name)
		res := r.kbCall(visitor, "GET", "/api/kb/files/"+fv["id"].(string), "")
		if res.status != 200 {
			t.Fatalf("download %s = %d", f.name, res.status)
		}
		ct, cd, csp := res.header.Get("Content-Type"), res.header.Get("Content-Disposition"), res.header.Get("Content-Security-Policy")
		if strings.HasPrefix(ct, "image/svg") || strings.HasPrefix(ct, "image/png") || !strings.HasPrefix(cd, "attachment") ||
			!strings.Contains(csp, "sandbox") || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s is served as %q, %q, CSP %q: script could run from our origin", f.name, ct, cd, csp)
		}
		if strings.Contains(fv["markdown"].(string), "![") {
			t.Errorf("%s is offered as an image: %s", f.name, fv["markdown"])
		}
	}
	rqNoServerErrors(t, r)
}

func TestKBBadInput(t *testing.T) {
	r := newKBRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	op, _ := r.rqProject(owner, "OP", access.Open)
	hr, _ := r.rqProject(owner, "HR", access.Restricted)
	pid, hid := fmt.Sprint(op.ID), fmt.Sprint(hr.ID)
	org := r.rqOrg(owner, "Finance")
	cat := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/categories", `{"name":"Guides"}`), 201, "category")["id"].(string)
	hrCat := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+hid+"/kb/categories", `{"name":"HR only","view":{"mode":"loggedin"}}`), 201, "HR category")["id"].(string)
	art := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles",
		`{"title":"Platypus care","body":"Feed the platypus.","status":"published","category":"`+cat+`"}`), 201, "article")["id"].(string)
	snapshot := func() string {
		t.Helper()
		v := rqExpect(t, r.kbCall(owner, "GET", "/api/projects/"+pid+"/kb", ""), 200, "space")
		a := rqExpect(t, r.kbCall(owner, "GET", "/api/kb/articles/"+art, ""), 200, "article")
		h := rqExpect(t, r.kbCall(owner, "GET", "/api/projects/"+hid+"/kb", ""), 200, "HR space")
		return kbJSON([]any{v, a, h})
	}
	before := snapshot()

	long := func(n int) string { return strings.Repeat("a", n) }
	bad := []string{
		`{`, `[]`, `"x"`, `null`, `{"title":"x"} {}`, `{"title":"x",}`,
		`{"title":5}`, `{"title":["x"]}`, `{"title":"x","labels":"a"}`, `{"title":"x","status":true}`, `{"title":"x","revision":"1"}`,
		`{"title":"x","unknown":1}`, `{"title":""}`, `{"title":"   "}`, `{"title":"` + long(256) + `"}`,
		`{"title":"x","status":"live"}`, `{"title":"x","status":"Published"}`,
		`{"title":"x","view":"anyone"}`, `{"title":"x","view":{"mode":"everyone"}}`, `{"title":"x","view":{"mode":""}}`,
		`{"title":"x","view":{"mode":"Anyone"}}`, `{"title":"x","view":{"mode":"anyone","extra":1}}`,
		`{"title":"x","view":{"mode":"audience"}}`, `{"title":"x","view":{"mode":"audience","orgs":[]}}`,
		`{"title":"x","view":{"mode":"audience","orgs":[],"domains":[]}}`,
		`{"title":"x","view":{"mode":"audience","orgs":["987654"]}}`, `{"title":"x","view":{"mode":"audience","orgs":["abc"]}}`,
		`{"title":"x","view":{"mode":"audience","orgs":"` + org + `"}}`, `{"title":"x","view":{"mode":"audience","orgs":[-1]}}`,
		`{"title":"x","view":{"mode":"audience","domains":["not a domain"]}}`, `{"title":"x","view":{"mode":"audience","domains":[""]}}`,
		`{"title":"x","view":{"mode":"audience","domains":["*"]}}`,
		`{"title":"x","category":"` + hrCat + `"}`, `{"title":"x","category":"abc"}`, `{"title":"x","category":"987654"}`, `{"title":"x","category":5}`,
		`{"title":"x","labels":["` + long(51) + `"]}`,
		kbJSON(map[string]any{"title": "x", "body": long(500_001)}),
		kbJSON(map[string]any{"title": "x", "body": long(400_001)}),
		kbJSON(map[string]any{"title": "x", "body": strings.Repeat("é", 400_001)}),
	}
	t.Run("create", func(t *testing.T) {
		for _, b := range bad {
			res := r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles", b)
			if res.status != 400 {
				t.Errorf("create %.120s = %d %.200s; want 400", b, res.status, res.body)
			}
		}
	})
	t.Run("change", func(t *testing.T) {
		for _, b := range bad {
			if b == `null` {
				continue // an empty change: nothing to refuse
			}
			res := r.kbCall(owner, "PATCH", "/api/kb/articles/"+art, b)
			if res.status != 400 {
				t.Errorf("change %.120s = %d %.200s; want 400", b, res.status, res.body)
			}
		}
	})
	t.Run("space", func(t *testing.T) {
		for _, b := range []string{`{`, `{}`, `{"view":null}`, `{"view":{"mode":"inherit"}}`, `{"view":{"mode":"bogus"}}`, `{"view":{"mode":"audience"}}`,
			`{"view":{"mode":"audience","orgs":["987654"]}}`, `{"view":"loggedin"}`, `{"view":{"mode":"anyone"},"x":1}`} {
			if res := r.kbCall(owner, "PATCH", "/api/projects/"+pid+"/kb", b); res.status != 400 {
				t.Errorf("space %s = %d %s; want 400", b, res.status, res.body)
			}
		}
	})
	t.Run("category", func(t *testing.T) {
		for _, b := range []string{`{`, `{"name":""}`, `{"name":5}`, `{"order":"x"}`, `{"view":{"mode":"nope"}}`, `{"view":{"mode":"audience","orgs":[]}}`,
			`{"name":"` + long(101) + `"}`, `{"description":"` + long(501) + `"}`} {
			if res := r.kbCall(owner, "PATCH", "/api/kb/categories/"+cat, b); res.status != 400 {
				t.Errorf("change category %s = %d %s; want 400", b, res.status, res.body)
			}
			if res := r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/categories", b); res.status != 400 {
				t.Errorf("create category %s = %d %s; want 400", b, res.status, res.body)
			}
		}
		if res := r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/categories", `{"name":"guides"}`); res.status != 400 {
			t.Errorf("a second category called guides = %d; want 400", res.status)
		}
	})
	t.Run("feedback and deflections", func(t *testing.T) {
		for _, b := range []string{`{`, `{}`, `{"helpful":"yes"}`, `{"helpful":1}`, `{"helpful":null}`, `{"helpful":true,"reason":"` + long(1001) + `"}`, `{"helpful":true,"x":1}`} {
			if res := r.kbCall(owner, "POST", "/api/kb/articles/"+art+"/feedback", b); res.status != 400 {
				t.Errorf("feedback %.80s = %d %s; want 400", b, res.status, res.body)
			}
		}
		for _, b := range []string{`{`, `{}`, `{"article":"abc"}`, `{"article":5}`, `{"article":"0"}`, `{"article":"-1"}`} {
			if res := r.kbCall(owner, "POST", "/api/portals/"+pid+"/kb/deflections", b); res.status != 400 {
				t.Errorf("deflection %s = %d %s; want 400", b, res.status, res.body)
			}
		}
		// An article of another portal did not solve this portal's form.
		other := rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+hid+"/kb/articles", `{"title":"HR thing","status":"published"}`), 201, "HR article")["id"].(string)
		if res := r.kbCall(owner, "POST", "/api/portals/"+pid+"/kb/deflections", `{"article":"`+other+`"}`); res.status != 400 {
			t.Errorf("deflection by another portal's article = %d %s; want 400", res.status, res.body)
		}
		rqExpect(t, r.kbCall(owner, "DELETE", "/api/kb/articles/"+other, ""), 204, "delete the HR article")
	})
	t.Run("ids", func(t *testing.T) {
		for _, p := range []string{"/api/kb/articles/abc", "/api/kb/articles/0", "/api/kb/articles/-1", "/api/kb/articles/99999999999999999999",
			"/api/kb/files/abc", "/api/kb/articles/" + art + "/revisions/0", "/api/kb/articles/" + art + "/revisions/x",
			"/api/kb/articles/" + art + "/revisions/99", "/api/portals/abc/kb", "/api/portals/0/kb/deflect?q=x", "/api/projects/abc/kb"} {
			if res := r.kbCall(owner, "GET", p, ""); res.status != 404 {
				t.Errorf("GET %s = %d %s; want 404", p, res.status, res.body)
			}
		}
	})
	t.Run("files", func(t *testing.T) {
		big := bytes.Repeat([]byte{0x89}, 10<<20+1)
		res := r.kbCall(owner, "POST", "/api/kb/articles/"+art+"/files?name=big.png", string(big), "Content-Type", "image/png")
		if res.status != 413 {
			t.Errorf("an 10 MB + 1 file = %d %s; want 413", res.status, res.body)
		}
		// Without a declared length the body is cut at the limit.
		req, _ := http.NewRequest("POST", r.lan.URL+"/api/kb/articles/"+art+"/files?name=big.png", io.MultiReader(bytes.NewReader(big)))
		req.Header.Set("Content-Type", "image/png")
		resp, err := owner.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("an 10 MB + 1 file sent chunked = %d; want 413", resp.StatusCode)
		}
		if res := r.kbCall(owner, "POST", "/api/kb/articles/"+art+"/files?name=empty.png", "", "Content-Type", "image/png"); res.status != 400 {
			t.Errorf("an empty file = %d %s; want 400", res.status, res.body)
		}
		// Nothing was stored: the export holds no files.
		res = r.kbCall(owner, "GET", "/api/projects/"+pid+"/kb/export", "")
		zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if strings.Contains(f.Name, "files/") {
				t.Errorf("a refused file was stored: %s", f.Name)
			}
		}
	})
	if after := snapshot(); after != before {
		t.Errorf("bad input changed the knowledge base:\nbefore %s\nafter  %s", before, after)
	}
	// The longest body allowed is accepted (the limit is not off by one).
	rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles", kbJSON(map[string]any{"title": "Long", "body": strings.Repeat("é", 400_000)})), 201, "a 400,000-character body")
	rqNoServerErrors(t, r)
}

// Queries are words: Bleve's query syntax is never an operator, odd input
// is a 200 or a 400, never a 500, and no query finds what the caller may
// not read.
func TestKBQueriesAreWords(t *testing.T) {
	r := newKBRig(t)
	r.setUpOwner()
	owner := r.ownerClient()
	r.setSite(access.Site{Signup: true, Anonymous: true})
	op, _ := r.rqProject(owner, "OP", access.Open)
	pid := fmt.Sprint(op.ID)
	customer := r.rqCustomer(owner, op.ID, "Rita", "rita@example.org")
	visitor := r.client()
	mk := func(title, body, status, view string) string {
		in := map[string]any{"title": title, "body": body, "status": status}
		if view != "" {
			in["view"] = map[string]any{"mode": view}
		}
		return rqExpect(t, r.kbCall(owner, "POST", "/api/projects/"+pid+"/kb/articles", kbJSON(in)), 201, "create "+title)["id"].(string)
	}
	page := mk("Quokka status page", "The status page of the quokka service.", "published", "anyone")
	draft := mk("Zorilla status draft", "status draft zorilla title project vis loggedin anyone published", "draft", "")
	members := mk("Numbat loggedin notes", "vis loggedin numbat project status", "published", "loggedin")
	r.kbSync()

	type caller struct {
		name   string
		client *http.Client
		may    map[string]bool
	}
	callers := []caller{
		{"visitor", visitor, map[string]bool{page: true}},
		{"customer", customer.client, map[string]bool{page: true, members: true}},
	}
	names := map[string]string{page: "page", draft: "draft", members: "members"}
	found := func(res response) []string {
		var out []string
		if res.status != 200 {
			return nil
		}
		v := res.json(t)
		list, _ := v["articles"].([]any)
		if s, ok := v["suggestions"].([]any); ok {
			list = s
		}
		for _, a := range list {
			a := a.(map[string]any)
			if k, ok := a["kind"]; ok && k != "article" {
				continue
			}
			out = append(out, names[a["id"].(string)])
		}
		return out
	}
	queries := []string{"", " ", "\t\n", strings.Repeat("x", 10_000), strings.Repeat("status ", 1500),
		"zorilla", "zorila", "status draft", "+zorilla", "(zorilla)", "title:x", "title:zorilla", "status:draft", "status:draft title:zorilla", "+status:draft", "vis:loggedin", "vis:anyone", "project:" + pid,
		"_id:" + draft, "_all:zorilla", "+a -b", "+quokka -status", "*", "*:*", "zor*", `"unbalanced`, `"status draft"`, `\`, `\\`, "~2", "zorilla~2", "zorila",
		"/regex/", "/zor.*/", "^3", "status^3", "(", ")", "[", "]", "{", "}", ":", "!", "?", "&&", "||", "AND", "NOT status", "status AND draft",
		"a:b:c", "-", "+", "--", "'", "%", "%00", "\x00", "\xff\xfe", "é", "🦘", "<script>alert(1)</script>", "' OR 1=1 --", "status:", ":draft"}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			for _, q := range queries {
				esc := url.QueryEscape(q)
				for _, path := range []string{"/api/kb/search?q=" + esc, "/api/kb/search?drafts=1&q=" + esc, "/api/kb/search?portal=" + pid + "&q=" + esc,
					"/api/kb/suggest?q=" + esc, "/api/kb/suggest?portal=" + pid + "&q=" + esc, "/api/portals/" + pid + "/kb/deflect?q=" + esc} {
					res := r.kbCall(c.client, "GET", path, "")
					if res.status != 200 && res.status != 400 {
						t.Errorf("GET %.100s = %d %.200s; want 200 or 400", path, res.status, res.body)
						continue
					}
					for _, name := range found(res) {
						for id, n := range names {
							if n == name && !c.may[id] {
								t.Errorf("GET %.100s finds %s for the %s", path, name, c.name)
							}
						}
					}
					if strings.Contains(string(res.body), "Zorilla") || strings.Contains(strings.ToLower(string(res.body)), "zorilla status") {
						t.Errorf("GET %.100s names the draft for the %s: %s", path, c.name, res.body)
					}
				}
			}
			// Operators are words: "+quokka -status" still finds the page
			// that holds "status". (A colon joins letters into one word, as
			// in Unicode word breaking: "status:page" is one unknown word.)
			for _, q := range []string{"+quokka -status", "-status", "NOT status", "quokka AND status", "(quokka)", "quokka~2", "quokka^3"} {
				if got := found(r.kbCall(c.client, "GET", "/api/kb/search?q="+url.QueryEscape(q), "")); !slices.Contains(got, "page") {
					t.Errorf("search %q = %v; want the page (the words are searched, not parsed)", q, got)
				}
			}
		})
	}
	// Staff searching drafts find them by the same words: the draft is
	// really there, so the refusals above are the filter's doing.
	for _, q := range []string{"status draft", "zorilla", "zorila", "+zorilla -draft", "zorilla~2", "(zorilla)"} {
		if got := found(r.kbCall(owner, "GET", "/api/kb/search?drafts=1&q="+url.QueryEscape(q), "")); !slices.Contains(got, "draft") {
			t.Errorf("owner's draft search %q = %v; want the draft", q, got)
		}
	}
	// Paging and ids.
	for _, p := range []struct {
		path string
		want int
	}{
		{"/api/kb/search?q=quokka&start=-1", 400}, {"/api/kb/search?q=quokka&start=1001", 400}, {"/api/kb/search?q=quokka&start=x", 400},
		{"/api/kb/search?q=quokka&limit=x", 400}, {"/api/kb/search?q=quokka&limit=100000", 200}, {"/api/kb/search?q=quokka&limit=-5", 400},
		{"/api/kb/search?q=quokka&portal=abc", 400}, {"/api/kb/search?q=quokka&portal=0", 400}, {"/api/kb/search?q=quokka&portal=987654", 404},
		{"/api/kb/suggest?q=quokka&portal=abc", 400}, {"/api/kb/suggest?q=quokka&portal=987654", 404},
		{"/api/portals/987654/kb/deflect?q=quokka", 404}, {"/api/portals/987654/kb", 404},
	} {
		if res := r.kbCall(customer.client, "GET", p.path, ""); res.status != p.want {
			t.Errorf("GET %s = %d %s; want %d", p.path, res.status, res.body, p.want)
		}
	}
	rqNoServerErrors(t, r)
}
