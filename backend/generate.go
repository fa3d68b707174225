package backend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/request"
)

// Dataset sizes a generated help center.
type Dataset struct {
	Portals   int
	Customers int
	Orgs      int
	Requests  int
	// Password every generated customer gets (hashed once for all).
	Password string
}

// BytesPerRequest is a generous estimate of what one generated request
// takes on disk with its indexes (Badger, before compaction), for the
// free-space check.
const BytesPerRequest = 4 << 10

// The generated text follows Zipf's law over a vocabulary whose most
// frequent words are English stop words (dropped by the analyzer) and then
// service-desk words, then filler: a search for "printer" matches some of
// the requests, not nearly all of them, as with real text.
var words = func() []string {
	ws := strings.Fields(`the a to is it and of on in my for with not this since after when from can we
it's i you our at be was but have has does do an or please`)
	ws = append(ws, strings.Fields(`printer laptop vpn password email outlook calendar wifi network screen keyboard mouse
monitor docking station phone headset teams meeting room projector access account badge door parking expense
invoice payroll holiday leave contract onboarding offboarding software licence install update crash slow error
login locked reset backup restore file share drive folder permission server database website certificate`)...)
	for i := range 2000 {
		ws = append(ws, fmt.Sprintf("term%04d", i))
	}
	return ws
}()

func phrase(r *rand.Rand, n int) string {
	z := rand.NewZipf(r, 1.07, 2, uint64(len(words)-1))
	out := make([]string, n)
	for i := range out {
		out[i] = words[z.Uint64()]
	}
	return strings.Join(out, " ")
}

// Generate fills an empty help center with a dataset: portals (half Open),
// customers sharing one password hash, organizations of ten attached to
// portals, and requests spread over them, written in batches. progress is
// told how far each stage has come.
func (b *Backend) Generate(ctx context.Context, d Dataset, progress func(stage string, done, total int)) error {
	owner, err := b.Identity.Owner(ctx)
	if err != nil {
		return fmt.Errorf("generate needs an owner: set PORTICO_ADMIN_EMAIL and PORTICO_ADMIN_PASSWORD: %w", err)
	}
	admin, err := b.Facts(ctx, &owner)
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(42, 7))
	var projects []uint64
	var types []uint64
	for i := range d.Portals {
		key, name := fmt.Sprintf("G%02d", i), fmt.Sprintf("Generated %02d", i)
		ch := access.Restricted
		if i%2 == 1 {
			ch = access.Open
		}
		p, err := b.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &key, Name: &name, Channel: &ch})
		if err != nil {
			return err
		}
		t, err := b.Requests.FirstType(ctx, p.ID)
		if err != nil {
			return err
		}
		projects, types = append(projects, p.ID), append(types, t)
	}
	hash, err := identity.HashPassword(d.Password, identity.DefaultParams)
	if err != nil {
		return err
	}
	const batch = 1000
	customers := make([]uint64, 0, d.Customers)
	for start := 0; start < d.Customers; start += batch {
		var in []identity.Import
		for i := start; i < min(start+batch, d.Customers); i++ {
			in = append(in, identity.Import{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@company%d.example", i, i%500), PasswordHash: hash})
		}
		got, err := b.Identity.ImportAccounts(ctx, in)
		if err != nil {
			return err
		}
		for _, a := range got {
			customers = append(customers, a.ID)
		}
		progress("customers", len(customers), d.Customers)
	}
	orgOf := map[uint64]uint64{}
	orgProject := map[uint64]uint64{}
	for start := 0; start < d.Orgs; start += batch {
		var names []string
		members := map[string][]uint64{}
		for o := start; o < min(start+batch, d.Orgs); o++ {
			n := fmt.Sprintf("Generated org %05d", o)
			names = append(names, n)
			for k := 0; k < 10 && len(customers) > 0; k++ {
				members[n] = append(members[n], customers[(o*10+k)%len(customers)])
			}
		}
		orgs, err := b.Identity.ImportOrgs(ctx, names, members)
		if err != nil {
			return err
		}
		for i, o := range orgs {
			p := projects[int(o.ID)%len(projects)]
			if err := b.HelpCenter.AttachOrg(ctx, admin, p, o.ID); err != nil {
				return err
			}
			orgProject[o.ID] = p
			for _, m := range members[names[i]] {
				orgOf[m] = o.ID
			}
		}
		progress("organizations", min(start+batch, d.Orgs), d.Orgs)
	}
	// Direct customers of every restricted portal: everyone not in an org.
	t0 := time.Now().Add(-time.Duration(d.Requests) * time.Minute)
	for start := 0; start < d.Requests; start += batch {
		var rs []request.Generated
		for i := start; i < min(start+batch, d.Requests); i++ {
			c := customers[rnd.IntN(len(customers))]
			if i%100 == 0 { // customer 0 is a heavy user: 1% of everything
				c = customers[0]
			}
			pi := rnd.IntN(len(projects))
			g := request.Generated{Project: projects[pi], Type: types[pi], Reporter: c,
				Summary: phrase(rnd, 3+rnd.IntN(5)), Description: phrase(rnd, 20+rnd.IntN(40)),
				Done: rnd.IntN(10) < 7, Created: t0.Add(time.Duration(i) * time.Minute)}
			if o, ok := orgOf[c]; ok && rnd.IntN(2) == 0 {
				g.Project, g.Org = orgProject[o], o
				for j, p := range projects {
					if p == g.Project {
						g.Type = types[j]
					}
				}
			}
			if rnd.IntN(4) == 0 {
				g.Participants = []uint64{customers[rnd.IntN(len(customers))]}
			}
			if !g.Done && rnd.IntN(2) == 0 {
				g.Assignee = owner.ID
			}
			rs = append(rs, g)
		}
		if err := b.Requests.Import(ctx, rs); err != nil {
			return err
		}
		progress("requests", min(start+batch, d.Requests), d.Requests)
	}
	return nil
}
