//go:build cgo

package confluent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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

	// main is the DeliveryFunc of most messages: the first one passed
	// twice in a row. It never changes once set, so a message reported to
	// it carries only itself through librdkafka, as a *viaMain; others
	// carry a *delivery. lastReport identifies the latest report passed
	// while main was unset.
	main       atomic.Pointer[mainReport]
	lastReport atomic.Uintptr
	// drained is closed when the goroutine serving kp.Events() has
	// seen it closed.
	drained chan struct{}

	closing   chan struct{}
	closeOnce sync.Once
	// purging is set once Close gives up flushing: reports of purged
	// messages then carry CodeClosed.
	purging atomic.Bool
	// authErr is the last authentication or TLS error librdkafka reported,
	// until a message is delivered: messages purged for it carry it.
	authErr atomic.Pointer[kafka.Error]

	// life guards kp against use after it is destroyed: calls hold it for
	// reading, Close for writing while it destroys kp.
	life      sync.RWMutex
	destroyed bool

	lastFlush atomic.Int64 // unix nanos when the last kp.Flush returned
}

// authRetryWait bounds a metadata request after an authentication or TLS
// error, so that the error is reported instead of a timeout.
const authRetryWait = 2 * time.Second

// delivery is what a message reported to a function other than the
// producer's main one carries through librdkafka (as its Opaque) to its
// delivery report.
type delivery struct {
	m      *backend.Message
	report backend.DeliveryFunc
}

// viaMain is the Opaque of a message reported to the producer's main
// DeliveryFunc: the message itself, under a type of its own.
type viaMain backend.Message

type mainReport struct {
	fn backend.DeliveryFunc
	id uintptr
}

// funcID identifies a func value by the closure it points to.
func funcID(f backend.DeliveryFunc) uintptr {
	return uintptr(*(*unsafe.Pointer)(unsafe.Pointer(&f)))
}

// opaque returns what m, reported to report, carries through librdkafka.
func (p *producer) opaque(m *backend.Message, report backend.DeliveryFunc) any {
	id := funcID(report)
	mr := p.main.Load()
	if mr == nil && p.lastReport.Swap(id) == id {
		// The closure report points to is alive (it is an argument), so
		// a match names this very function or, if the previous one was
		// freed and its address reused, makes report main one call early.
		p.main.CompareAndSwap(nil, &mainReport{fn: report, id: id})
		mr = p.main.Load()
	}
	if mr != nil && mr.id == id {
		return (*viaMain)(m)
	}
	return &delivery{m: m, report: report}
}

func (confluentBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	logs := newLogForwarder(cfg.Logger)
	cm := clientConfig(cfg.ClientConfig, logs.ch)
	for k, v := range producerProps(cfg) {
		cm[k] = v
	}
	applyOptions(cm, cfg.ClientConfig)
	kp, err := kafka.NewProducer(&cm)
	if err != nil {
		logs.close()
		return nil, openErr(err)
	}
	p := &producer{
		kp:       kp,
		cfg:      cfg,
		hooks:    hooks,
		logs:     logs,
		progress: make(chan struct{}, 1),
		drained:  make(chan struct{}),
		closing:  make(chan struct{}),
	}
	go p.serveEvents()
	return p, nil
}

// producerProps maps the producer settings to librdkafka properties.
func producerProps(cfg backend.ProducerConfig) kafka.ConfigMap {
	acks := "all"
	switch cfg.Acks {
	case backend.AcksLeader:
		acks = "1"
	case backend.AcksNone:
		acks = "0"
	}
	cm := kafka.ConfigMap{
		"acks":               acks,
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
		"queue.buffering.max.messages":          cfg.MaxBufferedMessages,
		"queue.buffering.max.kbytes":            int(min(max(cfg.MaxBufferedBytes/1024, 1), 2147483647)),
		"compression.type":                      cfg.Compression.String(),
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
	switch {
	case cfg.Retries > 0:
		cm["retries"] = cfg.Retries
	case cfg.Retries < 0:
		cm["retries"] = 0
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
			var (
				m      *backend.Message
				report backend.DeliveryFunc
			)
			switch o := e.Opaque.(type) {
			case *viaMain:
				m, report = (*backend.Message)(o), p.main.Load().fn
			case *delivery:
				m, report = o.m, o.report
			default:
				continue
			}
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
			report(m, err)
			p.outstanding.Add(-1)
			if p.waiters.Load() > 0 {
				p.signal()
			}
		case kafka.Error:
			if e.Code() == kafka.ErrAuthentication || e.Code() == kafka.ErrSsl {
				// librdkafka keeps retrying refused credentials or an
				// untrusted certificate until message.timeout.ms; fail
				// the queued messages now, as the Java client does.
				p.authErr.Store(&e)
				go p.withClient(func() error { //nolint:errcheck // only fails for invalid flags
					return p.kp.Purge(kafka.PurgeQueue | kafka.PurgeNonBlocking)
				})
			}
			if p.hooks.OnError != nil {
				p.hooks.OnError(e)
			}
		}
	}
}

