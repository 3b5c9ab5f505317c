//go:build cgo

package confluent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

// flushSlice is how long one kafka.Producer.Flush call may wait. That call
// runs rd_kafka_flush on a goroutine of its own that can outlive it by up to
// this long, so Close waits at least this long after the last one before
// destroying the client. It is short because it is what Flush adds after
// the last report: kafka.Producer.Flush checks for the end only when its
// poll of librdkafka's queue, which serveEvents empties, times out.
const flushSlice = 2 * time.Millisecond

type producer struct {
	kp    *kafka.Producer
	cfg   backend.ProducerConfig
	hooks backend.ProducerHooks
	logs  *logForwarder

	// outstanding counts messages accepted by Produce and not yet
	// reported.
	outstanding atomic.Int64
	// progress is signalled (without blocking) after each report while
	// waiters is above zero.
	progress chan struct{}
	waiters  atomic.Int32

	// drained is closed when the goroutine serving kp.Events() has
	// seen it closed.
	drained chan struct{}

	// purging is set once Close gives up flushing: reports of purged
	// messages then carry CodeClosed.
	purging atomic.Bool
	// authErr is the last authentication or TLS error librdkafka reported,
	// until a message is delivered: messages purged for it carry it.
	authErr atomic.Pointer[kafka.Error]

	life handle // guards kp

	lastFlush atomic.Int64 // unix nanos when the last kp.Flush returned
}

// authRetryWait bounds a metadata request after an authentication or TLS
// error, so that the error is reported instead of a timeout.
const authRetryWait = 2 * time.Second

// metadataSlice is how long one metadata request of PartitionCount waits
// before it checks for a refusal and asks again.
const metadataSlice = 250 * time.Millisecond

// delivery is one message on its way: the kafka.Message handed to
// librdkafka, whose Opaque points back to the delivery, and what its report
// needs. One allocation per message.
type delivery struct {
	km    kafka.Message
	m     *backend.Message
	token any
}

func (confluentBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	kp, logs, err := open(cfg.ClientConfig, producerProps(cfg), kafka.NewProducer)
	if err != nil {
		return nil, err
	}
	p := &producer{
		kp:       kp,
		cfg:      cfg,
		hooks:    hooks,
		logs:     logs,
		progress: make(chan struct{}, 1),
		drained:  make(chan struct{}),
	}
	go p.serveEvents()
	return p, nil
}

// producerProps maps the producer settings to librdkafka properties.
func producerProps(cfg backend.ProducerConfig) kafka.ConfigMap {
	cm := kafka.ConfigMap{
		"acks":               map[backend.Acks]string{backend.AcksAll: "all", backend.AcksLeader: "1", backend.AcksNone: "0"}[cfg.Acks],
		"enable.idempotence": cfg.Idempotence == backend.ToggleOn,
		// Keyed messages arrive with the partition the root computed;
		// librdkafka's default (consistent_random) would put nil keys
		// all on one partition, murmur2_random spreads them.
		"partitioner":                           "murmur2_random",
		"linger.ms":                             strconv.FormatFloat(float64(cfg.Linger)/float64(time.Millisecond), 'f', -1, 64),
		"batch.size":                            min(max(cfg.BatchSize, 1), 2147483647),
		"message.max.bytes":                     min(max(cfg.MaxMessageBytes+4096, 1000), 1000000000),
		"delivery.timeout.ms":                   ms(cfg.DeliveryTimeout),
		"request.timeout.ms":                    ms(clamp(cfg.RequestTimeout, time.Millisecond, 900*time.Second)),
		"max.in.flight.requests.per.connection": cfg.MaxInFlight,
		// The root bounds what is buffered; librdkafka's limits sit
		// above it (a message larger than the byte limit gets in alone).
		"queue.buffering.max.messages": cfg.MaxBufferedMessages + 1,
		"queue.buffering.max.kbytes":   int(min((cfg.MaxBufferedBytes+int64(cfg.MaxMessageBytes))/1024+1, 2147483647)),
		"compression.type":             cfg.Compression.String(),
		// Producing to a missing topic must fail fast, not after the
		// default 30s, and must not create it.
		"topic.metadata.propagation.max.ms": 1000,
		"allow.auto.create.topics":          false,
		// Reports need no copy of key and value: the backend keeps the
		// message.
		"go.delivery.report.fields": "none",
		"go.events.channel.size":    10000,
		"go.produce.channel.size":   1,
	}
	if cfg.Retries != 0 { // negative: no retries
		cm["retries"] = max(cfg.Retries, 0)
	}
	if cfg.TransactionalID != "" {
		cm["transactional.id"] = cfg.TransactionalID
		cm["transaction.timeout.ms"] = ms(cfg.TransactionTimeout)
		// librdkafka requires socket.timeout.ms <= transaction.timeout.ms +
		// 100 and delivery.timeout.ms <= transaction.timeout.ms: a message
		// cannot outlive its transaction.
		cm["delivery.timeout.ms"] = ms(min(cfg.DeliveryTimeout, cfg.TransactionTimeout))
		cm["socket.timeout.ms"] = ms(clamp(min(cfg.RequestTimeout, cfg.TransactionTimeout+100*time.Millisecond), 10*time.Millisecond, 300*time.Second))
	}
	return cm
}

