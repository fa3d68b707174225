package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/backendtest"
	"portico/backend/identity"
	"portico/backend/server"
)

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var assets = fstest.MapFS{
	"index.html":         {Data: []byte("<!doctype html><title>portal</title>")},
	"console/index.html": {Data: []byte("<!doctype html><title>console</title>")},
	"assets/app-abc.js":  {Data: []byte("console.log(1)")},
	"favicon.svg":        {Data: []byte("<svg/>")},
}

type rig struct {
	t      *testing.T
	b      *backend.Backend
	srv    *server.Server
	lan    *httptest.Server
	window *httptest.Server
	logs   *syncBuffer
}

func newRig(t *testing.T) *rig { return newRigWith(t, identity.Options{}) }

func newRigWith(t *testing.T, o identity.Options) *rig {
	t.Helper()
	logs := &syncBuffer{}
	log := zerolog.New(logs)
	b := backendtest.NewWith(t, log, o)
	b.HelpCenter.SetAddresses([]string{"http://192.168.1.5:8480/", "http://10.0.0.7:8480/"})
	srv := server.New(b, log, server.Options{Assets: assets, MaxBody: 4096})
	// The window's requests arrive in-process from the webview, whose host
	// is "wails"; over HTTP in a test, the rig sets that host itself.
	win := srv.Window()
	asWebview := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { req.Host = "wails"; win.ServeHTTP(w, req) })
	r := &rig{t: t, b: b, srv: srv, lan: httptest.NewServer(srv.LAN()), window: httptest.NewServer(asWebview), logs: logs}
	t.Cleanup(r.lan.Close)
	t.Cleanup(r.window.Close)
	return r
}

const ownerPassword = "correct horse battery"

func (r *rig) setUpOwner() {
	r.t.Helper()
	if _, err := r.b.Setup(context.Background(), identity.Claim{Desktop: true}, backend.SetupChoices{HelpCenterName: "Acme Help"},
		identity.NewAccount{Name: "Olga", Email: "olga@example.org", Password: ownerPassword}); err != nil {
		r.t.Fatal(err)
	}
}

// client is a browser on the LAN: it keeps cookies.
func (r *rig) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (res response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, res.body)
	}
	return m
}

func (res response) errKind(t *testing.T) string {
	t.Helper()
	e, _ := res.json(t)["error"].(map[string]any)
	k, _ := e["kind"].(string)
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error response has no message: %s", res.body)
	}
	return k
}

