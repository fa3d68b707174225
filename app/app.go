// Package app is the desktop shell: the Wails window, its lifecycle and
// what only a desktop can do. It holds no domain logic; the window's
// frontend talks to the same HTTP handler as every browser, in-process.
package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/rs/zerolog"
)

// Handlers are what the window serves once the backend is up.
type Handlers struct {
	// Window answers the webview's requests in-process, with the owner's
	// identity attached.
	Window http.Handler
}

// Options configure Run.
type Options struct {
	Title string
	// InstanceID names the single-instance lock: a second launch with the
	// same id brings the first window to the front and exits.
	InstanceID string
	Log        zerolog.Logger
	// Start opens the backend. It runs after the single-instance hand-over,
	// so a second launch never touches the data directory.
	Start func(ctx context.Context) (Handlers, error)
	// Stop runs when the window closes or the process is told to stop.
	Stop func()
}

// ErrNoWindow is returned by Run in builds without the desktop shell.
var ErrNoWindow = errors.New("this build of Portico has no window; run `portico serve`")
