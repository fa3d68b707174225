package identity

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"portico/backend/kv"
	"portico/backend/kv/kvtest"
)

// A data dir from before the email-domain index gets it built at start.
func TestUpgradeBuildsTheDomainIndex(t *testing.T) {
	ctx := context.Background()
	db := kvtest.Open(t)
	s, err := New(db, zerolog.Nop(), Options{Params: TestParams})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.Invite(ctx, NewAccount{Name: "Ana", Email: "ana@Example.com", Role: Customer})
	if err != nil {
		t.Fatal(err)
	}
	// Make it look like layout 1: no index, no layout key.
	db.Update(ctx, func(tx *kv.Tx) error {
		tx.Delete(domainKey("example.com", a.ID))
		return tx.Delete(keyLayout)
	})
	count := func() int {
		n := 0
		db.View(ctx, func(tx *kv.Tx) error {
			return ByDomainTx(tx, "EXAMPLE.com", func(uint64) error { n++; return nil })
		})
		return n
	}
	if count() != 0 {
		t.Fatal("index still present after removing it")
	}
	if _, err := New(db, zerolog.Nop(), Options{Params: TestParams}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("accounts at example.com after the upgrade = %d; want 1", n)
	}
}
