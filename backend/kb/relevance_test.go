package kb_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/backendtest"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kb"
	"portico/backend/kb/relevance"
)

// corpusSearch loads the relevance corpus into a real knowledge base
// (Badger and Bleve in a temp dir, through the outbox) and returns
// Portico's search over it with a tuning.
func corpusSearch(t testing.TB) func(kb.Tuning) func(string) ([]string, error) {
	t.Helper()
	docs, err := relevance.GoDocs()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := backendtest.New(t, zerolog.Nop())
	owner := setUp(t, b)
	key, name := "GO", "Go help"
	p, err := b.HelpCenter.CreateProject(ctx, owner, helpcenter.ProjectInput{Key: &key, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[uint64]string{}
	status := kb.Published
	for _, d := range docs {
		title, body, labels := d.Title, d.Body, d.Labels
		a, err := b.KB.CreateArticle(ctx, owner, p.ID, kb.ArticleInput{Title: &title, Body: &body, Labels: &labels, Status: &status})
		if err != nil {
			t.Fatalf("%s: %v", d.ID, err)
		}
		ids[a.ID] = d.ID
	}
	if err := b.Index.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return func(tn kb.Tuning) func(string) ([]string, error) {
		return func(q string) ([]string, error) {
			res, err := b.KB.Search(ctx, owner, q, kb.SearchOptions{Limit: relevance.K, NoLog: true, NoTypes: true, Tuning: &tn})
			out := make([]string, len(res.Articles))
			for i, a := range res.Articles {
				out[i] = ids[a.ID]
			}
			return out, err
		}
	}
}

func setUp(t testing.TB, b *backend.Backend) access.Caller {
	t.Helper()
	ctx := context.Background()
	if _, err := b.Setup(ctx, identity.Claim{Desktop: true}, backend.SetupChoices{}, identity.NewAccount{Name: "O", Email: "o@example.org", Password: "a long password 1"}); err != nil {
		t.Fatal(err)
	}
	o, err := b.Identity.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := b.Facts(ctx, &o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Portico's search must rank the judged answers better than Bleve out of
// the box on the same articles and queries; the figures go to
// docs/BENCHMARKS.md (make bench prints them with the sweep).
func TestRelevanceBeatsDefaultBleve(t *testing.T) {
	docs, err := relevance.GoDocs()
	if err != nil {
		t.Fatal(err)
	}
	qs := relevance.Queries()
	base, closeBase, err := relevance.DefaultBleve(docs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeBase()
	def, err := relevance.Evaluate(qs, base)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := relevance.Evaluate(qs, corpusSearch(t)(kb.DefaultTuning))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d articles, %d queries", len(docs), len(qs))
	t.Logf("default Bleve: MRR@10 %.3f, hit@10 %.3f", def.MRR10, def.Hit10)
	t.Logf("Portico:       MRR@10 %.3f, hit@10 %.3f", ours.MRR10, ours.Hit10)
	if os.Getenv("RELEVANCE_MISSES") != "" {
		for i, q := range ours.PerQuery {
			if q.Rank != 1 {
				t.Logf("rank %d (default %d)  %q  want %v  got %v", q.Rank, def.PerQuery[i].Rank, q.Query, q.Relevant, q.Got[:min(3, len(q.Got))])
			}
		}
	}
	if ours.MRR10 <= def.MRR10 || ours.Hit10 < def.Hit10 {
		t.Fatalf("Portico's search (MRR@10 %.3f, hit@10 %.3f) does not beat default Bleve (%.3f, %.3f)",
			ours.MRR10, ours.Hit10, def.MRR10, def.Hit10)
	}
}

// TestRelevanceSweep measures field and phrase weights (RELEVANCE_SWEEP=1;
// make bench runs it): the defaults are the best of this grid on half the
// queries, reported on the other half too.
func TestRelevanceSweep(t *testing.T) {
	if os.Getenv("RELEVANCE_SWEEP") == "" {
		t.Skip("set RELEVANCE_SWEEP=1 (make bench does)")
	}
	qs := relevance.Queries()
	var tune, held []relevance.Query
	for i, q := range qs {
		if i%2 == 0 {
			tune = append(tune, q)
		} else {
			held = append(held, q)
		}
	}
	docs, err := relevance.GoDocs()
	if err != nil {
		t.Fatal(err)
	}
	base, closeBase, err := relevance.DefaultBleve(docs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeBase()
	report := func(name string, search func(string) ([]string, error)) {
		a, _ := relevance.Evaluate(tune, search)
		h, _ := relevance.Evaluate(held, search)
		all, _ := relevance.Evaluate(qs, search)
		t.Logf("SWEEP %-32s tune=%.3f held=%.3f all=%.3f hit=%.3f", name, a.MRR10, h.MRR10, all.MRR10, all.Hit10)
	}
	report("default Bleve", base)
	search := corpusSearch(t)
	// The retry of a query that found nothing changes no judged query (none
	// finds nothing), so it stays on and out of the grid.
	for _, title := range []float64{0, 0.2, 0.5, 1, 2} {
		for _, typos := range []float64{0, 0.1, 0.2, 0.3} {
			report(fmt.Sprintf("title=%s typos=%s", f(title), f(typos)), search(kb.Tuning{Title: title, Typos: typos, Fuzzy: true}))
		}
	}
}

func f(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
