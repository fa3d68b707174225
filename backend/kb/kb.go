// Package kb is the knowledge base: one space per service project, with
// ordered categories and Markdown articles (drafts, revisions, files),
// "Who can view" decided by the access package, and search through the
// fulltext outbox. Customers find articles before they raise requests;
// what they searched for and whether it helped is counted for admins.
package kb

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
	"portico/backend/request"
)

// Keys this package owns.
const (
	keySpace           = "kb/s/"  // kb/s/<project> → Space
	keyCategory        = "kb/c/"  // kb/c/<id> → Category
	keyProjectCategory = "kb/pc/" // kb/pc/<project>/<id> → empty
	keyArticle         = "kb/a/"  // kb/a/<id> → Article
	keyProjectArticle  = "kb/pa/" // kb/pa/<project>/<id> → empty
	keyRevision        = "kb/r/"  // kb/r/<article>/<%08d> → Revision
	keyFile            = "kb/f/"  // kb/f/<id> → File
	keyBlob            = "kb/fb/" // kb/fb/<id> → the file's bytes
	keyArticleFile     = "kb/af/" // kb/af/<article>/<file> → empty
	keyVote            = "kb/v/"  // kb/v/<article>/<voter> → Vote
	keyStats           = "kb/n/"  // kb/n/<article> → Stats
	keyQuery           = "kb/q/"  // kb/q/<normalized query> → QueryStat
	keyDeflect         = "kb/d/"  // kb/d/<project> → Deflection
	keySince           = "kb/since"
	seqArticle         = "kb-article"
	seqCategory        = "kb-category"
	seqFile            = "kb-file"
)

func u(id uint64) string { return strconv.FormatUint(id, 10) }

// Status of an article.
const (
	Draft     = "draft"
	Published = "published"
)

// Space is a project's knowledge base settings.
type Space struct {
	Project uint64          `json:"project"`
	View    access.ViewRule `json:"view"`
}

// Category groups a space's articles, in order.
type Category struct {
	ID          uint64          `json:"id"`
	Project     uint64          `json:"project"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Order       int             `json:"order"`
	View        access.ViewRule `json:"view"`
}

// Article is one knowledge base article as stored.
type Article struct {
	ID          uint64          `json:"id"`
	Project     uint64          `json:"project"`
	Category    uint64          `json:"category,omitempty"`
	Title       string          `json:"title"`
	Body        string          `json:"body"` // Markdown
	Labels      []string        `json:"labels,omitempty"`
	Status      string          `json:"status"`
	View        access.ViewRule `json:"view"`
	Author      uint64          `json:"author"`
	UpdatedBy   uint64          `json:"updatedBy"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	Revision    int             `json:"revision"`
	FromRequest uint64          `json:"fromRequest,omitempty"`
	FromKey     string          `json:"fromKey,omitempty"`
	// Opening is the start of the body as plain text, kept with the
	// article so lists need not render every body.
	Opening string `json:"opening,omitempty"`
}

// Revision is an article as it was saved once.
type Revision struct {
	Revision int       `json:"revision"`
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	Labels   []string  `json:"labels,omitempty"`
	Status   string    `json:"status"`
	Category uint64    `json:"category,omitempty"`
	By       uint64    `json:"by"`
	At       time.Time `json:"at"`
}

// Service is the knowledge base domain.
type Service struct {
	db  *kv.DB
	ft  *fulltext.Engine
	hc  *helpcenter.Service
	ids *identity.Service
	rq  *request.Service
	log zerolog.Logger
	now func() time.Time
	// MaxFile caps a file stored with an article.
	MaxFile int64

	counts *counters
	texts  textCache
	lang   atomic.Pointer[string]
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// New builds the service; SetIndex and Start complete it.
func New(db *kv.DB, hc *helpcenter.Service, ids *identity.Service, rq *request.Service, log zerolog.Logger) *Service {
	return &Service{db: db, hc: hc, ids: ids, rq: rq, log: log.With().Str("pkg", "kb").Logger(),
		now: func() time.Time { return time.Now().UTC() }, MaxFile: 10 << 20,
		counts: newCounters(), stop: make(chan struct{}), done: make(chan struct{})}
}

// SetIndex gives the service the engine its Source is registered with.
func (s *Service) SetIndex(ft *fulltext.Engine) { s.ft = ft }

// Start begins writing counted views and searches to the store.
func (s *Service) Start() {
	go func() {
		defer close(s.done)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				s.flush(context.Background())
				return
			case <-t.C:
				s.flush(context.Background())
			}
		}
	}()
}

