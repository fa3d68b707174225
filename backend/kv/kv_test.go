package kv_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"portico/backend/fault"
	"portico/backend/kv"
	"portico/backend/kv/kvtest"
)

var ctx = context.Background()

type thing struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

func TestRoundTrip(t *testing.T) {
	db := kvtest.Open(t)
	if err := db.Update(ctx, func(tx *kv.Tx) error {
		return kv.Put(tx, "t/1", thing{1, "one"})
	}); err != nil {
		t.Fatal(err)
	}
	var got thing
	err := db.View(ctx, func(tx *kv.Tx) (err error) {
		got, err = kv.Get[thing](tx, "t/1")
		return err
	})
	if err != nil || got != (thing{1, "one"}) {
		t.Errorf("Get(t/1) = %+v, %v; want {1 one}, nil", got, err)
	}
	err = db.View(ctx, func(tx *kv.Tx) error {
		_, err := kv.Get[thing](tx, "t/2")
		return err
	})
	if !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("Get(t/2) err = %v; want ErrNotFound", err)
	}
	if err := db.Update(ctx, func(tx *kv.Tx) error { return tx.Delete("t/1") }); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *kv.Tx) error {
		ok, err := tx.Has("t/1")
		if ok {
			return errors.New("t/1 still present after Delete")
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestFailedTransactionWritesNothing(t *testing.T) {
	db := kvtest.Open(t)
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *kv.Tx) error {
		if err := tx.Set("a", []byte("1")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v; want boom", err)
	}
	db.View(ctx, func(tx *kv.Tx) error {
		if ok, _ := tx.Has("a"); ok {
			t.Error("key written by a failed transaction is visible")
		}
		return nil
	})
}

func TestScanPrefixInOrder(t *testing.T) {
	db := kvtest.Open(t)
	db.Update(ctx, func(tx *kv.Tx) error {
		for _, k := range []string{"t/b", "t/a", "u/a", "t/c", "s/z"} {
			if err := kv.Put(tx, k, thing{Name: k}); err != nil {
				return err
			}
		}
		return nil
	})
	var keys []string
	db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, "t/", func(key string, v thing) error {
			if v.Name != key {
				t.Errorf("value at %s = %q", key, v.Name)
			}
			keys = append(keys, key)
			return nil
		})
	})
	if fmt.Sprint(keys) != "[t/a t/b t/c]" {
		t.Errorf("Scan(t/) keys = %v; want [t/a t/b t/c]", keys)
	}
	n := 0
	db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan("t/", func(string, func() ([]byte, error)) error {
			n++
			if n == 2 {
				return kv.ErrStop
			}
			return nil
		})
	})
	if n != 2 {
		t.Errorf("Scan stopped after %d keys; want 2", n)
	}
}

