package kv

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

const schemaKey = "meta/schema"

// migrations[i] brings the store from schema version i to i+1. Version 1 is
// the first layout, so the list starts with "nothing to do". Each runs in
// one transaction with the version bump.
var migrations = []func(*Tx) error{
	func(*Tx) error { return nil },
}

// SchemaVersion is the layout this build reads and writes.
func SchemaVersion() int { return len(migrations) }

// ErrNewerSchema means the data directory was written by a newer Portico.
var ErrNewerSchema = errors.New("kv: data directory was written by a newer version of Portico")

func (db *DB) migrate(ctx context.Context) error {
	for {
		done := false
		err := db.Update(ctx, func(tx *Tx) error {
			have, err := schemaOf(tx)
			if err != nil {
				return err
			}
			if have > len(migrations) {
				return fmt.Errorf("%w (schema %d, this build knows %d)", ErrNewerSchema, have, len(migrations))
			}
			if have == len(migrations) {
				done = true
				return nil
			}
			if err := migrations[have](tx); err != nil {
				return fmt.Errorf("kv: migrate schema %d→%d: %w", have, have+1, err)
			}
			return tx.Set(schemaKey, []byte(strconv.Itoa(have+1)))
		})
		if err != nil || done {
			return err
		}
	}
}

func schemaOf(tx *Tx) (int, error) {
	v, err := tx.Get(schemaKey)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("kv: schema version %q: %w", v, err)
	}
	return n, nil
}