func do(t *testing.T, c *http.Client, method, url, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func TestHealthz(t *testing.T) {
	r := newRig(t)
	res := do(t, http.DefaultClient, "GET", r.lan.URL+"/healthz", "")
	if res.status != 200 || res.json(t)["status"] != "ok" {
		t.Errorf("GET /healthz = %d %s; want 200 ok", res.status, res.body)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	c := http.DefaultClient
	big := `{"email":"` + strings.Repeat("a", 5000) + `","password":"x"}`
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		kind                     string
	}{
		{"malformed JSON", "POST", "/api/login", `{"email":`, nil, 400, "invalid"},
		{"not an object", "POST", "/api/login", `[1,2]`, nil, 400, "invalid"},
		{"wrong field type", "POST", "/api/login", `{"email":5}`, nil, 400, "invalid"},
		{"unknown field", "POST", "/api/login", `{"emial":"a@b.c"}`, nil, 400, "invalid"},
		{"two objects", "POST", "/api/login", `{"email":"a"} {"email":"b"}`, nil, 400, "invalid"},
		{"empty body", "POST", "/api/login", ``, []string{"Content-Type", "application/json"}, 400, "invalid"},
		{"form instead of JSON", "POST", "/api/login", `email=a`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "invalid"},
		{"oversized body", "POST", "/api/login", big, nil, 413, "too_large"},
		{"unknown API route", "GET", "/api/nope", "", nil, 404, "not_found"},
		{"wrong method", "DELETE", "/api/session", "", nil, 405, "method_not_allowed"},
		{"wrong method on a page", "POST", "/console", `{}`, nil, 405, "method_not_allowed"},
		{"cross-origin POST", "POST", "/api/login", `{"email":"olga@example.org","password":"` + ownerPassword + `"}`,
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"}, 403, "forbidden"},
		{"cross-origin POST, old browser", "POST", "/api/login", `{"email":"olga@example.org","password":"` + ownerPassword + `"}`,
			[]string{"Origin", "http://evil.example"}, 403, "forbidden"},
		{"QR for nobody", "GET", "/api/qr?text=x", "", nil, 401, "unauthenticated"},
		{"CONNECT", "CONNECT", "/api/session", "", nil, 405, "method_not_allowed"},
		{"OPTIONS", "OPTIONS", "/api/session", "", nil, 405, "method_not_allowed"},
		{"bare /api", "GET", "/api", "", nil, 404, "not_found"},
		{"double slash", "GET", "/api//session", "", nil, 404, "not_found"},
		{"dot-dot", "GET", "/api/../api/session", "", nil, 404, "not_found"},
		{"trailing slash", "GET", "/api/session/", "", nil, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, c, tc.method, r.lan.URL+tc.path, tc.body, tc.hdr...)
			if res.status != tc.status {
				t.Fatalf("%s %s = %d %s; want %d", tc.method, tc.path, res.status, res.body, tc.status)
			}
			if got := res.errKind(t); got != tc.kind {
				t.Errorf("%s %s error kind = %q; want %q", tc.method, tc.path, got, tc.kind)
			}
		})
	}
	if res := do(t, c, "HEAD", r.lan.URL+"/api/session", ""); res.status != 200 {
		t.Errorf("HEAD /api/session = %d; want 200", res.status)
	}
	res := do(t, c, "DELETE", r.lan.URL+"/api/session", "")
	if res.header.Get("Allow") != "GET" {
		t.Errorf("405 Allow = %q; want GET", res.header.Get("Allow"))
	}
	if strings.Contains(r.logs.String(), `"status":500`) {
		t.Errorf("bad input produced a 500:\n%s", r.logs.String())
	}
	// Nothing stored was lost: the owner still logs in.
	if res := do(t, c, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"`+ownerPassword+`"}`); res.status != 200 {
		t.Errorf("login after bad input = %d %s; want 200", res.status, res.body)
	}
}

// A body declared larger than the limit is refused before it is read, so
// a client cannot hold a connection open by promising a huge body.
func TestDeclaredOversizedBodyIsRefusedAtOnce(t *testing.T) {
	r := newRig(t)
	host := strings.TrimPrefix(r.lan.URL, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{}", host)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a huge declared body: %v", err)
	}
	if res.StatusCode != 413 {
		t.Errorf("declared 999999999-byte body = %d; want 413", res.StatusCode)
	}
}

func TestSameOriginPostIsAllowed(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	res := do(t, http.DefaultClient, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"`+ownerPassword+`"}`,
		"Sec-Fetch-Site", "same-origin", "Origin", r.lan.URL)
	if res.status != 200 {
		t.Errorf("same-origin login = %d %s; want 200", res.status, res.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	r := newRig(t)
	for _, p := range []string{"/", "/api/session", "/healthz", "/api/nope", "cross-origin"} {
		var res response
		if p == "cross-origin" {
			res = do(t, http.DefaultClient, "POST", r.lan.URL+"/api/login", `{}`, "Origin", "http://evil.example")
		} else {
			res = do(t, http.DefaultClient, "GET", r.lan.URL+p, "")
		}
		h := res.header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s CSP = %q; want self-only scripts and no framing", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s headers = %v; want nosniff and a referrer policy", p, h)
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("GET %s has no X-Request-Id", p)
		}
	}
}

func TestStaticPages(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		base  *httptest.Server
		path  string
		title string
		cache string
	}{
		{r.lan, "/", "portal", "no-cache"},
		{r.lan, "/portal/1/IT-42", "portal", "no-cache"},
		{r.lan, "/console", "console", "no-cache"},
		{r.lan, "/console/settings", "console", "no-cache"},
		{r.lan, "/setup", "console", "no-cache"},
		{r.window, "/", "console", "no-cache"},
	} {
		res := do(t, http.DefaultClient, "GET", tc.base.URL+tc.path, "")
		if res.status != 200 || !strings.Contains(string(res.body), "<title>"+tc.title+"</title>") {
			t.Errorf("GET %s = %d %q; want the %s page", tc.path, res.status, res.body, tc.title)
		}
		if res.header.Get("Cache-Control") != tc.cache {
			t.Errorf("GET %s Cache-Control = %q; want %q", tc.path, res.header.Get("Cache-Control"), tc.cache)
		}
	}
	res := do(t, http.DefaultClient, "GET", r.lan.URL+"/assets/app-abc.js", "")
	if res.status != 200 || !strings.Contains(res.header.Get("Cache-Control"), "immutable") ||
		!strings.Contains(res.header.Get("Content-Type"), "javascript") {
		t.Errorf("GET /assets/app-abc.js = %d %v; want 200, immutable, javascript", res.status, res.header)
	}
	if res := do(t, http.DefaultClient, "GET", r.lan.URL+"/assets/missing.js", ""); res.status != 404 {
		t.Errorf("GET /assets/missing.js = %d; want 404", res.status)
	}
	if res := do(t, http.DefaultClient, "GET", r.lan.URL+"/assets", ""); res.status != 200 || !strings.Contains(string(res.body), "portal") {
		t.Errorf("GET /assets (a directory) = %d; want the portal page, not a listing", res.status)
	}
}

