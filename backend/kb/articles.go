package kb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
	"portico/backend/request"
)

// Limits on what an article may hold.
const (
	maxTitle    = 255
	maxBody     = 400_000 // characters of Markdown
	maxLabels   = 20
	maxLabel    = 50
	maxCategory = 100
)

// ViewInput is "Who can view" as forms send it: organizations by id.
type ViewInput struct {
	Mode    access.ViewMode `json:"mode"`
	Orgs    request.IDs     `json:"orgs"`
	Domains []string        `json:"domains"`
}

// rule checks v and returns it as stored; inherit is allowed where a
// parent exists.
func rule(tx *kv.Tx, v *ViewInput, canInherit bool, bad map[string]string) access.ViewRule {
	if v == nil {
		return access.ViewRule{}
	}
	switch v.Mode {
	case access.ViewAnyone, access.ViewLoggedIn:
		return access.ViewRule{Mode: v.Mode}
	case access.ViewInherit:
		if canInherit {
			return access.ViewRule{Mode: v.Mode}
		}
	case access.ViewAudience:
		r := access.ViewRule{Mode: v.Mode}
		for _, id := range v.Orgs {
			if _, err := identity.GetOrgTx(tx, id); err != nil {
				bad["view"] = "One of the organizations no longer exists."
				return r
			}
			if !slices.Contains(r.Orgs, id) {
				r.Orgs = append(r.Orgs, id)
			}
		}
		for _, d := range v.Domains {
			n, ok := helpcenter.NormalizeDomain(d)
			if !ok {
				bad["view"] = fmt.Sprintf("%q is not an email domain, such as example.com.", d)
				return r
			}
			if !slices.Contains(r.Domains, n) {
				r.Domains = append(r.Domains, n)
			}
		}
		if len(r.Orgs) == 0 && len(r.Domains) == 0 {
			bad["view"] = "Choose at least one organization or email domain."
		}
		if len(r.Orgs)+len(r.Domains) > 50 {
			bad["view"] = "Choose at most 50 organizations and domains."
		}
		return r
	}
	bad["view"] = "Choose who can view: anyone, logged-in users, or some organizations or domains."
	return access.ViewRule{}
}

// ArticleInput is a new article or a change; nil fields stay as they are.
type ArticleInput struct {
	Title    *string    `json:"title"`
	Body     *string    `json:"body"`
	Labels   *[]string  `json:"labels"`
	Category *string    `json:"category"` // an id, "" for none
	Status   *string    `json:"status"`
	View     *ViewInput `json:"view"`
	// Revision is the revision an editor started from; a newer stored one
	// is a conflict rather than a silent overwrite.
	Revision *int `json:"revision"`
}

func cleanLabels(in []string, bad map[string]string) []string {
	var out []string
	for _, l := range in {
		l = strings.ToLower(strings.Join(strings.Fields(l), "-"))
		if l == "" || slices.Contains(out, l) {
			continue
		}
		if utf8.RuneCountInString(l) > maxLabel {
			bad["labels"] = fmt.Sprintf("Labels have at most %d characters.", maxLabel)
		}
		out = append(out, l)
	}
	if len(out) > maxLabels {
		bad["labels"] = fmt.Sprintf("Use at most %d labels.", maxLabels)
	}
	return out
}

// apply checks in and applies it to a, reporting whether the text changed
// (a new revision) and whether who may view it changed.
func (in ArticleInput) apply(tx *kv.Tx, a *Article, creating bool) (text bool, err error) {
	bad := map[string]string{}
	if in.Title != nil || creating {
		t := ""
		if in.Title != nil {
			t = strings.Join(strings.Fields(*in.Title), " ")
		}
		switch n := utf8.RuneCountInString(t); {
		case n == 0:
			bad["title"] = "Give the article a title."
		case n > maxTitle:
			bad["title"] = fmt.Sprintf("Keep the title under %d characters.", maxTitle)
		}
		text = text || t != a.Title
		a.Title = t
	}
	if in.Body != nil {
		b := strings.ToValidUTF8(strings.ReplaceAll(*in.Body, "\r\n", "\n"), "\uFFFD")
		if utf8.RuneCountInString(b) > maxBody {
			bad["body"] = fmt.Sprintf("The article is too long: keep it under %d characters, or split it.", maxBody)
		}
		text = text || b != a.Body
		a.Body = b
	}
	if in.Labels != nil {
		l := cleanLabels(*in.Labels, bad)
		text = text || !slices.Equal(l, a.Labels)
		a.Labels = l
	}
	if in.Category != nil {
		var c uint64
		if *in.Category != "" {
			var ok bool
			c, ok = parseID(*in.Category)
			cat, err := kv.Get[Category](tx, keyCategory+u(c))
			if !ok || errors.Is(err, kv.ErrNotFound) || err == nil && cat.Project != a.Project {
				bad["category"] = "That category no longer exists."
			} else if err != nil {
				return false, err
			}
		}
		text = text || c != a.Category
		a.Category = c
	}
	if in.Status != nil || creating {
		st := Draft
		if in.Status != nil {
			st = *in.Status
		}
		if st != Draft && st != Published {
			bad["status"] = "An article is a draft or published."
		}
		text = text || st != a.Status
		a.Status = st
	}
	if in.View != nil {
		a.View = rule(tx, in.View, true, bad)
	} else if creating {
		a.View = access.ViewRule{Mode: access.ViewInherit}
	}
	if len(bad) > 0 {
		return false, fault.InvalidFields(bad)
	}
	return text, nil
}

