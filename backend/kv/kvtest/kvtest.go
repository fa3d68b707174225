// Package kvtest opens real stores for tests, one per test, in t.TempDir().
package kvtest

import (
	"testing"

	"github.com/rs/zerolog"

	"portico/backend/kv"
)

// Open returns a store in a fresh temporary directory, closed when the test ends.
func Open(t testing.TB) *kv.DB {
	t.Helper()
	db, err := kv.Open(kv.Options{Dir: t.TempDir(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("kv.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
