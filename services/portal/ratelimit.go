package main

import (
	"sync"
	"time"
)

// Limiter counts failed link lookups per client address and refuses a
// client that failed too often in a window: guessing a 160-bit secret is
// hopeless anyway, but the limiter keeps a scanner from loading Postgres.
type Limiter struct {
	Max    int
	Window time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	clients map[string]*failures
}

type failures struct {
	count int
	since time.Time
}

// NewLimiter allows max failures per window per client.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, Now: time.Now, clients: map[string]*failures{}}
}

// Blocked reports whether the client has used up its failures.
func (l *Limiter) Blocked(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.clients[client]
	if !ok {
		return false
	}
	if l.Now().Sub(f.since) >= l.Window {
		delete(l.clients, client)
		return false
	}
	return f.count >= l.Max
}

// Fail records a failed lookup by the client.
func (l *Limiter) Fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	f, ok := l.clients[client]
	if !ok || now.Sub(f.since) >= l.Window {
		if len(l.clients) > 100_000 {
			l.prune(now)
		}
		l.clients[client] = &failures{count: 1, since: now}
		return
	}
	f.count++
}

// prune drops the clients whose window has passed, so the map stays
// bounded under a scan from many addresses.
func (l *Limiter) prune(now time.Time) {
	for k, f := range l.clients {
		if now.Sub(f.since) >= l.Window {
			delete(l.clients, k)
		}
	}
}
