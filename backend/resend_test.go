package backend_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient/backend"
)

// flakyCluster refuses connections until up is set, then records what is
// sent.
type flakyCluster struct {
	mu     sync.Mutex
	up     bool
	sent   []int
	failed map[int]error
}

var errRefused = &netErr{syscall.ECONNREFUSED}

type netErr struct{ error }

func (e *netErr) Unwrap() error { return e.error }

func (c *flakyCluster) send(_ context.Context, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return errRefused
	}
	c.sent = append(c.sent, n)
	return nil
}

func (c *flakyCluster) resender(deadline time.Time, outages *int) *backend.Resender[int] {
	return &backend.Resender[int]{
		Send:      c.send,
		Retriable: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) },
		Deadline:  func(int) time.Time { return deadline },
		Fail: func(n int, err error) {
			c.mu.Lock()
			c.failed[n] = err
			c.mu.Unlock()
		},
		OnOutage:   func(error) { *outages++ },
		Timeout:    time.Minute,
		BackoffMin: time.Millisecond,
		BackoffMax: 5 * time.Millisecond,
	}
}

func TestResenderKeepsOrderUntilTheClusterIsBack(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := &flakyCluster{failed: map[int]error{}}
	outages := 0
	r := c.resender(time.Now().Add(time.Minute), &outages)
	r.Start()
	for i := range 5 {
		if r.Waiting() && r.Add(i) {
			continue
		}
		err := c.send(context.Background(), i)
		require.Error(t, err)
		require.NoError(t, r.Retry(i, err, false), "a refused connection is retried")
	}
	assert.Equal(t, 1, outages, "one outage is reported once")
	c.mu.Lock()
	c.up = true
	c.mu.Unlock()
	require.Eventually(t, func() bool { return !r.Waiting() }, 5*time.Second, time.Millisecond)
	assert.Empty(t, r.Stop())
	assert.Equal(t, []int{0, 1, 2, 3, 4}, c.sent, "messages are sent again in the order they came")
	assert.Empty(t, c.failed)
	assert.Error(t, r.Retry(5, errRefused, false), "after Stop nothing is queued")
}

func TestResenderFailsAtTheDeadline(t *testing.T) {
	defer goleak.VerifyNone(t)
	c := &flakyCluster{failed: map[int]error{}}
	outages := 0
	r := c.resender(time.Now().Add(50*time.Millisecond), &outages)
	r.Start()
	defer r.Stop()
	require.NoError(t, r.Retry(1, errRefused, false))
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.failed[1] != nil
	}, 5*time.Second, time.Millisecond)
	c.mu.Lock()
	err := c.failed[1]
	c.mu.Unlock()
	assert.Equal(t, backend.CodeMsgTimedOut, codeOf(err), "%v", err)

	err = r.Retry(2, errRefused, false)
	assert.Equal(t, backend.CodeMsgTimedOut, codeOf(err), "a retriable error past the deadline: %v", err)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the cause is kept")
	notRetriable := errors.New("message too large")
	assert.Same(t, notRetriable, r.Retry(3, notRetriable, false), "an error that will not pass is returned as it is")
}

func codeOf(err error) backend.Code {
	code, _ := backend.CodeOf(err)
	return code
}
