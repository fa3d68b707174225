// Package request holds request types and groups, workflows, and requests
// with their comments, participants and attachments. Every decision about
// who may see or change a request is asked of backend/access.
package request

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Request is a customer request as stored.
type Request struct {
	ID           uint64         `json:"id"`
	Project      uint64         `json:"project"`
	Number       uint64         `json:"number"` // the 42 of IT-42
	Type         uint64         `json:"type"`
	Summary      string         `json:"summary"`
	Description  string         `json:"description,omitempty"`
	Fields       map[string]any `json:"fields,omitempty"`
	Reporter     uint64         `json:"reporter"`
	Participants []uint64       `json:"participants,omitempty"`
	Orgs         []uint64       `json:"orgs,omitempty"`
	Status       string         `json:"status"`
	Category     Category       `json:"category"`
	Resolution   string         `json:"resolution,omitempty"`
	Assignee     uint64         `json:"assignee,omitempty"`
	Attachments  []uint64       `json:"attachments,omitempty"` // on the request itself, not on comments
	Created      time.Time      `json:"created"`
	Updated      time.Time      `json:"updated"`
	Resolved     time.Time      `json:"resolved,omitzero"`
	Events       int            `json:"events"` // how many events it has: the next one's number
}

func (r Request) facts() access.Request {
	return access.Request{Project: r.Project, Reporter: r.Reporter, Participants: r.Participants, Orgs: r.Orgs}
}

func (r Request) done() bool { return r.Category == Done }

// Event is one entry of a request's history: a comment or a change.
type Event struct {
	N           int       `json:"n"`
	Kind        string    `json:"kind"` // created, comment, status, shared, unshared, assigned, type, field
	Author      uint64    `json:"author,omitempty"`
	At          time.Time `json:"at"`
	Public      bool      `json:"public"`
	Body        string    `json:"body,omitempty"` // a comment's Markdown
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	Text        string    `json:"text,omitempty"`
	Attachments []uint64  `json:"attachments,omitempty"`
}

// Service is the request domain.
type Service struct {
	db  *kv.DB
	ft  *fulltext.Engine
	hc  *helpcenter.Service
	ids *identity.Service
	log zerolog.Logger
	now func() time.Time
	// NewAccount is told about accounts made for people who gave an email
	// (anonymous raisers, people shared with), so they get a set-password link.
	NewAccount func(ctx context.Context, a identity.Account)
	// MaxUpload caps an attachment's size.
	MaxUpload int64
	// GroupCommit writes concurrent raises in shared transactions (kv.Batch):
	// one fsync for many, and no conflicts on the project's key sequence.
	GroupCommit bool
}

// New builds the service.
func New(db *kv.DB, ft *fulltext.Engine, hc *helpcenter.Service, ids *identity.Service, log zerolog.Logger) *Service {
	return &Service{db: db, ft: ft, hc: hc, ids: ids, log: log.With().Str("pkg", "request").Logger(),
		now: func() time.Time { return time.Now().UTC() }, MaxUpload: 10 << 20, GroupCommit: true,
		NewAccount: func(context.Context, identity.Account) {}}
}

func projectTx(tx *kv.Tx, id uint64) (helpcenter.Project, error) {
	return helpcenter.GetProjectTx(tx, id)
}

func (s *Service) project(tx *kv.Tx, id uint64) (helpcenter.Project, error) {
	return helpcenter.GetProjectTx(tx, id)
}

// SetIndex gives the service its text index (the index needs the service's
// Source first, so they are made in two steps).
func (s *Service) SetIndex(ft *fulltext.Engine) { s.ft = ft }

// raisablePortal opens a portal the caller may raise requests in, with the
// site setting the decision used.
func (s *Service) raisablePortal(ctx context.Context, who access.Caller, id uint64) (helpcenter.Project, access.Site, error) {
	site, err := s.hc.Site(ctx)
	if err != nil {
		return helpcenter.Project{}, site, err
	}
	p, err := s.hc.Project(ctx, id)
	if fault.KindOf(err) == fault.NotFound {
		return p, site, access.ErrNoPortal
	}
	if err != nil {
		return p, site, err
	}
	return p, site, access.Raise(site, p.Portal(), who).Err()
}

// --- indexes --------------------------------------------------------------

// entry is the value of every list index key: enough to filter a list
// without reading the request.
type entry struct {
	Project, Type, Assignee uint64
	Reporter                bool // in keyByAccount: the account reported it
	Status                  string
}

func (e entry) bytes() []byte {
	b := make([]byte, 25, 25+len(e.Status))
	binary.BigEndian.PutUint64(b, e.Project)
	binary.BigEndian.PutUint64(b[8:], e.Type)
	binary.BigEndian.PutUint64(b[16:], e.Assignee)
	if e.Reporter {
		b[24] = 1
	}
	return append(b, e.Status...)
}

func readEntry(b []byte) entry {
	if len(b) < 25 {
		return entry{}
	}
	return entry{Project: binary.BigEndian.Uint64(b), Type: binary.BigEndian.Uint64(b[8:]),
		Assignee: binary.BigEndian.Uint64(b[16:]), Reporter: b[24] == 1, Status: string(b[25:])}
}

func cat(r Request) string {
	if r.done() {
		return "d"
	}
	return "o"
}

