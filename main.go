// Command portico is a service desk in one binary: the desktop window where
// admins and agents work, and a web server customers on the LAN open.
package main

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"portico/app"
	"portico/backend"
	"portico/backend/identity"
	"portico/backend/kv"
	"portico/backend/server"
)

//go:embed all:frontend/dist
var dist embed.FS

func main() {
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv, assets))
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Portico — a service desk in one binary.

Usage:
  portico [--data DIR] [--addr HOST:PORT]        open the window and serve the LAN (desktop build)
  portico serve [--data DIR] [--addr HOST:PORT]  serve the portal and console without a window
  portico dev seed [--data DIR] [--requests N]  fill a new data directory with generated data (benchmarks)
  portico version                                print the version
  portico help                                   print this help

Flags beat environment variables, which beat defaults:
  --data DIR        PORTICO_DATA   data directory (default %s)
  --addr HOST:PORT  PORTICO_ADDR   listen address (default %s)

Unattended setup (first start only; ignored once the instance has an owner):
  PORTICO_ADMIN_EMAIL, PORTICO_ADMIN_PASSWORD [, PORTICO_ADMIN_NAME, PORTICO_HELP_CENTER_NAME]

Logs go to standard error (JSON unless it is a terminal; PORTICO_LOG_LEVEL=debug|info|warn).
`

const defaultAddr = "0.0.0.0:8480"

func run(args []string, stdout, stderr io.Writer, getenv func(string) string, assets fs.FS) int {
	cmd := ""
	if len(args) > 0 && (args[0] == "" || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help":
		fmt.Fprintf(stdout, usage, defaultDataDir(getenv), defaultAddr)
		return 0
	case "version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "dev":
		return runDev(args, stdout, stderr, getenv)
	case "serve", "":
	default:
		fmt.Fprintf(stderr, "portico: unknown command %q\n\n", cmd)
		fmt.Fprintf(stderr, usage, defaultDataDir(getenv), defaultAddr)
		return 2
	}

	fl := flag.NewFlagSet("portico", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	data := fl.String("data", "", "")
	addr := fl.String("addr", "", "")
	showVersion := fl.Bool("version", false, "")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, usage, defaultDataDir(getenv), defaultAddr)
			return 0
		}
		fmt.Fprintf(stderr, "portico: %v\n\n", err)
		fmt.Fprintf(stderr, usage, defaultDataDir(getenv), defaultAddr)
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "portico: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	cfg := config{
		dataDir: first(*data, getenv("PORTICO_DATA"), defaultDataDir(getenv)),
		addr:    first(*addr, getenv("PORTICO_ADDR"), defaultAddr),
		getenv:  getenv,
		assets:  assets,
		stdout:  stdout,
	}
	log := newLogger(stderr, getenv("PORTICO_LOG_LEVEL"))

	if cmd == "" {
		if !app.Available {
			fmt.Fprintf(stderr, usage, defaultDataDir(getenv), defaultAddr)
			fmt.Fprintln(stderr, "\nThis build of Portico has no window. Run `portico serve` to serve the portal and console in a browser.")
			return 2
		}
		return runWindow(cfg, log, stderr)
	}
	return runServe(cfg, log, stderr)
}

func runServe(cfg config, log zerolog.Logger, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inst, err := start(ctx, cfg, log, true)
	if err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	fmt.Fprintln(cfg.stdout, "Press Ctrl+C to stop.")
	select {
	case <-ctx.Done():
	case err = <-inst.lan.Err:
		log.Error().Err(err).Msg("listener failed")
	}
	stop()
	log.Info().Msg("shutting down")
	if cerr := inst.shutdown(15 * time.Second); cerr != nil {
		fmt.Fprintf(stderr, "portico: %v\n", cerr)
		return 1
	}
	log.Info().Msg("stopped")
	if err != nil {
		return 1
	}
	return 0
}

func runWindow(cfg config, log zerolog.Logger, stderr io.Writer) int {
	var inst *instance
	failed := false
	err := app.Run(app.Options{
		Title:      "Portico",
		InstanceID: instanceID(cfg.dataDir),
		Log:        log,
		Start: func(ctx context.Context) (app.Handlers, error) {
			var err error
			inst, err = start(ctx, cfg, log, false)
			if err != nil {
				failed = true
				fmt.Fprintf(stderr, "portico: %v\n", err)
				return app.Handlers{}, err
			}
			return app.Handlers{Window: inst.srv.Window()}, nil
		},
		Stop: func() {
			if inst == nil {
				return
			}
			log.Info().Msg("window closed, shutting down")
			if err := inst.shutdown(15 * time.Second); err != nil {
				log.Error().Err(err).Msg("shutdown")
				return
			}
			log.Info().Msg("stopped")
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

type config struct {
	dataDir string
	addr    string
	getenv  func(string) string
	assets  fs.FS
	stdout  io.Writer
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// defaultDataDir follows each OS's convention for per-user application data.
func defaultDataDir(getenv func(string) string) string {
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		return filepath.Join(first(getenv("LocalAppData"), home), "Portico")
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "Portico")
	}
	if x := getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "portico")
	}
	return filepath.Join(home, ".local", "share", "portico")
}

func versionLine() string {
	rev := "unknown commit"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	kind := "headless"
	if app.Available {
		kind = "desktop"
	}
	return fmt.Sprintf("portico %s (%s, %s, %s %s/%s)", version, rev, kind, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// instance is one running Portico: the open data directory and the LAN
// listener. The window adds itself on top.
type instance struct {
	b   *backend.Backend
	srv *server.Server
	lan *server.Listener
	log zerolog.Logger
}

// start opens the data directory, creates the owner from PORTICO_ADMIN_* if
// asked, starts the LAN listener and prints where to open Portico. With
// printSetup, a fresh one-time setup link is printed while nobody owns the
// instance (the window needs none: its user is at the desktop).
func start(ctx context.Context, cfg config, log zerolog.Logger, printSetup bool) (*instance, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	b, err := backend.Open(backend.Config{DataDir: cfg.dataDir, Logger: log})
	switch {
	case errors.Is(err, kv.ErrLocked):
		return nil, fmt.Errorf("another Portico is already running with the data directory %s; stop it first, or choose another directory with --data", cfg.dataDir)
	case errors.Is(err, kv.ErrNewerSchema):
		return nil, fmt.Errorf("the data directory %s was written by a newer Portico; run that version, or choose another directory with --data", cfg.dataDir)
	case err != nil:
		return nil, fmt.Errorf("cannot open the data directory %s: %w", cfg.dataDir, err)
	}
	fail := func(err error) (*instance, error) { b.Close(); return nil, err }
	// For benchmarks: measure raising without group commit.
	b.Requests.GroupCommit = cfg.getenv("PORTICO_GROUP_COMMIT") != "0"

	if email := cfg.getenv("PORTICO_ADMIN_EMAIL"); email != "" {
		pw := cfg.getenv("PORTICO_ADMIN_PASSWORD")
		if pw == "" {
			return fail(errors.New("PORTICO_ADMIN_EMAIL is set but PORTICO_ADMIN_PASSWORD is not"))
		}
		err := b.Bootstrap(ctx, cfg.getenv("PORTICO_HELP_CENTER_NAME"),
			identity.NewAccount{Email: email, Password: pw, Name: cfg.getenv("PORTICO_ADMIN_NAME")})
		if err != nil {
			return fail(fmt.Errorf("cannot create the owner from PORTICO_ADMIN_*: %w", err))
		}
	}

	srv := server.New(b, log, server.Options{Assets: cfg.assets, Version: version})
	lan, err := srv.Listen(cfg.addr)
	if err != nil {
		return fail(err)
	}
	inst := &instance{b: b, srv: srv, lan: lan, log: log}

	out := cfg.stdout
	fmt.Fprintf(out, "Portico is running. Data: %s\n", cfg.dataDir)
	for _, u := range lan.URLs {
		fmt.Fprintf(out, "Portal: %s\n", u)
		fmt.Fprintf(out, "Console: %sconsole\n", u)
	}
	if n, err := b.Identity.PurgeExpired(ctx); err != nil {
		log.Warn().Err(err).Msg("purging expired sessions")
	} else if n > 0 {
		log.Info().Int("keys", n).Msg("purged expired sessions and links")
	}
	if !printSetup {
		// The window sets up without a link: no link from an earlier start
		// may claim the instance while it shows its onboarding screen.
		if err := b.Identity.ClearSetupToken(ctx); err != nil {
			inst.shutdown(5 * time.Second)
			return nil, err
		}
	} else {
		token, err := b.Identity.NewSetupToken(ctx)
		if err != nil {
			inst.shutdown(5 * time.Second)
			return nil, fmt.Errorf("cannot make a setup link: %w", err)
		}
		if token != "" {
			// stdout only, never the log; the token sits in the fragment so
			// browsers never send it and no access log can record it.
			fmt.Fprintf(out, "Setup: %ssetup#token=%s\n", lan.URLs[0], token)
			fmt.Fprintln(out, "  Nobody owns this Portico yet. Open the setup link to create the owner account.")
			fmt.Fprintln(out, "  It works once; each start prints a new one until setup is done.")
		}
	}
	return inst, nil
}

// shutdown stops the LAN listener, lets in-flight requests through either
// door finish (up to grace, then connections are cut and their handlers
// get a few more seconds), and only then closes the store.
func (i *instance) shutdown(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := i.lan.Shutdown(ctx); err != nil {
		i.log.Warn().Msg("requests still running after the grace period; closing their connections")
	}
	drain, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	var err error
	if n := i.srv.Drain(drain); n > 0 {
		err = fmt.Errorf("%d requests did not finish before the store closed", n)
	}
	return errors.Join(err, i.b.Close())
}

// instanceID names the window's single-instance lock after the data
// directory, so two windows on one data directory hand over, while a test's
// window on its own directory stays apart from the user's.
func instanceID(dataDir string) string {
	// ./data and /home/me/data are one directory, and must hand over.
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	if real, err := filepath.EvalSymlinks(dataDir); err == nil {
		dataDir = real
	}
	sum := sha256.Sum256([]byte(dataDir))
	return "dev_portico_desktop_" + hex.EncodeToString(sum[:6])
}
