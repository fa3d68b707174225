package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/identity"
)

const seedUsage = `Usage: portico dev seed [--data DIR] [--requests N] [--customers N] [--organizations N] [--portals N]

Fills a NEW data directory with a generated help center, for benchmarks and
for trying Portico with a lot of data. Every customer's password is
"customer password 1"; the owner comes from PORTICO_ADMIN_EMAIL and
PORTICO_ADMIN_PASSWORD (default bench@example.org / "bench password 1").
It checks free disk space first and says how far it can go.
`

func runDev(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "seed" {
		fmt.Fprint(stderr, seedUsage)
		return 2
	}
	fl := flag.NewFlagSet("seed", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	data := fl.String("data", "", "")
	d := backend.Dataset{Password: "customer password 1"}
	fl.IntVar(&d.Requests, "requests", 1_000_000, "")
	fl.IntVar(&d.Customers, "customers", 100_000, "")
	fl.IntVar(&d.Orgs, "organizations", 1_000, "")
	fl.IntVar(&d.Portals, "portals", 10, "")
	if err := fl.Parse(args[1:]); err != nil || fl.NArg() > 0 || d.Portals < 1 || d.Customers < 1 || d.Requests < 0 || d.Orgs < 0 {
		fmt.Fprint(stderr, seedUsage)
		return 2
	}
	dir := first(*data, getenv("PORTICO_DATA"), defaultDataDir(getenv))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		fmt.Fprintf(stderr, "portico: %s is not empty: dev seed fills a new data directory only\n", dir)
		return 1
	}
	if free, ok := freeBytes(dir); ok {
		need := uint64(d.Requests)*backend.BytesPerRequest + uint64(d.Customers)*1024 + 64<<20
		if need > free {
			fit := (free - min(free, 64<<20+uint64(d.Customers)*1024)) / backend.BytesPerRequest
			fmt.Fprintf(stderr, "portico: %d requests need about %d MB; %s has %d MB free, enough for about %d requests. Use --requests %d or free some space.\n",
				d.Requests, need>>20, dir, free>>20, fit, fit)
			return 1
		}
		fmt.Fprintf(stdout, "About %d MB needed, %d MB free.\n", need>>20, free>>20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := backend.Open(backend.Config{DataDir: dir, Logger: zerolog.Nop()})
	if err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	defer b.Close()
	email := first(getenv("PORTICO_ADMIN_EMAIL"), "bench@example.org")
	pass := first(getenv("PORTICO_ADMIN_PASSWORD"), "bench password 1")
	if err := b.Bootstrap(ctx, "Generated Help", identity.NewAccount{Name: "Bench Owner", Email: email, Password: pass}); err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	t0 := time.Now()
	last := time.Time{}
	err = b.Generate(ctx, d, func(stage string, done, total int) {
		if time.Since(last) > time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(stdout, "%-14s %9d / %d  (%s)\n", stage, done, total, time.Since(t0).Round(time.Second))
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Indexing text…\n")
	if err := b.Index.Sync(ctx); err != nil {
		fmt.Fprintf(stderr, "portico: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Done in %s: %s\n", time.Since(t0).Round(time.Second), dir)
	return 0
}
