package kb

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Ref names something by id.
type Ref struct {
	ID   uint64 `json:"id,string"`
	Name string `json:"name"`
}

// RuleView is "Who can view" with organizations named.
type RuleView struct {
	Mode    access.ViewMode `json:"mode"`
	Orgs    []Ref           `json:"orgs,omitempty"`
	Domains []string        `json:"domains,omitempty"`
}

func ruleView(tx *kv.Tx, r access.ViewRule) *RuleView {
	if r.Mode == "" {
		r.Mode = access.ViewInherit
	}
	v := &RuleView{Mode: r.Mode, Domains: r.Domains}
	for _, id := range r.Orgs {
		o, err := identity.GetOrgTx(tx, id)
		name := o.Name
		if err != nil {
			name = "(deleted organization)"
		}
		v.Orgs = append(v.Orgs, Ref{ID: id, Name: name})
	}
	return v
}

// Row is an article in lists and search results.
type Row struct {
	ID            uint64    `json:"id,string"`
	Title         string    `json:"title"`
	TitleHl       string    `json:"titleHl,omitempty"`
	Excerpt       string    `json:"excerpt"`
	Portal        Ref       `json:"portal"`
	Category      *Ref      `json:"category,omitempty"`
	Labels        []string  `json:"labels"`
	Updated       time.Time `json:"updated"`
	Status        string    `json:"status,omitempty"`
	View          *RuleView `json:"view,omitempty"`
	EffectiveView *RuleView `json:"effectiveView,omitempty"`
	Views         *int64    `json:"views,omitempty"`
	Helpful       *int64    `json:"helpful,omitempty"`
	NotHelpful    *int64    `json:"notHelpful,omitempty"`
	Author        *Ref      `json:"author,omitempty"`
	URL           string    `json:"url,omitempty"`
}

// ArticleView is one article for reading (and, for staff, editing).
type ArticleView struct {
	Row
	HTML        string    `json:"html"`
	Body        *string   `json:"body,omitempty"`
	Revision    int       `json:"revision"`
	Created     time.Time `json:"created"`
	UpdatedBy   *Ref      `json:"updatedBy,omitempty"`
	MyVote      string    `json:"myVote,omitempty"`
	CanEdit     bool      `json:"canEdit"`
	FromRequest *struct {
		ID  uint64 `json:"id,string"`
		Key string `json:"key"`
	} `json:"fromRequest,omitempty"`
}

// RevisionView is a revision in the history list (Body only when asked).
type RevisionView struct {
	Revision int       `json:"revision"`
	Title    string    `json:"title"`
	Status   string    `json:"status"`
	By       *Ref      `json:"by,omitempty"`
	At       time.Time `json:"at"`
	Body     string    `json:"body,omitempty"`
	Labels   []string  `json:"labels,omitempty"`
}

// Stats are an article's counters.
type Stats struct {
	Views      int64 `json:"views"`
	Helpful    int64 `json:"helpful"`
	NotHelpful int64 `json:"notHelpful"`
}

type names struct {
	tx *kv.Tx
	m  map[uint64]string
}

func newNames(tx *kv.Tx) *names { return &names{tx: tx, m: map[uint64]string{}} }

func (n *names) ref(id uint64) *Ref {
	if id == 0 {
		return nil
	}
	name, ok := n.m[id]
	if !ok {
		if a, err := identity.GetTx(n.tx, id); err == nil {
			name = a.Name
		} else {
			name = "(deleted account)"
		}
		n.m[id] = name
	}
	return &Ref{ID: id, Name: name}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func categoryRef(tx *kv.Tx, id uint64) *Ref {
	if id == 0 {
		return nil
	}
	c, err := kv.Get[Category](tx, keyCategory+u(id))
	if err != nil {
		return nil
	}
	return &Ref{ID: c.ID, Name: c.Name}
}

func statsTx(tx *kv.Tx, id uint64) (Stats, error) {
	st, err := kv.Get[Stats](tx, keyStats+u(id))
	if errors.Is(err, kv.ErrNotFound) {
		err = nil
	}
	return st, err
}

// row draws an article; staff see its status, rules and counters.
func row(tx *kv.Tx, a Article, p helpcenter.Project, eff access.ViewRule, staff bool, n *names) Row {
	r := Row{ID: a.ID, Title: a.Title, Excerpt: a.Opening, Portal: Ref{ID: p.ID, Name: p.Title()},
		Category: categoryRef(tx, a.Category), Labels: nonNil(a.Labels), Updated: a.Updated}
	if staff {
		st, _ := statsTx(tx, a.ID)
		r.Status, r.View, r.EffectiveView = a.Status, ruleView(tx, a.View), ruleView(tx, eff)
		r.Views, r.Helpful, r.NotHelpful = &st.Views, &st.Helpful, &st.NotHelpful
		r.Author = n.ref(a.Author)
	}
	return r
}

// Article returns one article to a caller who may read it, and counts the
// view when a customer reads it.
func (s *Service) Article(ctx context.Context, who access.Caller, id uint64) (ArticleView, error) {
	var out ArticleView
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		sn, err := see(tx, who, id)
		if err != nil {
			return err
		}
		a, n := sn.a, newNames(tx)
		out = ArticleView{Row: row(tx, a, sn.f.project, sn.view, sn.staff, n), HTML: render(a.Body), Revision: a.Revision,
			Created: a.Created, CanEdit: sn.staff}
		if sn.staff {
			body := a.Body
			out.Body, out.UpdatedBy, out.Author = &body, n.ref(a.UpdatedBy), n.ref(a.Author)
			if a.FromRequest != 0 {
				out.FromRequest = &struct {
					ID  uint64 `json:"id,string"`
					Key string `json:"key"`
				}{a.FromRequest, a.FromKey}
			}
		}
		if !who.Anonymous() {
			if v, err := kv.Get[Vote](tx, voteKey(id, voter(who, ""))); err == nil {
				out.MyVote = map[bool]string{true: "yes", false: "no"}[v.Helpful]
			}
		}
		return nil
	})
	if err == nil && !out.CanEdit {
		s.counts.view(id)
	}
	return out, err
}

