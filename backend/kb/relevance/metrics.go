package relevance

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Query is one judged query: what a person typed and the IDs of the
// articles that answer it (binary judgments).
type Query struct {
	Q        string   `json:"q"`
	Relevant []string `json:"relevant"`
}

// QueryResult is how one query fared.
type QueryResult struct {
	Query    string
	Relevant []string
	Got      []string // the top 10 returned
	Rank     int      // 1-based rank of the first relevant article in Got, 0 if none
}

// Result is the outcome of a run over a query set.
type Result struct {
	MRR10    float64 // mean of 1/Rank, counting 0 when nothing relevant is in the top 10
	Hit10    float64 // share of queries with a relevant article in the top 10
	Queries  int
	PerQuery []QueryResult
}

// K is the cut-off of the metrics.
const K = 10

//go:embed queries.json
var queriesJSON []byte

// Queries returns the judged query set. Its judgments were written by reading
// the corpus, before running any search, so that they favour no engine.
func Queries() []Query {
	var qs []Query
	if err := json.Unmarshal(queriesJSON, &qs); err != nil {
		panic("relevance: queries.json: " + err.Error())
	}
	return qs
}

// Evaluate runs every query through search, which returns article IDs best
// first, and scores the rankings by MRR@10 and Hit@10.
func Evaluate(qs []Query, search func(q string) ([]string, error)) (Result, error) {
	if len(qs) == 0 {
		return Result{}, errors.New("relevance: no queries")
	}
	res := Result{Queries: len(qs)}
	for _, q := range qs {
		got, err := search(q.Q)
		if err != nil {
			return Result{}, fmt.Errorf("relevance: query %q: %w", q.Q, err)
		}
		got = got[:min(len(got), K)]
		qr := QueryResult{Query: q.Q, Relevant: q.Relevant, Got: got}
		if i := slices.IndexFunc(got, func(id string) bool { return slices.Contains(q.Relevant, id) }); i >= 0 {
			qr.Rank = i + 1
			res.MRR10 += 1 / float64(qr.Rank)
			res.Hit10++
		}
		res.PerQuery = append(res.PerQuery, qr)
	}
	res.MRR10 /= float64(len(qs))
	res.Hit10 /= float64(len(qs))
	return res, nil
}
