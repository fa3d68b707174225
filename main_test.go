package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/kv"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var noAssets = fstest.MapFS{"index.html": {Data: []byte("<title>portal</title>")}}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb, env(nil), noAssets)
		if code != 0 || !strings.Contains(out.String(), "portico serve [--data DIR] [--addr HOST:PORT]") {
			t.Errorf("run(%q) = %d, %q; want 0 and usage on stdout", args, code, out.String())
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		if code := run(args, &out, io.Discard, env(nil), noAssets); code != 0 || !strings.HasPrefix(out.String(), "portico ") {
			t.Errorf("run(%q) = %d, %q; want 0 and a version line", args, code, out.String())
		}
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--nope"}, {"serve", "extra"}} {
		var errb bytes.Buffer
		if code := run(args, io.Discard, &errb, env(nil), noAssets); code != 2 || !strings.Contains(errb.String(), "portico") {
			t.Errorf("run(%q) = %d, %q; want 2 and a message on stderr", args, code, errb.String())
		}
	}
}

func TestHeadlessBuildHasNoWindow(t *testing.T) {
	var errb bytes.Buffer
	code := run(nil, io.Discard, &errb, env(nil), noAssets)
	if code != 2 || !strings.Contains(errb.String(), "has no window") || !strings.Contains(errb.String(), "portico serve") {
		t.Errorf("run() in the headless build = %d, %q; want 2, usage and 'has no window'", code, errb.String())
	}
}

func TestDefaultDataDir(t *testing.T) {
	if got := defaultDataDir(env(map[string]string{"XDG_DATA_HOME": "/x/data"})); got != "/x/data/portico" {
		t.Errorf("defaultDataDir(XDG_DATA_HOME=/x/data) = %q; want /x/data/portico", got)
	}
	if got := defaultDataDir(env(map[string]string{"XDG_DATA_HOME": "relative"})); !strings.HasSuffix(got, filepath.Join(".local", "share", "portico")) {
		t.Errorf("defaultDataDir(relative XDG_DATA_HOME) = %q; want ~/.local/share/portico (the spec ignores relative paths)", got)
	}
}

func startServe(t *testing.T, args []string, vars map[string]string) (lines <-chan string, stop func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	ch := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"serve"}, args...), pw, io.Discard, env(vars), noAssets)
		pw.Close()
	}()
	return ch, func() int {
		syscall.Kill(syscall.Getpid(), syscall.SIGINT)
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop on SIGINT")
			return -1
		}
	}
}

func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before a line matching %s", re)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %s", re)
		}
	}
}

func TestServeFlagsBeatEnvironment(t *testing.T) {
	flagDir, envDir := t.TempDir(), t.TempDir()
	lines, stop := startServe(t, []string{"--data", flagDir, "--addr", "127.0.0.1:0"},
		map[string]string{"PORTICO_DATA": envDir, "PORTICO_ADDR": "127.0.0.1:1"})
	m := waitLine(t, lines, regexp.MustCompile(`^Portico is running. Data: (.*)$`))
	if m[1] != flagDir {
		t.Errorf("data dir = %q; want the flag's %q over PORTICO_DATA", m[1], flagDir)
	}
	portal := waitLine(t, lines, regexp.MustCompile(`^Portal: (http://127\.0\.0\.1:\d+/)$`))[1]
	if portal == "http://127.0.0.1:1/" {
		t.Error("PORTICO_ADDR beat --addr")
	}
	waitLine(t, lines, regexp.MustCompile(`^Console: `+regexp.QuoteMeta(portal)+`console$`))
	setup := waitLine(t, lines, regexp.MustCompile(`^Setup: (\S+)/setup#token=([A-Za-z0-9_-]{43})$`))
	if setup[1]+"/" != portal {
		t.Errorf("setup link base = %q; want %q", setup[1], portal)
	}
	res, err := http.Get(portal + "healthz")
	if err != nil || res.StatusCode != 200 {
		t.Errorf("GET /healthz = %v, %v; want 200", res, err)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit code after SIGINT = %d; want 0", code)
	}
}

