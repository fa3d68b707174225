package kb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/da"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/de"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/en"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/es"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/fi"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/fr"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/it"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/nl"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/no"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/pt"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/ru"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/kv"
)

// IndexName is the knowledge base's text index.
const IndexName = "kb"

const indexVersion = 2

// Source is the articles index, derived from Badger; its analysis follows
// the help center's search language.
func (s *Service) Source() fulltext.Source {
	return fulltext.Source{Name: IndexName, Version: indexVersion,
		Mapping: func() mapping.IndexMapping { return mappingFor(s.language()) },
		Load:    loadDoc,
		All:     func(tx *kv.Tx, fn func(id uint64) error) error { return kv.ScanIDs(tx, keyArticle, fn) },
		Variant: s.language}
}

// language is the search language, read once and again after
// LanguageChanged.
func (s *Service) language() string {
	if l := s.lang.Load(); l != nil {
		return *l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lang, err := s.hc.Language(ctx)
	if err != nil {
		return helpcenter.DefaultLanguage
	}
	if !slices.Contains(helpcenter.Languages, lang) {
		lang = helpcenter.DefaultLanguage
	}
	s.lang.Store(&lang)
	return lang
}

// LanguageChanged forgets the search language read before.
func (s *Service) LanguageChanged() { s.lang.Store(nil) }

var mappings sync.Map // language → *mapping.IndexMappingImpl

// mappingFor is the index mapping for a language: its stemmer and stop
// words for the text (all of it in one field: separate, boosted fields
// ranked worse on the judged set), an unstemmed copy of titles for
// type-ahead prefixes, keywords for the filters.
func mappingFor(lang string) *mapping.IndexMappingImpl {
	if m, ok := mappings.Load(lang); ok {
		return m.(*mapping.IndexMappingImpl)
	}
	text := bleve.NewTextFieldMapping()
	text.Analyzer = lang
	text.Store, text.IncludeTermVectors, text.IncludeInAll = false, false, false
	all := bleve.NewTextFieldMapping()
	all.Analyzer = lang
	all.Store, all.IncludeTermVectors, all.IncludeInAll = false, false, false
	plain := bleve.NewTextFieldMapping()
	plain.Analyzer = standard.Name
	plain.Store, plain.IncludeTermVectors, plain.IncludeInAll = false, false, false
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer = keyword.Name
	kw.Store, kw.IncludeTermVectors, kw.IncludeInAll = false, false, false
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll = false, false
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title", text)
	doc.AddFieldMappingsAt("all", all)
	doc.AddFieldMappingsAt("titlep", plain)
	for _, f := range []string{"project", "status", "vis"} {
		doc.AddFieldMappingsAt(f, kw)
	}
	doc.AddFieldMappingsAt("updated", date)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = lang
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	got, _ := mappings.LoadOrStore(lang, m)
	return got.(*mapping.IndexMappingImpl)
}

func (s *Service) analyzer() analysis.Analyzer {
	lang := s.language()
	return mappingFor(lang).AnalyzerNamed(lang)
}

const maxIndexedBody = 256 << 10

// visTerms are the index terms that say who may read an article, besides
// its project's staff.
func visTerms(v access.ViewRule) []string {
	switch v.Mode {
	case access.ViewAnyone:
		return []string{"anyone"}
	case access.ViewAudience:
		var out []string
		for _, o := range v.Orgs {
			out = append(out, "o"+u(o))
		}
		for _, d := range v.Domains {
			out = append(out, "d"+d)
		}
		return out
	}
	return []string{"loggedin"}
}

// callerTerms are the visibility terms a caller matches.
func callerTerms(who access.Caller) []string {
	out := []string{"anyone"}
	if who.Anonymous() {
		return out
	}
	out = append(out, "loggedin")
	for o := range who.Orgs {
		out = append(out, "o"+u(o))
	}
	if who.Domain != "" {
		out = append(out, "d"+who.Domain)
	}
	return out
}

func loadDoc(tx *kv.Tx, id uint64) (any, error) {
	a, err := kv.Get[Article](tx, keyArticle+u(id))
	if err == kv.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sp, err := spaceTx(tx, a.Project)
	if err != nil {
		return nil, err
	}
	v, err := effective(tx, a, sp)
	if err != nil {
		return nil, err
	}
	body := plainText(a.Body)
	if len(body) > maxIndexedBody {
		body = strings.ToValidUTF8(body[:maxIndexedBody], "")
	}
	cat := ""
	if c := categoryRef(tx, a.Category); c != nil {
		cat = c.Name
	}
	return map[string]any{
		"title": a.Title, "titlep": a.Title, "all": a.Title + "\n" + body + "\n" + strings.Join(a.Labels, " ") + "\n" + cat,
		"project": u(a.Project), "status": a.Status, "vis": visTerms(v), "updated": a.Updated.Format(time.RFC3339Nano),
	}, nil
}

// Tuning weighs the parts of a match against a match of all the text
// (weight 1). The defaults were chosen on the judged query set
// (docs/BENCHMARKS.md, "Knowledge base relevance").
type Tuning struct {
	// Title adds a match on the title alone. (A phrase boost was measured
	// too: it changed nothing, and it needs positions in the index.)
	Title float64
	// Typos adds a match allowing one typo per word.
	Typos float64
	// Fuzzy retries a query that found nothing with one typo allowed.
	Fuzzy bool
}

// DefaultTuning is what Portico searches with.
var DefaultTuning = Tuning{Fuzzy: true}

func match(field, q string, boost float64, fuzzy bool) query.Query {
	m := bleve.NewMatchQuery(q)
	m.SetField(field)
	m.SetBoost(boost)
	if fuzzy {
		m.SetFuzziness(1)
	}
	return m
}

func (t Tuning) query(q string, fuzzy bool) query.Query {
	q = splitNames(q)
	qs := []query.Query{match("all", q, 1, fuzzy)}
	if t.Title > 0 {
		qs = append(qs, match("title", q, t.Title, fuzzy))
	}
	if t.Typos > 0 && !fuzzy {
		qs = append(qs, match("all", q, t.Typos, true))
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// splitNames makes "strings.Builder" or "max_retries" two words in a
// query: the tokenizer keeps such names whole, while articles usually
// write them apart.
func splitNames(q string) string {
	r := []rune(q)
	for i := 1; i+1 < len(r); i++ {
		if (r[i] == '.' || r[i] == '_' || r[i] == '/') && unicode.IsLetter(r[i-1]) && unicode.IsLetter(r[i+1]) {
			r[i] = ' '
		}
	}
	return string(r)
}

// scope is what a caller may find: the filter for the index and the
// projects it covers.
type scope struct {
	filter   query.Query
	projects map[uint64]helpcenter.Project
	site     access.Site
}

// scope narrows a search to the articles who may read: published ones of
// the portals they may use (of portal only, if set), by "Who can view";
// with drafts, every article of the projects they work.
func (s *Service) scope(ctx context.Context, who access.Caller, portal uint64, drafts bool) (scope, error) {
	site, err := s.hc.Site(ctx)
	if err != nil {
		return scope{}, err
	}
	sc := scope{projects: map[uint64]helpcenter.Project{}, site: site}
	var ps []helpcenter.Project
	if portal != 0 {
		p, err := s.hc.UsablePortal(ctx, who, portal)
		if err != nil {
			return scope{}, err
		}
		ps = []helpcenter.Project{p}
	} else if ps, err = s.hc.UsableProjects(ctx, site, who); err != nil {
		return scope{}, err
	}
	var staff, read []string
	for _, p := range ps {
		sc.projects[p.ID] = p
		if access.EditArticles(who, p.ID).Allow() {
			staff = append(staff, u(p.ID))
		} else {
			read = append(read, u(p.ID))
		}
	}
	published := fulltext.Term("status", Published)
	var or []query.Query
	if len(staff) > 0 {
		if drafts {
			or = append(or, fulltext.AnyTerm("project", staff))
		} else {
			or = append(or, bleve.NewConjunctionQuery(fulltext.AnyTerm("project", staff), published))
		}
	}
	if len(read) > 0 {
		or = append(or, bleve.NewConjunctionQuery(fulltext.AnyTerm("project", read), published, fulltext.AnyTerm("vis", callerTerms(who))))
	}
	if len(or) > 0 {
		sc.filter = bleve.NewDisjunctionQuery(or...)
	}
	return sc, nil
}

// cleanQuery trims a query to what is worth searching for. Bleve's query
// syntax is never parsed: text goes to match queries as words.
func cleanQuery(q string) string {
	q = strings.Join(strings.Fields(strings.ToValidUTF8(q, "")), " ")
	if utf8.RuneCountInString(q) > 200 {
		q = string([]rune(q)[:200])
	}
	return q
}

// maxStart caps paging: nobody reads past a thousand results.
const maxStart = 1000

// SearchResult is a page of articles and request types for a query.
type SearchResult struct {
	Query        string    `json:"query"`
	Articles     []Row     `json:"articles"`
	Total        int       `json:"total"`
	RequestTypes []TypeHit `json:"requestTypes"`
}

// TypeHit is a request type matching a search.
type TypeHit struct {
	ID          uint64 `json:"id,string"`
	Portal      Ref    `json:"portal"`
	Name        string `json:"name"`
	NameHl      string `json:"nameHl"`
	Description string `json:"description"`
	Icon        string `json:"icon"`
	score       int
}

// SearchOptions narrow a search.
type SearchOptions struct {
	Portal       uint64
	Start, Limit int
	// Drafts includes, for staff, every article of their projects.
	Drafts bool
	// NoLog keeps the query out of the analytics (staff searching, tests).
	NoLog bool
	// NoTypes leaves request types out.
	NoTypes bool
	Tuning  *Tuning
}

// Search finds articles (ranked, highlighted) and request types for q
// among what the caller may read.
func (s *Service) Search(ctx context.Context, who access.Caller, q string, o SearchOptions) (SearchResult, error) {
	q = cleanQuery(q)
	out := SearchResult{Query: q, Articles: []Row{}, RequestTypes: []TypeHit{}}
	if o.Limit <= 0 || o.Limit > 50 {
		o.Limit = 10
	}
	if o.Start < 0 || o.Start > maxStart {
		return out, fault.InvalidFields(map[string]string{"start": fmt.Sprintf("Start must be between 0 and %d.", maxStart)})
	}
	sc, err := s.scope(ctx, who, o.Portal, o.Drafts)
	if err != nil {
		return out, err
	}
	if q == "" {
		return out, nil
	}
	t := DefaultTuning
	if o.Tuning != nil {
		t = *o.Tuning
	}
	an := s.analyzer()
	if sc.filter != nil {
		if out.Articles, out.Total, err = s.page(ctx, who, sc.filter, t, q, an, o); err != nil {
			return out, err
		}
	}
	if !o.NoTypes && o.Start == 0 {
		out.RequestTypes = s.matchTypes(ctx, who, sc, q, an, 5, false)
	}
	if !o.NoLog {
		s.counts.search(o.Portal, q, out.Total == 0 && len(out.RequestTypes) == 0)
	}
	return out, nil
}

func hasLongWord(q string) bool {
	for _, w := range strings.Fields(q) {
		if utf8.RuneCountInString(w) >= 4 {
			return true
		}
	}
	return false
}

// page runs the query and returns one page of rows with the number of
// matches the caller may see. While the index is up to date its filter is
// the access rule, so Bleve's count is exact; while it lags a change, every
// hit up to the start cap is re-checked in Badger and counted, so the count
// cannot tell of articles the caller may no longer read.
func (s *Service) page(ctx context.Context, who access.Caller, filter query.Query, t Tuning, q string, an analysis.Analyzer, o SearchOptions) ([]Row, int, error) {
	behind, err := s.ft.Behind(ctx, IndexName)
	if err != nil {
		return nil, 0, err
	}
	from, size := o.Start, o.Limit
	if behind {
		from, size = 0, maxStart+o.Limit
	}
	run := func(fuzzy bool) ([]uint64, int, error) { return s.hits(ctx, filter, t.query(q, fuzzy), from, size) }
	ids, total, err := run(false)
	if err == nil && total == 0 && t.Fuzzy && hasLongWord(q) {
		ids, total, err = run(true)
	}
	if err != nil {
		return nil, 0, err
	}
	m := newMarker(an, q, false)
	if !behind {
		rows, err := s.rows(ctx, who, ids, m, false)
		return rows, total, err
	}
	ok, err := s.visible(ctx, who, ids)
	if err != nil {
		return nil, 0, err
	}
	// Matches past the cap were not checked; they count as they are.
	count := len(ok) + max(0, total-len(ids))
	ok = ok[min(o.Start, len(ok)):]
	rows, err := s.rows(ctx, who, ok[:min(o.Limit, len(ok))], m, false)
	return rows, count, err
}

// visible keeps the ids the caller may read now.
func (s *Service) visible(ctx context.Context, who access.Caller, ids []uint64) ([]uint64, error) {
	var out []uint64
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		for _, id := range ids {
			if _, err := see(tx, who, id); err == nil {
				out = append(out, id)
			} else if k := fault.KindOf(err); k != fault.NotFound && k != fault.Unauthenticated {
				return err
			}
		}
		return nil
	})
	return out, err
}

// hits runs q within filter and returns article ids in rank order.
func (s *Service) hits(ctx context.Context, filter, q query.Query, from, size int) ([]uint64, int, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(filter, q), size, from, false)
	res, err := s.ft.Search(ctx, IndexName, req)
	if err != nil {
		return nil, 0, err
	}
	out := make([]uint64, 0, len(res.Hits))
	for _, h := range res.Hits {
		if id, err := strconv.ParseUint(h.ID, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, int(res.Total), nil
}

// rows re-checks each hit in Badger (the index may lag a change of who
// may see it) and draws it with its matches marked.
func (s *Service) rows(ctx context.Context, who access.Caller, ids []uint64, m marker, publishedOnly bool) ([]Row, error) {
	out := []Row{}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		n := newNames(tx)
		for _, id := range ids {
			sn, err := see(tx, who, id)
			if err != nil {
				if fault.KindOf(err) == fault.NotFound || fault.KindOf(err) == fault.Unauthenticated {
					continue
				}
				return err
			}
			if publishedOnly && sn.a.Status != Published {
				continue
			}
			r := row(tx, sn.a, sn.f.project, sn.view, sn.staff, n)
			r.TitleHl = m.mark(sn.a.Title)
			r.Excerpt = m.excerpt(s.texts.of(sn.a), excerptLen)
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// matchTypes finds request types of the scope's portals whose name or
// description hold the query's words (or, for type-ahead, start with the
// last word typed).
func (s *Service) matchTypes(ctx context.Context, who access.Caller, sc scope, q string, an analysis.Analyzer, limit int, prefix bool) []TypeHit {
	m := newMarker(an, q, prefix)
	if len(m.terms) == 0 && m.prefix == "" {
		return []TypeHit{}
	}
	var out []TypeHit
	for _, p := range sc.projects {
		c, err := s.rq.PortalTypes(ctx, who, p.ID)
		if err != nil {
			continue
		}
		for _, t := range c.Types {
			score := 3 * len(m.spans(t.Name))
			if !prefix {
				// Type-ahead shows names only: a match it cannot mark looks random.
				score += len(m.spans(t.Description))
			}
			if score == 0 {
				continue
			}
			out = append(out, TypeHit{ID: t.ID, Portal: Ref{ID: p.ID, Name: p.Title()}, Name: t.Name, NameHl: m.mark(t.Name),
				Description: t.Description, Icon: t.Icon, score: score})
		}
	}
	slices.SortStableFunc(out, func(a, b TypeHit) int {
		return cmp.Or(b.score-a.score, compareTitles(a.Name, b.Name))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []TypeHit{}
	}
	return out
}

// Suggestion is a type-ahead entry.
type Suggestion struct {
	Kind    string `json:"kind"` // article | requestType
	ID      uint64 `json:"id,string"`
	Title   string `json:"title"`
	TitleHl string `json:"titleHl"`
	Portal  Ref    `json:"portal"`
	Href    string `json:"href"`
}

// Suggest offers titles for what has been typed so far: every finished
// word must match a title (one typo allowed in longer words), the word
// being typed may be the start of one. Suggestions are not logged.
func (s *Service) Suggest(ctx context.Context, who access.Caller, q string, portal uint64) (map[string]any, error) {
	q = cleanQuery(q)
	var out []Suggestion
	sc, err := s.scope(ctx, who, portal, false)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return map[string]any{"suggestions": []Suggestion{}}, nil
	}
	an := s.analyzer()
	if sc.filter != nil {
		typing := !strings.HasSuffix(q, " ") && unicode.IsLetter(lastRune(q)) || unicode.IsDigit(lastRune(q))
		var must []query.Query
		done := words
		if typing {
			done = words[:len(words)-1]
			last := words[len(words)-1]
			p := bleve.NewPrefixQuery(last)
			p.SetField("titlep")
			alts := []query.Query{p}
			if utf8.RuneCountInString(last) >= 4 {
				alts = append(alts, match("title", last, 1, true))
			}
			must = append(must, bleve.NewDisjunctionQuery(alts...))
		}
		for _, w := range done {
			if len(an.Analyze([]byte(w))) == 0 {
				continue // a stop word
			}
			must = append(must, bleve.NewDisjunctionQuery(match("title", w, 2, utf8.RuneCountInString(w) >= 4), match("labels", w, 1, false)))
		}
		if len(must) > 0 {
			ids, _, err := s.hits(ctx, sc.filter, bleve.NewConjunctionQuery(must...), 0, 6)
			if err != nil {
				return nil, err
			}
			rows, err := s.rows(ctx, who, ids, newMarker(an, q, true), true)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				out = append(out, Suggestion{Kind: "article", ID: r.ID, Title: r.Title, TitleHl: r.TitleHl, Portal: r.Portal,
					Href: "/articles/" + u(r.ID)})
			}
		}
	}
	for _, t := range s.matchTypes(ctx, who, sc, q, an, 3, true) {
		out = append(out, Suggestion{Kind: "requestType", ID: t.ID, Title: t.Name, TitleHl: t.NameHl, Portal: t.Portal,
			Href: "/portal/" + u(t.Portal.ID) + "/create/" + u(t.ID)})
	}
	if out == nil {
		out = []Suggestion{}
	}
	return map[string]any{"suggestions": out}, nil
}

// Deflect finds the articles of portal that may answer a request summary
// being typed on its raise form.
func (s *Service) Deflect(ctx context.Context, who access.Caller, portal uint64, q string) (map[string]any, error) {
	res, err := s.Search(ctx, who, q, SearchOptions{Portal: portal, Limit: 3, NoLog: true, NoTypes: true})
	if err != nil {
		return nil, err
	}
	arts := res.Articles[:0]
	for _, a := range res.Articles {
		if a.Status == "" || a.Status == Published {
			arts = append(arts, a)
		}
	}
	return map[string]any{"articles": arts}, nil
}

// ForReply finds published articles of a request's portal for an agent to
// link in a reply, each with its address on the portal.
func (s *Service) ForReply(ctx context.Context, who access.Caller, ref, q string) (map[string]any, error) {
	b, err := s.rq.BriefFor(ctx, who, ref)
	if err != nil {
		return nil, err
	}
	hc, err := s.hc.Get(ctx)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(hc.PortalURL, "/")
	q = cleanQuery(q)
	var rows []Row
	if q == "" {
		rows, err = s.recent(ctx, who, b.Project, 8)
	} else {
		var res SearchResult
		res, err = s.Search(ctx, who, q, SearchOptions{Portal: b.Project, Limit: 8, NoLog: true, NoTypes: true})
		rows = res.Articles
	}
	if err != nil {
		return nil, err
	}
	out := []Row{}
	for _, r := range rows {
		if r.Status == Published {
			r.URL = base + "/articles/" + u(r.ID)
			out = append(out, r)
		}
	}
	return map[string]any{"articles": out}, nil
}

// recent lists project's most recently updated published articles.
func (s *Service) recent(ctx context.Context, who access.Caller, project uint64, n int) ([]Row, error) {
	sp, err := s.Space(ctx, who, project)
	if err != nil {
		return nil, err
	}
	var out []Row
	for _, r := range sp.Articles {
		if r.Status == Published && len(out) < n {
			out = append(out, r)
		}
	}
	return out, nil
}
