package kv

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
)

// A pending migration runs once, in order, and bumps the schema version;
// the next open finds nothing to do.
func TestMigrationRunsOnce(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	saved := migrations
	defer func() { migrations = saved }()
	runs := 0
	migrations = append(append([]func(*Tx) error{}, saved...), func(tx *Tx) error {
		runs++
		return tx.Set("migrated", []byte("yes"))
	})
	for range 2 {
		db, err := Open(Options{Dir: dir, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		db.View(context.Background(), func(tx *Tx) error {
			if v, _ := schemaOf(tx); v != len(migrations) {
				t.Errorf("schema after open = %d; want %d", v, len(migrations))
			}
			if got, _ := tx.Get("migrated"); string(got) != "yes" {
				t.Errorf("migration's write missing")
			}
			return nil
		})
		db.Close()
	}
	if runs != 1 {
		t.Errorf("migration ran %d times over two opens; want once", runs)
	}
}