func TestServeFromEnvironmentAndSecondStartRefused(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"PORTICO_DATA": dir, "PORTICO_ADDR": "127.0.0.1:0",
		"PORTICO_ADMIN_EMAIL": "ci@example.org", "PORTICO_ADMIN_PASSWORD": "ci password 123"}
	lines, stop := startServe(t, nil, vars)
	// PORTICO_ADMIN_* made the owner: no setup link before the last line.
	for l := range lines {
		if strings.HasPrefix(l, "Setup:") {
			t.Errorf("a setup link was printed although PORTICO_ADMIN_* set up the owner: %q", l)
		}
		if strings.HasPrefix(l, "Press Ctrl+C") {
			break
		}
	}

	var errb bytes.Buffer
	code := run([]string{"serve"}, io.Discard, &errb, env(vars), noAssets)
	if code != 1 || !strings.Contains(errb.String(), "already running") || !strings.Contains(errb.String(), dir) {
		t.Errorf("second serve on %s = %d, %q; want 1 and a message naming the data dir", dir, code, errb.String())
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code = %d; want 0", code)
	}
}

func testConfig(t *testing.T, dir string, out io.Writer) config {
	return config{dataDir: dir, addr: "127.0.0.1:0", getenv: env(nil), assets: noAssets, stdout: out}
}

// A setup link printed by an earlier start must not work once the window
// has started, which prints none: its owner is at the onboarding screen.
func TestWindowStartRetiresOldSetupLinks(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	inst, err := start(context.Background(), testConfig(t, dir, &out), zerolog.Nop(), true)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Setup: (\S+)/setup#token=(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no setup link in %q", out.String())
	}
	inst.shutdown(5 * time.Second)

	inst, err = start(context.Background(), testConfig(t, dir, io.Discard), zerolog.Nop(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.shutdown(5 * time.Second)
	body := `{"token":"` + m[2] + `","helpCenterName":"Mine","name":"Mallory","email":"m@example.org","password":"mallory password"}`
	res, err := http.Post(inst.lan.URLs[0]+"api/setup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("setup with the earlier start's link after a window start = %d; want 403", res.StatusCode)
	}
}

// Shutdown cuts a client that sends its body slowly and still closes the
// store only after that request's handler has returned.
func TestShutdownWaitsForInFlightRequests(t *testing.T) {
	dir := t.TempDir()
	inst, err := start(context.Background(), testConfig(t, dir, io.Discard), zerolog.Nop(), true)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(inst.lan.URLs[0], "http://"), "/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":", addr)
	time.Sleep(200 * time.Millisecond) // the handler is now blocked reading the body

	t0 := time.Now()
	err = inst.shutdown(300 * time.Millisecond)
	if err != nil {
		t.Errorf("shutdown with a slow client = %v; want the store closed cleanly after the handler returned", err)
	}
	if d := time.Since(t0); d > 6*time.Second {
		t.Errorf("shutdown took %v; want the slow client cut after the grace period", d)
	}
	db, err := kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("data dir still locked after shutdown: %v", err)
	}
	db.Close()
}

func TestInstanceIDIgnoresHowThePathIsWritten(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatalf("no relative path from %s to %s: %v", wd, dir, err)
	}
	if instanceID(dir) != instanceID(rel) {
		t.Errorf("instanceID(%s) != instanceID(%s); one directory must give one id", dir, rel)
	}
	if instanceID(dir) == instanceID(t.TempDir()) {
		t.Error("two directories gave one id")
	}
}

// dev seed refuses bad flags and a data directory that has data, and fills
// a new one it can then serve.
func TestDevSeed(t *testing.T) {
	for _, args := range [][]string{{"dev"}, {"dev", "grow"}, {"dev", "seed", "--requests", "many"},
		{"dev", "seed", "--portals", "0"}, {"dev", "seed", "--customers", "-1"}, {"dev", "seed", "extra"}} {
		var errb bytes.Buffer
		if code := run(args, io.Discard, &errb, env(nil), noAssets); code != 2 || !strings.Contains(errb.String(), "portico dev seed") {
			t.Errorf("run(%q) = %d, %q; want 2 and the usage", args, code, errb.String())
		}
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o600)
	var errb bytes.Buffer
	if code := run([]string{"dev", "seed", "--data", full}, io.Discard, &errb, env(nil), noAssets); code != 1 || !strings.Contains(errb.String(), "not empty") {
		t.Fatalf("seeding a used directory = %d, %q", code, errb.String())
	}
	if b, _ := os.ReadFile(filepath.Join(full, "keep.txt")); string(b) != "mine" {
		t.Fatal("the used directory was touched")
	}
	dir := filepath.Join(t.TempDir(), "new")
	var out bytes.Buffer
	errb.Reset()
	code := run([]string{"dev", "seed", "--data", dir, "--requests", "300", "--customers", "50", "--organizations", "3", "--portals", "2"}, &out, &errb, env(nil), noAssets)
	if code != 0 || !strings.Contains(out.String(), "requests") || !strings.Contains(out.String(), "Done in") {
		t.Fatalf("dev seed = %d, %q, %q", code, out.String(), errb.String())
	}
}
