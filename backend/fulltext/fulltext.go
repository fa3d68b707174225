// Package fulltext keeps the Bleve indexes, which are derived from Badger.
// A writer records an outbox entry (Mark) in its own transaction; a worker
// applies the outbox to Bleve and then deletes what it applied, so a crash
// in between loses nothing. Any index can be rebuilt from Badger while the
// old one keeps answering.
package fulltext

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/rs/zerolog"

	"portico/backend/kv"
)

// Source is one index derived from Badger.
type Source struct {
	Name    string                      // e.g. "requests"; the index lives at <dir>/<Name>.bleve
	Version int                         // mapping version: when the stored one differs, the index is rebuilt in the background
	Mapping func() mapping.IndexMapping // mapping for a freshly built index
	// Load returns the document to index for id, or nil if id should not be in the index (deleted).
	Load func(tx *kv.Tx, id uint64) (any, error)
	// All calls fn with every id that belongs in the index (for rebuilds), in any order.
	All func(tx *kv.Tx, fn func(id uint64) error) error
	// Variant, if set, names a setting the mapping depends on (a language):
	// an index built under another variant is rebuilt like one of another
	// version. Call Reindex when it changes.
	Variant func() string
}

// stamp is what an index built now from s is marked with.
func (s Source) stamp() string {
	st := strconv.Itoa(s.Version)
	if s.Variant != nil {
		st += " " + s.Variant()
	}
	return st
}

// Options configure Open.
type Options struct {
	Dir    string // directory for the indexes (created if missing)
	Logger zerolog.Logger
	// Hold keeps the worker from applying the outbox (tests simulate a crash between commit and apply).
	Hold bool
}

