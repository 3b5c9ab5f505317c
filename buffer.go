package kafkaclient

import (
	"context"
	"sync/atomic"
)

// gate bounds the messages and bytes a producer has handed to its backend
// and not yet seen reported (queue.buffering.max.messages and
// queue.buffering.max.kbytes), the same way on every backend. Taking and
// giving back a place costs a few atomic operations; only a full gate makes
// Produce wait.
type gate struct {
	maxN, maxBytes int64
	n, bytes       atomic.Int64
	waiters        atomic.Int32
	space          chan struct{}
}

func (g *gate) init(maxN, maxBytes int64) {
	g.maxN, g.maxBytes = maxN, maxBytes
	g.space = make(chan struct{}, 1)
}

// tryAcquire takes places for k messages of size bytes in all. Messages
// over the limits get in alone.
func (g *gate) tryAcquire(k, size int64) bool {
	n := g.n.Add(k)
	b := g.bytes.Add(size)
	if n == k || n <= g.maxN && b <= g.maxBytes {
		return true
	}
	g.n.Add(-k)
	g.bytes.Add(-size)
	return false
}

// acquire takes places for k messages of size bytes in all, waiting while
// the gate is full until ctx ends or stop is closed; it returns ctx's
// error, or errGateStopped.
func (g *gate) acquire(ctx context.Context, k, size int64, stop <-chan struct{}) error {
	if g.tryAcquire(k, size) {
		return nil
	}
	g.waiters.Add(1)
	defer g.waiters.Add(-1)
	for {
		// Tried again after counting as a waiter, so that a release in
		// between is never missed.
		if g.tryAcquire(k, size) {
			if g.n.Load() < g.maxN {
				g.wake() // room for another waiter too
			}
			return nil
		}
		select {
		case <-g.space:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return errGateStopped
		}
	}
}

type gateStopped struct{}

func (gateStopped) Error() string { return "producer is closing" }

var errGateStopped error = gateStopped{}

func (g *gate) release(size int64) {
	g.n.Add(-1)
	g.bytes.Add(-size)
	if g.waiters.Load() > 0 {
		g.wake()
	}
}

func (g *gate) wake() {
	select {
	case g.space <- struct{}{}:
	default:
	}
}
