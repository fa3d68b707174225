package main

import (
	"context"
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
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Portico — a service desk in one binary.

Usage:
  portico [--data DIR] [--addr HOST:PORT]        open the window and serve the LAN (desktop build)
  portico serve [--data DIR] [--addr HOST:PORT]  serve the portal and console without a window
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
	case err = <-inst.serveErr:
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
	err := app.Run(app.Options{
		Title:      "Portico",
		InstanceID: instanceID(cfg.dataDir),
		Log:        log,
		Start: func(ctx context.Context) (app.Handlers, error) {
			var err error
			inst, err = start(ctx, cfg, log, false)
			if err != nil {
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
