package backend_test

import (
	"context"
	"testing"

	"portico/backend"
	"portico/backend/identity"
	"portico/backend/request"
)

// A customer's Requests page and an agent queue page in a generated store,
// in-process: what the HTTP figures in BENCHMARKS.md cost without HTTP.
func BenchmarkRequestPages(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	be := open(b, dir, false)
	defer be.Close()
	if err := be.Bootstrap(ctx, "Bench", identity.NewAccount{Name: "O", Email: "o@example.org", Password: "a long password 1"}); err != nil {
		b.Fatal(err)
	}
	if err := be.Generate(ctx, backend.Dataset{Portals: 4, Customers: 2000, Orgs: 50, Requests: 20000, Password: "customer password 1"},
		func(string, int, int) {}); err != nil {
		b.Fatal(err)
	}
	c0, err := be.Identity.Find(ctx, "c0@company0.example")
	if err != nil {
		b.Fatal(err)
	}
	cust, _ := be.Facts(ctx, &c0)
	owner := ownerFacts(b, be)
	projects, _ := be.HelpCenter.Projects(ctx)
	b.Run("List50", func(b *testing.B) {
		for b.Loop() {
			p, err := be.Requests.List(ctx, cust, request.ListQuery{Status: "all", Limit: 50})
			if err != nil || len(p.Values) != 50 {
				b.Fatal(len(p.Values), err)
			}
		}
	})
	b.Run("Queue50", func(b *testing.B) {
		for b.Loop() {
			p, err := be.Requests.QueueRequests(ctx, owner, projects[0].ID, request.QueueQuery{Limit: 50})
			if err != nil || len(p.Values) != 50 {
				b.Fatal(len(p.Values), err)
			}
		}
	})
	if err := be.Index.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("Search50", func(b *testing.B) {
		for b.Loop() {
			p, err := be.Requests.QueueRequests(ctx, owner, projects[0].ID, request.QueueQuery{Queue: "resolved", Q: "printer screen", Limit: 50})
			if err != nil || len(p.Values) != 50 {
				b.Fatal(len(p.Values), err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if _, err := be.Requests.Get(ctx, cust, "1"); err != nil && err.Error() == "" {
				b.Fatal(err)
			}
		}
	})
}