// Close writes what is still counted in memory.
func (s *Service) Close() {
	s.once.Do(func() {
		close(s.stop)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
	})
}

// write is db.Update for changes the index must learn about: the index
// worker is woken at once rather than at its next tick.
func (s *Service) write(ctx context.Context, fn func(*kv.Tx) error) error {
	err := s.db.Update(ctx, fn)
	if err == nil && s.ft != nil {
		s.ft.Poke()
	}
	return err
}

// Flush writes counted views and searches now (tests, analytics).
func (s *Service) Flush(ctx context.Context) error { return s.flush(ctx) }

// facts are the access facts of one project, read in a transaction.
type facts struct {
	site    access.Site
	project helpcenter.Project
	space   Space
}

func spaceTx(tx *kv.Tx, project uint64) (Space, error) {
	sp, err := kv.Get[Space](tx, keySpace+u(project))
	if errors.Is(err, kv.ErrNotFound) {
		return Space{Project: project, View: access.ViewRule{Mode: access.ViewAnyone}}, nil
	}
	return sp, err
}

func projectFacts(tx *kv.Tx, project uint64) (facts, error) {
	var f facts
	var err error
	if f.site, err = helpcenter.SiteTx(tx); err != nil {
		return f, err
	}
	if f.project, err = helpcenter.GetProjectTx(tx, project); err != nil {
		return f, err
	}
	f.space, err = spaceTx(tx, project)
	return f, err
}

// effective is an article's "Who can view" after inheritance.
func effective(tx *kv.Tx, a Article, sp Space) (access.ViewRule, error) {
	var cv access.ViewRule
	if a.Category != 0 && (a.View.Mode == access.ViewInherit || a.View.Mode == "") {
		c, err := kv.Get[Category](tx, keyCategory+u(a.Category))
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return access.ViewRule{}, err
		}
		cv = c.View
	}
	return access.Effective(a.View, cv, sp.View), nil
}

// sight is an article the caller may see, with what was read to decide.
type sight struct {
	a     Article
	f     facts
	view  access.ViewRule
	staff bool
}

// see loads article id for who, or refuses in the words of an unknown id.
func see(tx *kv.Tx, who access.Caller, id uint64) (sight, error) {
	a, err := kv.Get[Article](tx, keyArticle+u(id))
	if errors.Is(err, kv.ErrNotFound) {
		return sight{}, refused(who)
	}
	if err != nil {
		return sight{}, err
	}
	f, err := projectFacts(tx, a.Project)
	if fault.KindOf(err) == fault.NotFound {
		return sight{}, refused(who)
	}
	if err != nil {
		return sight{}, err
	}
	v, err := effective(tx, a, f.space)
	if err != nil {
		return sight{}, err
	}
	d := access.SeeArticle(f.site, f.project.Portal(), who, access.Article{Project: a.Project, Published: a.Status == Published, View: v})
	if !d.Allow() {
		return sight{}, refused(who)
	}
	return sight{a: a, f: f, view: v, staff: access.EditArticles(who, a.Project).Allow()}, nil
}

// refused is every refusal of an article, and an unknown id: anonymous
// visitors are asked to log in, anyone else is told it is not there, so
// neither learns which ids exist.
func refused(who access.Caller) error {
	if who.Anonymous() {
		return access.Decision{Outcome: access.LoginRequired, Code: "login_required", Reason: "Log in to read this article."}.Err()
	}
	return access.ErrNoArticle
}

// staffOf refuses callers who may not write project's knowledge base; an
// unknown project reads as not found.
func (s *Service) staffOf(ctx context.Context, who access.Caller, project uint64) (helpcenter.Project, error) {
	if err := access.EditArticles(who, project).Err(); err != nil {
		return helpcenter.Project{}, err
	}
	return s.hc.Project(ctx, project)
}
