package request

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kv"
)

// Page is one page of a list, JSM-style.
type Page struct {
	Values     []Row `json:"values"`
	Start      int   `json:"start"`
	Limit      int   `json:"limit"`
	IsLastPage bool  `json:"isLastPage"`
	Total      *int  `json:"total,omitempty"`
	Orgs       []Ref `json:"organizations,omitzero"` // customer lists only
}

// ListQuery filters the customer's "Requests" list.
type ListQuery struct {
	Ownership string // all (default), owned, participated, organization
	Org       uint64
	Status    string // open (default), closed, all
	Portal    uint64
	Type      uint64
	Q         string
	Start     int
	Limit     int
}

// maxStart bounds how deep a page may start: each page skips what lies
// before it, and text search (Bleve) cannot page further anyway.
const maxStart = 10_000

var errTooDeep = fault.InvalidFields(map[string]string{"start": "Pages can start at most 10,000 rows in: narrow the list with filters or a search instead."})

func pageBounds(start, limit, def int) (int, int, error) {
	if start < 0 {
		start = 0
	}
	if start > maxStart {
		return 0, 0, errTooDeep
	}
	if limit <= 0 {
		limit = def
	}
	return start, min(limit, 100), nil
}

func cats(status string) ([]string, error) {
	switch status {
	case "", "open":
		return []string{"o"}, nil
	case "closed":
		return []string{"d"}, nil
	case "all", "any":
		return []string{"o", "d"}, nil
	}
	return nil, fault.InvalidFields(map[string]string{"status": "Use open, closed or all."})
}

// merge walks several newest-first index prefixes as one list, each
// request once, calling fn until it returns false.
func merge(tx *kv.Tx, prefixes []string, reverse bool, fn func(id uint64, e entry, prefix string) (bool, error)) error {
	type head struct {
		it     *kv.Iter
		prefix string
	}
	var heads []head
	for _, p := range prefixes {
		it := tx.Iterate(p, reverse)
		defer it.Close()
		heads = append(heads, head{it, p})
	}
	seen := map[uint64]bool{}
	for {
		best := -1
		var bestSuffix string
		for i, h := range heads {
			if !h.it.Valid() {
				continue
			}
			// keys end in <inv>/<id>: compare that part, across prefixes.
			k := h.it.Key()
			suf := k[len(h.prefix):]
			if best < 0 || (!reverse && suf < bestSuffix) || (reverse && suf > bestSuffix) {
				best, bestSuffix = i, suf
			}
		}
		if best < 0 {
			return nil
		}
		h := heads[best]
		slash := strings.LastIndexByte(bestSuffix, '/')
		id, err := strconv.ParseUint(bestSuffix[slash+1:], 10, 64)
		if err != nil {
			return err
		}
		raw, err := h.it.Value()
		if err != nil {
			return err
		}
		h.it.Next()
		if seen[id] {
			continue
		}
		seen[id] = true
		more, err := fn(id, readEntry(raw), h.prefix)
		if err != nil || !more {
			return err
		}
	}
}

// pageCtx looks up what rows need once per page.
type pageCtx struct {
	tx       *kv.Tx
	projects map[uint64]helpcenter.Project
	wfs      map[uint64]Workflow
	types    map[uint64]Type
	names    *names
}

func newPageCtx(tx *kv.Tx, staff bool, me uint64) *pageCtx {
	return &pageCtx{tx: tx, projects: map[uint64]helpcenter.Project{}, wfs: map[uint64]Workflow{}, types: map[uint64]Type{}, names: newNames(tx, staff, me)}
}

func (pc *pageCtx) project(id uint64) (helpcenter.Project, bool) {
	if p, ok := pc.projects[id]; ok {
		return p, true
	}
	p, err := helpcenter.GetProjectTx(pc.tx, id)
	if err != nil {
		return p, false
	}
	pc.projects[id] = p
	return p, true
}

// take counts one more matching request towards page: skipped until the
// page's start, then a row, until the page is full (and not the last).
func (pc *pageCtx) take(page *Page, id uint64, skipped *int) (bool, error) {
	if *skipped < page.Start {
		*skipped++
		return true, nil
	}
	if len(page.Values) == page.Limit {
		page.IsLastPage = false
		return false, nil
	}
	r, err := getRequest(pc.tx, id)
	if err != nil {
		return false, err
	}
	rw, err := pc.row(r)
	page.Values = append(page.Values, rw)
	return err == nil, err
}

