// Package mail will deliver notifications and read the email channel. For
// now it keeps the outbox: messages Portico has to send (set-password links
// above all), which admins see in the console until delivery arrives.
package mail

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"portico/backend/fault"
	"portico/backend/kv"
)

const (
	keyOutbox = "mail/o/" // mail/o/<id> → Email
	seqOutbox = "outbox"
)

// Email is one message waiting to be sent.
type Email struct {
	ID      uint64 `json:"id,string"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	// Link is the one action the message carries (a set-password link).
	// It holds a secret: only admins see the outbox, and delivered or
	// dismissed messages are deleted.
	Link    string    `json:"link,omitempty"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	// Account is whose link it is; OwnerOnly hides it from every admin
	// but the owner (reset links for staff).
	Account   uint64 `json:"account,omitempty,string"`
	OwnerOnly bool   `json:"ownerOnly,omitempty"`
}

// Outbox stores emails to send.
type Outbox struct {
	db  *kv.DB
	now func() time.Time
}

func NewOutbox(db *kv.DB) *Outbox { return &Outbox{db: db, now: time.Now} }

// Queue stores e and returns it with its id.
func (o *Outbox) Queue(ctx context.Context, e Email) (Email, error) {
	err := o.db.Update(ctx, func(tx *kv.Tx) error {
		id, err := tx.Next(seqOutbox)
		if err != nil {
			return err
		}
		e.ID = id
		e.Created = o.now().UTC()
		return kv.Put(tx, keyOutbox+strconv.FormatUint(id, 10), e)
	})
	return e, err
}

// List returns the waiting emails, newest first; owner-only ones only to
// the owner.
func (o *Outbox) List(ctx context.Context, owner bool) ([]Email, error) {
	out := []Email{}
	err := o.db.View(ctx, func(tx *kv.Tx) error {
		return kv.Scan(tx, keyOutbox, func(_ string, e Email) error {
			if owner || !e.OwnerOnly {
				out = append(out, e)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, err
}

// DismissAccount deletes the emails carrying an account's links: once one
// is spent, the others are dead too and have nothing left to say.
func (o *Outbox) DismissAccount(ctx context.Context, account uint64) error {
	return o.db.Update(ctx, func(tx *kv.Tx) error {
		var dead []string
		err := kv.Scan(tx, keyOutbox, func(k string, e Email) error {
			if e.Link != "" && e.Account == account {
				dead = append(dead, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dismiss deletes an email (sent by hand, or not needed).
func (o *Outbox) Dismiss(ctx context.Context, id uint64) error {
	return o.db.Update(ctx, func(tx *kv.Tx) error {
		key := keyOutbox + strconv.FormatUint(id, 10)
		if _, err := tx.Get(key); errors.Is(err, kv.ErrNotFound) {
			return fault.NotFoundf("No such email in the outbox.")
		} else if err != nil {
			return err
		}
		return tx.Delete(key)
	})
}
