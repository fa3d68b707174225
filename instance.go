package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/identity"
	"portico/backend/kv"
	"portico/backend/server"
)

// instance is one running Portico: the open data directory and the LAN
// listener. The window adds itself on top.
type instance struct {
	b        *backend.Backend
	srv      *server.Server
	http     *http.Server
	serveErr chan error
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

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fail(fmt.Errorf("cannot listen on %s: the address is in use; choose another with --addr", cfg.addr))
		}
		return fail(fmt.Errorf("cannot listen on %s: %w", cfg.addr, err))
	}
	port := ln.Addr().(*net.TCPAddr).Port
	urls := portalURLs(ln.Addr().(*net.TCPAddr).IP, port)
	b.HelpCenter.SetAddresses(urls)

	srv := server.New(b, log, server.Options{Assets: cfg.assets})
	inst := &instance{b: b, srv: srv, serveErr: make(chan error, 1),
		http: &http.Server{
			Handler:           srv.LAN(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      120 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          zerologStd(log),
		}}
	go func() {
		if err := inst.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			inst.serveErr <- err
		}
	}()

	out := cfg.stdout
	fmt.Fprintf(out, "Portico is running. Data: %s\n", cfg.dataDir)
	for _, u := range urls {
		fmt.Fprintf(out, "Portal: %s\n", u)
		fmt.Fprintf(out, "Console: %sconsole\n", u)
	}
	log.Info().Str("addr", ln.Addr().String()).Str("data", cfg.dataDir).Str("version", version).Msg("listening")

	if printSetup {
		token, err := b.Identity.NewSetupToken(ctx)
		if err != nil {
			inst.shutdown(5 * time.Second)
			return nil, fmt.Errorf("cannot make a setup link: %w", err)
		}
		if token != "" {
			// stdout only, never the log; the token sits in the fragment so
			// browsers never send it and no access log can record it.
			fmt.Fprintf(out, "Setup: %ssetup#token=%s\n", urls[0], token)
			fmt.Fprintln(out, "  Nobody owns this Portico yet. Open the setup link to create the owner account.")
			fmt.Fprintln(out, "  It works once; each start prints a new one until setup is done.")
		}
	}
	return inst, nil
}

// shutdown lets in-flight requests finish, then closes the store.
func (i *instance) shutdown(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	herr := i.http.Shutdown(ctx)
	berr := i.b.Close()
	return errors.Join(herr, berr)
}

// portalURLs lists where customers can reach a listener on ip:port: each
// non-loopback IPv4 address when it listens on all of them, else the one it
// listens on.
func portalURLs(ip net.IP, port int) []string {
	p := strconv.Itoa(port)
	if !ip.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(ip.String(), p) + "/"}
	}
	var urls []string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
				continue
			}
			urls = append(urls, "http://"+net.JoinHostPort(n.IP.String(), p)+"/")
		}
	}
	if len(urls) == 0 {
		// No network: Portico is still usable on this computer.
		urls = []string{"http://" + net.JoinHostPort("127.0.0.1", p) + "/"}
	}
	return urls
}

// instanceID names the window's single-instance lock after the data
// directory, so two windows on one data directory hand over, while a test's
// window on its own directory stays apart from the user's.
func instanceID(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "dev_portico_desktop_" + hex.EncodeToString(sum[:6])
}

type zerologWriter struct{ log zerolog.Logger }

func (z zerologWriter) Write(p []byte) (int, error) {
	z.log.Warn().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

func zerologStd(log zerolog.Logger) *stdlog.Logger {
	return stdlog.New(zerologWriter{log.With().Str("pkg", "http").Logger()}, "", 0)
}
