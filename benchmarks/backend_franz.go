package benchmarks

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/backend/franz"
)

func init() { Register(Backend{Name: franz.Name, KafkaClient: franz.New, Raw: franzRaw{}}) }

// franzRaw drives github.com/twmb/franz-go directly: kgo.Client.Produce with
// a promise and Flush; PollRecords and CommitUncommittedOffsets.
type franzRaw struct{}

func (franzRaw) NewProducer(s Settings) (Producer, error) {
	p := &franzProducer{}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(s.Brokers...),
		kgo.ClientID("kbench"),
		kgo.DefaultProduceTopic(s.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DisableIdempotentWrite(),
		kgo.MaxProduceRequestsInflightPerBroker(s.MaxInFlight),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(s.Linger),
		kgo.ProducerBatchMaxBytes(int32(s.BatchBytes)),
		kgo.MaxBufferedRecords(s.MaxBuffered),
		// murmur2 on the key, like the Java client.
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	)
	if err != nil {
		return nil, err
	}
	p.cl = cl
	p.promise = func(_ *kgo.Record, err error) { p.pending.done(1, err) }
	return p, nil
}

type franzProducer struct {
	cl      *kgo.Client
	pending pending
	promise func(*kgo.Record, error)
}

func (p *franzProducer) Produce(ctx context.Context, key, value, sent []byte) error {
	r := &kgo.Record{Key: key, Value: value}
	r.Headers = sentHeaders[kgo.RecordHeader](sent)
	p.pending.add()
	p.cl.Produce(ctx, r, p.promise)
	return nil
}

// ProduceBatch produces each record: franz-go has no asynchronous batch
// call.
func (p *franzProducer) ProduceBatch(ctx context.Context, keys, values [][]byte) error {
	for i := range keys {
		p.pending.add()
		p.cl.Produce(ctx, &kgo.Record{Key: keys[i], Value: values[i]}, p.promise)
	}
	return nil
}

func (p *franzProducer) Flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return err
	}
	return p.pending.wait(ctx)
}

func (p *franzProducer) Close(context.Context) error {
	p.cl.Close()
	return nil
}

func (franzRaw) NewConsumer(s Settings, group string) (Consumer, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(s.Brokers...),
		kgo.ClientID("kbench"),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(s.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(s.SessionTimeout),
		kgo.HeartbeatInterval(s.HeartbeatInterval),
		kgo.FetchMaxWait(s.FetchMaxWait),
		kgo.FetchMaxPartitionBytes(int32(s.MaxPartitionFetchBytes)),
		kgo.Balancers(kgo.RangeBalancer()),
	)
	if err != nil {
		return nil, err
	}
	return &franzConsumer{cl: cl, max: s.PollMax}, nil
}

type franzConsumer struct {
	cl  *kgo.Client
	max int
}

func (c *franzConsumer) Poll(ctx context.Context, fn func(sent []byte)) (int, error) {
	fs := c.cl.PollRecords(ctx, c.max)
	if err := fs.Err0(); err != nil {
		return 0, err
	}
	n := 0
	fs.EachRecord(func(r *kgo.Record) {
		fn(sentOf(r.Headers))
		n++
	})
	return n, nil
}

func (c *franzConsumer) Commit(ctx context.Context) error {
	return c.cl.CommitUncommittedOffsets(ctx)
}

func (c *franzConsumer) Close(context.Context) error {
	c.cl.Close()
	return nil
}
