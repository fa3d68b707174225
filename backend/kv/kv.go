// Package kv is Portico's only door to Badger. Its surface is deliberately
// narrow — get, set, delete, prefix scan, transactions retried on conflict,
// sequences — so the store can later move to a distributed transactional
// key-value engine without touching the domain packages. No Badger type
// appears in its API.
package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/rs/zerolog"

	"portico/backend/fault"
)

// ErrNotFound is returned by Get when the key is absent.
var ErrNotFound = errors.New("kv: not found")

// ErrLocked means another process holds the data directory.
var ErrLocked = errors.New("kv: data directory is in use by another process")

// ErrBusy means a transaction kept conflicting after every retry.
var ErrBusy = fault.New(fault.Unavailable, "Portico is busy right now.", "Try again in a moment.")

// Options configure Open. Dir is required.
type Options struct {
	Dir    string
	Logger zerolog.Logger
	// Retries bounds how often a conflicting read-write transaction is re-run.
	Retries int
}

// DB is an open store.
type DB struct {
	b       *badger.DB
	retries int
	log     zerolog.Logger
	// gate lets read-write transactions run side by side (read lock) until
	// one has conflicted a few times; its next attempt takes the write
	// lock and so runs alone, where it cannot conflict. A hot key (a
	// sequence under eight writers) then cannot starve anyone.
	gate sync.RWMutex

	// Group commit: see Batch.
	bmu      sync.Mutex
	pending  []*batchCall
	batching bool
}

// exclusiveAfter is how many conflicts a transaction suffers before it
// runs alone.
const exclusiveAfter = 3

// Open opens (creating if needed) the store in opts.Dir with durable writes,
// then brings its schema up to date.
func Open(opts Options) (*DB, error) {
	if opts.Dir == "" {
		return nil, errors.New("kv: no data directory given")
	}
	if opts.Retries <= 0 {
		opts.Retries = 10
	}
	b, err := badger.Open(badgerOptions(opts.Dir, opts.Logger))
	if err != nil {
		// Badger says so in words only: "Cannot acquire directory lock" on
		// Unix, "Cannot create lock file" on Windows.
		if msg := err.Error(); strings.Contains(msg, "Cannot acquire directory lock") || strings.Contains(msg, "Cannot create lock file") {
			return nil, fmt.Errorf("%w: %s", ErrLocked, opts.Dir)
		}
		return nil, fmt.Errorf("kv: open %s: %w", opts.Dir, err)
	}
	db := &DB{b: b, retries: opts.Retries, log: opts.Logger.With().Str("pkg", "kv").Logger()}
	if err := db.migrate(context.Background()); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

func badgerOptions(dir string, log zerolog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		// An acknowledged write must survive power loss.
		WithSyncWrites(true).
		WithLogger(badgerLogger{log.With().Str("pkg", "badger").Logger()}).
		WithLoggingLevel(badger.WARNING).
		// Sized for a desktop app with a small team's data, not a server
		// farm: Badger's defaults reserve hundreds of MB up front.
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(16 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2)
}

// Close flushes and releases the data directory.
func (db *DB) Close() error { return db.b.Close() }

// View runs fn in a read-only snapshot.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.b.View(func(t *badger.Txn) error { return fn(&Tx{t: t}) })
}

// Update runs fn in a read-write transaction and commits it durably. When
// the commit conflicts with a concurrent one, fn runs again on a fresh
// snapshot, a bounded number of times, so fn must be safe to repeat. fn
// must not call Update itself.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	backoff := 200 * time.Microsecond
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		exclusive := attempt > exclusiveAfter
		if exclusive {
			db.gate.Lock()
		} else {
			db.gate.RLock()
		}
		err := db.b.Update(func(t *badger.Txn) error { return fn(&Tx{t: t}) })
		if exclusive {
			db.gate.Unlock()
		} else {
			db.gate.RUnlock()
		}
		if !errors.Is(err, badger.ErrConflict) {
			if errors.Is(err, badger.ErrTxnTooBig) {
				return fault.New(fault.TooLarge, "This change is too large to save at once.", "Split it into smaller changes.").Wrap(err)
			}
			return err
		}
		if attempt >= db.retries {
			db.log.Warn().Int("attempts", attempt).Msg("transaction kept conflicting")
			return ErrBusy.Wrap(err)
		}
		// Jitter keeps two retrying writers from colliding in lock step.
		select {
		case <-time.After(backoff + rand.N(backoff)):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(backoff*2, 20*time.Millisecond)
	}
}

// Tx is a transaction; valid only inside the View or Update callback.
type Tx struct{ t *badger.Txn }

