package kb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
)

// Views and searches are counted in memory and written every few seconds:
// one write per page view would cost an fsync each. A crash loses at most
// flushEvery of counts; votes and "solved" answers are written at once.
const flushEvery = 3 * time.Second

// maxQueries bounds the distinct queries kept for analytics: past it, new
// queries are not recorded (the ones already kept go on counting).
const maxQueries = 50_000

type queryCount struct{ count, zero int64 }

type counters struct {
	mu      sync.Mutex
	views   map[uint64]int64
	queries map[string]queryCount
	raised  map[uint64]int64
}

func newCounters() *counters {
	return &counters{views: map[uint64]int64{}, queries: map[string]queryCount{}, raised: map[uint64]int64{}}
}

func (c *counters) view(id uint64) {
	c.mu.Lock()
	c.views[id]++
	c.mu.Unlock()
}

// normalize is a query as analytics group it.
func normalize(q string) string {
	q = strings.ToLower(strings.Join(strings.Fields(q), " "))
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	return q
}

// search counts a query, under the portal it was narrowed to (0: the
// whole help center), so agents see what was asked of their portals.
func (c *counters) search(portal uint64, q string, zero bool) {
	q = normalize(q)
	if q == "" {
		return
	}
	q = u(portal) + "/" + q
	c.mu.Lock()
	qc := c.queries[q]
	qc.count++
	if zero {
		qc.zero++
	}
	c.queries[q] = qc
	c.mu.Unlock()
}

// QueryStat is how often a query was searched for.
type QueryStat struct {
	Portal uint64    `json:"-"` // from the key
	Query  string    `json:"query"`
	Count  int64     `json:"count"`
	Zero   int64     `json:"zero"`
	Last   time.Time `json:"last"`
}

// Deflection counts, per project, raise forms that ended without a request
// ("this solved my problem") and requests raised through the portal.
type Deflection struct {
	Solved int64 `json:"solved"`
	Raised int64 `json:"raised"`
}

// Raised counts a request raised through project's portal.
func (s *Service) Raised(project uint64) {
	s.counts.mu.Lock()
	s.counts.raised[project]++
	s.counts.mu.Unlock()
}

