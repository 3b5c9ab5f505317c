//go:build cgo

package benchmarks

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend/confluent"
)

func init() { Register(Backend{Name: confluent.Name, KafkaClient: confluent.New, Raw: confluentRaw{}}) }

// confluentRaw drives github.com/confluentinc/confluent-kafka-go/v2
// (librdkafka) directly: kafka.Producer.Produce with delivery reports
// drained from Events and Flush; a kafka.Consumer Poll loop with Commit.
type confluentRaw struct{}

func (confluentRaw) NewProducer(s Settings) (Producer, error) {
	kp, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":                     strings.Join(s.Brokers, ","),
		"client.id":                             "kbench",
		"acks":                                  "all",
		"enable.idempotence":                    false,
		"max.in.flight.requests.per.connection": s.MaxInFlight,
		"compression.type":                      "none",
		"linger.ms":                             strconv.FormatFloat(float64(s.Linger)/float64(time.Millisecond), 'f', -1, 64),
		"batch.size":                            s.BatchBytes,
		"queue.buffering.max.messages":          s.MaxBuffered,
		"partitioner":                           "murmur2_random",
		"log_level":                             4,
	})
	if err != nil {
		return nil, err
	}
	p := &confluentProducer{p: kp, topic: s.Topic, drained: make(chan struct{})}
	go p.drain()
	return p, nil
}

type confluentProducer struct {
	p       *kafka.Producer
	topic   string
	pending pending
	drained chan struct{}
	once    sync.Once
}

// drain reads delivery reports until Close closes the Events channel.
func (p *confluentProducer) drain() {
	defer close(p.drained)
	for ev := range p.p.Events() {
		if m, ok := ev.(*kafka.Message); ok {
			p.pending.done(1, m.TopicPartition.Error)
		}
	}
}

func (p *confluentProducer) Produce(ctx context.Context, key, value, sent []byte) error {
	m := &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &p.topic, Partition: kafka.PartitionAny},
		Key:            key,
		Value:          value,
	}
	m.Headers = sentHeaders[kafka.Header](sent)
	p.pending.add()
	for {
		err := p.p.Produce(m, nil)
		if err == nil {
			return nil
		}
		var ke kafka.Error
		if !errors.As(err, &ke) || ke.Code() != kafka.ErrQueueFull {
			p.pending.done(1, nil)
			return err
		}
		// The local queue is full: wait for deliveries, like a blocking
		// produce would.
		select {
		case <-ctx.Done():
			p.pending.done(1, nil)
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// ProduceBatch produces each message: confluent-kafka-go has no batch
// call.
func (p *confluentProducer) ProduceBatch(ctx context.Context, keys, values [][]byte) error {
	for i := range keys {
		if err := p.Produce(ctx, keys[i], values[i], nil); err != nil {
			return err
		}
	}
	return nil
}

// Flush waits for the delivery report of every message, then calls
// Producer.Flush, which returns at once when nothing is left. Calling Flush
// first would add up to 100 ms: while the Events channel is drained by
// another goroutine, Flush only notices the end when its 100 ms poll of the
// librdkafka queue times out.
func (p *confluentProducer) Flush(ctx context.Context) error {
	err := p.pending.wait(ctx)
	if err != nil && ctx.Err() != nil {
		return err
	}
	for p.p.Flush(100) > 0 {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	return err
}

func (p *confluentProducer) Close(ctx context.Context) error {
	for p.p.Len() > 0 && ctx.Err() == nil {
		p.p.Flush(100)
	}
	p.once.Do(p.p.Close)
	<-p.drained
	return nil
}

func (confluentRaw) NewConsumer(s Settings, group string) (Consumer, error) {
	kc, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":             strings.Join(s.Brokers, ","),
		"client.id":                     "kbench",
		"group.id":                      group,
		"auto.offset.reset":             "earliest",
		"enable.auto.commit":            false,
		"session.timeout.ms":            int(s.SessionTimeout / time.Millisecond),
		"heartbeat.interval.ms":         int(s.HeartbeatInterval / time.Millisecond),
		"fetch.wait.max.ms":             int(s.FetchMaxWait / time.Millisecond),
		"max.partition.fetch.bytes":     s.MaxPartitionFetchBytes,
		"partition.assignment.strategy": "range",
		"log_level":                     4,
	})
	if err != nil {
		return nil, err
	}
	if err := kc.SubscribeTopics([]string{s.Topic}, nil); err != nil {
		_ = kc.Close()
		return nil, err
	}
	return &confluentConsumer{c: kc}, nil
}

type confluentConsumer struct {
	c *kafka.Consumer
}

// pollMillis is how long one Poll call waits; Poll is called again until
// ctx is done.
const pollMillis = 100

func (c *confluentConsumer) Poll(ctx context.Context, fn func(sent []byte)) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		switch ev := c.c.Poll(pollMillis).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				return 0, ev.TopicPartition.Error
			}
			fn(sentOf(ev.Headers))
			return 1, nil
		case kafka.Error:
			if ev.IsFatal() {
				return 0, ev
			}
		}
	}
}

func (c *confluentConsumer) Commit(context.Context) error {
	_, err := c.c.Commit()
	var ke kafka.Error
	if errors.As(err, &ke) && ke.Code() == kafka.ErrNoOffset {
		return nil
	}
	return err
}

func (c *confluentConsumer) Close(context.Context) error { return c.c.Close() }
