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
	b, err := backend.Open(backend.Config{
		DataDir:  t.TempDir(),
		Logger:   log,
		Identity: identity.Options{Params: identity.TestParams},
	})
	if err != nil {
		t.Fatalf("backend.Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
