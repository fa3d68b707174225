//go:build bench

package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func getJSON(t *testing.T, url, cookie string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Cookie", cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", url, res, err)
	}
	defer res.Body.Close()
	json.NewDecoder(res.Body).Decode(v)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

type raiseResult struct {
	n        int
	rps      float64
	p50, p99 time.Duration
}

// raiseLoad raises requests over HTTP from clients goroutines for d.
func raiseLoad(t *testing.T, base, cookie, portal, typ string, clients int, d time.Duration) raiseResult {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	t0 := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for i := 0; time.Now().Before(end); i++ {
				body, _ := json.Marshal(map[string]any{"typeId": typ, "fields": map[string]any{"summary": fmt.Sprintf("Bench request %d from client %d: printer jammed", i, c)}})
				req, _ := http.NewRequest("POST", base+"/api/portals/"+portal+"/requests", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Cookie", cookie)
				s := time.Now()
				res, err := cl.Do(req)
				if err != nil || res.StatusCode != 201 {
					t.Errorf("raise: %v %v", res, err)
					return
				}
				res.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(s))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatal("no request raised")
	}
	return raiseResult{n: len(lat), rps: float64(len(lat)) / el.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
}

func msd(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// requestsBench generates a store of requests with `portico dev seed`,
// serves it, and measures the request pages and raising.
func requestsBench(t *testing.T, helloURL string) string {
	n := 1_000_000
	if v := os.Getenv("BENCH_REQUESTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	t0 := time.Now()
	out, err := exec.Command(os.Getenv("PORTICO_BIN"), "dev", "seed", "--data", dir, "--requests", strconv.Itoa(n),
		"--customers", "100000", "--organizations", "1000").CombinedOutput()
	if err != nil {
		t.Fatalf("dev seed: %v\n%s", err, out)
	}
	seeded := time.Since(t0)
	size := dirSize(dir)

	var starts []time.Duration
	var s proc
	for i := range 3 {
		var d time.Duration
		s, d = startBin(t, dir)
		starts = append(starts, d)
		if i < 2 {
			s.stop()
		}
	}
	slices.Sort(starts)
	rssStart := rssKB(t, s.cmd.Process.Pid)
	cust := login(t, s.base, "c0@company0.example", "customer password 1")
	owner := login(t, s.base, "bench@example.org", "bench password 1")

	var portals struct{ Portals []struct{ ID string } }
	getJSON(t, s.base+"/api/portals", cust, &portals)
	var projects struct{ Projects []struct{ ID json.Number } }
	getJSON(t, s.base+"/api/projects", owner, &projects)
	var page struct {
		Values []json.RawMessage
		Total  int
	}
	listURL := s.base + "/api/requests?status=all&limit=50"
	getJSON(t, listURL, cust, &page)
	if len(page.Values) != 50 {
		t.Fatalf("the heavy customer's list has %d rows", len(page.Values))
	}
	filtered := s.base + "/api/requests?status=closed&portal=" + portals.Portals[0].ID + "&limit=50"
	getJSON(t, filtered, cust, &page)
	filteredRows := len(page.Values)
	pid := string(projects.Projects[0].ID)
	queueURL := s.base + "/api/projects/" + pid + "/requests?queue=open&limit=50"
	getJSON(t, queueURL, owner, &page)
	queueTotal := page.Total
	searchURL := s.base + "/api/projects/" + pid + "/requests?queue=resolved&q=printer+screen&limit=50"
	getJSON(t, searchURL, owner, &page)
	searchRows := len(page.Values)

	h := runWrk(t, helloURL)
	list := runWrk(t, listURL, "Cookie: "+cust)
	filt := runWrk(t, filtered, "Cookie: "+cust)
	queue := runWrk(t, queueURL, "Cookie: "+owner)
	search := runWrk(t, searchURL, "Cookie: "+owner)
	h2 := runWrk(t, helloURL)

	var types struct{ Types []struct{ ID string } }
	getJSON(t, s.base+"/api/portals/"+portals.Portals[0].ID+"/request-types", cust, &types)
	typ := types.Types[0].ID
	one := raiseLoad(t, s.base, cust, portals.Portals[0].ID, typ, 1, 3*time.Second)
	many := raiseLoad(t, s.base, cust, portals.Portals[0].ID, typ, 32, 5*time.Second)
	rssLoaded := rssKB(t, s.cmd.Process.Pid)
	s.stop()
	plain, _ := startBin(t, dir, "PORTICO_GROUP_COMMIT=0")
	cust = login(t, plain.base, "c0@company0.example", "customer password 1")
	plainOne := raiseLoad(t, plain.base, cust, portals.Portals[0].ID, typ, 1, 3*time.Second)
	plainMany := raiseLoad(t, plain.base, cust, portals.Portals[0].ID, typ, 32, 5*time.Second)
	plain.stop()

	var md strings.Builder
	fmt.Fprintf(&md, "## Requests in a big store\n\n")
	fmt.Fprintf(&md, "Store from `portico dev seed --requests %d --customers 100000 --organizations 1000` (10 portals, half Open; 70%% of requests resolved; organizations of 10 attached to a portal; one customer, `c0`, reports 1%% of all requests). Seeded and text-indexed in %s; **%.0f MB on disk** (Badger + Bleve, before compaction).\n\n",
		n, seeded.Round(time.Second), float64(size)/(1<<20))
	fmt.Fprintf(&md, "Start with that store to `/healthz` 200: %s / %s / %s (min / median / max of 3). Resident memory after start: %.0f MB; after the load below: %.0f MB.\n\n",
		ms(starts[0]), ms(starts[1]), ms(starts[2]), float64(rssStart)/1024, float64(rssLoaded)/1024)
	fmt.Fprintf(&md, "| target (wrk, 32 connections) | req/s | p50 | p99 |\n|---|---|---|---|\n")
	fmt.Fprintf(&md, "| hello-world (before, after) | %.0f, %.0f | %s | %s |\n", h.rps, h2.rps, h2.p50, h2.p99)
	fmt.Fprintf(&md, "| customer's Requests page, 50 rows, all statuses (`c0`) | %.0f | %s | %s |\n", list.rps, list.p50, list.p99)
	fmt.Fprintf(&md, "| customer's Requests page filtered: closed, one portal (%d rows) | %.0f | %s | %s |\n", filteredRows, filt.rps, filt.p50, filt.p99)
	fmt.Fprintf(&md, "| agent queue \"Open\", 50 rows of %d, with counts | %.0f | %s | %s |\n", queueTotal, queue.rps, queue.p50, queue.p99)
	fmt.Fprintf(&md, "| agent text search in \"Resolved\" (\"printer screen\", %d rows) | %.0f | %s | %s |\n", searchRows, search.rps, search.p50, search.p99)
	fmt.Fprintf(&md, "\nLists are prefix scans of newest-first index keys kept in the same transaction as each request (no scan of requests); the text search is Bleve, filtered by project and queue in the query, each hit re-checked in Badger.\n\n")
	fmt.Fprintf(&md, "**Raising a request over HTTP (durable: acknowledged after fsync), a Go load generator on the same 2 cores:**\n\n")
	fmt.Fprintf(&md, "| path | clients | requests/s | p50 | p99 |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&md, "| group commit (default) | 1 | %.0f | %s | %s |\n", one.rps, msd(one.p50), msd(one.p99))
	fmt.Fprintf(&md, "| group commit (default) | 32 | %.0f | %s | %s |\n", many.rps, msd(many.p50), msd(many.p99))
	fmt.Fprintf(&md, "| one transaction per raise (`PORTICO_GROUP_COMMIT=0`) | 1 | %.0f | %s | %s |\n", plainOne.rps, msd(plainOne.p50), msd(plainOne.p99))
	fmt.Fprintf(&md, "| one transaction per raise (`PORTICO_GROUP_COMMIT=0`) | 32 | %.0f | %s | %s |\n", plainMany.rps, msd(plainMany.p50), msd(plainMany.p99))
	fmt.Fprintf(&md, "\n**Group commit at 32 clients: %.1f× the plain path.** Compare with raw Badger's durable put in the Go benchmarks below (`Put/badger`): a raise is one such transaction plus the request, its event, ~6 index keys, counters, an outbox entry and the HTTP and JSON work.\n\n", many.rps/plainMany.rps)
	return md.String()
}