func TestSetupOverTheLAN(t *testing.T) {
	r := newRig(t)
	token, err := r.b.Identity.NewSetupToken(context.Background())
	if err != nil || token == "" {
		t.Fatalf("NewSetupToken = %q, %v", token, err)
	}
	body := func(tok string) string {
		return `{"token":"` + tok + `","helpCenterName":"Acme Help","name":"Olga","email":"olga@example.org","password":"` + ownerPassword + `"}`
	}
	c := r.client()
	if s := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t); s["setupRequired"] != true || s["door"] != "lan" || s["account"] != nil {
		t.Errorf("session before setup = %v; want setupRequired on the lan, nobody", s)
	}
	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", token + "x"}} {
		res := do(t, c, "POST", r.lan.URL+"/api/setup", body(tc.token))
		if res.status != 403 {
			t.Errorf("setup with %s = %d %s; want 403", tc.name, res.status, res.body)
		}
	}
	res := do(t, c, "POST", r.lan.URL+"/api/setup", `{"token":"`+token+`","helpCenterName":"","name":"","email":"nope","password":"short"}`)
	if res.status != 400 {
		t.Fatalf("setup with bad fields = %d %s; want 400", res.status, res.body)
	}
	fields, _ := res.json(t)["error"].(map[string]any)["fields"].(map[string]any)
	for _, f := range []string{"name", "email", "password"} {
		if fields[f] == nil {
			t.Errorf("no message for %s in %s", f, res.body)
		}
	}
	res = do(t, c, "POST", r.lan.URL+"/api/setup", body(token))
	if res.status != 201 {
		t.Fatalf("setup with the token = %d %s; want 201", res.status, res.body)
	}
	ck := res.header.Get("Set-Cookie")
	if !strings.Contains(ck, "portico_session=") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Errorf("setup Set-Cookie = %q; want an HttpOnly SameSite=Lax session cookie", ck)
	}
	s := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t)
	if a, _ := s["account"].(map[string]any); s["setupRequired"] != false || a["email"] != "olga@example.org" || a["role"] != "admin" || a["id"] != "1" {
		t.Errorf("session after setup = %v; want the owner, logged in", s)
	}
	if hc := do(t, c, "GET", r.lan.URL+"/api/helpcenter", "").json(t); hc["name"] != "Acme Help" {
		t.Errorf("help center after setup = %v; want Acme Help", hc)
	}
	if res := do(t, r.client(), "POST", r.lan.URL+"/api/setup", body(token)); res.status != 409 {
		t.Errorf("setup again with the used token = %d; want 409", res.status)
	}
	if strings.Contains(r.logs.String(), token) || strings.Contains(r.logs.String(), ownerPassword) {
		t.Errorf("a secret reached the log:\n%s", r.logs.String())
	}
}

func TestWindowDoorCarriesTheOwner(t *testing.T) {
	r := newRig(t)
	s := do(t, http.DefaultClient, "GET", r.window.URL+"/api/session", "").json(t)
	if s["door"] != "window" || s["setupRequired"] != true || s["account"] != nil {
		t.Errorf("window session before setup = %v; want window, setup required", s)
	}
	res := do(t, http.DefaultClient, "POST", r.window.URL+"/api/setup",
		`{"helpCenterName":"Desk","name":"Olga","email":"olga@example.org","password":"`+ownerPassword+`"}`)
	if res.status != 201 || res.header.Get("Set-Cookie") != "" {
		t.Fatalf("window setup without token = %d %s (cookie %q); want 201 and no cookie", res.status, res.body, res.header.Get("Set-Cookie"))
	}
	s = do(t, http.DefaultClient, "GET", r.window.URL+"/api/session", "").json(t)
	if a, _ := s["account"].(map[string]any); a["owner"] != true {
		t.Errorf("window session after setup = %v; want the owner without any cookie", s)
	}
	// The same cookie-less request over the LAN is nobody.
	s = do(t, http.DefaultClient, "GET", r.lan.URL+"/api/session", "").json(t)
	if s["account"] != nil {
		t.Errorf("LAN session without a cookie = %v; want nobody", s)
	}
	if !strings.Contains(r.logs.String(), `"door":"window"`) || !strings.Contains(r.logs.String(), `"door":"lan"`) {
		t.Errorf("access log lacks the door:\n%s", r.logs.String())
	}
}

