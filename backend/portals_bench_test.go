package backend_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/backendtest"
	"portico/backend/helpcenter"
	"portico/backend/identity"
)

// BenchmarkPortals is the help-center list for a customer: facts, 50
// decisions, 50 views.
func BenchmarkPortals(b *testing.B) {
	ctx := context.Background()
	be := backendtest.New(b, zerolog.Nop())
	if err := be.Bootstrap(ctx, "Bench", identity.NewAccount{Email: "o@example.org", Password: "owner password 1"}); err != nil {
		b.Fatal(err)
	}
	owner, _ := be.Identity.Owner(ctx)
	admin, _ := be.Facts(ctx, &owner)
	ann := "**Heads up**: maintenance on *Sunday*. See [the plan](https://example.org)."
	be.HelpCenter.Update(ctx, admin, helpcenter.Patch{Announcement: &ann, LoginMessage: &ann})
	cust, _, _ := be.Identity.Invite(ctx, identity.NewAccount{Email: "c@example.com", Role: identity.Customer})
	for i := range 50 {
		key, name, desc := fmt.Sprintf("P%02d", i), fmt.Sprintf("Portal %d", i), "Hardware, software and access requests."
		ch := access.Channel(access.Restricted)
		if i%2 == 1 {
			ch = access.Open
		}
		p, err := be.HelpCenter.CreateProject(ctx, admin, helpcenter.ProjectInput{Key: &key, Name: &name, PortalDescription: &desc, Channel: &ch, PortalAnnouncement: &ann})
		if err != nil {
			b.Fatal(err)
		}
		if i%5 == 0 {
			be.HelpCenter.AddCustomer(ctx, admin, p.ID, cust.ID)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		who, err := be.Facts(ctx, &cust)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := be.Portals(ctx, who)
		if err != nil || len(ps) != 30 {
			b.Fatalf("Portals = %d, %v; want 30", len(ps), err)
		}
	}
}