// indexKeys are every list key a request should have in its state.
func indexKeys(r Request) map[string][]byte {
	if r.ID == 0 {
		return nil
	}
	c, up, id := cat(r), inv(r.Updated), u(r.ID)
	e := entry{Project: r.Project, Type: r.Type, Assignee: r.Assignee, Status: r.Status}
	v := e.bytes()
	out := map[string][]byte{}
	for _, q := range queuesOf(r) {
		p := keyQueue + u(r.Project) + "/" + q + "/"
		out[p+"u/"+up+"/"+id] = v
		out[p+"c/"+inv(r.Created)+"/"+id] = v
	}
	rep := e
	rep.Reporter = true
	out[keyByAccount+u(r.Reporter)+"/"+c+"/"+up+"/"+id] = rep.bytes()
	for _, p := range r.Participants {
		if p != r.Reporter {
			out[keyByAccount+u(p)+"/"+c+"/"+up+"/"+id] = v
		}
	}
	for _, o := range r.Orgs {
		out[keyByOrg+u(o)+"/"+c+"/"+up+"/"+id] = v
	}
	return out
}

// queuesOf names the agent queues a request is in; "mine/<account>" is
// its assignee's.
func queuesOf(r Request) []string {
	if r.done() {
		return []string{"resolved"}
	}
	out := []string{"open"}
	if r.Assignee == 0 {
		out = append(out, "unassigned")
	} else {
		out = append(out, "mine/"+u(r.Assignee))
	}
	if r.Status == WaitingStatus {
		out = append(out, "waiting")
	}
	return out
}

// counters are the queue counts a request adds one to, and its status's.
func counters(r Request) []string {
	if r.ID == 0 {
		return nil
	}
	p := keyCount + u(r.Project) + "/"
	out := []string{p + "status/" + r.Status}
	for _, q := range queuesOf(r) {
		out = append(out, p+q)
	}
	return out
}

func counter(tx *kv.Tx, key string) (int64, error) {
	v, err := tx.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}

func bump(tx *kv.Tx, key string, d int64) error {
	n, err := counter(tx, key)
	if err != nil {
		return err
	}
	return tx.Set(key, []byte(strconv.FormatInt(n+d, 10)))
}

// save writes a request and moves its index keys and counters from old's
// state to r's, in one transaction, and marks it for the text index.
func save(tx *kv.Tx, old, r Request) error {
	if err := kv.Put(tx, keyRequest+u(r.ID), r); err != nil {
		return err
	}
	before, after := indexKeys(old), indexKeys(r)
	for k := range before {
		if _, keep := after[k]; !keep {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
	}
	for k, v := range after {
		if _, had := before[k]; !had {
			if err := tx.Set(k, v); err != nil {
				return err
			}
		} else if string(before[k]) != string(v) {
			if err := tx.Set(k, v); err != nil {
				return err
			}
		}
	}
	cb, ca := counters(old), counters(r)
	for _, k := range cb {
		if !contains(ca, k) {
			if err := bump(tx, k, -1); err != nil {
				return err
			}
		}
	}
	for _, k := range ca {
		if !contains(cb, k) {
			if err := bump(tx, k, 1); err != nil {
				return err
			}
		}
	}
	return fulltext.Mark(tx, IndexName, r.ID)
}

func addEvent(tx *kv.Tx, r *Request, e Event) (Event, error) {
	e.N = r.Events
	r.Events++
	r.Updated = e.At
	return e, kv.Put(tx, eventKey(r.ID, e.N), e)
}

var errNoRequest = access.ErrNoRequest

func getRequest(tx *kv.Tx, id uint64) (Request, error) {
	r, err := kv.Get[Request](tx, keyRequest+u(id))
	if errors.Is(err, kv.ErrNotFound) {
		return r, errNoRequest
	}
	return r, err
}

// Resolve finds a request by id ("42") or key ("IT-42").
func resolveTx(tx *kv.Tx, ref string) (Request, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseUint(ref, 10, 64); err == nil {
		return getRequest(tx, id)
	}
	i := strings.LastIndexByte(ref, '-')
	if i <= 0 {
		return Request{}, errNoRequest
	}
	n, err := strconv.ParseUint(ref[i+1:], 10, 64)
	if err != nil {
		return Request{}, errNoRequest
	}
	pid, err := helpcenter.ProjectIDByKeyTx(tx, strings.ToUpper(ref[:i]))
	if err != nil {
		return Request{}, errNoRequest
	}
	v, err := tx.Get(keyRequestKey + u(pid) + "/" + u(n))
	if errors.Is(err, kv.ErrNotFound) {
		return Request{}, errNoRequest
	}
	if err != nil {
		return Request{}, err
	}
	id, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return Request{}, err
	}
	return getRequest(tx, id)
}

// seen loads a request by reference and decides whether the caller may see
// it: the one door every request endpoint goes through.
type seen struct {
	req     Request
	project helpcenter.Project
	site    access.Site
	inv     access.Involvement
}

func (s *Service) see(tx *kv.Tx, who access.Caller, ref string) (seen, error) {
	if who.Anonymous() {
		return seen{}, access.RequestErr(access.SeeRequest(access.Site{}, access.Portal{}, who, access.Request{}))
	}
	r, err := resolveTx(tx, ref)
	if err != nil {
		return seen{}, err
	}
	p, err := s.project(tx, r.Project)
	if err != nil {
		return seen{}, errNoRequest
	}
	site, err := helpcenter.SiteTx(tx)
	if err != nil {
		return seen{}, err
	}
	d := access.SeeRequest(site, p.Portal(), who, r.facts())
	if err := access.RequestErr(d); err != nil {
		return seen{}, err
	}
	return seen{req: r, project: p, site: site, inv: access.Involved(who, r.facts())}, nil
}
