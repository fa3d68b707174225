package backend_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/access"
	"portico/backend/helpcenter"
	"portico/backend/identity"
	"portico/backend/request"
)

func open(t testing.TB, dir string, hold bool) *backend.Backend {
	t.Helper()
	b, err := backend.Open(backend.Config{DataDir: dir, Logger: zerolog.Nop(), HoldIndex: hold,
		Identity: identity.Options{Params: identity.TestParams}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ownerFacts(t testing.TB, b *backend.Backend) access.Caller {
	t.Helper()
	o, err := b.Identity.Owner(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := b.Facts(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("PORTICO_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	if dir := os.Getenv("PORTICO_KB_CRASH_DIR"); dir != "" {
		kbCrashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// fatal is testing.TB enough for the child process, which has no test.
type fatal struct{ testing.TB }

func (fatal) Helper()                   {}
func (fatal) Fatal(args ...any)         { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
func (fatal) Fatalf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...); os.Exit(2) }

// crashChild is the child half of TestIndexSurvivesKill: it raises
// requests with the index worker held, so they are committed in Badger and
// only in the outbox, says so, and waits to be killed.
func crashChild(dir string) {
	t := fatal{}
	ctx := context.Background()
	b := open(t, dir, true)
	// A new data directory builds its (empty) index first; wait for that,
	// or the build could pick up the requests below.
	waitIndexes(b)
	if _, err := b.Setup(ctx, identity.Claim{Desktop: true}, backend.SetupChoices{}, identity.NewAccount{Name: "O", Email: "o@example.org", Password: "a long password 1"}); err != nil {
		t.Fatal(err)
	}
	owner := ownerFacts(t, b)
	key, name := "IT", "IT"
	p, err := b.HelpCenter.CreateProject(ctx, owner, helpcenter.ProjectInput{Key: &key, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	types, err := b.Requests.ProjectTypes(ctx, owner, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		_, err := b.Requests.Raise(ctx, owner, "test", p.ID, request.RaiseInput{TypeID: request.ID(types.Types[0].ID),
			Fields: map[string]any{"summary": fmt.Sprintf("Quokka number %d escaped", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The hold works: nothing reached the index.
	page, err := b.Requests.QueueRequests(ctx, owner, p.ID, request.QueueQuery{Q: "quokka"})
	if err != nil || len(page.Values) != 0 {
		t.Fatalf("held index answered %d (%v)", len(page.Values), err)
	}
	fmt.Println("RAISED", p.ID)
	time.Sleep(time.Minute)
}

// Kill -9 between the Badger commit and the index: at the next start the
// outbox is replayed and every request is found by its text. Then a full
// reindex runs while searches keep answering.
func TestIndexSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	project := killedChild(t, "PORTICO_CRASH_DIR="+dir, "RAISED %d")

	ctx := context.Background()
	b := open(t, dir, false)
	defer b.Close()
	if err := b.Index.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	owner := ownerFacts(t, b)
	search := func() (int, error) {
		page, err := b.Requests.QueueRequests(ctx, owner, project, request.QueueQuery{Q: "quokka", Limit: 100})
		return len(page.Values), err
	}
	if n, err := search(); err != nil || n != 20 {
		t.Fatalf("after the crash, search finds %d (%v), want 20", n, err)
	}

	if err := b.Index.Reindex(request.IndexName); err != nil {
		t.Fatal(err)
	}
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
			if n, err := search(); err != nil || n != 20 {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%d %v", n, err))
				mu.Unlock()
			}
		}
	}()
	waitIndexes(b)
	close(stop)
	wg.Wait()
	if st := b.Index.Status()[0]; st.State != "ready" || st.Done != 20 || st.Total != 20 {
		t.Fatalf("rebuild ended as %+v", st)
	}
	if len(problems) > 0 {
		t.Fatalf("searches during the rebuild: %s", strings.Join(problems[:min(5, len(problems))], "; "))
	}
	if n, err := search(); err != nil || n != 20 {
		t.Fatalf("after the rebuild, search finds %d (%v)", n, err)
	}
}

// waitIndexes waits (up to 20 s) until no index is building.
func waitIndexes(b *backend.Backend) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ready := true
		for _, st := range b.Index.Status() {
			ready = ready && st.State == "ready"
		}
		if ready {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killedChild runs this test binary as a child with env, waits for it to
// print format's line (which holds a project id), then kills it with
// SIGKILL: no shutdown at all. It returns the id.
func killedChild(t *testing.T, env, format string) uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id uint64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), format, &id); err == nil {
			break
		}
	}
	if id == 0 {
		cmd.Process.Kill()
		t.Fatalf("the child never printed %q", format)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return id
}
