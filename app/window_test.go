//go:build windowtest

// The window test drives the real desktop binary (PORTICO_BIN, built by
// `make window-test`) under Xvfb inside its own D-Bus session: the window
// must appear, reach the backend through the in-process door, survive a
// second launch and close cleanly on SIGTERM.
package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"portico/backend/kv"
)

const inside = "PORTICO_WINDOWTEST_INSIDE"

func TestWindow(t *testing.T) {
	if os.Getenv("PORTICO_BIN") == "" {
		t.Fatal("PORTICO_BIN must name the desktop binary (make window-test sets it)")
	}
	if os.Getenv(inside) == "" {
		// Re-run this test inside a virtual display and a private session bus,
		// so the single-instance lock and the window are the test's own.
		cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1280x860x24",
			"dbus-run-session", "--", os.Args[0], "-test.run", "^TestWindow$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), inside+"=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("window test inside Xvfb failed: %v", err)
		}
		return
	}
	windowTest(t)
}

// proc is a started portico whose output lines we can wait for.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    []string
	log    []string
	exited chan struct{}
	code   int
}

func launch(t *testing.T, env []string) *proc { return launchArgs(t, env) }

func launchArgs(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Getenv("PORTICO_BIN"), args...), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	stdout, _ := p.cmd.StdoutPipe()
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	read := func(r io.Reader, into *[]string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			*into = append(*into, sc.Text())
			p.mu.Unlock()
		}
	}
	wg.Add(2)
	go read(stdout, &p.out)
	go read(stderr, &p.log)
	go func() {
		wg.Wait()
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor polls until some line satisfies ok, or fails the test.
func (p *proc) waitFor(t *testing.T, what string, stream func(*proc) []string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		lines := append([]string(nil), stream(p)...)
		p.mu.Unlock()
		for _, l := range lines {
			if ok(l) {
				return l
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, strings.Join(p.out, "\n"), strings.Join(p.log, "\n"))
	return ""
}

func stdoutOf(p *proc) []string { return p.out }
func stderrOf(p *proc) []string { return p.log }

// accessLine matches an access-log line by door, path prefix and status.
func accessLine(door, pathPrefix string, status int) func(string) bool {
	return func(l string) bool {
		var e struct {
			Message, Door, Path string
			Status              int
		}
		return json.Unmarshal([]byte(l), &e) == nil && e.Message == "request" &&
			e.Door == door && strings.HasPrefix(e.Path, pathPrefix) && e.Status == status
	}
}

func windowIDs(t *testing.T) []string {
	// GTK also makes a hidden 10x10 leader window with the same title.
	out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Portico$").Output()
	return strings.Fields(string(out))
}

func windowTest(t *testing.T) {
	artifacts := os.Getenv("ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	onboarding(t, artifacts)

	dataDir := t.TempDir()
	env := []string{"PORTICO_DATA=" + dataDir, "PORTICO_ADDR=127.0.0.1:0",
		"PORTICO_ADMIN_EMAIL=owner@example.org", "PORTICO_ADMIN_PASSWORD=owner password 1",
		"PORTICO_HELP_CENTER_NAME=Window Test Help", "PORTICO_LOG_LEVEL=info",
		// Software rendering: Xvfb has no GPU.
		"WEBKIT_DISABLE_DMABUF_RENDERER=1", "LIBGL_ALWAYS_SOFTWARE=1"}

	brand(t, env)

	first := launch(t, env)
	first.waitFor(t, "the Portal line", stdoutOf, func(l string) bool { return strings.HasPrefix(l, "Portal: http://127.0.0.1:") })

	var ids []string
	for deadline := time.Now().Add(45 * time.Second); len(ids) == 0 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		ids = windowIDs(t)
	}
	if len(ids) == 0 {
		t.Fatal("no window titled Portico appeared")
	}

	// The console's first /api call answered through the in-process door.
	first.waitFor(t, "GET /api/session through the window door", stderrOf, accessLine("window", "/api/session", 200))
	// The home page has loaded, branding and all, once it showed the logo
	// set before the window opened.
	first.waitFor(t, "the console home page", stderrOf, accessLine("window", "/api/helpcenter/addresses", 200))
	first.waitFor(t, "the help center's logo in the window", stderrOf, accessLine("window", "/api/helpcenter/logo", 200))
	time.Sleep(1500 * time.Millisecond) // let WebKit paint what it just fetched

	t.Logf("screenshot: %s", screenshot(t, artifacts, "window.png"))

	// A click on "Requests" in the sidebar opens the only project's queue;
	// j and Enter (typed to the focused window, as a person would) open the
	// request raised before the window started.
	click := func(x, y string) {
		if out, err := exec.Command("xdotool", "mousemove", "--window", ids[0], x, y, "click", "1").CombinedOutput(); err != nil {
			t.Fatalf("xdotool click: %v: %s", err, out)
		}
	}
	click("89", "142")
	first.waitFor(t, "the queue", stderrOf, accessLine("window", "/api/projects/1/requests", 200))
	time.Sleep(time.Second)
	screenshot(t, artifacts, "window-queue.png")
	click("700", "760") // the page, out of any field, so keys go to the queue
	exec.Command("xdotool", "key", "j", "Return").Run()
	first.waitFor(t, "the request page", stderrOf, accessLine("window", "/api/requests/WT-1", 200))
	time.Sleep(time.Second)
	screenshot(t, artifacts, "window-request.png")
	click("927", "646") // "Assign to me"
	first.waitFor(t, "assigning through the window", stderrOf, accessLine("window", "/api/requests/WT-1/assign", 200))

	// "Knowledge base" lists each portal's articles and the search
	// analytics, through the window's door like everything else.
	click("89", "226")
	first.waitFor(t, "the knowledge base page", stderrOf, accessLine("window", "/api/projects/1/kb", 200))
	first.waitFor(t, "the search analytics", stderrOf, accessLine("window", "/api/kb/analytics", 200))
	time.Sleep(time.Second)
	screenshot(t, artifacts, "window-kb.png")

	// A click on "Customer access" in the sidebar opens the branding
	// screen; it lists the portals, which the home page never asks for.
	click("89", "352")
	first.waitFor(t, "the Customer access page", stderrOf, accessLine("window", "/api/projects", 200))
	time.Sleep(time.Second)
	// Scroll down to the branding card with its logo preview.
	exec.Command("xdotool", "click", "--repeat", "8", "--delay", "50", "5").Run()
	time.Sleep(time.Second)
	screenshot(t, artifacts, "window-branding.png")

	// Nothing the window did was answered on the LAN door, and no request failed.
	first.mu.Lock()
	for _, l := range first.log {
		if accessLine("lan", "/", 200)(l) {
			t.Errorf("the window's requests went over the LAN: %s", l)
		}
		if strings.Contains(l, `"status":5`) {
			t.Errorf("server error: %s", l)
		}
	}
	first.mu.Unlock()

	// A second launch hands over to the first and exits without touching
	// the data directory.
	second := launch(t, env)
	select {
	case <-second.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the second launch did not exit")
	}
	for _, l := range second.out {
		if strings.HasPrefix(l, "Portico is running") {
			t.Errorf("the second launch started a server: %q", l)
		}
	}
	first.waitFor(t, "the first window noticing the second launch", stderrOf,
		func(l string) bool { return strings.Contains(l, "second launch") })
	select {
	case <-first.exited:
		t.Fatal("the first window exited when the second launched")
	default:
	}
	if got := windowIDs(t); len(got) != len(ids) {
		t.Errorf("windows after the second launch = %v; want the first one only (%v)", got, ids)
	}

	// SIGTERM closes the window cleanly: the store is released.
	first.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-first.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the window did not close on SIGTERM")
	}
	if first.code != 0 {
		t.Errorf("exit code after SIGTERM = %d; want 0", first.code)
	}
	db, err := kv.Open(kv.Options{Dir: dataDir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("reopening the data dir after the window closed: %v", err)
	}
	db.Close()
}

// brand sets a logo and a banner colour through the same binary's serve
// mode and the LAN API, as an admin at another machine would, before the
// window opens on that data directory.
func brand(t *testing.T, env []string) {
	s := launchArgs(t, env, "serve")
	line := s.waitFor(t, "the Portal line", stdoutOf, func(l string) bool { return strings.HasPrefix(l, "Portal: ") })
	base := strings.TrimPrefix(line, "Portal: ")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(method, path, ctype string, body []byte) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 && res.StatusCode != 201 {
			t.Fatalf("%s %s = %d", method, path, res.StatusCode)
		}
	}
	post("POST", "api/login", "application/json", []byte(`{"email":"owner@example.org","password":"owner password 1"}`))
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			c := color.RGBA{R: 240, G: 180, B: 40, A: 255}
			if (x-48)*(x-48)+(y-48)*(y-48) < 30*30 {
				c = color.RGBA{R: 122, G: 46, B: 142, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var logo bytes.Buffer
	png.Encode(&logo, img)
	post("PUT", "api/helpcenter/logo", "image/png", logo.Bytes())
	post("PATCH", "api/helpcenter", "application/json", []byte(`{"bannerColor":"#7a2e8e","primaryColor":"#7a2e8e"}`))
	// A project with a request for the window to open.
	post("POST", "api/projects", "application/json", []byte(`{"key":"WT","name":"Window desk"}`))
	res, err := c.Get(base + "api/projects/1/request-types")
	if err != nil {
		t.Fatal(err)
	}
	var types struct{ Types []struct{ ID string } }
	json.NewDecoder(res.Body).Decode(&types)
	res.Body.Close()
	if len(types.Types) == 0 {
		t.Fatal("the new project has no request types")
	}
	post("POST", "api/portals/1/requests", "application/json",
		[]byte(`{"typeId":"`+types.Types[0].ID+`","fields":{"summary":"The window opens this request","description":"Raised over the LAN before the window started."}}`))
	post("POST", "api/projects/1/kb/articles", "application/json",
		[]byte(`{"title":"Reset your password","body":"Open **Settings**, then *Security*.","status":"published","labels":["accounts"]}`))
	post("POST", "api/projects/1/kb/articles", "application/json",
		[]byte(`{"title":"Printer shows offline","body":"Restart the print spooler.","status":"draft"}`))
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.exited
}

// onboarding: a first run with no owner opens the window on the setup form,
// with no token, and prints no setup link (the window needs none).
func onboarding(t *testing.T, artifacts string) {
	p := launch(t, []string{"PORTICO_DATA=" + t.TempDir(), "PORTICO_ADDR=127.0.0.1:0",
		"PORTICO_LOG_LEVEL=info", "WEBKIT_DISABLE_DMABUF_RENDERER=1", "LIBGL_ALWAYS_SOFTWARE=1"})
	p.waitFor(t, "GET /api/session through the window door", stderrOf, accessLine("window", "/api/session", 200))
	time.Sleep(1500 * time.Millisecond)
	screenshot(t, artifacts, "window-onboarding.png")
	p.mu.Lock()
	for _, l := range p.out {
		if strings.HasPrefix(l, "Setup:") {
			t.Errorf("the window printed a setup link: %q", l)
		}
	}
	p.mu.Unlock()

	// Fill the form as a person would: click the first portal's key, then
	// Tab through the owner's fields and press Enter. The window needs no
	// token: POST /api/setup must succeed through the window door.
	var win []string
	for deadline := time.Now().Add(20 * time.Second); len(win) == 0 && time.Now().Before(deadline); {
		win = windowIDs(t)
		time.Sleep(100 * time.Millisecond)
	}
	if len(win) == 0 {
		t.Fatal("no onboarding window")
	}
	xdo := func(args ...string) {
		if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	xdo("mousemove", "--window", win[0], "712", "761", "click", "1")
	for _, field := range []string{"Olga Owner", "olga@example.org", "window password 1", "window password 1"} {
		xdo("key", "Tab")
		xdo("type", "--delay", "5", field)
	}
	xdo("key", "Return")
	p.waitFor(t, "POST /api/setup through the window door", stderrOf, accessLine("window", "/api/setup", 201))
	p.waitFor(t, "the console home after setup", stderrOf, accessLine("window", "/api/helpcenter/addresses", 200))
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the onboarding window did not close on SIGTERM")
	}
	if p.code != 0 {
		t.Errorf("onboarding window exit code after SIGTERM = %d; want 0", p.code)
	}
}

// screenshot saves the screen as name in dir and fails the test if it
// shows no rendered page (a blank or one-colour window).
func screenshot(t *testing.T, dir, name string) string {
	t.Helper()
	shot := filepath.Join(dir, name)
	if out, err := exec.Command("import", "-window", "root", shot).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v: %s", err, out)
	}
	if n := colours(t, shot); n < 20 {
		t.Errorf("%s has %d colours; want a rendered page, not a blank window", name, n)
	}
	return shot
}

// colours counts distinct colours, sampling every 4th pixel.
func colours(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[3]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}
