package kv

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/rs/zerolog"
)

var value1K = make([]byte, 1024)

// BenchmarkPut measures durable single-key transactions through kv, and the
// same loop on a raw Badger handle with the same options, so the wrapper's
// cost shows as a ratio within one run.
func BenchmarkPut(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("kv/writers=%d", writers), func(b *testing.B) {
			db, err := Open(Options{Dir: b.TempDir(), Logger: zerolog.Nop()})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			put := func(i int64) error {
				return db.Update(context.Background(), func(tx *Tx) error {
					return tx.Set("bench/"+strconv.FormatInt(i, 10), value1K)
				})
			}
			runWriters(b, writers, put)
		})
		b.Run(fmt.Sprintf("badger/writers=%d", writers), func(b *testing.B) {
			raw, err := badger.Open(badgerOptions(b.TempDir(), zerolog.Nop()))
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			put := func(i int64) error {
				return raw.Update(func(t *badger.Txn) error {
					return t.Set([]byte("bench/"+strconv.FormatInt(i, 10)), value1K)
				})
			}
			runWriters(b, writers, put)
		})
	}
}

func runWriters(b *testing.B, writers int, put func(int64) error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(value1K)))
	var n atomic.Int64
	if writers == 1 {
		for b.Loop() {
			if err := put(n.Add(1)); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism((writers + 1) / 2) // ×GOMAXPROCS goroutines: 8 on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := put(n.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txn/s")
}

// BenchmarkScan50 reads a 50-key list page, as list endpoints will.
func BenchmarkScan50(b *testing.B) {
	db, err := Open(Options{Dir: b.TempDir(), Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(context.Background(), func(tx *Tx) error {
		for i := range 50 {
			if err := tx.Set(fmt.Sprintf("list/%03d", i), value1K[:200]); err != nil {
				return err
			}
		}
		return tx.Set("other/x", value1K)
	})
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		db.View(context.Background(), func(tx *Tx) error {
			return tx.Scan("list/", func(string, func() ([]byte, error)) error { n++; return nil })
		})
		if n != 50 {
			b.Fatalf("scan saw %d keys; want 50", n)
		}
	}
}
