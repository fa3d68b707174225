package kv

import (
	"context"
	"errors"
	"fmt"
)

type batchCall struct {
	fn   func(*Tx) error
	done chan error
}

// maxBatch bounds how many callers share one transaction.
const maxBatch = 128

var errBatchMember = errors.New("kv: a batched change failed")

// Batch is Update for hot write paths: concurrent callers' changes are
// committed together in one transaction, so they share one fsync instead
// of queueing for one each, and do not conflict with one another on shared
// keys (a sequence, a counter). If any change in a batch fails, the batch
// is not committed and every change runs again on its own, so one
// caller's error never becomes another's. fn must be safe to repeat, as
// for Update, and must not depend on seeing only its own writes.
func (db *DB) Batch(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{fn: safe(fn), done: make(chan error, 1)}
	db.bmu.Lock()
	db.pending = append(db.pending, c)
	if !db.batching {
		db.batching = true
		go db.runBatches()
	}
	db.bmu.Unlock()
	// Once queued, the change will be tried: wait for its outcome even if
	// ctx ends, so the caller never reports failure for a committed write.
	return <-c.done
}

func (db *DB) runBatches() {
	for {
		db.bmu.Lock()
		calls := db.pending
		if len(calls) > maxBatch {
			calls = calls[:maxBatch]
		}
		db.pending = db.pending[len(calls):]
		if len(calls) == 0 {
			db.batching = false
			db.bmu.Unlock()
			return
		}
		db.bmu.Unlock()
		if len(calls) == 1 {
			calls[0].done <- db.Update(context.Background(), calls[0].fn)
			continue
		}
		err := db.Update(context.Background(), func(tx *Tx) error {
			for _, c := range calls {
				if err := c.fn(tx); err != nil {
					return errBatchMember
				}
			}
			return nil
		})
		if err == nil {
			for _, c := range calls {
				c.done <- nil
			}
			continue
		}
		for _, c := range calls {
			c.done <- db.Update(context.Background(), c.fn)
		}
	}
}

// safe turns a panic in a batched change into that change's error: it runs
// on the batch goroutine, where no HTTP recovery would catch it.
func safe(fn func(*Tx) error) func(*Tx) error {
	return func(tx *Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("kv: batched change panicked: %v", p)
			}
		}()
		return fn(tx)
	}
}