func (pc *pageCtx) row(r Request) (Row, error) {
	p, _ := pc.project(r.Project)
	wf, ok := pc.wfs[r.Project]
	if !ok {
		var err error
		if wf, err = workflowTx(pc.tx, r.Project); err != nil {
			return Row{}, err
		}
		pc.wfs[r.Project] = wf
	}
	t, ok := pc.types[r.Type]
	if !ok {
		t, _ = getType(pc.tx, r.Type)
		pc.types[r.Type] = t
	}
	return row(pc.tx, r, p, wf, t, pc.names), nil
}

// List is the customer's "Requests" page: what they raised, what is shared
// with them, and their organizations' requests, newest activity first.
func (s *Service) List(ctx context.Context, who access.Caller, q ListQuery) (Page, error) {
	if who.Anonymous() {
		return Page{}, fault.Unauthorized("Log in to see your requests.", "")
	}
	if !who.Active {
		return Page{}, access.Decision{Outcome: access.Deactivated}.Err()
	}
	start, limit, err := pageBounds(q.Start, q.Limit, 20)
	if err != nil {
		return Page{}, err
	}
	cs, err := cats(q.Status)
	if err != nil {
		return Page{}, err
	}
	me := u(who.AccountID)
	var prefixes []string
	owned, participated := true, true
	switch q.Ownership {
	case "", "all":
		for _, c := range cs {
			prefixes = append(prefixes, keyByAccount+me+"/"+c+"/")
			for o := range who.Orgs {
				prefixes = append(prefixes, keyByOrg+u(o)+"/"+c+"/")
			}
		}
	case "owned":
		participated = false
		for _, c := range cs {
			prefixes = append(prefixes, keyByAccount+me+"/"+c+"/")
		}
	case "participated":
		owned = false
		for _, c := range cs {
			prefixes = append(prefixes, keyByAccount+me+"/"+c+"/")
		}
	case "organization":
		if !who.Orgs[q.Org] {
			return Page{}, fault.InvalidFields(map[string]string{"organization": "Choose one of your organizations."})
		}
		for _, c := range cs {
			prefixes = append(prefixes, keyByOrg+u(q.Org)+"/"+c+"/")
		}
	default:
		return Page{}, fault.InvalidFields(map[string]string{"ownership": "Use all, owned, participated or organization."})
	}
	site, err := s.hc.Site(ctx)
	if err != nil {
		return Page{}, err
	}
	page := Page{Values: []Row{}, Start: start, Limit: limit, IsLastPage: true, Orgs: []Ref{}}
	if strings.TrimSpace(q.Q) != "" {
		return s.searchList(ctx, who, site, q, start, limit, page)
	}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		pc := newPageCtx(tx, false, who.AccountID)
		page.Orgs = orgRefs(tx, who)
		skipped := 0
		return merge(tx, prefixes, false, func(id uint64, e entry, prefix string) (bool, error) {
			if strings.HasPrefix(prefix, keyByAccount) && (e.Reporter && !owned || !e.Reporter && !participated) {
				return true, nil
			}
			if q.Portal != 0 && e.Project != q.Portal || q.Type != 0 && e.Type != q.Type {
				return true, nil
			}
			p, ok := pc.project(e.Project)
			if !ok || !access.PortalAllowed(site, p.Portal(), who) {
				return true, nil
			}
			return pc.take(&page, id, &skipped)
		})
	})
	return page, err
}

func orgRefs(tx *kv.Tx, who access.Caller) []Ref {
	out := []Ref{}
	for o := range who.Orgs {
		if org, err := identityOrg(tx, o); err == nil {
			out = append(out, Ref{ID: o, Name: org})
		}
	}
	sortRefs(out)
	return out
}

// Queue names, in the order the console shows them.
var queueNames = []struct{ ID, Name string }{
	{"open", "Open"}, {"unassigned", "Unassigned"}, {"mine", "Assigned to me"},
	{"waiting", "Waiting for customer"}, {"resolved", "Resolved"},
}

