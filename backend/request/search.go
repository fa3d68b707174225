package request

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// IndexName is the requests' text index.
const IndexName = "requests"

const indexVersion = 2

func identityOrg(tx *kv.Tx, id uint64) (string, error) {
	o, err := identity.GetOrgTx(tx, id)
	return o.Name, err
}

// Source is the requests index, derived from Badger.
func (s *Service) Source() fulltext.Source {
	return fulltext.Source{Name: IndexName, Version: indexVersion, Mapping: indexMapping,
		Load: loadDoc,
		All:  func(tx *kv.Tx, fn func(id uint64) error) error { return kv.ScanIDs(tx, keyRequest, fn) }}
}

func indexMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer = en.AnalyzerName
	text.Store, text.IncludeTermVectors = false, false
	plain := bleve.NewTextFieldMapping()
	plain.Analyzer = standard.Name
	plain.Store, plain.IncludeTermVectors = false, false
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer = keyword.Name
	kw.Store, kw.IncludeTermVectors = false, false
	date := bleve.NewDateTimeFieldMapping()
	date.Store = false
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range []string{"summary", "all", "internal"} {
		doc.AddFieldMappingsAt(f, text)
	}
	doc.AddFieldMappingsAt("people", plain)
	for _, f := range []string{"key", "who", "project", "type", "cat", "status", "assignee"} {
		doc.AddFieldMappingsAt(f, kw)
	}
	doc.AddFieldMappingsAt("updated", date)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	return m
}

const maxIndexedText = 64 << 10