// Progress describes an index and its last (or running) rebuild.
type Progress struct {
	Name     string     `json:"name"`
	State    string     `json:"state"` // "ready" | "building"
	Done     int        `json:"done"`
	Total    int        `json:"total"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
}

// ErrClosed is returned by calls on a closed Engine.
var ErrClosed = errors.New("fulltext: engine closed")

const (
	outboxPrefix = "ft/o/"
	versionFile  = "portico-version"
	// A build that failed is tried again after this long.
	retryBuildAfter = time.Minute
)

// Variables so tests can make a rebuild take several batches and retries
// come quickly.
var (
	batchSize       = 500         // documents per Bleve batch
	workerTick      = time.Second // the worker's idle wake-up
	retryEntryAfter = time.Second // how long a failed outbox entry is held back
)

// Mark records, inside the writer's own transaction, that document id of
// index name changed. The value is a fresh nonce, so the worker can tell
// whether the entry was marked again while it was being applied.
func Mark(tx *kv.Tx, name string, id uint64) error {
	if name == "" {
		return errors.New("fulltext: Mark without an index name")
	}
	var nonce [8]byte
	binary.BigEndian.PutUint64(nonce[:], rand.Uint64())
	return tx.Set(outboxKey(name, id), nonce[:])
}

func outboxKey(name string, id uint64) string {
	return outboxPrefix + name + "/" + strconv.FormatUint(id, 10)
}

func parseOutboxKey(key string) (name string, id uint64, ok bool) {
	rest := strings.TrimPrefix(key, outboxPrefix)
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", 0, false
	}
	id, err := strconv.ParseUint(rest[i+1:], 10, 64)
	return rest[:i], id, err == nil
}

func docID(id uint64) string { return strconv.FormatUint(id, 10) }

type index struct {
	src  Source
	path string

	// mu is held across "load from Badger + write to Bleve" (worker and
	// rebuild batches) and whenever cur or next change, so the order of
	// writes in an index follows the order of the reads they came from.
	mu sync.Mutex

	rw     sync.RWMutex // readers' guard for cur, next and closed
	cur    bleve.Index  // the index that answers; nil until the first build is done
	next   bleve.Index  // the index being built, written by the worker too
	closed bool

	pmu       sync.Mutex
	prog      Progress
	building  bool
	needBuild bool // the last build failed
	failedAt  time.Time
	stamp     string // the running build's stamp
}

// Engine owns the indexes and the worker that applies the outbox.
type Engine struct {
	db      *kv.DB
	log     zerolog.Logger
	dir     string
	hold    bool
	batch   int
	indexes []*index
	byName  map[string]*index

	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	poke chan struct{}

	lifeMu  sync.Mutex // guards started and closed against wg.Add after Close
	started bool
	closed  bool

	closeOnce sync.Once
	closeErr  error

	// Pass bookkeeping, for Sync.
	passMu       sync.Mutex
	passStarted  uint64
	passDone     uint64
	passComplete bool
	passFailed   map[string]bool
	passCh       chan struct{} // closed and replaced when a pass ends

	// retryAt holds failed outbox keys back for a while, so one bad
	// document does not log on every commit. Worker goroutine only.
	retryAt map[string]time.Time

	afterApply func() // test hook: between writing a batch to Bleve and deleting its outbox entries
}

// Open opens (creating if needed) one index per source. A missing, corrupt
// or wrong-version index is rebuilt in the background; a bad index never
// makes Open fail.
func Open(db *kv.DB, o Options, sources ...Source) (*Engine, error) {
	if o.Dir == "" {
		return nil, errors.New("fulltext: no index directory given")
	}
	e := &Engine{
		db:      db,
		log:     o.Logger.With().Str("pkg", "fulltext").Logger(),
		dir:     o.Dir,
		hold:    o.Hold,
		batch:   max(batchSize, 1),
		byName:  map[string]*index{},
		poke:    make(chan struct{}, 1),
		passCh:  make(chan struct{}),
		retryAt: map[string]time.Time{},
	}
	for _, s := range sources {
		if s.Name == "" || s.Name == "." || s.Name == ".." || strings.ContainsAny(s.Name, `/\`) {
			return nil, fmt.Errorf("fulltext: bad index name %q", s.Name)
		}
		if s.Mapping == nil || s.Load == nil || s.All == nil {
			return nil, fmt.Errorf("fulltext: index %q needs Mapping, Load and All", s.Name)
		}
		if e.byName[s.Name] != nil {
			return nil, fmt.Errorf("fulltext: index %q given twice", s.Name)
		}
		ix := &index{src: s, path: filepath.Join(o.Dir, s.Name+".bleve"), prog: Progress{Name: s.Name, State: "ready"}}
		e.indexes = append(e.indexes, ix)
		e.byName[s.Name] = ix
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("fulltext: %w", err)
	}
	e.ctx, e.stop = context.WithCancel(context.Background())
	for _, ix := range e.indexes {
		if e.openIndex(ix) {
			if err := e.startRebuild(ix); err != nil {
				e.Close()
				return nil, err
			}
		}
	}
	return e, nil
}

// openIndex opens ix from disk, finishing or discarding what a crash left,
// and reports whether it must be rebuilt.
func (e *Engine) openIndex(ix *index) (rebuild bool) {
	log := e.log.With().Str("index", ix.src.Name).Logger()
	newPath, oldPath := ix.path+".new", ix.path+".old"
	// A finished build whose swap was cut short is at least as fresh as the
	// live index: the worker is held off between the build's end and the swap.
	want := ix.src.stamp()
	if v, err := readStamp(newPath); err == nil && v == want {
		if err := replaceDir(ix.path, newPath); err != nil {
			log.Warn().Err(err).Msg("could not finish an interrupted index swap")
		} else {
			log.Info().Msg("finished an interrupted index swap")
		}
	}
	removeLogged(log, newPath)
	removeLogged(log, oldPath)
	if _, err := os.Stat(ix.path); errors.Is(err, os.ErrNotExist) {
		log.Info().Msg("index missing; building it")
		return true
	}
	idx, err := openBleve(ix.path)
	if err != nil {
		log.Warn().Err(err).Msg("index is unreadable; deleting and rebuilding it")
		removeLogged(log, ix.path)
		return true
	}
	ix.cur = idx
	if v, err := readStamp(ix.path); err != nil || v != want {
		log.Info().Str("want", want).Str("have", v).Msg("index has another mapping version; rebuilding it")
		return true
	}
	return false
}

func openBleve(path string) (idx bleve.Index, err error) {
	// A damaged index can make Bleve panic instead of returning an error.
	defer func() {
		if r := recover(); r != nil {
			idx, err = nil, fmt.Errorf("fulltext: opening %s panicked: %v", path, r)
		}
	}()
	return bleve.Open(path)
}

func readStamp(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, versionFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

func writeStamp(dir string, v string) error {
	f, err := os.Create(filepath.Join(dir, versionFile))
	if err != nil {
		return err
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replaceDir puts the directory newPath at path, through path+".old" so
// that at every moment one of them holds a whole index.
func replaceDir(path, newPath string) error {
	oldPath := path + ".old"
	if err := os.RemoveAll(oldPath); err != nil {
		return err
	}
	hadOld := false
	if _, err := os.Stat(path); err == nil {
		if err := os.Rename(path, oldPath); err != nil {
			return err
		}
		hadOld = true
	}
	if err := os.Rename(newPath, path); err != nil {
		if hadOld {
			os.Rename(oldPath, path)
		}
		return err
	}
	return os.RemoveAll(oldPath)
}

func removeLogged(log zerolog.Logger, path string) {
	if err := os.RemoveAll(path); err != nil {
		log.Warn().Err(err).Str("path", path).Msg("could not remove")
	}
}

// Start starts the worker: it first replays whatever the outbox holds, then
// waits for Poke or a 1 s tick.
func (e *Engine) Start() {
	e.lifeMu.Lock()
	defer e.lifeMu.Unlock()
	if e.closed || e.started {
		return
	}
	e.started = true
	e.wg.Add(1)
	go e.run()
}

// Poke tells the worker there is new outbox work; it never blocks.
// Behind reports whether the named index has changes committed in Badger
// that it has not applied yet: until it catches up, what it answers may be
// older than the store.
func (e *Engine) Behind(ctx context.Context, name string) (bool, error) {
	behind := false
	err := e.db.View(ctx, func(tx *kv.Tx) error {
		it := tx.Iterate(outboxPrefix+name+"/", false)
		defer it.Close()
		behind = it.Valid()
		return nil
	})
	return behind, err
}

func (e *Engine) Poke() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

func (e *Engine) run() {
	defer e.wg.Done()
	tick := time.NewTicker(workerTick)
	defer tick.Stop()
	for {
		if !e.hold {
			e.pass()
		}
		select {
		case <-e.ctx.Done():
			return
		case <-e.poke:
		case <-tick.C:
			e.retryBuilds()
		}
	}
}

func (e *Engine) retryBuilds() {
	for _, ix := range e.indexes {
		ix.pmu.Lock()
		due := ix.needBuild && !ix.building && time.Since(ix.failedAt) >= retryBuildAfter
		ix.pmu.Unlock()
		if due {
			e.startRebuild(ix)
		}
	}
}

type entry struct {
	key  string
	val  []byte
	name string
	id   uint64
}

// pass applies the whole outbox once, batch by batch, and publishes which
// keys failed so Sync can tell whether its entries made it.
func (e *Engine) pass() {
	e.passMu.Lock()
	e.passStarted++
	n := e.passStarted
	e.passMu.Unlock()

	failed := map[string]bool{}
	seen := map[string]bool{}
	complete := true
	for {
		if e.ctx.Err() != nil {
			complete = false
			break
		}
		entries, err := e.readOutbox(seen, failed)
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Error().Err(err).Msg("reading the index outbox")
			}
			complete = false
			break
		}
		if len(entries) == 0 {
			break
		}
		e.applyBatch(entries, failed)
	}

	e.passMu.Lock()
	e.passDone, e.passComplete, e.passFailed = n, complete, failed
	close(e.passCh)
	e.passCh = make(chan struct{})
	e.passMu.Unlock()
}

// readOutbox returns up to one batch of entries not yet seen in this pass.
// Applied entries are deleted, so skipping the seen ones stays cheap.
func (e *Engine) readOutbox(seen, failed map[string]bool) ([]entry, error) {
	var out []entry
	now := time.Now()
	err := e.db.View(e.ctx, func(tx *kv.Tx) error {
		return tx.Scan(outboxPrefix, func(key string, value func() ([]byte, error)) error {
			if seen[key] {
				return nil
			}
			if at, ok := e.retryAt[key]; ok && now.Before(at) {
				seen[key], failed[key] = true, true
				return nil
			}
			v, err := value()
			if err != nil {
				return err
			}
			seen[key] = true
			en := entry{key: key, val: v}
			en.name, en.id, _ = parseOutboxKey(key)
			out = append(out, en)
			if len(out) >= e.batch {
				return kv.ErrStop
			}
			return nil
		})
	})
	return out, err
}

func (e *Engine) applyBatch(entries []entry, failed map[string]bool) {
	var done []entry
	groups := map[*index][]entry{}
	var order []*index
	for _, en := range entries {
		ix := e.byName[en.name]
		if ix == nil {
			e.log.Warn().Str("key", en.key).Msg("outbox entry for an unknown index; dropping it")
			done = append(done, en)
			continue
		}
		if groups[ix] == nil {
			order = append(order, ix)
		}
		groups[ix] = append(groups[ix], en)
	}
	for _, ix := range order {
		bad, err := e.applyGroup(ix, groups[ix])
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Error().Err(err).Str("index", ix.src.Name).Int("docs", len(groups[ix])).Msg("applying the outbox; will retry")
			}
			for _, en := range groups[ix] {
				failed[en.key] = true
			}
			continue
		}
		for _, en := range groups[ix] {
			if bad[en.key] {
				failed[en.key] = true
			} else {
				done = append(done, en)
			}
		}
	}
	retry := time.Now().Add(retryEntryAfter)
	for _, en := range entries {
		if failed[en.key] {
			e.retryAt[en.key] = retry
		} else {
			delete(e.retryAt, en.key)
		}
	}
	if e.afterApply != nil {
		e.afterApply()
	}
	if len(done) == 0 {
		return
	}
	// An entry marked again since it was read must stay: its newer state
	// may not be what was just applied.
	err := e.db.Update(e.ctx, func(tx *kv.Tx) error {
		for _, en := range done {
			cur, err := tx.Get(en.key)
			if errors.Is(err, kv.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if bytes.Equal(cur, en.val) {
				if err := tx.Delete(en.key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil && e.ctx.Err() == nil {
		// Harmless: the entries are applied again on a later pass.
		e.log.Warn().Err(err).Msg("deleting applied outbox entries")
	}
}

type op struct {
	key string // outbox key
	id  string // Bleve document id
	doc any    // nil: delete
}

// applyGroup loads and writes one index's share of a batch, to the live
// index and to the one being built. It returns the entries that failed on
// their own; an error means none was applied.
func (e *Engine) applyGroup(ix *index, group []entry) (map[string]bool, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var targets []bleve.Index
	for _, t := range []bleve.Index{ix.cur, ix.next} {
		if t != nil {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil, errors.New("no index is open")
	}
	bad := map[string]bool{}
	var ops []op
	err := e.db.View(e.ctx, func(tx *kv.Tx) error {
		for _, en := range group {
			doc, err := ix.src.Load(tx, en.id)
			if err != nil {
				e.log.Error().Err(err).Str("index", ix.src.Name).Uint64("id", en.id).Msg("loading a document to index; will retry")
				bad[en.key] = true
				continue
			}
			ops = append(ops, op{key: en.key, id: docID(en.id), doc: doc})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	batches := make([]*bleve.Batch, len(targets))
	for i, t := range targets {
		batches[i] = t.NewBatch()
	}
	for _, o := range ops {
		for _, b := range batches {
			if o.doc == nil {
				b.Delete(o.id)
			} else if err := b.Index(o.id, o.doc); err != nil {
				e.log.Error().Err(err).Str("index", ix.src.Name).Str("id", o.id).Msg("indexing a document; will retry")
				bad[o.key] = true
			}
		}
	}
	for i, t := range targets {
		if err := t.Batch(batches[i]); err != nil {
			return nil, err
		}
	}
	return bad, nil
}

// Sync returns once every outbox entry that existed when it was called has
// been applied: a pass that started afterwards has ended without failing
// on any of them. It needs the worker (Start, no Hold); otherwise it waits
// for ctx.
func (e *Engine) Sync(ctx context.Context) error {
	want := map[string]bool{}
	err := e.db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan(outboxPrefix, func(key string, _ func() ([]byte, error)) error {
			want[key] = true
			return nil
		})
	})
	if err != nil || len(want) == 0 {
		return err
	}
	e.passMu.Lock()
	need := e.passStarted + 1
	e.passMu.Unlock()
	e.Poke()
	for {
		e.passMu.Lock()
		done, complete, failed, ch := e.passDone, e.passComplete, e.passFailed, e.passCh
		e.passMu.Unlock()
		if done >= need {
			ok := complete
			for k := range failed {
				if want[k] {
					ok = false
					break
				}
			}
			if ok {
				return nil
			}
			// Failed entries are retried on the worker's tick, not in a tight loop.
			need = done + 1
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-e.ctx.Done():
			return ErrClosed
		}
	}
}

// Search runs req on the named index. While an index is built for the
// first time it answers from what the build has so far.
func (e *Engine) Search(ctx context.Context, name string, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	ix := e.byName[name]
	if ix == nil {
		return nil, fmt.Errorf("fulltext: unknown index %q", name)
	}
	ix.rw.RLock()
	defer ix.rw.RUnlock()
	if ix.closed {
		return nil, ErrClosed
	}
	idx := ix.cur
	if idx == nil {
		idx = ix.next
	}
	if idx == nil {
		return &bleve.SearchResult{
			Status:  &bleve.SearchStatus{Total: 1, Successful: 1},
			Request: req,
			Hits:    search.DocumentMatchCollection{},
		}, nil
	}
	return idx.SearchInContext(ctx, req)
}

// Reindex starts a full rebuild of the named index in the background; it
// does nothing if one is already running.
func (e *Engine) Reindex(name string) error {
	ix := e.byName[name]
	if ix == nil {
		return fmt.Errorf("fulltext: unknown index %q", name)
	}
	return e.startRebuild(ix)
}

func (e *Engine) startRebuild(ix *index) error {
	e.lifeMu.Lock()
	defer e.lifeMu.Unlock()
	if e.closed {
		return ErrClosed
	}
	ix.pmu.Lock()
	if ix.building {
		ix.pmu.Unlock()
		return nil
	}
	now := time.Now().UTC()
	ix.building = true
	ix.prog = Progress{Name: ix.src.Name, State: "building", Started: &now}
	ix.pmu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.rebuild(ix)
	}()
	return nil
}

func (e *Engine) rebuild(ix *index) {
	log := e.log.With().Str("index", ix.src.Name).Logger()
	start := time.Now()
	err := e.build(ix)
	now := time.Now().UTC()
	ix.pmu.Lock()
	defer ix.pmu.Unlock()
	ix.building = false
	ix.prog.State = "ready"
	switch {
	case err == nil && ix.src.Variant != nil && ix.stamp != ix.src.stamp():
		// The setting changed while this build ran: build again.
		ix.needBuild, ix.failedAt = true, time.Time{}
		ix.prog.Finished = &now
	case err == nil:
		ix.needBuild = false
		ix.prog.Finished = &now
		log.Info().Int("docs", ix.prog.Total).Dur("took", time.Since(start)).Msg("index rebuilt")
	case e.ctx.Err() != nil:
		log.Debug().Msg("index rebuild stopped by Close")
	default:
		ix.needBuild, ix.failedAt = true, time.Now()
		log.Error().Err(err).Msg("index rebuild failed; the worker will try again")
	}
}

// build fills a fresh index in <path>.new from Source.All while the worker
// also writes to it, then swaps it in.
func (e *Engine) build(ix *index) error {
	newPath := ix.path + ".new"
	if err := os.RemoveAll(newPath); err != nil {
		return err
	}
	stamp := ix.src.stamp()
	ix.pmu.Lock()
	ix.stamp = stamp
	ix.pmu.Unlock()
	nidx, err := bleve.New(newPath, ix.src.Mapping())
	if err != nil {
		return err
	}
	swapped := false
	defer func() {
		if swapped {
			return
		}
		ix.mu.Lock()
		ix.rw.Lock()
		if ix.next == nidx {
			ix.next = nil
		}
		ix.rw.Unlock()
		ix.mu.Unlock()
		nidx.Close()
		os.RemoveAll(newPath)
	}()

	// Publish the new index before reading the ids: any write committed
	// after that read is then applied to the new index by the worker.
	ix.mu.Lock()
	ix.rw.Lock()
	ix.next = nidx
	ix.rw.Unlock()
	ix.mu.Unlock()

	var ids []uint64
	err = e.db.View(e.ctx, func(tx *kv.Tx) error {
		return ix.src.All(tx, func(id uint64) error {
			if len(ids)%1024 == 0 && e.ctx.Err() != nil {
				return e.ctx.Err()
			}
			ids = append(ids, id)
			return nil
		})
	})
	if err != nil {
		return err
	}
	ix.pmu.Lock()
	ix.prog.Total = len(ids)
	ix.pmu.Unlock()

	for start := 0; start < len(ids); start += e.batch {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		chunk := ids[start:min(start+e.batch, len(ids))]
		if err := e.buildBatch(ix, nidx, chunk); err != nil {
			return err
		}
		ix.pmu.Lock()
		ix.prog.Done += len(chunk)
		ix.pmu.Unlock()
	}
	swapped = true
	return e.swap(ix, nidx)
}

func (e *Engine) buildBatch(ix *index, nidx bleve.Index, ids []uint64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	b := nidx.NewBatch()
	var bad []uint64
	err := e.db.View(e.ctx, func(tx *kv.Tx) error {
		for _, id := range ids {
			doc, err := ix.src.Load(tx, id)
			if err == nil && doc != nil {
				err = b.Index(docID(id), doc)
			}
			if err != nil {
				e.log.Error().Err(err).Str("index", ix.src.Name).Uint64("id", id).Msg("indexing a document during rebuild; queued for retry")
				bad = append(bad, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := nidx.Batch(b); err != nil {
		return err
	}
	if len(bad) == 0 {
		return nil
	}
	// Through the outbox the worker retries them, so none is lost.
	err = e.db.Update(e.ctx, func(tx *kv.Tx) error {
		for _, id := range bad {
			if err := Mark(tx, ix.src.Name, id); err != nil {
				return err
			}
		}
		return nil
	})
	e.Poke()
	return err
}

// swap closes the built index, stamps its version (last, so a stamped
// directory is a whole index), moves it into place and reopens it. The
// worker and readers wait meanwhile.
func (e *Engine) swap(ix *index, nidx bleve.Index) error {
	newPath := ix.path + ".new"
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.rw.Lock()
	defer ix.rw.Unlock()
	ix.next = nil
	err := nidx.Close()
	if err == nil {
		ix.pmu.Lock()
		stamp := ix.stamp
		ix.pmu.Unlock()
		err = writeStamp(newPath, stamp)
	}
	if err != nil {
		os.RemoveAll(newPath)
		return err
	}
	if ix.cur != nil {
		if err := ix.cur.Close(); err != nil {
			e.log.Warn().Err(err).Str("index", ix.src.Name).Msg("closing the replaced index")
		}
		ix.cur = nil
	}
	swapErr := replaceDir(ix.path, newPath)
	// Whichever index is in place now, open it.
	idx, err := openBleve(ix.path)
	if err != nil {
		return errors.Join(swapErr, err)
	}
	ix.cur = idx
	return swapErr
}

// Status reports each index, in Open's order.
func (e *Engine) Status() []Progress {
	out := make([]Progress, 0, len(e.indexes))
	for _, ix := range e.indexes {
		ix.pmu.Lock()
		p := ix.prog
		ix.pmu.Unlock()
		if p.Started != nil {
			t := *p.Started
			p.Started = &t
		}
		if p.Finished != nil {
			t := *p.Finished
			p.Finished = &t
		}
		out = append(out, p)
	}
	return out
}

// Close stops the worker and any rebuild, waits for them, and closes the
// indexes. Calling it again does nothing.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.lifeMu.Lock()
		e.closed = true
		if e.stop != nil {
			e.stop()
		}
		e.lifeMu.Unlock()
		e.wg.Wait()
		var errs []error
		for _, ix := range e.indexes {
			ix.rw.Lock()
			for _, idx := range []bleve.Index{ix.cur, ix.next} {
				if idx != nil {
					errs = append(errs, idx.Close())
				}
			}
			ix.cur, ix.next, ix.closed = nil, nil, true
			ix.rw.Unlock()
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// Term matches documents whose field holds exactly v (keyword fields).
func Term(field, v string) query.Query {
	q := bleve.NewTermQuery(v)
	q.SetField(field)
	return q
}

// AnyTerm matches documents whose field holds any of vs.
func AnyTerm(field string, vs []string) query.Query {
	qs := make([]query.Query, len(vs))
	for i, v := range vs {
		qs[i] = Term(field, v)
	}
	return bleve.NewDisjunctionQuery(qs...)
}