// QueueCount is a queue with how many requests it holds.
type QueueCount struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// queueKey is a queue's name in index keys and counters (queuesOf's
// names): "mine" is the caller's own assignee queue.
func queueKey(queue string, me uint64) string {
	if queue == "mine" {
		return "mine/" + u(me)
	}
	return queue
}

// Queues lists a project's queues with their counts, for its staff.
func (s *Service) Queues(ctx context.Context, who access.Caller, project uint64) ([]QueueCount, error) {
	if err := access.WorkProject(who, project).Err(); err != nil {
		return nil, err
	}
	var out []QueueCount
	err := s.db.View(ctx, func(tx *kv.Tx) error {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		for _, q := range queueNames {
			n, err := counter(tx, keyCount+u(project)+"/"+queueKey(q.ID, who.AccountID))
			if err != nil {
				return err
			}
			out = append(out, QueueCount{ID: q.ID, Name: q.Name, Count: n})
		}
		return nil
	})
	return out, err
}

// QueueQuery filters an agent queue.
type QueueQuery struct {
	Queue string
	Q     string
	Sort  string // -updated (default), updated, -created, created
	Start int
	Limit int
}

var keyRefRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]+$`)

// QueueRequests lists a queue of a project for its staff.
func (s *Service) QueueRequests(ctx context.Context, who access.Caller, project uint64, q QueueQuery) (Page, error) {
	if err := access.WorkProject(who, project).Err(); err != nil {
		return Page{}, err
	}
	start, limit, err := pageBounds(q.Start, q.Limit, 50)
	if err != nil {
		return Page{}, err
	}
	if q.Queue == "" {
		q.Queue = "open"
	}
	switch q.Queue {
	case "open", "unassigned", "mine", "waiting", "resolved":
	default:
		return Page{}, fault.InvalidFields(map[string]string{"queue": "Use open, unassigned, mine, waiting or resolved."})
	}
	byCreated, reverse := false, false
	switch q.Sort {
	case "", "-updated":
	case "updated":
		reverse = true
	case "-created":
		byCreated = true
	case "created":
		byCreated, reverse = true, true
	default:
		return Page{}, fault.InvalidFields(map[string]string{"sort": "Use -updated, updated, -created or created."})
	}
	page := Page{Values: []Row{}, Start: start, Limit: limit, IsLastPage: true}
	text := strings.TrimSpace(q.Q)
	if text != "" && !keyRefRE.MatchString(text) {
		return s.searchQueue(ctx, who, project, q, start, limit, page)
	}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		if _, err := s.project(tx, project); err != nil {
			return err
		}
		pc := newPageCtx(tx, true, who.AccountID)
		queue := queueKey(q.Queue, who.AccountID)
		total, err := counter(tx, keyCount+u(project)+"/"+queue)
		if err != nil {
			return err
		}
		t := int(total)
		page.Total = &t
		if text != "" { // a key: that request, if it is in this project and queue
			r, err := resolveTx(tx, text)
			if err != nil || r.Project != project || !contains(queuesOf(r), queue) {
				zero := 0
				page.Total = &zero
				return nil
			}
			rw, err := pc.row(r)
			page.Values = append(page.Values, rw)
			one := 1
			page.Total = &one
			return err
		}
		order := "u/"
		if byCreated {
			order = "c/"
		}
		prefix := keyQueue + u(project) + "/" + queue + "/" + order
		skipped := 0
		return merge(tx, []string{prefix}, reverse, func(id uint64, _ entry, _ string) (bool, error) {
			return pc.take(&page, id, &skipped)
		})
	})
	return page, err
}

// Agents lists who a project's requests can be assigned to.
func (s *Service) Agents(ctx context.Context, who access.Caller, project uint64) ([]PersonView, error) {
	if err := access.WorkProject(who, project).Err(); err != nil {
		return nil, err
	}
	staff, err := s.ids.Staff(ctx)
	if err != nil {
		return nil, err
	}
	out := []PersonView{}
	err = s.db.View(ctx, func(tx *kv.Tx) error {
		for _, a := range staff {
			ok := a.Role == identity.Admin
			if !ok && a.Role == identity.Agent {
				var err error
				if ok, err = helpcenter.IsAgentTx(tx, project, a.ID); err != nil {
					return err
				}
			}
			if ok && a.Active {
				out = append(out, personView(a, true))
			}
		}
		return nil
	})
	return out, err
}
