package fulltext

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/rs/zerolog"

	"portico/backend/kv"
	"portico/backend/kv/kvtest"
)

type doc struct{ Title string }

func docs(version int, m func() mapping.IndexMapping) Source {
	if m == nil {
		m = func() mapping.IndexMapping { return bleve.NewIndexMapping() }
	}
	return Source{
		Name:    "docs",
		Version: version,
		Mapping: m,
		Load: func(tx *kv.Tx, id uint64) (any, error) {
			d, err := kv.Get[doc](tx, "doc/"+strconv.FormatUint(id, 10))
			if errors.Is(err, kv.ErrNotFound) {
				return nil, nil
			}
			return d, err
		},
		All: func(tx *kv.Tx, fn func(id uint64) error) error { return kv.ScanIDs(tx, "doc/", fn) },
	}
}

// keywordTitles indexes Title whole, so only a version-2 index answers a
// term query for a full title.
func keywordTitles() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	f := bleve.NewTextFieldMapping()
	f.Analyzer = keyword.Name
	m.DefaultMapping.AddFieldMappingsAt("Title", f)
	return m
}

func logger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}

func open(t testing.TB, db *kv.DB, dir string, src Source) *Engine {
	t.Helper()
	e, err := Open(db, Options{Dir: dir, Logger: logger(t)}, src)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func put(t testing.TB, db *kv.DB, id uint64, title string) {
	t.Helper()
	if err := write(db, id, &doc{title}); err != nil {
		t.Fatalf("put %d: %v", id, err)
	}
}

func del(t testing.TB, db *kv.DB, id uint64) {
	t.Helper()
	if err := write(db, id, nil); err != nil {
		t.Fatalf("del %d: %v", id, err)
	}
}

// write stores d (nil deletes) and marks it, as a domain package would.
func write(db *kv.DB, id uint64, d *doc) error {
	return db.Update(context.Background(), func(tx *kv.Tx) error {
		key := "doc/" + strconv.FormatUint(id, 10)
		var err error
		if d == nil {
			err = tx.Delete(key)
		} else {
			err = kv.Put(tx, key, *d)
		}
		if err != nil {
			return err
		}
		return Mark(tx, "docs", id)
	})
}

func sync_(t testing.TB, e *Engine) {
	t.Helper()
	e.Poke()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// find returns the sorted ids matching word in Title.
func find(t testing.TB, e *Engine, word string) []string {
	t.Helper()
	q := bleve.NewMatchQuery(word)
	q.SetField("Title")
	return ids(t, e, bleve.NewSearchRequestOptions(q, 1000, 0, false))
}

func ids(t testing.TB, e *Engine, req *bleve.SearchRequest) []string {
	t.Helper()
	res, err := e.Search(context.Background(), "docs", req)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	sort.Strings(out)
	return out
}

// indexed returns every document in the index with its stored title.
func indexed(t testing.TB, e *Engine) map[string]string {
	t.Helper()
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 100000, 0, false)
	req.Fields = []string{"Title"}
	res, err := e.Search(context.Background(), "docs", req)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	out := map[string]string{}
	for _, h := range res.Hits {
		s, _ := h.Fields["Title"].(string)
		out[h.ID] = s
	}
	return out
}

func stored(t testing.TB, db *kv.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(context.Background(), func(tx *kv.Tx) error {
		return kv.Scan(tx, "doc/", func(key string, d doc) error {
			out[strings.TrimPrefix(key, "doc/")] = d.Title
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func outbox(t testing.TB, db *kv.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(context.Background(), func(tx *kv.Tx) error {
		return tx.Scan(outboxPrefix, func(key string, value func() ([]byte, error)) error {
			v, err := value()
			out[key] = string(v)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func waitReady(t testing.TB, e *Engine) Progress {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := e.Status()[0]
		if p.State == "ready" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("index still %s after 5s: %+v", p.State, p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestIndexFollowsWrites(t *testing.T) {
	db := kvtest.Open(t)
	e := open(t, db, t.TempDir(), docs(1, nil))
	e.Start()
	waitReady(t, e)

	put(t, db, 1, "hello world")
	put(t, db, 2, "goodbye moon")
	sync_(t, e)
	if got := find(t, e, "hello"); !equal(got, []string{"1"}) {
		t.Fatalf("hello: got %v", got)
	}

	put(t, db, 1, "farewell world")
	del(t, db, 2)
	// An entry for an index nobody opened is dropped, not retried forever.
	if err := db.Update(context.Background(), func(tx *kv.Tx) error { return Mark(tx, "nope", 7) }); err != nil {
		t.Fatal(err)
	}
	sync_(t, e)
	if got := find(t, e, "hello"); len(got) != 0 {
		t.Fatalf("hello after update: got %v", got)
	}
	if got := find(t, e, "farewell"); !equal(got, []string{"1"}) {
		t.Fatalf("farewell: got %v", got)
	}
	if got := find(t, e, "moon"); len(got) != 0 {
		t.Fatalf("deleted doc still found: %v", got)
	}
	if ob := outbox(t, db); len(ob) != 0 {
		t.Fatalf("outbox not drained: %v", ob)
	}
}

func TestMarkTwiceLeavesOneEntry(t *testing.T) {
	db := kvtest.Open(t)
	var vals []string
	for range 2 {
		if err := db.Update(context.Background(), func(tx *kv.Tx) error { return Mark(tx, "docs", 5) }); err != nil {
			t.Fatal(err)
		}
		ob := outbox(t, db)
		if len(ob) != 1 {
			t.Fatalf("outbox: %v", ob)
		}
		vals = append(vals, ob["ft/o/docs/5"])
	}
	if vals[0] == vals[1] {
		t.Fatal("a second Mark must change the entry's value")
	}
}

// A Mark that commits between the worker's apply and its delete must
// survive, and its newer state must reach the index on the next pass.
func TestMarkDuringApplyIsNotLost(t *testing.T) {
	db := kvtest.Open(t)
	e := open(t, db, t.TempDir(), docs(1, nil))
	waitReady(t, e)

	put(t, db, 1, "first")
	e.afterApply = func() {
		e.afterApply = nil
		put(t, db, 1, "second")
	}
	e.pass()
	if got := find(t, e, "first"); !equal(got, []string{"1"}) {
		t.Fatalf("first pass should have applied the old state, got %v", got)
	}
	if ob := outbox(t, db); len(ob) != 1 {
		t.Fatalf("re-marked entry was deleted: outbox %v", ob)
	}
	e.pass()
	if got := find(t, e, "second"); !equal(got, []string{"1"}) {
		t.Fatalf("second: got %v", got)
	}
	if got := find(t, e, "first"); len(got) != 0 {
		t.Fatalf("stale state left: %v", got)
	}
	if ob := outbox(t, db); len(ob) != 0 {
		t.Fatalf("outbox not drained: %v", ob)
	}
}

const crashEnv = "PORTICO_FULLTEXT_CRASH_DIR"

// TestCrashChild is the child process of TestReplayAfterKill: it commits
// marked writes with the worker held, says so, and waits to be killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process for TestReplayAfterKill")
	}
	db, err := kv.Open(kv.Options{Dir: filepath.Join(dir, "kv"), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(db, Options{Dir: filepath.Join(dir, "ft"), Logger: zerolog.Nop(), Hold: true}, docs(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	waitReady(t, e)
	for id := uint64(1); id <= 20; id++ {
		put(t, db, id, fmt.Sprintf("crash survivor %d", id))
	}
	e.Poke()
	fmt.Println("marked")
	time.Sleep(time.Minute)
}

func TestReplayAfterKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A child that hangs instead of marking must not hang the test.
	watchdog := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	lines := bufio.NewScanner(out)
	marked := false
	for lines.Scan() {
		if lines.Text() == "marked" {
			marked = true
			break
		}
		t.Logf("child: %s", lines.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if !marked {
		t.Fatal("child exited before marking")
	}

	db, err := kv.Open(kv.Options{Dir: filepath.Join(dir, "kv"), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if ob := outbox(t, db); len(ob) != 20 {
		t.Fatalf("outbox after crash has %d entries, want 20", len(ob))
	}
	e := open(t, db, filepath.Join(dir, "ft"), docs(1, nil))
	if p := e.Status()[0]; p.State != "ready" || p.Started != nil {
		t.Fatalf("index left by the child should open as is, got %+v", p)
	}
	if got := find(t, e, "survivor"); len(got) != 0 {
		t.Fatalf("held worker applied %v", got)
	}
	e.Start()
	sync_(t, e)
	if got := find(t, e, "survivor"); len(got) != 20 {
		t.Fatalf("after replay found %d docs, want 20", len(got))
	}
	if ob := outbox(t, db); len(ob) != 0 {
		t.Fatalf("outbox not drained: %v", ob)
	}
}

func TestReindexWhileWritingAndSearching(t *testing.T) {
	defer func(n int) { batchSize = n }(batchSize)
	batchSize = 40
	db := kvtest.Open(t)
	e := open(t, db, t.TempDir(), docs(1, nil))
	e.Start()
	waitReady(t, e)
	const base = 600
	err := db.Update(context.Background(), func(tx *kv.Tx) error {
		for id := uint64(1); id <= base; id++ {
			if err := kv.Put(tx, "doc/"+strconv.FormatUint(id, 10), doc{fmt.Sprintf("doc %d v0", id)}); err != nil {
				return err
			}
			if err := Mark(tx, "docs", id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sync_(t, e)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches, writes atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 0, 0, false)
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := e.Search(context.Background(), "docs", req)
			if err != nil {
				t.Errorf("Search during rebuild: %v", err)
				return
			}
			// Docs 1..base always exist, so a short answer would mean a
			// half-built index was answering.
			if res.Total < base {
				t.Errorf("Search during rebuild saw %d docs", res.Total)
				return
			}
			searches.Add(1)
		}
	}()
	go func() {
		defer wg.Done()
		next := uint64(base + 1)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			switch r := rand.IntN(10); {
			case r < 6:
				err = write(db, 1+rand.Uint64N(base), &doc{fmt.Sprintf("doc updated %d", n)})
			case r < 8:
				err = write(db, next, &doc{fmt.Sprintf("doc new %d", n)})
				next++
			case next > base+1:
				err = write(db, base+1+rand.Uint64N(next-base-1), nil)
			}
			if err != nil {
				t.Errorf("write during rebuild: %v", err)
				return
			}
			e.Poke()
			writes.Add(1)
		}
	}()

	time.Sleep(20 * time.Millisecond)
	if err := e.Reindex("docs"); err != nil {
		t.Fatal(err)
	}
	if p := e.Status()[0]; p.State != "building" || p.Started == nil {
		t.Fatalf("right after Reindex: %+v", p)
	}
	if err := e.Reindex("docs"); err != nil {
		t.Fatalf("second Reindex while building: %v", err)
	}
	sawProgress := false
	deadline := time.Now().Add(8 * time.Second)
	var p Progress
	for {
		p = e.Status()[0]
		if p.State == "ready" {
			break
		}
		if p.Done > 0 && p.Done < p.Total {
			sawProgress = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebuild did not finish: %+v", p)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // keep writing across the swap
	close(stop)
	wg.Wait()

	if p.Done != p.Total || p.Total < base || p.Finished == nil {
		t.Fatalf("finished progress: %+v", p)
	}
	if !sawProgress {
		t.Logf("rebuild finished between polls; no partial progress seen")
	}
	sync_(t, e)
	want, got := stored(t, db), indexed(t, e)
	if len(want) != len(got) {
		t.Errorf("index holds %d docs, Badger %d", len(got), len(want))
	}
	for id, title := range want {
		if got[id] != title {
			t.Errorf("doc %s: index has %q, Badger %q", id, got[id], title)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("doc %s is indexed but was deleted", id)
		}
	}
	if err := e.Reindex("nope"); err == nil {
		t.Error("Reindex of an unknown index must fail")
	}
	t.Logf("rebuilt %d docs; %d searches and %d writes ran alongside", p.Total, searches.Load(), writes.Load())
}

func TestFirstBuildAnswersWithoutError(t *testing.T) {
	defer func(n int) { batchSize = n }(batchSize)
	batchSize = 20
	db := kvtest.Open(t)
	err := db.Update(context.Background(), func(tx *kv.Tx) error {
		for id := uint64(1); id <= 200; id++ {
			if err := kv.Put(tx, "doc/"+strconv.FormatUint(id, 10), doc{"seed"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := open(t, db, t.TempDir(), docs(1, nil))
	for e.Status()[0].State == "building" {
		find(t, e, "seed")
	}
	if got := find(t, e, "seed"); len(got) != 200 {
		t.Fatalf("after the first build found %d, want 200", len(got))
	}
}

func TestVersionBumpRebuilds(t *testing.T) {
	db := kvtest.Open(t)
	dir := t.TempDir()
	e := open(t, db, dir, docs(1, nil))
	e.Start()
	waitReady(t, e)
	put(t, db, 1, "Hello World")
	put(t, db, 2, "Other Thing")
	sync_(t, e)
	exact := func(e *Engine) []string {
		q := bleve.NewTermQuery("Hello World")
		q.SetField("Title")
		return ids(t, e, bleve.NewSearchRequest(q))
	}
	if got := exact(e); len(got) != 0 {
		t.Fatalf("version 1 analyzes titles, yet a whole-title term matched %v", got)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = open(t, db, dir, docs(2, keywordTitles))
	if p := e.Status()[0]; p.Started == nil {
		t.Fatalf("version bump did not start a rebuild: %+v", p)
	}
	// The old index answers while the new one builds.
	if got := find(t, e, "hello"); len(got) > 1 {
		t.Fatalf("during rebuild: %v", got)
	}
	if p := waitReady(t, e); p.Done != 2 || p.Total != 2 {
		t.Fatalf("progress: %+v", p)
	}
	if got := exact(e); !equal(got, []string{"1"}) {
		t.Fatalf("after rebuild a whole-title term found %v", got)
	}
	if v, err := readStamp(filepath.Join(dir, "docs.bleve")); err != nil || v != "2" {
		t.Fatalf("stored version %q, %v", v, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docs.bleve.new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("build directory left behind: %v", err)
	}
}

func TestCorruptIndexIsRebuilt(t *testing.T) {
	for _, c := range []struct{ name, under string }{
		{"everything", ""},
		// index_meta.json and the version stamp stay good; only Bleve's store is garbage.
		{"store", "store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := kvtest.Open(t)
			dir := t.TempDir()
			e := open(t, db, dir, docs(1, nil))
			e.Start()
			waitReady(t, e)
			put(t, db, 1, "precious words")
			sync_(t, e)
			e.Close()

			root := filepath.Join(dir, "docs.bleve", c.under)
			garbage := []byte("\x00\xffnot an index at all\x13\x37")
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				return os.WriteFile(path, garbage, 0o644)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "stray"), garbage, 0o644); err != nil {
				t.Fatal(err)
			}

			e = open(t, db, dir, docs(1, nil))
			e.Start()
			if p := waitReady(t, e); p.Started == nil || p.Total != 1 {
				t.Fatalf("corrupt index was not rebuilt: %+v", p)
			}
			if got := find(t, e, "precious"); !equal(got, []string{"1"}) {
				t.Fatalf("after rebuild: %v", got)
			}
		})
	}
}

// A document that fails to load stays in the outbox and is retried; the
// others in its batch go through.
func TestFailedLoadIsRetried(t *testing.T) {
	defer func(tick, retry time.Duration) { workerTick, retryEntryAfter = tick, retry }(workerTick, retryEntryAfter)
	workerTick, retryEntryAfter = 20*time.Millisecond, 50*time.Millisecond
	db := kvtest.Open(t)
	var broken atomic.Bool
	src := docs(1, nil)
	load := src.Load
	src.Load = func(tx *kv.Tx, id uint64) (any, error) {
		if id == 3 && broken.Load() {
			return nil, errors.New("disk on fire")
		}
		return load(tx, id)
	}
	e := open(t, db, t.TempDir(), src)
	e.Start()
	waitReady(t, e)
	broken.Store(true)
	put(t, db, 3, "stubborn")
	put(t, db, 4, "easy")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	e.Poke()
	if err := e.Sync(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync with a failing document: %v", err)
	}
	if got := find(t, e, "easy"); !equal(got, []string{"4"}) {
		t.Fatalf("easy: %v", got)
	}
	if ob := outbox(t, db); len(ob) != 1 || ob["ft/o/docs/3"] == "" {
		t.Fatalf("outbox: %v", ob)
	}
	broken.Store(false)
	sync_(t, e)
	if got := find(t, e, "stubborn"); !equal(got, []string{"3"}) {
		t.Fatalf("stubborn: %v", got)
	}
}

// A crash after a rebuild stamped its directory but before the swap
// finished leaves only docs.bleve.new; Open must take it as the index.
func TestInterruptedSwapIsFinished(t *testing.T) {
	db := kvtest.Open(t)
	dir := t.TempDir()
	e := open(t, db, dir, docs(1, nil))
	e.Start()
	waitReady(t, e)
	put(t, db, 1, "kept across swap")
	sync_(t, e)
	e.Close()
	if err := os.Rename(filepath.Join(dir, "docs.bleve"), filepath.Join(dir, "docs.bleve.new")); err != nil {
		t.Fatal(err)
	}

	e = open(t, db, dir, docs(1, nil))
	if p := e.Status()[0]; p.State != "ready" || p.Started != nil {
		t.Fatalf("expected the finished build to be used as is: %+v", p)
	}
	if got := find(t, e, "swap"); !equal(got, []string{"1"}) {
		t.Fatalf("got %v", got)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	defer func(n int) { batchSize = n }(batchSize)
	batchSize = 10
	db := kvtest.Open(t)
	dir := t.TempDir()
	for id := uint64(1); id <= 300; id++ {
		put(t, db, id, "filler")
	}
	before := runtime.NumGoroutine()
	e := open(t, db, dir, docs(1, nil))
	e.Start()
	// Close lands mid-build: the build must stop and clean up after itself.
	time.Sleep(5 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.Search(context.Background(), "docs", bleve.NewSearchRequest(bleve.NewMatchAllQuery())); !errors.Is(err, ErrClosed) {
		t.Fatalf("Search after Close: %v", err)
	}
	if err := e.Reindex("docs"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reindex after Close: %v", err)
	}
	if err := e.Sync(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docs.bleve.new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stopped build left its directory: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A mapping that depends on a setting (the search language): the index
// follows the setting at Reindex and at the next Open.
func TestVariantChangeRebuilds(t *testing.T) {
	db := kvtest.Open(t)
	dir := t.TempDir()
	var mu sync.Mutex
	variant := "plain"
	src := docs(1, func() mapping.IndexMapping {
		mu.Lock()
		defer mu.Unlock()
		if variant == "keyword" {
			return keywordTitles()
		}
		return bleve.NewIndexMapping()
	})
	src.Variant = func() string { mu.Lock(); defer mu.Unlock(); return variant }
	exact := func(e *Engine) []string {
		q := bleve.NewTermQuery("Hello World")
		q.SetField("Title")
		return ids(t, e, bleve.NewSearchRequest(q))
	}
	e := open(t, db, dir, src)
	e.Start()
	waitReady(t, e)
	put(t, db, 1, "Hello World")
	sync_(t, e)
	if got := exact(e); len(got) != 0 {
		t.Fatalf("plain variant matched a whole title: %v", got)
	}
	mu.Lock()
	variant = "keyword"
	mu.Unlock()
	if err := e.Reindex("docs"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, e)
	if got := exact(e); !equal(got, []string{"1"}) {
		t.Fatalf("after the variant changed and a reindex: %v", got)
	}
	if v, _ := readStamp(filepath.Join(dir, "docs.bleve")); v != "1 keyword" {
		t.Fatalf("stamp %q", v)
	}
	e.Close()

	// Changed while closed: the next Open rebuilds.
	mu.Lock()
	variant = "plain"
	mu.Unlock()
	e = open(t, db, dir, src)
	if p := e.Status()[0]; p.Started == nil {
		t.Fatalf("a changed variant did not start a rebuild: %+v", p)
	}
	e.Start()
	waitReady(t, e)
	if got := exact(e); len(got) != 0 {
		t.Fatalf("back to plain, a whole title still matched: %v", got)
	}
}
