package kafkaclient

import (
	"context"
	"sync/atomic"
)

// linePad keeps what one goroutine writes off the cache lines another
// goroutine reads or writes: two lines, as adjacent lines are fetched
// together on common CPUs.
type linePad [128]byte

// gate bounds the messages and bytes a producer has handed to its backend
// and not yet seen reported (queue.buffering.max.messages and
// queue.buffering.max.kbytes), the same way on every backend. Only a full
// gate makes Produce wait.
//
// Producing goroutines and reports write different counters, on different
// cache lines: producers count what they took, reports what they gave back,
// and what is buffered is the difference. A producer compares against a
// recent copy of what was given back, which can only be behind, and reads
// the reports' counters only when that copy says the gate is full.
type gate struct {
	maxN, maxBytes int64
	space          chan struct{}

	// Written by producing goroutines.
	takenN, takenBytes atomic.Int64
	// seenN and seenBytes were givenN and givenBytes at some point: never
	// more than they are now.
	seenN, seenBytes atomic.Int64

	_ linePad
	// Written by reports.
	givenN, givenBytes atomic.Int64
	waiters            atomic.Int32
}

func (g *gate) init(maxN, maxBytes int64) {
	g.maxN, g.maxBytes = maxN, maxBytes
	g.space = make(chan struct{}, 1)
}

// buffered is the messages and bytes taken and not given back. It may count
// a message being given back at the time, never less than what is left.
func (g *gate) buffered() (n, bytes int64) {
	gn, gb := g.givenN.Load(), g.givenBytes.Load()
	return g.takenN.Load() - gn, g.takenBytes.Load() - gb
}

// fits reports whether the gate holds n messages of bytes in all once k
// messages are added: a message over the limits gets in alone.
func (g *gate) fits(k, n, bytes int64) bool {
	return n == k || n <= g.maxN && bytes <= g.maxBytes
}

// tryAcquire takes places for k messages of size bytes in all.
func (g *gate) tryAcquire(k, size int64) bool {
	n := g.takenN.Add(k)
	b := g.takenBytes.Add(size)
	if g.fits(k, n-g.seenN.Load(), b-g.seenBytes.Load()) {
		return true
	}
	// Full by the copy: look at the reports' counters themselves. Count
	// first: release adds the bytes before the count.
	gn := g.givenN.Load()
	gb := g.givenBytes.Load()
	g.seenN.Store(gn)
	g.seenBytes.Store(gb)
	if g.fits(k, n-gn, b-gb) {
		return true
	}
	g.takenN.Add(-k)
	g.takenBytes.Add(-size)
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
			if n, _ := g.buffered(); n < g.maxN {
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

// release gives back the place of one message of size bytes.
func (g *gate) release(size int64) {
	g.givenBytes.Add(size)
	g.givenN.Add(1)
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
