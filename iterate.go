package kafkaclient

import (
	"context"
	"errors"
	"iter"
)

// Messages returns the messages Poll returns, as an iterator:
//
//	for m, err := range c.Messages(ctx) {
//		if err != nil {
//			log.Print(err) // then the loop goes on, unless the error ended it
//			continue
//		}
//		handle(m)
//	}
//
// Each step is one Poll, on the ranging goroutine, so rebalance listeners
// run there as they do with Poll. An error comes with a nil message. Most
// errors leave the consumer usable (an offset out of range under
// auto.offset.reset=none, say) and the iteration goes on; it ends after
// yielding an error when ctx is done, the consumer is closed, it has
// nothing to consume (neither subscribed nor assigned) or the error is
// fatal. Breaking out of the loop stops polling and loses nothing: a
// message not yet yielded stays for the next Poll. The iterator commits
// nothing itself; with auto-commit on, yielded messages count as consumed
// as with Poll.
func (c *Consumer) Messages(ctx context.Context) iter.Seq2[*Message, error] {
	return func(yield func(*Message, error) bool) {
		for {
			m, err := c.Poll(ctx)
			if err == nil {
				if !yield(m, nil) {
					return
				}
				continue
			}
			last := ctx.Err() != nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrState) || IsFatal(err)
			if !yield(nil, err) || last {
				return
			}
		}
	}
}
