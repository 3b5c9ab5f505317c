package kafkaclient

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerObserver adds a trace header in OnProduce and records every call.
type headerObserver struct {
	mu       sync.Mutex
	produced []*Message
	outcomes map[*Message]error
}

func (o *headerObserver) OnProduce(_ context.Context, m *Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m.Headers = append(m.Headers, Header{Key: "traceparent", Value: []byte("00-0123")})
	o.produced = append(o.produced, m)
}

func (o *headerObserver) OnDelivery(m *Message, latency time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.outcomes == nil {
		o.outcomes = map[*Message]error{}
	}
	_, twice := o.outcomes[m]
	if twice || latency < 0 {
		panic("a second outcome, or a negative latency")
	}
	o.outcomes[m] = err
}

// TestObserverSeesEveryOutcome: a message Produce refuses after OnProduce
// (its context ended while the buffer was full) gets its OnDelivery with
// that error and is not counted as produced; the headers an observer adds
// are counted in the buffer's bytes and given back on delivery.
func TestObserverSeesEveryOutcome(t *testing.T) {
	b := &stubBackend{}
	obs := &headerObserver{}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient, MaxBufferedMessages: 1}, WithBackend(b), WithObserver(obs))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // the stub reports nothing left

	first := NewMessage("t", nil, []byte("v"))
	require.NoError(t, p.Produce(context.Background(), first, func(*Message, error) {}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := NewMessage("t", nil, []byte("w"))
	err = p.Produce(ctx, second, func(*Message, error) { t.Error("a refused message is reported") })
	require.ErrorIs(t, err, ErrTimedOut)

	s := p.Stats()
	size := int64(len("v") + len("traceparent") + len("00-0123"))
	assert.Equal(t, ProducerStats{Produced: 1, ProducedBytes: size, Buffered: 1, BufferedBytes: size, FailedByCode: map[Code]int64{}}, s)
	obs.mu.Lock()
	assert.Len(t, obs.produced, 2)
	assert.Equal(t, map[*Message]error{second: err}, obs.outcomes)
	obs.mu.Unlock()

	b.prod.deliverAll(nil)
	s = p.Stats()
	assert.Equal(t, int64(1), s.Delivered)
	assert.Equal(t, size, s.DeliveredBytes)
	assert.Zero(t, s.Buffered)
	assert.Zero(t, s.BufferedBytes, "the header's bytes are given back")
	assert.Equal(t, 1, s.Latency.Samples)
	obs.mu.Lock()
	assert.NoError(t, obs.outcomes[first])
	obs.mu.Unlock()
}

// TestStatsWithoutObserverSamplesLatency: without an observer the latency
// of about one message in latencySampling is measured.
func TestStatsWithoutObserverSamplesLatency(t *testing.T) {
	b := &stubBackend{}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, WithBackend(b))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // everything is reported
	const n = 20 * latencySampling
	for range n {
		require.NoError(t, p.Produce(context.Background(), NewMessage("t", nil, []byte("v")), func(*Message, error) {}))
	}
	b.prod.deliverAll(nil)
	s := p.Stats()
	assert.Equal(t, int64(n), s.Delivered)
	assert.Positive(t, s.Latency.Samples)
	assert.Less(t, s.Latency.Samples, n/4, "sampled, not every message")
}
