# Portico's entry points. Every target installs what it needs first, so a
# fresh Debian 12 machine with Go, Node, make and git needs nothing else.
#   make run    set up and open Portico (no display: serve, and print where to open it)
#   make test   set up and run every test
# Also: serve, build, e2e, window-test, bench, clean.

SHELL := /bin/bash
.DEFAULT_GOAL := run

VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
WAILS_VER := v2.16.0
GOBIN     := $(shell go env GOPATH 2>/dev/null)/bin
WAILS     := $(GOBIN)/wails
STAMPS    := .cache
ARTIFACTS ?= $(CURDIR)/test-artifacts
LDFLAGS   := -X main.version=$(VERSION)
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

APT_BUILD := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
APT_TEST  := xvfb xauth dbus dbus-x11 xdotool imagemagick chromium fonts-dejavu-core
APT_BENCH := wrk

DESKTOP_BIN  := build/bin/portico
HEADLESS_BIN := build/bin/portico-server
GO_SRC       := $(shell find . -name '*.go' -not -path './frontend/*' 2>/dev/null) go.mod go.sum
FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
                frontend/index.html frontend/console/index.html frontend/vite.config.ts \
                frontend/svelte.config.js frontend/tsconfig.json

.PHONY: run serve build test e2e window-test go-test check bench clean prereqs

## Prerequisites -----------------------------------------------------------

prereqs:
	@ok=1; \
	if ! command -v go >/dev/null; then echo "Missing: Go >= 1.25 (https://go.dev/doc/install)"; ok=0; \
	elif ! go version | grep -Eq 'go1\.(2[5-9]|[3-9][0-9])'; then echo "Go >= 1.25 needed, found: $$(go version)"; ok=0; fi; \
	if ! command -v node >/dev/null; then echo "Missing: Node.js >= 20.19"; ok=0; \
	elif ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then echo "Node.js >= 20.19 needed, found: $$(node --version)"; ok=0; fi; \
	command -v npm >/dev/null || { echo "Missing: npm (comes with Node.js)"; ok=0; }; \
	command -v git >/dev/null || { echo "Missing: git"; ok=0; }; \
	if [ "$$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then echo "Installing packages needs root or sudo"; ok=0; fi; \
	[ $$ok = 1 ] || { echo "Install the missing prerequisites, then run make again."; exit 1; }

# apt_install installs the Debian packages in $(1) that are not installed yet.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

$(STAMPS)/apt-build: | prereqs
	$(call apt_install,$(APT_BUILD))
	@mkdir -p $(STAMPS) && touch $@
$(STAMPS)/apt-test: | prereqs
	$(call apt_install,$(APT_TEST))
	@mkdir -p $(STAMPS) && touch $@
$(STAMPS)/apt-bench: | prereqs
	$(call apt_install,$(APT_BENCH))
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/go-mod: go.mod go.sum | prereqs
	go mod download
	@mkdir -p $(STAMPS) && touch $@

$(WAILS): | prereqs
	go install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VER)

frontend/node_modules/.package-lock.json: frontend/package-lock.json frontend/package.json | prereqs
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

## Build -------------------------------------------------------------------

$(HEADLESS_BIN): frontend/dist/index.html $(STAMPS)/go-mod $(GO_SRC)
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $@ .

# -s: the frontend is built above, once; wails.json sets the webkit2_41 tag.
$(DESKTOP_BIN): frontend/dist/index.html $(STAMPS)/go-mod $(STAMPS)/apt-build $(WAILS) wails.json $(GO_SRC)
	$(WAILS) build -s -skipbindings -m -nosyncgomod -trimpath -ldflags "$(LDFLAGS)" >/dev/null
	@test -x $@

build: $(DESKTOP_BIN) $(HEADLESS_BIN)

## Run ---------------------------------------------------------------------

# The window needs a display; without one, serve headless and say where to go.
run:
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(MAKE) --no-print-directory $(DESKTOP_BIN) && exec ./$(DESKTOP_BIN); \
	else \
		echo "No display found: starting Portico without a window."; \
		$(MAKE) --no-print-directory $(HEADLESS_BIN) && exec ./$(HEADLESS_BIN) serve; \
	fi

serve: $(HEADLESS_BIN)
	./$(HEADLESS_BIN) serve

## Test --------------------------------------------------------------------

test: check go-test e2e window-test
	@echo "make test: all suites passed"

# Static checks: go vet for both builds, svelte-check for the frontend.
check: frontend/dist/index.html $(STAMPS)/go-mod $(STAMPS)/apt-build
	CGO_ENABLED=0 go vet ./...
	go vet -tags desktop,production,webkit2_41 ./...
	cd frontend && npm run check

# Go tests the way the headless binary builds (no cgo), then the domain
# packages again under the race detector, which needs cgo.
go-test: frontend/dist/index.html $(STAMPS)/go-mod $(STAMPS)/apt-build
	CGO_ENABLED=0 go test -count=1 ./...
	go test -race -count=1 ./backend/...

# Browser end-to-end tests: Debian's chromium driven by playwright-core
# against the headless binary on a random loopback port.
e2e: $(HEADLESS_BIN) $(STAMPS)/apt-test frontend/node_modules/.package-lock.json
	mkdir -p $(ARTIFACTS)
	cd frontend && PORTICO_BIN=$(CURDIR)/$(HEADLESS_BIN) ARTIFACTS=$(ARTIFACTS) node --test --test-concurrency=1 e2e/

# The real window under Xvfb, inside its own D-Bus session.
window-test: $(DESKTOP_BIN) $(STAMPS)/apt-test
	mkdir -p $(ARTIFACTS)
	PORTICO_BIN=$(CURDIR)/$(DESKTOP_BIN) ARTIFACTS=$(ARTIFACTS) CGO_ENABLED=0 go test -count=1 -tags windowtest -run TestWindow -v ./app/

## Bench -------------------------------------------------------------------

bench: $(HEADLESS_BIN) $(STAMPS)/apt-bench
	mkdir -p $(STAMPS)
	CGO_ENABLED=0 go test -run '^$$' -bench . -benchmem -benchtime 2s ./backend/kv/ ./backend/access/ ./backend/ | tee $(STAMPS)/bench-kv.txt
	CGO_ENABLED=0 go test -run '^$$' -bench Login -benchmem -benchtime 30x ./backend/identity/ | tee -a $(STAMPS)/bench-kv.txt
	CGO_ENABLED=0 go test -run '^$$' -bench Authenticate -benchmem -benchtime 2s ./backend/identity/ | tee -a $(STAMPS)/bench-kv.txt
	RELEVANCE_SWEEP=1 CGO_ENABLED=0 go test -count=1 -run TestRelevance -v ./backend/kb/ | tee $(STAMPS)/bench-relevance.txt
	PORTICO_BIN=$(CURDIR)/$(HEADLESS_BIN) KV_BENCH=$(CURDIR)/$(STAMPS)/bench-kv.txt RELEVANCE=$(CURDIR)/$(STAMPS)/bench-relevance.txt OUT=$(CURDIR)/docs/BENCHMARKS.md \
		CGO_ENABLED=0 go test -count=1 -tags bench -run '^TestBench$$' -v -timeout 60m ./backend/server/

clean:
	rm -rf build/bin frontend/dist $(STAMPS) $(ARTIFACTS)