func TestSequencesStartAtOneAndHaveNoGaps(t *testing.T) {
	db := kvtest.Open(t)
	next := func(name string) uint64 {
		var n uint64
		if err := db.Update(ctx, func(tx *kv.Tx) (err error) { n, err = tx.Next(name); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := next("a"); got != 1 {
		t.Errorf("first Next(a) = %d; want 1", got)
	}
	// A rolled-back transaction must not consume a number.
	db.Update(ctx, func(tx *kv.Tx) error { tx.Next("a"); return errors.New("rollback") })
	if got := next("a"); got != 2 {
		t.Errorf("Next(a) after rollback = %d; want 2", got)
	}
	if got := next("b"); got != 1 {
		t.Errorf("first Next(b) = %d; want 1 (sequences are independent)", got)
	}
}

func TestConcurrentSequenceIsUnique(t *testing.T) {
	db := kvtest.Open(t)
	const workers, each = 8, 50
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var n uint64
				if err := db.Update(ctx, func(tx *kv.Tx) (err error) { n, err = tx.Next("r"); return err }); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("number %d handed out twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := uint64(1); i <= workers*each; i++ {
		if !seen[i] {
			t.Errorf("number %d never handed out: the sequence has a gap", i)
		}
	}
}

func TestConflictIsRetried(t *testing.T) {
	db := kvtest.Open(t)
	attempts := 0
	err := db.Update(ctx, func(tx *kv.Tx) error {
		attempts++
		v, err := tx.Get("counter")
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if attempts == 1 {
			// Someone else writes the key we just read: our commit conflicts.
			if err := db.Update(ctx, func(tx *kv.Tx) error { return tx.Set("counter", []byte("10")) }); err != nil {
				return err
			}
		}
		n, _ := strconv.Atoi(string(v))
		return tx.Set("counter", []byte(strconv.Itoa(n+1)))
	})
	if err != nil {
		t.Fatalf("Update = %v; want success after a retry", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times; want 2 (one conflict, one retry)", attempts)
	}
	db.View(ctx, func(tx *kv.Tx) error {
		v, _ := tx.Get("counter")
		if string(v) != "11" {
			t.Errorf("counter = %s; want 11 (the retry saw the other write)", v)
		}
		return nil
	})
}

func TestConflictRetriesAreBounded(t *testing.T) {
	db, err := kv.Open(kv.Options{Dir: t.TempDir(), Logger: zerolog.Nop(), Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	attempts := 0
	err = db.Update(ctx, func(tx *kv.Tx) error {
		attempts++
		tx.Get("k")
		db.Update(ctx, func(tx *kv.Tx) error { return tx.Set("k", []byte("x")) })
		return tx.Set("k", []byte("y"))
	})
	if fault.KindOf(err) != fault.Unavailable {
		t.Errorf("Update under constant conflict = %v; want a busy (unavailable) error", err)
	}
	if attempts != 3 {
		t.Errorf("fn ran %d times; want 3", attempts)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(ctx, func(tx *kv.Tx) error { return kv.Put(tx, "t/1", thing{1, "kept"}) })
	db.Close()
	db, err = kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(ctx, func(tx *kv.Tx) error {
		got, err := kv.Get[thing](tx, "t/1")
		if err != nil || got.Name != "kept" {
			t.Errorf("after reopen Get(t/1) = %+v, %v; want kept", got, err)
		}
		return nil
	})
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if !errors.Is(err, kv.ErrLocked) {
		t.Errorf("second Open(%s) = %v; want ErrLocked", dir, err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(ctx, func(tx *kv.Tx) error {
		return tx.Set("meta/schema", []byte(strconv.Itoa(kv.SchemaVersion()+1)))
	})
	db.Close()
	_, err = kv.Open(kv.Options{Dir: dir, Logger: zerolog.Nop()})
	if !errors.Is(err, kv.ErrNewerSchema) {
		t.Errorf("Open of a newer schema = %v; want ErrNewerSchema", err)
	}
}

func TestCancelledContext(t *testing.T) {
	db := kvtest.Open(t)
	c, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err := db.Update(c, func(tx *kv.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update(cancelled) = %v, ran=%v; want context.Canceled without running", err, ran)
	}
}

// Batched changes from many goroutines all land, each exactly once, and a
// failing change fails alone.
func TestBatch(t *testing.T) {
	db := kvtest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Batch(ctx, func(tx *kv.Tx) error {
				if i == 17 {
					return errors.New("seventeen refuses")
				}
				n, err := tx.Next("batch")
				if err != nil {
					return err
				}
				return tx.Set(fmt.Sprintf("b/%03d", n), []byte{byte(i)})
			})
			if (err != nil) != (i == 17) {
				errs <- fmt.Errorf("change %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	count := 0
	db.View(ctx, func(tx *kv.Tx) error {
		return tx.Scan("b/", func(string, func() ([]byte, error)) error { count++; return nil })
	})
	if count != 199 {
		t.Fatalf("%d changes stored, want 199", count)
	}
}
