package backend_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/fulltext"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/kb"
)

const kbCrashArticles = 15

// kbCrashChild writes articles with the index worker held, so they are in
// Badger and the outbox only, says so, and waits to be killed.
func kbCrashChild(dir string) {
	t := fatal{}
	ctx := context.Background()
	b := open(t, dir, true)
	waitIndexes(b)
	if _, err := b.Setup(ctx, identity.Claim{Desktop: true}, backend.SetupChoices{}, identity.NewAccount{Name: "O", Email: "o@example.org", Password: "a long password 1"}); err != nil {
		t.Fatal(err)
	}
	owner := ownerFacts(t, b)
	key, name, ch := "KB", "KB", access.Open
	p, err := b.HelpCenter.CreateProject(ctx, owner, helpcenter.ProjectInput{Key: &key, Name: &name, Channel: &ch})
	if err != nil {
		t.Fatal(err)
	}
	status := kb.Published
	for i := range kbCrashArticles {
		title := fmt.Sprintf("Wombat care sheet %d", i)
		body := "Feed the wombats at dawn."
		if _, err := b.KB.CreateArticle(ctx, owner, p.ID, kb.ArticleInput{Title: &title, Body: &body, Status: &status}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.KB.Search(ctx, owner, "wombat", kb.SearchOptions{Drafts: true, NoLog: true})
	if err != nil || res.Total != 0 {
		t.Fatalf("held index answered %d (%v)", res.Total, err)
	}
	fmt.Println("WROTE", p.ID)
	time.Sleep(time.Minute)
}

// Kill -9 between the article's commit and the index: at the next start
// the outbox is replayed and every article is found. Then the search
// language changes, and the index is rebuilt for it while searches go on.
func TestKBIndexSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	killedChild(t, "PORTICO_KB_CRASH_DIR="+dir, "WROTE %d")

	ctx := context.Background()
	b := open(t, dir, false)
	defer b.Close()
	if err := b.Index.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	owner := ownerFacts(t, b)
	// Without drafts the owner finds what customers would: published articles.
	search := func(q string) (int, error) {
		res, err := b.KB.Search(ctx, owner, q, kb.SearchOptions{Limit: 50, NoLog: true})
		return len(res.Articles), err
	}
	if n, err := search("wombats"); err != nil || n != kbCrashArticles {
		t.Fatalf("after the crash, search finds %d (%v), want %d", n, err, kbCrashArticles)
	}

	// A new language: the index is rebuilt with its analysis, and the old
	// index answers until the new one is in place.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n, err := search("wombat"); err != nil || n != kbCrashArticles {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%d %v", n, err))
				mu.Unlock()
			}
		}
	}()
	de := "de"
	if _, err := b.HelpCenter.Update(ctx, owner, helpcenter.Patch{Language: &de}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	waitIndexes(b)
	close(stop)
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("searches during the rebuild: %s", strings.Join(problems[:min(5, len(problems))], "; "))
	}
	var kbStatus fulltext.Progress
	for _, st := range b.Index.Status() {
		if st.Name == kb.IndexName {
			kbStatus = st
		}
	}
	if kbStatus.Finished == nil || kbStatus.Total != kbCrashArticles {
		t.Fatalf("no rebuild for the new language: %+v", kbStatus)
	}
	stamp, err := os.ReadFile(filepath.Join(dir, "index", "kb.bleve", "portico-version"))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(stamp)), " de") {
		t.Fatalf("index stamp %q (%v), want the German analysis", stamp, err)
	}
	if n, err := search("wombat"); err != nil || n != kbCrashArticles {
		t.Fatalf("after the rebuild, search finds %d (%v)", n, err)
	}
}
