//go:build bench

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

const (
	seedPortals   = 50
	seedOrgs      = 10_000
	seedCustomers = 100_000
	seedPassword  = "customer password 1"
)

// seed fills a data dir the way a busy help center would look: 50 portals
// (half Open), 10k organizations of 10 customers each attached 200 to a
// portal, 100k customers. Customer 0, the one measured, reaches portals by
// every route: directly, through organizations, by a domain rule, and
// because they are Open.
func seed(t *testing.T, dir string) time.Duration {
	t0 := time.Now()
	ctx := context.Background()
	b, err := backend.Open(backend.Config{DataDir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Bootstrap(ctx, "Bench Help", identity.NewAccount{Email: "bench@example.org", Password: "bench password 1"}); err != nil {
		t.Fatal(err)
	}
	owner, _ := b.Identity.Owner(ctx)
	admin, _ := b.Facts(ctx, &owner)
	var projects []uint64
	for i := range seedPortals {
		key, name := fmt.Sprintf("P%02d", i), fmt.Sprintf("Portal %02d", i)
		desc := "Requests for team " + name + ": hardware, software, access and everything else they look after."
		ch := access.Restricted
		if i%2 == 1 {
			ch = access.Open
		}
		p, err := b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &key, Name: &name, PortalDescription: &desc, Channel: &ch})
		if err != nil {
			t.Fatal(err)
		}
		projects = append(projects, p.ID)
	}
	// One hash for everyone: hashing 100k passwords would measure argon2id.
	hash, err := identity.HashPassword(seedPassword, identity.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, 0, seedCustomers)
	const batch = 1000
	for start := 0; start < seedCustomers; start += batch {
		in := make([]identity.Import, 0, batch)
		for i := start; i < start+batch; i++ {
			domain := fmt.Sprintf("company%d.example", i%500)
			in = append(in, identity.Import{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@%s", i, domain), PasswordHash: hash})
		}
		got, err := b.Identity.ImportAccounts(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			ids = append(ids, a.ID)
		}
	}
	for start := 0; start < seedOrgs; start += batch {
		names := make([]string, 0, batch)
		members := map[string][]uint64{}
		for o := start; o < start+batch; o++ {
			n := fmt.Sprintf("Org %05d", o)
			names = append(names, n)
			for k := range seedCustomers / seedOrgs {
				members[n] = append(members[n], ids[(o+k*seedOrgs)%seedCustomers])
			}
		}
		orgs, err := b.Identity.ImportOrgs(ctx, names, members)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orgs {
			if err := b.HelpCenter.AttachOrg(ctx, admin, projects[int(o.ID)%seedPortals], o.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Customer 0: direct in 5 portals, a domain rule in 5 more.
	for i := 0; i < 10; i += 2 {
		if err := b.HelpCenter.AddCustomer(ctx, admin, projects[i], ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := b.HelpCenter.AddRule(ctx, admin, projects[i+10], helpcenter.Rule{Domain: "company0.example"}); err != nil {
			t.Fatal(err)
		}
	}
	return time.Since(t0)
}

func login(t *testing.T, base, email, password string) string {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login %s: %v %v", email, res, err)
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "portico_session" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// helpCenterBench seeds a store, serves it with the real binary and
// measures the customer's help-center list beside hello-world.
func helpCenterBench(t *testing.T, helloURL string) string {
	dir := t.TempDir()
	took := seed(t, dir)
	s, _ := startBin(t, dir)
	defer s.stop()
	cookie := login(t, s.base, "c0@company0.example", seedPassword)

	req, _ := http.NewRequest("GET", s.base+"/api/portals", nil)
	req.Header.Set("Cookie", cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Portals []json.RawMessage }
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if len(list.Portals) < 30 {
		t.Fatalf("the measured customer sees %d portals; the seed should give 30+", len(list.Portals))
	}

	h := runWrk(t, helloURL)
	p := runWrk(t, s.base+"/api/portals", "Cookie: "+cookie)
	h2 := runWrk(t, helloURL)
	p2 := runWrk(t, s.base+"/api/portals", "Cookie: "+cookie)
	rss := rssKB(t, s.cmd.Process.Pid)

	var md strings.Builder
	fmt.Fprintf(&md, "## Help center for a customer in a big store\n\n")
	fmt.Fprintf(&md, "Store: %d portals (half Open), %d organizations attached 200 to a portal, %d customers; seeded in %.1f s (batches of 1000, one precomputed password hash). ",
		seedPortals, seedOrgs, seedCustomers, took.Seconds())
	fmt.Fprintf(&md, "The measured customer sees %d portals: directly, through organizations, by a domain rule and because they are Open. ", len(list.Portals))
	fmt.Fprintf(&md, "Each request authenticates the cookie, gathers the customer's access facts (a few prefix scans), decides all %d portals with `access.PortalAllowed` and renders the list (the `Portals` row below is the same work without HTTP).\n\n", seedPortals)
	fmt.Fprintf(&md, "| target | req/s (run 1, run 2) | p50 | p99 |\n|---|---|---|---|\n")
	fmt.Fprintf(&md, "| hello-world | %.0f, %.0f | %s | %s |\n", h.rps, h2.rps, h2.p50, h2.p99)
	fmt.Fprintf(&md, "| `GET /api/portals` as that customer | %.0f, %.0f | %s | %s |\n", p.rps, p2.rps, p2.p50, p2.p99)
	fmt.Fprintf(&md, "\n**Ratio: %.2f of hello-world.** Resident memory of the server afterwards: %.0f MB.\n\n", (p.rps+p2.rps)/(h.rps+h2.rps), float64(rss)/1024)
	return md.String()
}
