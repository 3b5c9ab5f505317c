package kafkaclient

import (
	"context"
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// echoProducer reports every message delivered from inside Produce: what
// is left of a Produce through it is the root package's own cost.
type echoProducer struct{ stubProducer }

func (p *echoProducer) Produce(_ context.Context, m *backend.Message, token any) error {
	p.hooks.Delivered(m, token, nil)
	return nil
}

type echoBackend struct{ stubBackend }

func (b *echoBackend) NewProducer(_ backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	p := &echoProducer{}
	p.hooks = hooks
	return p, nil
}

// BenchmarkRootProduce measures what Producer.Produce and its report cost
// on top of a backend that costs nothing: validation, partitioning, the
// buffer limit and the report's bookkeeping, with no broker to add noise.
// The one allocation is the benchmark's own Message.
func BenchmarkRootProduce(b *testing.B) { benchRootProduce(b) }

// benchRootProduce produces 100-byte messages to the echo backend, with
// opts, for b.N rounds.
func benchRootProduce(b *testing.B, opts ...Option) {
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, append([]Option{WithBackend(&echoBackend{})}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background()) //nolint:errcheck // nothing is left to report
	ctx := context.Background()
	key, value := []byte("key-0001"), make([]byte, 100)
	report := func(*Message, error) {}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Produce(ctx, NewMessage("t", key, value), report); err != nil {
			b.Fatal(err)
		}
	}
}

// nopObserver implements ProduceObserver and does nothing.
type nopObserver struct{}

func (nopObserver) OnProduce(context.Context, *Message)       {}
func (nopObserver) OnDelivery(*Message, time.Duration, error) {}

// BenchmarkRootProduceObserved is BenchmarkRootProduce with an observer
// that does nothing: the cost of observing each message (its timed token,
// the calls) against BenchmarkRootProduce.
func BenchmarkRootProduceObserved(b *testing.B) {
	benchRootProduce(b, WithObserver(nopObserver{}))
}
