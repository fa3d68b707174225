package identity

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"portico/backend/fault"
)

// Limits bound login attempts per client address and per email, so neither
// one machine nor a botnet aimed at one account can guess passwords fast.
type Limits struct {
	Every time.Duration // one attempt regained per Every
	Burst int
}

var DefaultLimits = Limits{Every: 6 * time.Second, Burst: 10}

type limiter struct {
	mu      sync.Mutex
	limits  Limits
	now     func() time.Time
	buckets map[string]*rate.Limiter
}

func newLimiter(l Limits, now func() time.Time) *limiter {
	if l.Every == 0 {
		l = DefaultLimits
	}
	return &limiter{limits: l, now: now, buckets: map[string]*rate.Limiter{}}
}

const maxBuckets = 10000

// allow spends one attempt from every key's bucket, or none if any is empty.
func (l *limiter) allow(keys ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > maxBuckets {
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.limits.Burst) {
				delete(l.buckets, k)
			}
		}
	}
	var wait time.Duration
	for _, k := range keys {
		b := l.bucket(k)
		if t := b.TokensAt(now); t < 1 {
			wait = max(wait, time.Duration((1-t)*float64(l.limits.Every)))
		}
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		return fault.New(fault.RateLimited, "Too many login attempts.",
			fmt.Sprintf("Wait %d seconds, then try again.", secs))
	}
	for _, k := range keys {
		l.bucket(k).AllowN(now, 1)
	}
	return nil
}

// forget refills a key's bucket: a correct password ends the suspicion
// against that account, though not against the client.
func (l *limiter) forget(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

func (l *limiter) bucket(k string) *rate.Limiter {
	b, ok := l.buckets[k]
	if !ok {
		b = rate.NewLimiter(rate.Every(l.limits.Every), l.limits.Burst)
		l.buckets[k] = b
	}
	return b
}
