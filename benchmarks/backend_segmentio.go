package benchmarks

import (
	"context"
	"errors"

	kafka "github.com/segmentio/kafka-go"

	"github.com/kafkaclient/kafkaclient/backend/segmentio"
)

func init() { Register(Backend{Name: segmentio.Name, KafkaClient: segmentio.New, Raw: segmentioRaw{}}) }

// segmentioRaw drives github.com/segmentio/kafka-go directly: an
// asynchronous kafka.Writer with a Completion callback, and a kafka.Reader
// with a GroupID, FetchMessage and CommitMessages.
//
// kafka-go has no idempotent producer, writes one batch per partition at a
// time (there is no in-flight setting) and does not bound what an
// asynchronous Writer buffers.
type segmentioRaw struct{}

func (segmentioRaw) NewProducer(s Settings) (Producer, error) {
	p := &segmentioProducer{tr: &kafka.Transport{ClientID: "kbench"}}
	p.w = &kafka.Writer{
		Addr:         kafka.TCP(s.Brokers...),
		Topic:        s.Topic,
		Balancer:     kafka.Murmur2Balancer{},
		BatchSize:    s.BatchMessages,
		BatchBytes:   int64(s.BatchBytes),
		BatchTimeout: s.Linger,
		RequiredAcks: kafka.RequireAll,
		Async:        true,
		Completion: func(msgs []kafka.Message, err error) {
			p.pending.done(int64(len(msgs)), err)
		},
		Compression: 0, // none
		Transport:   p.tr,
	}
	return p, nil
}

type segmentioProducer struct {
	w       *kafka.Writer
	tr      *kafka.Transport
	pending pending
}

func (p *segmentioProducer) Produce(ctx context.Context, key, value, sent []byte) error {
	m := kafka.Message{Key: key, Value: value}
	m.Headers = sentHeaders[kafka.Header](sent)
	p.pending.add()
	if err := p.w.WriteMessages(ctx, m); err != nil {
		p.pending.done(1, nil)
		return err
	}
	return nil
}

// ProduceBatch writes the batch with one WriteMessages call.
func (p *segmentioProducer) ProduceBatch(ctx context.Context, keys, values [][]byte) error {
	msgs := make([]kafka.Message, len(keys))
	for i := range keys {
		msgs[i] = kafka.Message{Key: keys[i], Value: values[i]}
	}
	p.pending.addN(len(msgs))
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		p.pending.done(int64(len(msgs)), nil)
		return err
	}
	return nil
}

// Flush waits for the Completion of every message: kafka.Writer has no
// Flush, and sends a partial batch once BatchTimeout has passed.
func (p *segmentioProducer) Flush(ctx context.Context) error { return p.pending.wait(ctx) }

func (p *segmentioProducer) Close(context.Context) error {
	err := p.w.Close()
	p.tr.CloseIdleConnections()
	return err
}

func (segmentioRaw) NewConsumer(s Settings, group string) (Consumer, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           s.Brokers,
		GroupID:           group,
		Topic:             s.Topic,
		Dialer:            &kafka.Dialer{ClientID: "kbench", DualStack: true, Timeout: s.SessionTimeout},
		MinBytes:          1,
		MaxBytes:          s.MaxPartitionFetchBytes,
		MaxWait:           s.FetchMaxWait,
		CommitInterval:    0, // synchronous commits
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    s.SessionTimeout,
		HeartbeatInterval: s.HeartbeatInterval,
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}},
	})
	return &segmentioConsumer{r: r}, nil
}

type segmentioConsumer struct {
	r *kafka.Reader
	// last fetched message of each partition, to commit.
	last    []kafka.Message
	hasLast []bool
}

func (c *segmentioConsumer) Poll(ctx context.Context, fn func(sent []byte)) (int, error) {
	m, err := c.r.FetchMessage(ctx)
	if err != nil {
		return 0, err
	}
	if m.Partition >= len(c.last) {
		c.last = append(c.last, make([]kafka.Message, m.Partition+1-len(c.last))...)
		c.hasLast = append(c.hasLast, make([]bool, m.Partition+1-len(c.hasLast))...)
	}
	c.last[m.Partition], c.hasLast[m.Partition] = m, true
	fn(sentOf(m.Headers))
	return 1, nil
}

func (c *segmentioConsumer) Commit(ctx context.Context) error {
	var msgs []kafka.Message
	for p, ok := range c.hasLast {
		if ok {
			msgs = append(msgs, c.last[p])
			c.hasLast[p] = false
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return c.r.CommitMessages(ctx, msgs...)
}

func (c *segmentioConsumer) Close(context.Context) error {
	if err := c.r.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
