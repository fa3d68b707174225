package relevance

import (
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"
)

// goDocs is built once for the whole run, as building it reads all of GOROOT.
var goDocs = sync.OnceValues(GoDocs)

func corpus(t *testing.T) []Doc {
	t.Helper()
	docs, err := goDocs()
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestCorpus(t *testing.T) {
	docs := corpus(t)
	if n := len(docs); n < 200 || n > 600 {
		t.Fatalf("corpus has %d articles, want 200–600", n)
	}
	if again, err := GoDocs(); err != nil || !reflect.DeepEqual(docs, again) {
		t.Fatalf("a second call of GoDocs differs (err %v)", err)
	}
	seen := map[string]bool{}
	perPkg := map[string]int{}
	for _, d := range docs {
		if seen[d.ID] {
			t.Errorf("duplicate ID %q", d.ID)
		}
		seen[d.ID] = true
		if d.Title == "" || d.Body == "" || len(d.Labels) != 1 {
			t.Errorf("%s: incomplete article %+v", d.ID, d)
		}
		perPkg[d.Labels[0]]++
	}
	for pkg, n := range perPkg {
		if n > perPackage+1 {
			t.Errorf("%s has %d articles, more than its cap", pkg, n)
		}
	}
	t.Logf("%d articles from %d packages", len(docs), len(perPkg))
}

func TestQueries(t *testing.T) {
	ids := map[string]bool{}
	for _, d := range corpus(t) {
		ids[d.ID] = true
	}
	qs := Queries()
	if len(qs) < 50 {
		t.Fatalf("%d queries, want at least 50", len(qs))
	}
	texts := map[string]bool{}
	for _, q := range qs {
		if q.Q == "" || texts[q.Q] {
			t.Errorf("empty or repeated query %q", q.Q)
		}
		texts[q.Q] = true
		if n := len(q.Relevant); n < 1 || n > 4 {
			t.Errorf("%q: %d relevant articles, want 1–4", q.Q, n)
		}
		for _, id := range q.Relevant {
			if !ids[id] {
				t.Errorf("%q: judged article %q is not in the corpus", q.Q, id)
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	qs := []Query{
		{Q: "first", Relevant: []string{"a"}},
		{Q: "second", Relevant: []string{"b", "c"}},
		{Q: "none", Relevant: []string{"z"}},
		{Q: "too deep", Relevant: []string{"k"}},
	}
	rankings := map[string][]string{
		"first":    {"a", "b", "c"},
		"second":   {"x", "c", "b"},
		"none":     {"x", "y"},
		"too deep": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "k"},
	}
	res, err := Evaluate(qs, func(q string) ([]string, error) { return rankings[q], nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := (1 + 0.5 + 0 + 0) / 4.0; math.Abs(res.MRR10-want) > 1e-12 {
		t.Errorf("MRR@10 = %v, want %v", res.MRR10, want)
	}
	if want := 2 / 4.0; res.Hit10 != want {
		t.Errorf("Hit@10 = %v, want %v", res.Hit10, want)
	}
	var ranks []int
	for _, qr := range res.PerQuery {
		ranks = append(ranks, qr.Rank)
	}
	if res.Queries != 4 || !reflect.DeepEqual(ranks, []int{1, 2, 0, 0}) {
		t.Errorf("queries %d, ranks %v; want 4, [1 2 0 0]", res.Queries, ranks)
	}

	boom := errors.New("boom")
	if _, err := Evaluate(qs, func(string) ([]string, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("search error not returned: %v", err)
	}
	if _, err := Evaluate(nil, nil); err == nil {
		t.Error("no error for an empty query set")
	}
}

func TestDefaultBleve(t *testing.T) {
	search, closeIndex, err := DefaultBleve(corpus(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeIndex()
	res, err := Evaluate(Queries(), search)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default Bleve: MRR@10 %.3f, Hit@10 %.3f over %d queries", res.MRR10, res.Hit10, res.Queries)
	if res.MRR10 < 0 || res.MRR10 > 1 || res.Hit10 < res.MRR10 || res.Hit10 > 1 {
		t.Errorf("impossible metrics: %+v", res)
	}
	if testing.Verbose() {
		for _, qr := range res.PerQuery {
			if qr.Rank != 1 {
				t.Logf("rank %d: %q -> %v", qr.Rank, qr.Query, qr.Got[:min(3, len(qr.Got))])
			}
		}
	}
}