// serveEvents runs each delivery report and forwards client errors, until
// kp.Events() is closed by kp.Close.
func (p *producer) serveEvents() {
	defer close(p.drained)
	for ev := range p.kp.Events() {
		switch e := ev.(type) {
		case *kafka.Message:
			d, ok := e.Opaque.(*delivery)
			if !ok {
				continue
			}
			m, token := d.m, d.token
			m.Partition = e.TopicPartition.Partition
			err := e.TopicPartition.Error
			if err != nil {
				m.Offset = backend.OffsetInvalid
				var ke kafka.Error
				purged := errors.As(err, &ke) && (ke.Code() == kafka.ErrPurgeQueue || ke.Code() == kafka.ErrPurgeInflight)
				switch ae := p.authErr.Load(); {
				case purged && p.purging.Load():
					err = backend.WithCode(backend.CodeClosed, fmt.Errorf("producer closed before the message was delivered: %w", err))
				case purged && ae != nil:
					err = *ae
				}
			} else {
				m.Offset = int64(e.TopicPartition.Offset)
				if p.authErr.Load() != nil {
					p.authErr.Store(nil)
				}
			}
			p.hooks.Delivered(m, token, err)
			p.outstanding.Add(-1)
			if p.waiters.Load() > 0 {
				select {
				case p.progress <- struct{}{}: // wake a waiter
				default:
				}
			}
		case kafka.Error:
			if isRefusal(e) {
				// librdkafka keeps retrying refused credentials or
				// certificates until message.timeout.ms; fail
				// the queued messages now, as the Java client does.
				p.authErr.Store(&e)
				go p.withClient(func() error { //nolint:errcheck // only fails for invalid flags
					return p.kp.Purge(kafka.PurgeQueue | kafka.PurgeNonBlocking)
				})
			}
			p.hooks.OnError(e)
		}
	}
}

// waitProgress waits until a report has run, d has passed, or done is
// closed. Callers count themselves in waiters before they check what they
// wait for, so a report after the check wakes them, and check again after
// the wait.
func (p *producer) waitProgress(d time.Duration, done <-chan struct{}) {
	t := time.NewTimer(d)
	select {
	case <-p.progress:
	case <-t.C:
	case <-done:
	}
	t.Stop()
}

func (p *producer) Produce(_ context.Context, m *backend.Message, token any) error {
	// The message is stamped now, on the caller's goroutine, so that its
	// report need not carry the time.
	stamped := m.Timestamp.IsZero()
	if stamped {
		m.Timestamp = time.Now()
	}
	d := &delivery{m: m, token: token}
	fillKafkaMessage(&d.km, m)
	d.km.Opaque = d
	err := p.tryProduce(&d.km)
	if err != nil && stamped {
		m.Timestamp = time.Time{} // not accepted: leave it as it came
	}
	return err
}

// fillKafkaMessage sets km to m, stamped, for librdkafka.
func fillKafkaMessage(km *kafka.Message, m *backend.Message) {
	*km = kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &m.Topic, Partition: m.Partition},
		Key:            m.Key,
		Value:          m.Value,
		Timestamp:      m.Timestamp,
		Headers:        backend.Convert(m.Headers, func(h backend.Header) kafka.Header { return kafka.Header(h) }),
	}
}

// tryProduce hands km to librdkafka, counting it as outstanding.
func (p *producer) tryProduce(km *kafka.Message) error {
	return p.withClient(func() error {
		// Counted before the call: the report may run before it returns.
		p.outstanding.Add(1)
		err := p.kp.Produce(km, nil)
		if err != nil {
			p.outstanding.Add(-1)
		}
		return err
	})
}