func (s *Service) flush(ctx context.Context) error {
	c := s.counts
	c.mu.Lock()
	views, queries, raised := c.views, c.queries, c.raised
	c.views, c.queries, c.raised = map[uint64]int64{}, map[string]queryCount{}, map[uint64]int64{}
	c.mu.Unlock()
	if len(views)+len(queries)+len(raised) == 0 {
		return nil
	}
	now := s.now()
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if ok, err := tx.Has(keySince); err != nil {
			return err
		} else if !ok {
			if err := kv.Put(tx, keySince, now); err != nil {
				return err
			}
		}
		for id, n := range views {
			if ok, err := tx.Has(keyArticle + u(id)); err != nil || !ok {
				continue
			}
			st, err := statsTx(tx, id)
			if err != nil {
				return err
			}
			st.Views += n
			if err := kv.Put(tx, keyStats+u(id), st); err != nil {
				return err
			}
		}
		kept := -1
		for q, n := range queries {
			key := keyQuery + q
			st, err := kv.Get[QueryStat](tx, key)
			if errors.Is(err, kv.ErrNotFound) {
				if kept < 0 {
					if kept, err = countKeys(tx, keyQuery); err != nil {
						return err
					}
				}
				if kept >= maxQueries {
					continue
				}
				kept++
				_, text, _ := strings.Cut(q, "/")
				st, err = QueryStat{Query: text}, nil
			}
			if err != nil {
				return err
			}
			st.Count += n.count
			st.Zero += n.zero
			st.Last = now
			if err := kv.Put(tx, key, st); err != nil {
				return err
			}
		}
		for p, n := range raised {
			d, err := deflectionTx(tx, p)
			if err != nil {
				return err
			}
			d.Raised += n
			if err := kv.Put(tx, keyDeflect+u(p), d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Msg("writing knowledge base counters; they are dropped")
	}
	return err
}

func countKeys(tx *kv.Tx, prefix string) (int, error) {
	n := 0
	err := tx.Scan(prefix, func(string, func() ([]byte, error)) error { n++; return nil })
	return n, err
}

func deflectionTx(tx *kv.Tx, project uint64) (Deflection, error) {
	d, err := kv.Get[Deflection](tx, keyDeflect+u(project))
	if errors.Is(err, kv.ErrNotFound) {
		err = nil
	}
	return d, err
}

// Vote is one person's "Was this helpful?".
type Vote struct {
	Helpful bool      `json:"helpful"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

func voteKey(article uint64, voter string) string { return keyVote + u(article) + "/" + voter }

// voter names who voted: an account, or an anonymous visitor by a hash of
// their address (so one address has one vote, and no address is stored).
func voter(who access.Caller, client string) string {
	if !who.Anonymous() {
		return "a" + u(who.AccountID)
	}
	h := sha256.Sum256([]byte("kb-vote\x00" + client))
	return "c" + hex.EncodeToString(h[:12])
}

// FeedbackInput is a "Was this helpful?" answer.
type FeedbackInput struct {
	Helpful *bool  `json:"helpful"`
	Reason  string `json:"reason"`
}

// Feedback records the caller's vote on an article they may read; voting
// again replaces their vote.
func (s *Service) Feedback(ctx context.Context, who access.Caller, client string, id uint64, in FeedbackInput) (map[string]any, error) {
	if in.Helpful == nil {
		return nil, fault.InvalidFields(map[string]string{"helpful": "Say whether the article helped: true or false."})
	}
	reason := strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return nil, fault.InvalidFields(map[string]string{"reason": "Keep the reason under 1000 characters."})
	}
	var st Stats
	err := s.db.Update(ctx, func(tx *kv.Tx) error {
		if _, err := see(tx, who, id); err != nil {
			return err
		}
		key := voteKey(id, voter(who, client))
		old, err := kv.Get[Vote](tx, key)
		had := err == nil
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if st, err = statsTx(tx, id); err != nil {
			return err
		}
		if had {
			if old.Helpful {
				st.Helpful--
			} else {
				st.NotHelpful--
			}
		}
		if *in.Helpful {
			st.Helpful++
		} else {
			st.NotHelpful++
		}
		if err := kv.Put(tx, key, Vote{Helpful: *in.Helpful, Reason: reason, At: s.now()}); err != nil {
			return err
		}
		return kv.Put(tx, keyStats+u(id), st)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"helpful": st.Helpful, "notHelpful": st.NotHelpful,
		"myVote": map[bool]string{true: "yes", false: "no"}[*in.Helpful]}, nil
}

// SolvedInput says which article ended a raise form.
type SolvedInput struct {
	Article string `json:"article"`
	Query   string `json:"query"`
}

// Solved counts a raise form on portal that ended without a request
// because an article (one the caller may read) answered it.
func (s *Service) Solved(ctx context.Context, who access.Caller, portal uint64, in SolvedInput) (struct{}, error) {
	if _, err := s.hc.UsablePortal(ctx, who, portal); err != nil {
		return struct{}{}, err
	}
	id, ok := parseID(in.Article)
	if !ok {
		return struct{}{}, fault.InvalidFields(map[string]string{"article": "Say which article solved the problem."})
	}
	return struct{}{}, s.db.Update(ctx, func(tx *kv.Tx) error {
		sn, err := see(tx, who, id)
		if err != nil {
			return err
		}
		if sn.a.Project != portal {
			return fault.InvalidFields(map[string]string{"article": "That article belongs to another portal."})
		}
		d, err := deflectionTx(tx, portal)
		if err != nil {
			return err
		}
		d.Solved++
		return kv.Put(tx, keyDeflect+u(portal), d)
	})
}

// Analytics is what customers searched for and whether the knowledge base
// answered.
type Analytics struct {
	Since      *time.Time    `json:"since"`
	Searches   int64         `json:"searches"`
	TopQueries []QueryStat   `json:"topQueries"`
	Gaps       []QueryStat   `json:"gaps"`
	Deflection DeflectionOut `json:"deflection"`
	Articles   []ArticleStat `json:"articles"`
}

// DeflectionOut is deflection with its rate: solved ÷ (solved + raised).
type DeflectionOut struct {
	Deflection
	Rate float64 `json:"rate"`
}

// ArticleStat is an article's counters in analytics.
type ArticleStat struct {
	ID     uint64 `json:"id,string"`
	Title  string `json:"title"`
	Portal Ref    `json:"portal"`
	Stats
}

// Analytics reports searches (help-center wide), deflection and article
// counters; project, if set, narrows the last two to one space. Admins see
// everything; agents the projects they work.
func (s *Service) Analytics(ctx context.Context, who access.Caller, project uint64) (Analytics, error) {
	var projects []uint64
	everyQuery := false
	if project != 0 {
		if _, err := s.staffOf(ctx, who, project); err != nil {
			return Analytics{}, err
		}
		projects = []uint64{project}
	} else {
		if err := access.WorkConsole(who).Err(); err != nil {
			return Analytics{}, err
		}
		ps, err := s.hc.Projects(ctx)
		if err != nil {
			return Analytics{}, err
		}
		for _, p := range ps {
			if access.EditArticles(who, p.ID).Allow() {
				projects = append(projects, p.ID)
			}
		}
		// Help-center-wide searches belong to no portal: admins see them.
		everyQuery = access.ManageSite(who).Allow()
	}
	mine := map[uint64]bool{}
	for _, p := range projects {
		mine[p] = true
	}
	if err := s.flush(ctx); err != nil {
		return Analytics{}, err
	}
	out := Analytics{TopQueries: []QueryStat{}, Gaps: []QueryStat{}, Articles: []ArticleStat{}}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if t, err := kv.Get[time.Time](tx, keySince); err == nil {
			out.Since = &t
		}
		merged := map[string]*QueryStat{}
		err := kv.Scan(tx, keyQuery, func(key string, q QueryStat) error {
			portal, _, _ := strings.Cut(strings.TrimPrefix(key, keyQuery), "/")
			q.Portal, _ = parseID(portal)
			if !everyQuery && !mine[q.Portal] {
				return nil
			}
			out.Searches += q.Count
			m := merged[q.Query]
			if m == nil {
				m = &QueryStat{Query: q.Query}
				merged[q.Query] = m
			}
			m.Count, m.Zero = m.Count+q.Count, m.Zero+q.Zero
			if q.Last.After(m.Last) {
				m.Last = q.Last
			}
			return nil
		})
		if err != nil {
			return err
		}
		all := make([]QueryStat, 0, len(merged))
		for _, q := range merged {
			all = append(all, *q)
		}
		byCount := func(a, b QueryStat) int { return cmp.Or(cmp.Compare(b.Count, a.Count), b.Last.Compare(a.Last)) }
		slices.SortFunc(all, byCount)
		out.TopQueries = append(out.TopQueries, all[:min(len(all), 20)]...)
		for _, q := range all {
			if q.Zero > 0 && len(out.Gaps) < 20 {
				g := q
				g.Count = q.Zero
				out.Gaps = append(out.Gaps, g)
			}
		}
		slices.SortStableFunc(out.Gaps, byCount)
		for _, p := range projects {
			d, err := deflectionTx(tx, p)
			if err != nil {
				return err
			}
			out.Deflection.Solved += d.Solved
			out.Deflection.Raised += d.Raised
			f, err := projectFacts(tx, p)
			if err != nil {
				continue
			}
			err = articlesTx(tx, p, func(a Article) error {
				st, err := statsTx(tx, a.ID)
				if err != nil {
					return err
				}
				out.Articles = append(out.Articles, ArticleStat{ID: a.ID, Title: a.Title, Portal: Ref{ID: p, Name: f.project.Title()}, Stats: st})
				return nil
			})
			if err != nil {
				return err
			}
		}
		slices.SortStableFunc(out.Articles, func(a, b ArticleStat) int {
			return cmp.Or(cmp.Compare(b.Views, a.Views), cmp.Compare(b.Helpful, a.Helpful))
		})
		out.Articles = out.Articles[:min(len(out.Articles), 20)]
		return nil
	})
	if n := out.Deflection.Solved + out.Deflection.Raised; n > 0 {
		out.Deflection.Rate = float64(out.Deflection.Solved) / float64(n)
	}
	return out, err
}
