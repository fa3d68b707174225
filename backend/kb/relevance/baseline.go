package relevance

import "github.com/blevesearch/bleve/v2"

// DefaultBleve indexes docs in memory with Bleve's default mapping, nothing
// tuned, and returns a search that runs a match query on the default _all
// field: the ranking Bleve gives out of the box, to measure changes against.
func DefaultBleve(docs []Doc) (search func(string) ([]string, error), close func(), err error) {
	idx, err := bleve.NewMemOnly(bleve.NewIndexMapping())
	if err != nil {
		return nil, nil, err
	}
	batch := idx.NewBatch()
	for _, d := range docs {
		if err := batch.Index(d.ID, map[string]any{"title": d.Title, "body": d.Body, "labels": d.Labels}); err != nil {
			idx.Close()
			return nil, nil, err
		}
	}
	if err := idx.Batch(batch); err != nil {
		idx.Close()
		return nil, nil, err
	}
	search = func(q string) ([]string, error) {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q), K, 0, false)
		// Ties in score are broken by ID so that a run is repeatable; this
		// does not change the ranking of documents with different scores.
		req.SortBy([]string{"-_score", "_id"})
		res, err := idx.Search(req)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids, nil
	}
	return search, func() { idx.Close() }, nil
}
