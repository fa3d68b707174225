package kb_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/backendtest"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kb"
	"portico/backend/kb/relevance"
)

// BenchmarkSearch: one customer search of 10 ranked, highlighted articles
// among 2,000 (the server-level figures with 10k are in make bench).
func BenchmarkSearch(b *testing.B) {
	docs, err := relevance.GoDocs()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	be := backendtest.New(b, zerolog.Nop())
	owner := setUp(b, be)
	key, name, ch := "GO", "Go help", access.Open
	p, err := be.HelpCenter.CreateProject(ctx, owner, helpcenter.ProjectInput{Key: &key, Name: &name, Channel: &ch})
	if err != nil {
		b.Fatal(err)
	}
	status := kb.Published
	n := 2000
	if v, _ := strconv.Atoi(os.Getenv("KB_BENCH_ARTICLES")); v > 0 {
		n = v
	}
	for i := range n {
		d, e := docs[i%len(docs)], docs[(i*7+3)%len(docs)]
		title, body := fmt.Sprintf("%s %d", d.Title, i), d.Body+"\n\n"+e.Body
		if _, err := be.KB.CreateArticle(ctx, owner, p.ID, kb.ArticleInput{Title: &title, Body: &body, Status: &status}); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.Index.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	time.Sleep(3 * time.Second) // let Bleve merge its segments
	if _, err := be.Identity.ImportAccounts(ctx, []identity.Import{{Name: "C", Email: "c@example.com", PasswordHash: "x"}}); err != nil {
		b.Fatal(err)
	}
	acct, _ := be.Identity.Find(ctx, "c@example.com")
	cust, err := be.Facts(ctx, &acct)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, q string }{{"Search", "read a file line by line"}, {"Rare", "shuffle"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := be.KB.Search(ctx, cust, c.q, kb.SearchOptions{Limit: 10})
				if err != nil || len(res.Articles) == 0 {
					b.Fatalf("%v %d", err, len(res.Articles))
				}
			}
		})
	}
}