// Get returns a copy of the value at key, or ErrNotFound.
func (tx *Tx) Get(key string) ([]byte, error) {
	item, err := tx.t.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("kv: get %s: %w", key, err)
	}
	return item.ValueCopy(nil)
}

// Has reports whether key exists.
func (tx *Tx) Has(key string) (bool, error) {
	_, err := tx.t.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Set stores val at key.
func (tx *Tx) Set(key string, val []byte) error {
	if err := tx.t.Set([]byte(key), val); err != nil {
		return fmt.Errorf("kv: set %s: %w", key, err)
	}
	return nil
}

// Delete removes key; deleting an absent key is not an error.
func (tx *Tx) Delete(key string) error {
	if err := tx.t.Delete([]byte(key)); err != nil {
		return fmt.Errorf("kv: delete %s: %w", key, err)
	}
	return nil
}

// ErrStop ends a Scan early without error.
var ErrStop = errors.New("kv: stop scan")

// Scan calls fn for every key with prefix, in key order. Values are read
// only when fn asks for them.
func (tx *Tx) Scan(prefix string, fn func(key string, value func() ([]byte, error)) error) error {
	// Prefetching values makes short list scans ~3x slower (DESIGN.md).
	it := tx.t.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: []byte(prefix)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		err := fn(string(item.Key()), func() ([]byte, error) { return item.ValueCopy(nil) })
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Iter walks the keys under a prefix one at a time, for merging several
// lists; it is valid only inside the transaction and must be closed.
type Iter struct {
	it     *badger.Iterator
	prefix []byte
}

// Iterate opens an iterator over prefix, in key order or, with reverse,
// from the last key back.
func (tx *Tx) Iterate(prefix string, reverse bool) *Iter {
	it := tx.t.NewIterator(badger.IteratorOptions{PrefetchValues: false, Prefix: []byte(prefix), Reverse: reverse})
	if reverse {
		it.Seek(append([]byte(prefix), 0xff))
	} else {
		it.Rewind()
	}
	return &Iter{it: it, prefix: []byte(prefix)}
}

// Valid reports whether the iterator is on a key.
func (i *Iter) Valid() bool { return i.it.ValidForPrefix(i.prefix) }

// Next moves to the next key.
func (i *Iter) Next() { i.it.Next() }

// Key is the current key.
func (i *Iter) Key() string { return string(i.it.Item().Key()) }

// Value copies the current value.
func (i *Iter) Value() ([]byte, error) { return i.it.Item().ValueCopy(nil) }

// Close releases the iterator.
func (i *Iter) Close() { i.it.Close() }

// ScanIDs calls fn with the number that ends each key under prefix: the
// shape of every relation index ("a/<x>/<id>" → empty).
func ScanIDs(tx *Tx, prefix string, fn func(id uint64) error) error {
	return tx.Scan(prefix, func(key string, _ func() ([]byte, error)) error {
		id, err := strconv.ParseUint(strings.TrimPrefix(key, prefix), 10, 64)
		if err != nil {
			return fmt.Errorf("kv: %s is not an id under %s: %w", key, prefix, err)
		}
		return fn(id)
	})
}

const seqPrefix = "seq/"

// Next returns the next number of the named sequence, starting at 1. It is
// part of the transaction: if the transaction does not commit, the number is
// not used, so sequences have no gaps.
func (tx *Tx) Next(name string) (uint64, error) {
	key := seqPrefix + name
	n := uint64(0)
	v, err := tx.Get(key)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return 0, err
	default:
		if n, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return 0, fmt.Errorf("kv: sequence %s holds %q: %w", name, v, err)
		}
	}
	n++
	return n, tx.Set(key, []byte(strconv.FormatUint(n, 10)))
}

// Get decodes the JSON value at key into a T.
func Get[T any](tx *Tx, key string) (T, error) {
	var v T
	raw, err := tx.Get(key)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("kv: decode %s: %w", key, err)
	}
	return v, nil
}

// Put stores v at key as JSON.
func Put[T any](tx *Tx, key string, v T) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kv: encode %s: %w", key, err)
	}
	return tx.Set(key, raw)
}

// Scan decodes every value under prefix into a T and hands it to fn.
func Scan[T any](tx *Tx, prefix string, fn func(key string, v T) error) error {
	return tx.Scan(prefix, func(key string, value func() ([]byte, error)) error {
		raw, err := value()
		if err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("kv: decode %s: %w", key, err)
		}
		return fn(key, v)
	})
}

// badgerLogger sends Badger's own log lines through zerolog.
type badgerLogger struct{ l zerolog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error().Msgf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn().Msgf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug().Msgf(strings.TrimSpace(f), a...) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Trace().Msgf(strings.TrimSpace(f), a...) }