// signal wakes a goroutine waiting for progress.
func (p *producer) signal() {
	select {
	case p.progress <- struct{}{}:
	default:
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

func (p *producer) closedErr() error {
	return backend.Errorf(backend.CodeClosed, "producer is closed")
}

func (p *producer) Produce(ctx context.Context, m *backend.Message, report backend.DeliveryFunc) error {
	// The message is stamped now, on the caller's goroutine, so that its
	// report need not carry the time.
	stamped := m.Timestamp.IsZero()
	if stamped {
		m.Timestamp = time.Now()
	}
	km := toKafkaMessage(m, m.Timestamp)
	km.Opaque = p.opaque(m, report)
	err := p.tryProduce(km)
	if isQueueFull(err) {
		err = p.produceWhenRoom(ctx, km)
	}
	if err != nil && stamped {
		m.Timestamp = time.Time{} // not accepted: leave it as it came
	}
	return err
}

func isQueueFull(err error) bool {
	if err == nil {
		return false
	}
	var ke kafka.Error // allocated only here: errors.As makes it escape
	return errors.As(err, &ke) && ke.Code() == kafka.ErrQueueFull
}

// produceWhenRoom retries km while the buffer is full, waiting for reports
// to make room, until ctx is done or the producer closes.
func (p *producer) produceWhenRoom(ctx context.Context, km *kafka.Message) error {
	p.waiters.Add(1)
	defer p.waiters.Add(-1)
	var wait *time.Timer
	for {
		// Tried again after counting as a waiter, so that no report
		// in between goes unnoticed.
		err := p.tryProduce(km)
		if !isQueueFull(err) {
			return err
		}
		if wait == nil {
			wait = time.NewTimer(time.Millisecond)
			defer wait.Stop()
		} else {
			wait.Reset(time.Millisecond)
		}
		select {
		case <-p.progress:
		case <-wait.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.closing:
			return p.closedErr()
		}
	}
}

// toKafkaMessage converts m, stamped ts, for librdkafka.
func toKafkaMessage(m *backend.Message, ts time.Time) *kafka.Message {
	km := &kafka.Message{
		TopicPartition: kafka.TopicPartition{Topic: &m.Topic, Partition: m.Partition},
		Key:            m.Key,
		Value:          m.Value,
		Timestamp:      ts,
	}
	if len(m.Headers) > 0 {
		km.Headers = make([]kafka.Header, len(m.Headers))
		for i, h := range m.Headers {
			km.Headers[i] = kafka.Header{Key: h.Key, Value: h.Value}
		}
	}
	return km
}

func (p *producer) tryProduce(km *kafka.Message) error {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.destroyed {
		return p.closedErr()
	}
	// Counted before the call: the report may run before it returns.
	p.outstanding.Add(1)
	if err := p.kp.Produce(km, nil); err != nil {
		p.outstanding.Add(-1)
		return err
	}
	return nil
}

func (p *producer) PartitionCount(ctx context.Context, topic string) (int32, error) {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.destroyed {
		return 0, p.closedErr()
	}
	ms := timeoutMs(ctx, p.cfg.RequestTimeout)
	if p.authErr.Load() != nil {
		// Credentials or the certificate were refused: give the broker a
		// short chance to accept them now, else report the refusal.
		ms = min(ms, int(authRetryWait/time.Millisecond))
	}
	md, err := p.kp.GetMetadata(&topic, false, ms)
	if err != nil {
		if ae := p.authErr.Load(); ae != nil {
			return 0, *ae
		}
		return 0, err
	}
	return partitionCount(md, topic)
}

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
	for {
		if p.outstanding.Load() == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		left := p.flushOnce(ctx)
		if left == 0 && p.outstanding.Load() > 0 {
			// Reports are being run by serveEvents.
			p.waitProgress(time.Millisecond, ctx.Done())
		}
	}
}

func (p *producer) flushOnce(ctx context.Context) int {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.destroyed {
		return 0
	}
	left := p.kp.Flush(timeoutMs(ctx, flushSlice))
	p.lastFlush.Store(time.Now().UnixNano())
	return left
}

// Close flushes until shortly before ctx's deadline, purges what is left
// (each purged message is reported with CodeClosed), then destroys the
// client.
func (p *producer) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.closing) })
	flushCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		// Keep time to purge and report what the flush leaves.
		margin := min(time.Until(dl)/4, 500*time.Millisecond)
		var cancel context.CancelFunc
		flushCtx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel()
	}
	var err error
	if ferr := p.Flush(flushCtx); ferr != nil {
		n := p.outstanding.Load()
		err = backend.WithCode(backend.CodeTimedOut, fmt.Errorf("%d messages not delivered before the close deadline: %w", n, ferr))
		p.purging.Store(true)
		p.life.RLock()
		if !p.destroyed {
			p.kp.Purge(kafka.PurgeQueue | kafka.PurgeInFlight) //nolint:errcheck // only fails for invalid flags
		}
		p.life.RUnlock()
		// Purged messages are reported by serveEvents.
		p.waiters.Add(1)
		for p.outstanding.Load() > 0 && ctx.Err() == nil {
			p.waitProgress(5*time.Millisecond, ctx.Done())
		}
		p.waiters.Add(-1)
	}
	if cerr := runWithin(ctx, func() error {
		p.destroy()
		return nil
	}); err == nil {
		err = cerr
	}
	return err
}

func (p *producer) destroy() {
	if last := p.lastFlush.Load(); last != 0 {
		if wait := flushSlice + 10*time.Millisecond - time.Since(time.Unix(0, last)); wait > 0 {
			time.Sleep(wait)
		}
	}
	p.life.Lock()
	if !p.destroyed {
		p.destroyed = true
		p.kp.Close()
	}
	p.life.Unlock()
	<-p.drained
	p.logs.close()
}

func (p *producer) As(target any) bool {
	if t, ok := target.(**kafka.Producer); ok {
		*t = p.kp
		return true
	}
	return false
}

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

func (p *producer) withClient(fn func() error) error {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.destroyed {
		return p.closedErr()
	}
	return fn()
}
