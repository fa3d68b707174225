package identity

import (
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"portico/backend/fault"
)

// Limits bound attempts per key: one regained per Every, up to Burst.
type Limits struct {
	Every time.Duration
	Burst int
}

// DefaultLimits apply per client address, and per email from one address.
var DefaultLimits = Limits{Every: 6 * time.Second, Burst: 10}

// accountLimits bound guesses at one account from everywhere together. They
// are loose on purpose: a stranger spending them locks the real person out,
// so they only stop a slow botnet, while each address is held to
// DefaultLimits.
var accountLimits = Limits{Every: 2 * time.Second, Burst: 60}

type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	lim    *rate.Limiter
	limits Limits
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, buckets: map[string]*bucket{}}
}

// Key is a named bucket with its limits.
type key struct {
	name   string
	limits Limits
}

const maxBuckets = 10000

// allow spends one attempt from every key's bucket, or none if any is empty.
func (l *limiter) allow(keys ...key) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > maxBuckets {
		for k, b := range l.buckets {
			if b.lim.TokensAt(now) >= float64(b.limits.Burst) {
				delete(l.buckets, k)
			}
		}
	}
	var wait time.Duration
	for _, k := range keys {
		b := l.bucket(k)
		if t := b.lim.TokensAt(now); t < 1 {
			wait = max(wait, time.Duration((1-t)*float64(k.limits.Every)))
		}
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		return fault.New(fault.RateLimited, "Too many attempts.",
			fmt.Sprintf("Wait %d seconds, then try again.", secs))
	}
	for _, k := range keys {
		l.bucket(k).lim.AllowN(now, 1)
	}
	return nil
}

// forget refills a key's bucket.
func (l *limiter) forget(name string) {
	l.mu.Lock()
	delete(l.buckets, name)
	l.mu.Unlock()
}

func (l *limiter) bucket(k key) *bucket {
	b, ok := l.buckets[k.name]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(k.limits.Every), k.limits.Burst), limits: k.limits}
		l.buckets[k.name] = b
	}
	return b
}

// clientKey groups IPv6 callers by their /64, which one machine usually
// owns whole; IPv4 addresses count one by one.
func clientKey(client string) string {
	ip := net.ParseIP(client)
	if ip == nil || ip.To4() != nil {
		return client
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Throttle spends one attempt of what from client under the signup limits:
// for anything a visitor can do without an account that makes one (raising
// a request anonymously, sharing with a new email).
func (s *Service) Throttle(what, client string) error {
	return s.limiter.allow(key{what + ":" + clientKey(client), s.signup})
}
