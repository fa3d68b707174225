// Package backendtest opens a real backend for tests: Badger in a fresh
// temporary directory, passwords hashed at the cheapest cost.
package backendtest

import (
	"testing"

	"github.com/rs/zerolog"

	"portico/backend"
	"portico/backend/identity"
)

// New opens a backend in t.TempDir(), closed when the test ends.
func New(t testing.TB, log zerolog.Logger) *backend.Backend {
	t.Helper()
	return NewWith(t, log, identity.Options{})
}

// NewWith is New with identity options (a clock, a session lifetime); the
// password cost is always the test cost.
func NewWith(t testing.TB, log zerolog.Logger, o identity.Options) *backend.Backend {
	t.Helper()
	o.Params = identity.TestParams
	b, err := backend.Open(backend.Config{
		DataDir:  t.TempDir(),
		Logger:   log,
		Identity: o,
	})
	if err != nil {
		t.Fatalf("backend.Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