func (p *producer) PartitionCount(ctx context.Context, topic string) (n int32, err error) {
	err = p.withClient(func() error {
		deadline := time.Now().Add(time.Duration(timeoutMs(ctx, p.cfg.RequestTimeout)) * time.Millisecond)
		for {
			// Asked in slices, so that a refusal of the credentials or
			// the certificate that arrives meanwhile ends the wait; once
			// refused, the broker gets a short chance to accept them now.
			wait := min(time.Until(deadline), metadataSlice)
			if p.authErr.Load() != nil {
				wait = min(time.Until(deadline), authRetryWait)
			}
			md, err := p.kp.GetMetadata(&topic, false, max(1, int(wait/time.Millisecond)))
			if err == nil {
				n, err = partitionCount(md, topic)
				return err
			}
			if ae := p.authErr.Load(); ae != nil {
				return *ae
			}
			var ke kafka.Error
			if time.Now().After(deadline) || !errors.As(err, &ke) || ke.Code() != kafka.ErrTimedOut && ke.Code() != kafka.ErrTransport {
				return err
			}
		}
	})
	return n, err
}

// partitionCount reads topic's partition count from md.
func partitionCount(md *kafka.Metadata, topic string) (int32, error) {
	tm, ok := md.Topics[topic]
	if !ok {
		return 0, backend.Errorf(backend.CodeUnknownTopicOrPartition, "topic %q does not exist", topic)
	}
	if isErr(tm.Error) {
		return 0, tm.Error
	}
	if len(tm.Partitions) == 0 {
		return 0, backend.Errorf(backend.CodeUnknownTopicOrPartition, "topic %q has no partitions", topic)
	}
	return int32(len(tm.Partitions)), nil
}

// Flush waits until every accepted message has been reported. It calls
// kafka.Producer.Flush, which sends at once whatever lingers.
func (p *producer) Flush(ctx context.Context) error {
	p.waiters.Add(1)
	defer p.waiters.Add(-1)
	for p.outstanding.Load() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.flushOnce(ctx) == 0 && p.outstanding.Load() > 0 {
			// Reports are being run by serveEvents.
			p.waitProgress(time.Millisecond, ctx.Done())
		}
	}
	return nil
}

// flushOnce runs one kafka.Producer.Flush of at most flushSlice and returns
// how many messages it left unreported.
func (p *producer) flushOnce(ctx context.Context) int {
	if !p.life.acquire() {
		return 0
	}
	defer p.life.release()
	left := p.kp.Flush(timeoutMs(ctx, flushSlice))
	p.lastFlush.Store(time.Now().UnixNano())
	return left
}

// Close purges what the root's flush left (each purged message is reported
// with CodeClosed), then destroys the client.
func (p *producer) Close(ctx context.Context) error {
	if p.outstanding.Load() > 0 {
		p.purging.Store(true)
		p.withClient(func() error { //nolint:errcheck // only fails for invalid flags, or once destroyed
			return p.kp.Purge(kafka.PurgeQueue | kafka.PurgeInFlight)
		})
		// Purged messages are reported by serveEvents.
		p.waiters.Add(1)
		for p.outstanding.Load() > 0 && ctx.Err() == nil {
			p.waitProgress(5*time.Millisecond, ctx.Done())
		}
		p.waiters.Add(-1)
	}
	return backend.RunWithin(ctx, func() error {
		p.destroy()
		return nil
	})
}

// destroy waits out the last Flush's goroutine, then destroys kp.
func (p *producer) destroy() {
	if last := p.lastFlush.Load(); last != 0 {
		if wait := flushSlice + 10*time.Millisecond - time.Since(time.Unix(0, last)); wait > 0 {
			time.Sleep(wait)
		}
	}
	p.logs.stopTokens()
	p.life.destroy(p.kp.Close)
	<-p.drained
	p.logs.close()
}

func (p *producer) As(target any) bool { return backend.SetAs(target, p.kp) }

// Transactions.

func (p *producer) InitTransactions(ctx context.Context) error {
	return p.withClient(func() error { return p.kp.InitTransactions(ctx) })
}

func (p *producer) BeginTransaction() error {
	return p.withClient(p.kp.BeginTransaction)
}

func (p *producer) CommitTransaction(ctx context.Context) error {
	return p.withClient(func() error { return p.kp.CommitTransaction(ctx) })
}

func (p *producer) AbortTransaction(ctx context.Context) error {
	return p.withClient(func() error { return p.kp.AbortTransaction(ctx) })
}

func (p *producer) SendOffsetsToTransaction(ctx context.Context, offsets []backend.TopicPartition, g backend.GroupMetadata) error {
	md, err := toConsumerGroupMetadata(g)
	if err != nil {
		return err
	}
	return p.withClient(func() error { return p.kp.SendOffsetsToTransaction(ctx, toKafkaTP(offsets), md) })
}

// withClient runs fn while kp is alive.
func (p *producer) withClient(fn func() error) error {
	if !p.life.acquire() {
		return backend.Errorf(backend.CodeClosed, "producer is closed")
	}
	defer p.life.release()
	return fn()
}
