package identity

import (
	"context"
	"runtime"
	"time"

	"portico/backend/fault"
)

// Password hashing is the one thing a stranger can make Portico do that
// costs real memory (19 MiB per argon2id call at the default cost). A fixed
// number of slots bounds it: beyond that, callers wait briefly, then are
// told to come back, instead of the desktop running out of memory.
type hasher struct {
	params Params
	slots  chan struct{}
	wait   time.Duration
}

func newHasher(p Params) *hasher {
	return &hasher{params: p, slots: make(chan struct{}, max(1, runtime.NumCPU())), wait: 2 * time.Second}
}

var errBusy = fault.New(fault.Unavailable, "Portico is busy checking passwords.", "Try again in a few seconds.")

func (h *hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return HashPassword(password, h.params)
}

func (h *hasher) verify(ctx context.Context, password, encoded string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return VerifyPassword(password, encoded)
}
