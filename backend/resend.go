package backend

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Resender is the delivery-timeout watchdog for a client that has none:
// one whose retries end after a count (kafka-go's MaxAttempts, Sarama's
// Producer.Retry.Max), not after delivery.timeout.ms. It holds the messages
// the client failed to send for a reason that may pass (every broker
// unreachable, a partition without a leader) and sends them again, oldest
// first, with a backoff, until each one's deadline; then it fails them with
// CodeMsgTimedOut.
//
// Set the fields, call Start, and call Stop from Close. While messages wait,
// a new message must wait behind them (Waiting, Add) so that the order of a
// partition's messages is kept.
type Resender[T any] struct {
	// Send hands t to the client again, with a context that ends at Stop.
	Send func(ctx context.Context, t T) error
	// Retriable reports whether an error of Send, or of the client's own
	// report, may pass.
	Retriable func(err error) bool
	// Deadline is when t's delivery timeout ends.
	Deadline func(t T) time.Time
	// Fail reports t as failed with err.
	Fail func(t T, err error)
	// OnOutage, when set, receives the first network error after a
	// success: the cluster has become unreachable.
	OnOutage func(err error)
	// Timeout is delivery.timeout.ms, for the error message.
	Timeout time.Duration
	// Backoff bounds the wait between rounds; it doubles from Min to Max.
	BackoffMin, BackoffMax time.Duration

	mu      sync.Mutex
	queue   []T
	stopped bool
	outage  bool
	kick    chan struct{}
	ctx     context.Context // ends at Stop
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start starts the goroutine that sends waiting messages again.
func (r *Resender[T]) Start() {
	r.kick = make(chan struct{}, 1)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.done = make(chan struct{})
	go r.loop()
}

// Waiting reports whether messages wait to be sent again.
func (r *Resender[T]) Waiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue) > 0
}

// Add puts t behind the waiting messages, to be sent in turn. It returns
// false after Stop.
func (r *Resender[T]) Add(t T) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	r.queue = append(r.queue, t)
	return true
}

// Sent records that a send succeeded: the next network error is an outage
// again.
func (r *Resender[T]) Sent() {
	r.mu.Lock()
	r.outage = false
	r.mu.Unlock()
}

// Retry queues t to be sent again when err may pass (or when force is set:
// the caller's context ended while t was being handed over) and t's
// deadline has not passed, and returns nil. Otherwise it returns the error
// to fail t with: err, marked CodeMsgTimedOut when it was retriable.
func (r *Resender[T]) Retry(t T, err error, force bool) error {
	retriable := r.Retriable(err)
	if !(retriable || force) || !time.Now().Before(r.Deadline(t)) {
		return r.expired(err, retriable)
	}
	if code, ok := NetworkCode(err); ok && code == CodeTransport && r.OnOutage != nil {
		r.mu.Lock()
		first := !r.outage
		r.outage = true
		r.mu.Unlock()
		if first {
			r.OnOutage(WithCode(CodeAllBrokersDown, err))
		}
	}
	if !r.Add(t) {
		return err
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return nil
}

// expired returns the error of a message that will not be sent again.
func (r *Resender[T]) expired(err error, retriable bool) error {
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if !retriable || stopped {
		return err
	}
	return WithCode(CodeMsgTimedOut, fmt.Errorf("message not delivered within delivery.timeout.ms (%v): %w", r.Timeout, err))
}

// loop sends the waiting messages again, in order, until Stop.
func (r *Resender[T]) loop() {
	defer close(r.done)
	ctx := r.ctx
	delay := r.BackoffMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-time.After(delay):
		}
		r.mu.Lock()
		batch := r.queue
		r.queue = nil
		r.mu.Unlock()
		if len(batch) == 0 {
			delay = r.BackoffMin
			continue
		}
		for i, t := range batch {
			if !time.Now().Before(r.Deadline(t)) {
				r.Fail(t, Errorf(CodeMsgTimedOut, "message not delivered within delivery.timeout.ms (%v): the cluster is unreachable", r.Timeout))
				continue
			}
			err := r.Send(ctx, t)
			if err == nil {
				r.Sent()
				continue
			}
			if r.Retriable(err) || ctx.Err() != nil {
				// Put this one and the rest back, ahead of newer ones.
				r.mu.Lock()
				r.queue = append(append([]T{}, batch[i:]...), r.queue...)
				r.mu.Unlock()
				delay = min(delay*2, r.BackoffMax)
				break
			}
			r.Fail(t, err)
		}
	}
}

// Stop ends the goroutine, waiting for a send in progress to return, and
// returns the messages still waiting; the caller fails them. Later calls to
// Add and Retry refuse.
func (r *Resender[T]) Stop() []T {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	left := r.queue
	r.queue = nil
	return left
}