func loadDoc(tx *kv.Tx, id uint64) (any, error) {
	r, err := getRequest(tx, id)
	if fault.KindOf(err) == fault.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var public, internal strings.Builder
	public.WriteString(r.Summary + "\n" + r.Description + "\n")
	t, _ := getType(tx, r.Type)
	for k, v := range r.Fields {
		if s, ok := v.(string); ok {
			// Hidden fields are the team's: searchable by staff only.
			if f, ok := t.field(k); ok && !f.Hidden {
				public.WriteString(s + "\n")
			} else {
				internal.WriteString(s + "\n")
			}
		}
	}
	err = kv.Scan(tx, keyEvent+u(r.ID)+"/", func(_ string, e Event) error {
		if e.Body == "" {
			return nil
		}
		if e.Public && public.Len() < maxIndexedText {
			public.WriteString(e.Body + "\n")
		} else if !e.Public && internal.Len() < maxIndexedText {
			internal.WriteString(e.Body + "\n")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	who := []string{"r" + u(r.Reporter)}
	for _, p := range r.Participants {
		who = append(who, "p"+u(p))
	}
	for _, o := range r.Orgs {
		who = append(who, "o"+u(o))
	}
	people := ""
	if a, err := identity.GetTx(tx, r.Reporter); err == nil {
		people = a.Name + " " + a.Email
	}
	key := ""
	if p, err := getProjectKey(tx, r.Project); err == nil {
		key = strings.ToLower(p + "-" + u(r.Number))
	}
	return map[string]any{
		"summary": r.Summary, "all": public.String(), "internal": internal.String(), "people": people,
		"key": key, "who": who, "project": u(r.Project), "type": u(r.Type), "cat": cat(r), "status": r.Status,
		"assignee": u(r.Assignee), "updated": r.Updated.Format(time.RFC3339Nano),
	}, nil
}

func getProjectKey(tx *kv.Tx, project uint64) (string, error) {
	p, err := projectTx(tx, project)
	return p.Key, err
}

// textQuery matches every word of text in the request's public text (and
// internal notes and the reporter, for staff), with the summary boosted.
func textQuery(text string, staff bool) query.Query {
	text = strings.TrimSpace(text)
	if len(text) > 500 {
		text = text[:500]
	}
	fields := []string{"all"}
	if staff {
		fields = append(fields, "internal", "people")
	}
	var must []query.Query
	for _, f := range fields {
		m := bleve.NewMatchQuery(text)
		m.SetField(f)
		m.SetOperator(query.MatchQueryOperatorAnd)
		must = append(must, m)
	}
	sum := bleve.NewMatchQuery(text)
	sum.SetField("summary")
	sum.SetBoost(3)
	b := bleve.NewBooleanQuery()
	b.AddMust(bleve.NewDisjunctionQuery(must...))
	b.AddShould(sum)
	return b
}

// hits runs a search and returns request ids in rank order.
func (s *Service) hits(ctx context.Context, q query.Query, from, size int, sortBy ...string) ([]uint64, error) {
	req := bleve.NewSearchRequestOptions(q, size, from, false)
	if len(sortBy) > 0 {
		req.SortBy(sortBy)
		if !slices.Contains(sortBy, "-_score") && !slices.Contains(sortBy, "_score") {
			// Ordered by time: scoring every match would be wasted work.
			req.Score = "none"
		}
	}
	res, err := s.ft.Search(ctx, IndexName, req)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, 0, len(res.Hits))
	for _, h := range res.Hits {
		if id, err := strconv.ParseUint(h.ID, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// searchList is the customer's list with a search text: Bleve narrows to
// what the caller is involved in, and each hit is checked again in Badger.
func (s *Service) searchList(ctx context.Context, who access.Caller, site access.Site, q ListQuery, start, limit int, page Page) (Page, error) {
	var principals []string
	switch q.Ownership {
	case "owned":
		principals = []string{"r" + u(who.AccountID)}
	case "participated":
		principals = []string{"p" + u(who.AccountID)}
	case "organization":
		principals = []string{"o" + u(q.Org)}
	default:
		principals = []string{"r" + u(who.AccountID), "p" + u(who.AccountID)}
		for o := range who.Orgs {
			principals = append(principals, "o"+u(o))
		}
	}
	cs, _ := cats(q.Status)
	b := bleve.NewBooleanQuery()
	b.AddMust(textQuery(q.Q, false), fulltext.AnyTerm("who", principals), fulltext.AnyTerm("cat", cs))
	if q.Portal != 0 {
		b.AddMust(fulltext.Term("project", u(q.Portal)))
	}
	if q.Type != 0 {
		b.AddMust(fulltext.Term("type", u(q.Type)))
	}
	ids, err := s.hits(ctx, b, start, limit+1, "-updated")
	if err != nil {
		return page, err
	}
	if len(ids) > limit {
		ids, page.IsLastPage = ids[:limit], false
	}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		page.Orgs = orgRefs(tx, who)
		pc := newPageCtx(tx, false, who.AccountID)
		var err error
		page.Values, err = pc.hitRows(ids, func(r Request, p helpcenter.Project, _ *Row) bool {
			return access.SeeRequest(site, p.Portal(), who, r.facts()).Allow() && involvedDirectly(who, r)
		})
		return err
	})
	return page, err
}

// involvedDirectly: the caller's own relation to a request, ignoring the
// staff role (an agent's "Requests" page lists what they raised or share).
func involvedDirectly(who access.Caller, r Request) bool {
	if r.Reporter == who.AccountID || contains(r.Participants, who.AccountID) {
		return true
	}
	for _, o := range r.Orgs {
		if who.Orgs[o] {
			return true
		}
	}
	return false
}

func (s *Service) searchQueue(ctx context.Context, who access.Caller, project uint64, q QueueQuery, start, limit int, page Page) (Page, error) {
	b := bleve.NewBooleanQuery()
	b.AddMust(textQuery(q.Q, true), fulltext.Term("project", u(project)))
	switch q.Queue {
	case "resolved":
		b.AddMust(fulltext.Term("cat", "d"))
	case "unassigned":
		b.AddMust(fulltext.Term("cat", "o"), fulltext.Term("assignee", "0"))
	case "mine":
		b.AddMust(fulltext.Term("cat", "o"), fulltext.Term("assignee", u(who.AccountID)))
	case "waiting":
		b.AddMust(fulltext.Term("cat", "o"), fulltext.Term("status", WaitingStatus))
	default:
		b.AddMust(fulltext.Term("cat", "o"))
	}
	ids, err := s.hits(ctx, b, start, limit+1, "-_score")
	if err != nil {
		return page, err
	}
	if len(ids) > limit {
		ids, page.IsLastPage = ids[:limit], false
	}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		pc := newPageCtx(tx, true, who.AccountID)
		var err error
		page.Values, err = pc.hitRows(ids, func(r Request, _ helpcenter.Project, _ *Row) bool { return r.Project == project })
		return err
	})
	return page, err
}

// Similar is duplicate help: the caller's and their organizations' open
// requests in a portal whose summary resembles what they are typing.
func (s *Service) Similar(ctx context.Context, who access.Caller, portal uint64, text string) ([]Row, error) {
	if who.Anonymous() {
		return []Row{}, nil
	}
	site, err := s.hc.Site(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.hc.UsablePortal(ctx, who, portal); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if len([]rune(text)) < 3 {
		return []Row{}, nil
	}
	if len(text) > 300 {
		text = text[:300]
	}
	principals := []string{"r" + u(who.AccountID), "p" + u(who.AccountID)}
	for o := range who.Orgs {
		principals = append(principals, "o"+u(o))
	}
	m := bleve.NewMatchQuery(text)
	m.SetField("summary")
	m.SetFuzziness(1)
	b := bleve.NewBooleanQuery()
	b.AddMust(m, fulltext.AnyTerm("who", principals), fulltext.Term("cat", "o"), fulltext.Term("project", u(portal)))
	ids, err := s.hits(ctx, b, 0, 5)
	if err != nil {
		return nil, err
	}
	out := []Row{}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		pc := newPageCtx(tx, false, who.AccountID)
		var err error
		out, err = pc.hitRows(ids, func(r Request, p helpcenter.Project, rw *Row) bool {
			involved := r.Reporter == who.AccountID || contains(r.Participants, who.AccountID)
			rw.Involved = &involved
			return access.SeeRequest(site, p.Portal(), who, r.facts()).Allow() && involvedDirectly(who, r)
		})
		return err
	})
	return out, err
}

// hitRows draws the rows of search hits that keep accepts (it may also
// dress the row), in hit order; hits whose request is gone are skipped.
func (pc *pageCtx) hitRows(ids []uint64, keep func(Request, helpcenter.Project, *Row) bool) ([]Row, error) {
	out := []Row{}
	for _, id := range ids {
		r, err := getRequest(pc.tx, id)
		if fault.KindOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		p, ok := pc.project(r.Project)
		if !ok {
			continue
		}
		rw, err := pc.row(r)
		if err != nil {
			return nil, err
		}
		if keep(r, p, &rw) {
			out = append(out, rw)
		}
	}
	return out, nil
}