func revisionKey(article uint64, n int) string {
	return keyRevision + u(article) + "/" + fmt.Sprintf("%08d", n)
}

// save stores a with a new revision when its text changed, and marks it
// for the index, in the caller's transaction.
func saveArticle(tx *kv.Tx, a Article, newRevision bool, by uint64) error {
	a.Opening = opening(plainText(a.Body), excerptLen)
	if newRevision {
		a.Revision++
		r := Revision{Revision: a.Revision, Title: a.Title, Body: a.Body, Labels: a.Labels, Status: a.Status,
			Category: a.Category, By: by, At: a.Updated}
		if err := kv.Put(tx, revisionKey(a.ID, a.Revision), r); err != nil {
			return err
		}
	}
	if err := kv.Put(tx, keyArticle+u(a.ID), a); err != nil {
		return err
	}
	return fulltext.Mark(tx, IndexName, a.ID)
}

// CreateArticle adds an article to project's knowledge base.
func (s *Service) CreateArticle(ctx context.Context, who access.Caller, project uint64, in ArticleInput) (ArticleView, error) {
	if _, err := s.staffOf(ctx, who, project); err != nil {
		return ArticleView{}, err
	}
	var id uint64
	err := s.write(ctx, func(tx *kv.Tx) (err error) {
		id, err = s.newArticle(tx, who, project, in, "")
		return err
	})
	if err != nil {
		return ArticleView{}, err
	}
	return s.Article(ctx, who, id)
}

// newArticle stores a new article of project from in, in category (a
// name, made if missing) when set, and returns its id.
func (s *Service) newArticle(tx *kv.Tx, who access.Caller, project uint64, in ArticleInput, category string) (uint64, error) {
	now := s.now()
	a := Article{Project: project, Author: who.AccountID, UpdatedBy: who.AccountID, Created: now, Updated: now}
	if _, err := in.apply(tx, &a, true); err != nil {
		return 0, err
	}
	var err error
	if category != "" {
		if a.Category, err = s.categoryNamed(tx, project, category); err != nil {
			return 0, err
		}
	}
	if a.ID, err = tx.Next(seqArticle); err != nil {
		return 0, err
	}
	if err := tx.Set(keyProjectArticle+u(project)+"/"+u(a.ID), nil); err != nil {
		return 0, err
	}
	return a.ID, saveArticle(tx, a, true, who.AccountID)
}

// UpdateArticle changes an article; a stale revision is a conflict.
func (s *Service) UpdateArticle(ctx context.Context, who access.Caller, id uint64, in ArticleInput) (ArticleView, error) {
	err := s.write(ctx, func(tx *kv.Tx) error {
		sn, err := s.editable(tx, who, id)
		if err != nil {
			return err
		}
		a := sn.a
		if in.Revision != nil && *in.Revision != a.Revision {
			return fault.New(fault.Conflict, "Someone else saved a newer version of this article while you were editing.",
				"Copy your changes, reload the article, and apply them again.")
		}
		text, err := in.apply(tx, &a, false)
		if err != nil {
			return err
		}
		a.Updated, a.UpdatedBy = s.now(), who.AccountID
		return saveArticle(tx, a, text, who.AccountID)
	})
	if err != nil {
		return ArticleView{}, err
	}
	return s.Article(ctx, who, id)
}

// editable loads an article the caller may write; anyone else is told it
// is not there (or may read it but not change it).
func (s *Service) editable(tx *kv.Tx, who access.Caller, id uint64) (sight, error) {
	sn, err := see(tx, who, id)
	if err != nil {
		return sn, err
	}
	if !sn.staff {
		return sn, fault.Forbid("Only agents and admins of the project can change its articles.", "")
	}
	return sn, nil
}