func TestWindowDoorAnswersOnlyTheWebview(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	// The window handler served straight over HTTP (as `wails dev` would):
	// a browser or a DNS-rebinding page must not get the owner.
	exposed := httptest.NewServer(r.srv.Window())
	defer exposed.Close()
	res := do(t, http.DefaultClient, "GET", exposed.URL+"/api/session", "")
	if res.status != 403 || strings.Contains(string(res.body), "olga") {
		t.Errorf("window handler reached over HTTP = %d %s; want 403 without the owner", res.status, res.body)
	}
}

func TestLoginLogout(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	c := r.client()
	res := do(t, c, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"wrong password"}`)
	if res.status != 401 || res.errKind(t) != "unauthenticated" {
		t.Errorf("login with a wrong password = %d %s; want 401", res.status, res.body)
	}
	res = do(t, c, "POST", r.lan.URL+"/api/login", `{"email":"OLGA@example.org","password":"`+ownerPassword+`"}`)
	if res.status != 200 {
		t.Fatalf("login = %d %s; want 200", res.status, res.body)
	}
	if a, _ := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t)["account"].(map[string]any); a["name"] != "Olga" {
		t.Errorf("session after login has account %v; want Olga", a)
	}
	if res := do(t, c, "POST", r.lan.URL+"/api/logout", ""); res.status != 204 {
		t.Errorf("logout = %d; want 204", res.status)
	}
	if s := do(t, c, "GET", r.lan.URL+"/api/session", "").json(t); s["account"] != nil {
		t.Errorf("session after logout = %v; want nobody", s)
	}
	// A forged or stale cookie is nobody, and is cleared.
	res = do(t, http.DefaultClient, "GET", r.lan.URL+"/api/session", "", "Cookie", "portico_session=forged")
	if res.json(t)["account"] != nil || !strings.Contains(res.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("session with a forged cookie = %s (Set-Cookie %q); want nobody and the cookie cleared", res.body, res.header.Get("Set-Cookie"))
	}
	if strings.Contains(r.logs.String(), ownerPassword) {
		t.Error("the password reached the log")
	}
}

func TestConsoleEndpointsNeedStaff(t *testing.T) {
	r := newRig(t)
	r.setUpOwner()
	anon := r.client()
	admin := r.client()
	do(t, admin, "POST", r.lan.URL+"/api/login", `{"email":"olga@example.org","password":"`+ownerPassword+`"}`)
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"addresses", "GET", "/api/helpcenter/addresses", ""},
		{"rename", "PATCH", "/api/helpcenter", `{"name":"Renamed"}`},
		{"qr", "GET", "/api/qr?text=http%3A%2F%2F192.168.1.5%3A8480%2F", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := do(t, anon, tc.method, r.lan.URL+tc.path, tc.body); res.status != 401 {
				t.Errorf("anonymous %s %s = %d; want 401", tc.method, tc.path, res.status)
			}
			if res := do(t, admin, tc.method, r.lan.URL+tc.path, tc.body); res.status != 200 {
				t.Errorf("admin %s %s = %d %s; want 200", tc.method, tc.path, res.status, res.body)
			}
			if res := do(t, http.DefaultClient, tc.method, r.window.URL+tc.path, tc.body); res.status != 200 {
				t.Errorf("window %s %s = %d %s; want 200", tc.method, tc.path, res.status, res.body)
			}
		})
	}
	a := do(t, admin, "GET", r.lan.URL+"/api/helpcenter/addresses", "").json(t)
	if a["canonical"] != "http://192.168.1.5:8480/" || len(a["addresses"].([]any)) != 2 {
		t.Errorf("addresses = %v; want both, the first canonical", a)
	}
	res := do(t, admin, "PATCH", r.lan.URL+"/api/helpcenter", `{"portalUrl":"http://10.0.0.7:8480/"}`)
	if res.json(t)["portalUrl"] != "http://10.0.0.7:8480/" {
		t.Errorf("PATCH portalUrl = %s; want the chosen address", res.body)
	}
	if hc := do(t, anon, "GET", r.lan.URL+"/api/helpcenter", "").json(t); hc["portalUrl"] != "http://10.0.0.7:8480/" || hc["name"] != "Renamed" {
		t.Errorf("public help center = %v; want the new name and address", hc)
	}
	if res := do(t, admin, "GET", r.lan.URL+"/api/qr?text=", ""); res.status != 400 {
		t.Errorf("QR of nothing = %d; want 400", res.status)
	}
	qr := do(t, admin, "GET", r.lan.URL+"/api/qr?text=hello", "")
	if qr.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(qr.body, []byte("\x89PNG")) {
		t.Errorf("QR = %s %q…; want a PNG", qr.header.Get("Content-Type"), qr.body[:min(8, len(qr.body))])
	}
	if res := do(t, admin, "GET", r.lan.URL+"/api/qr?text="+strings.Repeat("x", 600), ""); res.status != 400 {
		t.Errorf("QR of 600 bytes = %d; want 400", res.status)
	}
}