// SpaceView is a project's knowledge base for its staff.
type SpaceView struct {
	Portal     Ref            `json:"portal"`
	View       *RuleView      `json:"view"`
	Categories []CategoryView `json:"categories"`
	Articles   []Row          `json:"articles"`
}

// CategoryView is a category with its article count.
type CategoryView struct {
	ID          uint64    `json:"id,string"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Order       int       `json:"order"`
	View        *RuleView `json:"view"`
	Articles    int       `json:"articles"`
	List        []Row     `json:"list,omitempty"`
}

func categoriesTx(tx *kv.Tx, project uint64) ([]Category, error) {
	var cs []Category
	err := kv.ScanIDs(tx, keyProjectCategory+u(project)+"/", func(id uint64) error {
		c, err := kv.Get[Category](tx, keyCategory+u(id))
		if err == nil {
			cs = append(cs, c)
		}
		return err
	})
	slices.SortStableFunc(cs, func(a, b Category) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return int(a.ID) - int(b.ID)
	})
	return cs, err
}

func articlesTx(tx *kv.Tx, project uint64, fn func(Article) error) error {
	return kv.ScanIDs(tx, keyProjectArticle+u(project)+"/", func(id uint64) error {
		a, err := kv.Get[Article](tx, keyArticle+u(id))
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(a)
	})
}

// Space returns everything in project's knowledge base (staff).
func (s *Service) Space(ctx context.Context, who access.Caller, project uint64) (SpaceView, error) {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return SpaceView{}, err
	}
	var out SpaceView
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		f, err := projectFacts(tx, project)
		if err != nil {
			return err
		}
		out.Portal, out.View = Ref{ID: project, Name: f.project.Title()}, ruleView(tx, f.space.View)
		cs, err := categoriesTx(tx, project)
		if err != nil {
			return err
		}
		count := map[uint64]int{}
		n := newNames(tx)
		out.Articles = []Row{}
		err = articlesTx(tx, project, func(a Article) error {
			count[a.Category]++
			eff, err := effective(tx, a, f.space)
			if err != nil {
				return err
			}
			out.Articles = append(out.Articles, row(tx, a, f.project, eff, true, n))
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortStableFunc(out.Articles, func(a, b Row) int { return b.Updated.Compare(a.Updated) })
		out.Categories = []CategoryView{}
		for _, c := range cs {
			out.Categories = append(out.Categories, CategoryView{ID: c.ID, Name: c.Name, Description: c.Description,
				Order: c.Order, View: ruleView(tx, c.View), Articles: count[c.ID]})
		}
		return nil
	})
	return out, err
}

// PortalArticles lists the published articles of portal id the caller may
// read, by category.
func (s *Service) PortalArticles(ctx context.Context, who access.Caller, portal uint64) (map[string]any, error) {
	if _, err := s.hc.UsablePortal(ctx, who, portal); err != nil {
		return nil, err
	}
	cats := []CategoryView{}
	loose := []Row{}
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		f, err := projectFacts(tx, portal)
		if err != nil {
			return err
		}
		cs, err := categoriesTx(tx, portal)
		if err != nil {
			return err
		}
		by := map[uint64][]Row{}
		n := newNames(tx)
		err = articlesTx(tx, portal, func(a Article) error {
			eff, err := effective(tx, a, f.space)
			if err != nil {
				return err
			}
			d := access.SeeArticle(f.site, f.project.Portal(), who, access.Article{Project: portal, Published: a.Status == Published, View: eff})
			if !d.Allow() || a.Status != Published {
				return nil
			}
			r := row(tx, a, f.project, eff, false, n)
			r.Category = nil
			by[a.Category] = append(by[a.Category], r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if rows := by[c.ID]; len(rows) > 0 {
				slices.SortStableFunc(rows, func(a, b Row) int { return compareTitles(a.Title, b.Title) })
				cats = append(cats, CategoryView{ID: c.ID, Name: c.Name, Description: c.Description, Order: c.Order,
					Articles: len(rows), List: rows})
			}
			delete(by, c.ID)
		}
		for _, rows := range by {
			loose = append(loose, rows...)
		}
		slices.SortStableFunc(loose, func(a, b Row) int { return compareTitles(a.Title, b.Title) })
		return nil
	})
	return map[string]any{"categories": cats, "uncategorized": loose}, err
}

func parseID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id > 0
}
