package benchmarks

import (
	"context"
	"errors"

	"github.com/kafkaclient/kafkaclient"
)

// kcClient drives a backend through package kafkaclient, the way an
// application would: Produce with a delivery callback and Flush;
// PollAvailable for what is ready, up to Settings.PollMax (the same maximum
// raw franz-go's PollRecords gets; PollBatch would wait for its maximum),
// and Commit.
type kcClient struct{ b kafkaclient.Backend }

func (c kcClient) NewProducer(s Settings) (Producer, error) {
	p, err := kafkaclient.NewProducer(s.ProducerConfig(), kafkaclient.WithBackend(c.b))
	if err != nil {
		return nil, err
	}
	kp := &kcProducer{p: p, topic: s.Topic}
	kp.report = func(_ *kafkaclient.Message, err error) { kp.pending.done(1, err) }
	return kp, nil
}

type kcProducer struct {
	p       *kafkaclient.Producer
	topic   string
	pending pending
	report  kafkaclient.DeliveryFunc
}

func (p *kcProducer) Produce(ctx context.Context, key, value, sent []byte) error {
	m := kafkaclient.NewMessage(p.topic, key, value)
	m.Headers = sentHeaders[kafkaclient.Header](sent)
	p.pending.add()
	if err := p.p.Produce(ctx, m, p.report); err != nil {
		p.pending.done(1, nil)
		return err
	}
	return nil
}

// ProduceBatch sends the batch with one Producer.ProduceBatch call.
func (p *kcProducer) ProduceBatch(ctx context.Context, keys, values [][]byte) error {
	msgs := make([]*kafkaclient.Message, len(keys))
	for i := range keys {
		msgs[i] = kafkaclient.NewMessage(p.topic, keys[i], values[i])
	}
	p.pending.addN(len(msgs))
	if err := p.p.ProduceBatch(ctx, msgs, p.report); err != nil {
		var pe kafkaclient.ProduceErrors
		if errors.As(err, &pe) {
			for _, e := range pe {
				if e != nil {
					p.pending.done(1, nil) // never reported
				}
			}
		}
		return err
	}
	return nil
}

func (p *kcProducer) Flush(ctx context.Context) error {
	if err := p.p.Flush(ctx); err != nil {
		return err
	}
	return p.pending.wait(ctx)
}

func (p *kcProducer) Close(ctx context.Context) error { return p.p.Close(ctx) }

func (c kcClient) NewConsumer(s Settings, group string) (Consumer, error) {
	cons, err := kafkaclient.NewConsumer(s.ConsumerConfig(group), kafkaclient.WithBackend(c.b))
	if err != nil {
		return nil, err
	}
	if err := cons.Subscribe(context.Background(), []string{s.Topic}, nil); err != nil {
		_ = cons.Close(context.Background())
		return nil, err
	}
	return &kcConsumer{c: cons, max: max(s.PollMax, 1)}, nil
}

type kcConsumer struct {
	c   *kafkaclient.Consumer
	max int
}

func (c *kcConsumer) Poll(ctx context.Context, fn func(sent []byte)) (int, error) {
	msgs, err := c.c.PollAvailable(ctx, c.max)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		fn(sentOf(m.Headers))
	}
	return len(msgs), nil
}

func (c *kcConsumer) Commit(ctx context.Context) error {
	_, err := c.c.Commit(ctx)
	return err
}

func (c *kcConsumer) Close(ctx context.Context) error { return c.c.Close(ctx) }