// DeleteArticle removes an article with its revisions, files and votes.
func (s *Service) DeleteArticle(ctx context.Context, who access.Caller, id uint64) error {
	return s.write(ctx, func(tx *kv.Tx) error {
		sn, err := s.editable(tx, who, id)
		if err != nil {
			return err
		}
		var keys []string
		for _, p := range []string{keyRevision + u(id) + "/", keyVote + u(id) + "/"} {
			if err := tx.Scan(p, func(k string, _ func() ([]byte, error)) error { keys = append(keys, k); return nil }); err != nil {
				return err
			}
		}
		err = kv.ScanIDs(tx, keyArticleFile+u(id)+"/", func(f uint64) error {
			keys = append(keys, keyFile+u(f), keyBlob+u(f), keyArticleFile+u(id)+"/"+u(f))
			return nil
		})
		if err != nil {
			return err
		}
		keys = append(keys, keyArticle+u(id), keyProjectArticle+u(sn.a.Project)+"/"+u(id), keyStats+u(id))
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return fulltext.Mark(tx, IndexName, id)
	})
}

// Revisions lists an article's revisions, newest first (staff).
func (s *Service) Revisions(ctx context.Context, who access.Caller, id uint64) (map[string]any, error) {
	var out []RevisionView
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if _, err := s.editable(tx, who, id); err != nil {
			return err
		}
		n := newNames(tx)
		return kv.Scan(tx, keyRevision+u(id)+"/", func(_ string, r Revision) error {
			out = append(out, RevisionView{Revision: r.Revision, Title: r.Title, Status: r.Status, By: n.ref(r.By), At: r.At})
			return nil
		})
	})
	slices.Reverse(out)
	return map[string]any{"revisions": out}, err
}

// Revision returns one revision in full (staff).
func (s *Service) Revision(ctx context.Context, who access.Caller, id uint64, n int) (RevisionView, error) {
	var out RevisionView
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if _, err := s.editable(tx, who, id); err != nil {
			return err
		}
		r, err := kv.Get[Revision](tx, revisionKey(id, n))
		if errors.Is(err, kv.ErrNotFound) {
			return fault.NotFoundf("This article has no revision %d.", n)
		}
		if err != nil {
			return err
		}
		out = RevisionView{Revision: r.Revision, Title: r.Title, Status: r.Status, By: newNames(tx).ref(r.By), At: r.At,
			Body: r.Body, Labels: nonNil(r.Labels)}
		return nil
	})
	return out, err
}

// Restore makes revision n's text the article's again, as a new revision;
// whether it is published stays as it is now.
func (s *Service) Restore(ctx context.Context, who access.Caller, id uint64, n int) (ArticleView, error) {
	err := s.write(ctx, func(tx *kv.Tx) error {
		sn, err := s.editable(tx, who, id)
		if err != nil {
			return err
		}
		r, err := kv.Get[Revision](tx, revisionKey(id, n))
		if errors.Is(err, kv.ErrNotFound) {
			return fault.NotFoundf("This article has no revision %d.", n)
		}
		if err != nil {
			return err
		}
		a := sn.a
		a.Title, a.Body, a.Labels = r.Title, r.Body, r.Labels
		if r.Category != 0 {
			if ok, _ := tx.Has(keyCategory + u(r.Category)); ok {
				a.Category = r.Category
			}
		}
		a.Updated, a.UpdatedBy = s.now(), who.AccountID
		return saveArticle(tx, a, true, who.AccountID)
	})
	if err != nil {
		return ArticleView{}, err
	}
	return s.Article(ctx, who, id)
}

// FromRequest turns a resolved request into a draft article: its summary
// as the title, the description and public replies as the body.
func (s *Service) FromRequest(ctx context.Context, who access.Caller, ref string) (ArticleView, error) {
	b, err := s.rq.BriefFor(ctx, who, ref)
	if err != nil {
		return ArticleView{}, err
	}
	if !b.Done {
		return ArticleView{}, fault.New(fault.Conflict, "Only a resolved request can become an article.",
			"Resolve the request first, so the article holds the answer.")
	}
	var body strings.Builder
	if d := strings.TrimSpace(b.Description); d != "" {
		body.WriteString("## Problem\n\n" + d + "\n\n")
	}
	if len(b.Replies) > 0 {
		body.WriteString("## Solution\n\n")
		for _, r := range b.Replies {
			body.WriteString(strings.TrimSpace(r) + "\n\n")
		}
	}
	title, text, draft := b.Summary, body.String(), Draft
	if utf8.RuneCountInString(text) > maxBody {
		text = string([]rune(text)[:maxBody])
	}
	v, err := s.CreateArticle(ctx, who, b.Project, ArticleInput{Title: &title, Body: &text, Status: &draft})
	if err != nil {
		return v, err
	}
	err = s.write(ctx, func(tx *kv.Tx) error {
		a, err := kv.Get[Article](tx, keyArticle+u(v.ID))
		if err != nil {
			return err
		}
		a.FromRequest, a.FromKey = b.ID, b.Key
		return kv.Put(tx, keyArticle+u(a.ID), a)
	})
	if err != nil {
		return v, err
	}
	return s.Article(ctx, who, v.ID)
}
