package kafkaclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// DeliveryFunc receives the outcome of one produced message: err is nil when
// Kafka acknowledged the message, and msg then has Partition, Offset and
// Timestamp set; otherwise err is an *Error. It runs on a client goroutine
// (or, for a failure found before sending, on the caller's) and must not
// block for long.
type DeliveryFunc = backend.DeliveryFunc

// Event is a value received from Producer.Events: a *DeliveryReport or a
// client-level *Error.
type Event interface {
	isEvent()
}

// DeliveryReport is the outcome of a message produced with a nil
// DeliveryFunc, received from Producer.Events.
type DeliveryReport struct {
	Message *Message
	// Err is nil when the message was delivered, an *Error otherwise.
	Err error
}

func (*DeliveryReport) isEvent() {}
func (*Error) isEvent()          {}

// ToChannel returns a DeliveryFunc that sends each report to ch, the shape
// of confluent-kafka-go's per-message delivery channel. ch should be
// buffered; the send blocks the client goroutine until it is received.
func ToChannel(ch chan<- DeliveryReport) DeliveryFunc {
	return func(m *Message, err error) { ch <- DeliveryReport{Message: m, Err: err} }
}

// eventsBuffer is the capacity of Producer.Events.
const eventsBuffer = 4096

// Producer sends messages to Kafka. It is safe for concurrent use. Close it
// when done: Close flushes, and releases the connections and goroutines.
type Producer struct {
	cfg    ProducerConfig
	b      backend.Backend
	bp     backend.Producer
	errs   errorMapper
	events chan Event

	closing  atomic.Bool
	stopping chan struct{} // closed when Close starts
	closed   chan struct{} // closed when Close has finished
	abandon  chan struct{} // closed when Close gives up waiting for Events readers
	closeErr error
	// txnCalls counts the transaction calls running, which Close waits for
	// before it closes the backend producer; txnMu orders their start
	// against txnClosed.
	txnMu     sync.Mutex
	txnClosed bool
	txnCalls  sync.WaitGroup
	txnSerial sync.Mutex // held by the transaction call running

	// eventsMu orders sends on events against Close closing it: senders
	// hold it for reading, and drop what comes after Close.
	eventsMu     sync.RWMutex
	eventsClosed bool
	// topics holds what Produce learned about each topic: that its name
	// is valid, and its partition count for keyed messages.
	topics topicCache
	// obs are the observers, nil without.
	obs *observers

	// What Produce writes comes after what both sides only read, and
	// reports write on lines of their own (see gate), so that producing
	// and reporting goroutines do not take cache lines from each other.
	_ linePad
	// mu is held for reading by calls that use bp, and for writing by Close
	// once closing is set, so that Close waits for them.
	mu sync.RWMutex
	// buffered bounds the messages handed to bp and not yet reported.
	buffered gate
	// reporting counts the reports running, which Close also waits for;
	// counters are Stats'. Reports write both.
	reporting atomic.Int64
	counters  producerCounters
	_         linePad
}

// NewProducer opens a producer. The config is validated and defaults are
// applied; it is not modified. Options select the backend.
func NewProducer(cfg ProducerConfig, opts ...Option) (*Producer, error) {
	prepared, b, err := prepare(cfg, opts, func(c *ProducerConfig) *ClientConfig { return &c.ClientConfig }, prepareProducer)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		cfg:      prepared,
		b:        b,
		errs:     errorMapper{b},
		events:   make(chan Event, eventsBuffer),
		stopping: make(chan struct{}),
		closed:   make(chan struct{}),
		abandon:  make(chan struct{}),
	}
	p.buffered.init(int64(prepared.MaxBufferedMessages), prepared.MaxBufferedBytes)
	p.obs = newObservers(applyOptions(opts).observers, prepared.Logger)
	bp, err := b.NewProducer(prepared, backend.ProducerHooks{Delivered: p.delivered, OnError: p.onClientError})
	if err != nil {
		return nil, p.errs.wrap("open producer", "", -1, err)
	}
	if _, ok := bp.(backend.TransactionalProducer); !ok && prepared.TransactionalID != "" {
		bp.Close(context.Background()) //nolint:errcheck // nothing was produced
		return nil, withBackend(unsupportedConfig("transactional.id", b.Name()), b)
	}
	p.bp = bp
	p.topics.ttl = 30 * time.Second
	p.topics.errs = p.errs
	return p, nil
}

// NewProducerFromMap parses m (see ConfigMap) and opens a producer.
func NewProducerFromMap(m ConfigMap, opts ...Option) (*Producer, error) {
	return fromMap(m, opts, parseProducerConfig, NewProducer)
}

func withBackend(err error, b backend.Backend) error {
	var e *Error
	if errors.As(err, &e) && e.Backend == "" {
		c := *e
		c.Backend = b.Name()
		return &c
	}
	return err
}

// Config returns the producer's effective config, defaults applied. It is a
// copy: changing it does not change the producer.
func (p *Producer) Config() ProducerConfig {
	cfg := p.cfg
	cfg.ClientConfig = effectiveClient(cfg.ClientConfig)
	return cfg
}

// Backend returns the name of the backend the producer runs on.
func (p *Producer) Backend() string { return p.b.Name() }

// Capabilities returns what the producer's backend supports.
func (p *Producer) Capabilities() Capabilities { return capabilitiesOf(p.b, p.bp) }

// As sets target to the underlying client if its type matches, e.g. a
// **kgo.Client on franz. It reports whether it did.
func (p *Producer) As(target any) bool { return as(p.bp, target) }

// Events returns the channel that receives a *DeliveryReport for every
// message produced with a nil DeliveryFunc, and client-level errors as
// *Error (all brokers down, fatal errors). It is closed by Close. When it is
// full, delivery of further reports waits: read it, or pass a DeliveryFunc.
// Client-level errors are dropped (and logged) rather than wait.
func (p *Producer) Events() <-chan Event { return p.events }

func (p *Producer) onClientError(err error) {
	e := p.errs.wrap("client", "", -1, err)
	ev, _ := e.(*Error)
	if ev == nil {
		return
	}
	if p.obs != nil {
		p.obs.onClientError(ev)
	}
	p.eventsMu.RLock()
	defer p.eventsMu.RUnlock()
	select {
	case p.checkSend() <- ev:
	default:
		p.dropped("producer error dropped: Events is full or closed", ev)
	}
}

// checkSend is p.events, or nil (never ready) once Close has closed it.
// eventsMu is held for reading.
func (p *Producer) checkSend() chan<- Event {
	if p.eventsClosed {
		return nil
	}
	return p.events
}

func (p *Producer) reportToEvents(m *Message, err error) {
	ev := &DeliveryReport{Message: m, Err: err}
	p.eventsMu.RLock()
	defer p.eventsMu.RUnlock()
	events := p.checkSend()
	select {
	case events <- ev: // room in Events: never dropped
		return
	default:
	}
	// Events is full: wait for a reader, unless Close gave up waiting.
	select {
	case events <- ev:
	case <-p.abandon:
		p.dropped("delivery report dropped: Close gave up waiting for Events to be read", ev.Err)
	}
}

// dropped logs an event that Events cannot take.
func (p *Producer) dropped(what string, err error) {
	if l := p.cfg.Logger; l != nil {
		l.Warn("kafkaclient: "+what, "err", err)
	}
}

// Produce sends msg asynchronously. It returns once the message is
// buffered; while the buffer is full (queue.buffering.max.messages or
// queue.buffering.max.kbytes) it waits until ctx is done. When it returns
// nil, onDelivery is called exactly once with the outcome; with a nil
// onDelivery the outcome goes to Events as a *DeliveryReport.
//
// The partition of a message with a key is the key's hash (see
// KeyPartition) over the topic's partitions; a nil key spreads messages
// over partitions. msg.Partition is not read, unless the producer's
// partitioner is PartitionerManual: then a partition number is used as
// given, and only PartitionAny is partitioned by the key. Do not modify
// msg until its delivery is reported: the producer fills in its Partition,
// Offset and Timestamp.
//
// Produce returns an *Error at once for a nil message, an invalid topic
// name, a timestamp before 1970 or after 2262 (CodeInvalidArg), a message
// larger than MaxMessageBytes (CodeMessageTooLarge), a closed producer
// (CodeClosed), or a done ctx.
func (p *Producer) Produce(ctx context.Context, msg *Message, onDelivery DeliveryFunc) error {
	topic, size, err := p.prepareMessage(msg)
	if err != nil {
		return err
	}
	token := p.tokenFor(ctx, []*Message{msg}, onDelivery)
	if p.obs != nil {
		size = messageSize(msg) // an observer may have added headers
	}
	err = p.produce(ctx, msg, topic, size, token)
	if t, ok := token.(*timedToken); ok && err != nil && p.obs != nil {
		p.obs.onDelivery(msg, time.Since(t.start), err)
	}
	return err
}

// produce is Produce once msg is checked and observed.
func (p *Producer) produce(ctx context.Context, msg *Message, topic *topicEntry, size int64, token any) error {
	if err := ctx.Err(); err != nil {
		e := ctxError("produce", ctx)
		e.Topic, e.Partition = msg.Topic, msg.Partition
		return e
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closing.Load() {
		return p.closedError("produce", msg.Topic)
	}
	if reported, err := p.place(ctx, msg, topic, token); reported || err != nil {
		return err
	}
	if err := p.reserve(ctx, 1, size, msg); err != nil {
		return err
	}
	for {
		err := p.bp.Produce(ctx, msg, token)
		if err == nil {
			return nil
		}
		switch retry, reported, err := p.refused(ctx, msg, err, token); {
		case retry:
		case reported:
			return nil
		default:
			return err
		}
	}
}

// ProduceBatch produces msgs, in order, as Produce would one by one, each
// reported once to onDelivery (to Events when it is nil). It checks the
// producer and reserves buffer room once for all of them, and hands them to
// the client in one call where the client has one (kafka-go's
// WriteMessages): the cheaper way to produce many messages at once.
//
// Every message is checked first: when one is invalid, none is produced.
// ProduceBatch returns nil when every message was accepted; otherwise
// ProduceErrors, index-aligned, where a nil entry is a message accepted (it
// is reported later) and a non-nil entry one that was not (it is never
// reported). ctx bounds the wait for buffer room, as for Produce.
func (p *Producer) ProduceBatch(ctx context.Context, msgs []*Message, onDelivery DeliveryFunc) error {
	if len(msgs) == 0 {
		return nil
	}
	topics := make([]*topicEntry, len(msgs))
	var (
		invalid ProduceErrors
		total   int64
	)
	for i, m := range msgs {
		t, size, err := p.prepareMessage(m)
		if err != nil {
			if invalid == nil {
				invalid = make(ProduceErrors, len(msgs))
			}
			invalid[i] = err
		}
		topics[i], total = t, total+size
	}
	if invalid != nil {
		for i, err := range invalid {
			if err == nil {
				invalid[i] = newError("produce", CodeInvalidArg, "not produced: another message of the batch is invalid")
			}
		}
		return invalid
	}
	token := p.tokenFor(ctx, msgs, onDelivery)
	if p.obs != nil {
		total = 0 // an observer may have added headers
		for _, m := range msgs {
			total += messageSize(m)
		}
	}
	err := p.produceBatch(ctx, msgs, topics, total, token)
	if errs, ok := err.(ProduceErrors); ok && p.obs != nil {
		if t, ok := token.(*timedToken); ok {
			for i, e := range errs {
				if e != nil {
					p.obs.onDelivery(msgs[i], time.Since(t.start), e)
				}
			}
		}
	}
	return err
}

// produceBatch is ProduceBatch once msgs are checked and observed.
func (p *Producer) produceBatch(ctx context.Context, msgs []*Message, topics []*topicEntry, total int64, token any) error {
	accepted := make([]bool, len(msgs))
	// fail returns err for every message not accepted.
	fail := func(err error) error {
		errs := make(ProduceErrors, len(msgs))
		for i := range msgs {
			if !accepted[i] {
				errs[i] = err
			}
		}
		return errs
	}
	if err := ctx.Err(); err != nil {
		return fail(ctxError("produce", ctx))
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closing.Load() {
		return fail(p.closedError("produce", msgs[0].Topic))
	}
	send := make([]*Message, 0, len(msgs))
	at := make([]int, 0, len(msgs)) // the index in msgs of each of send
	for i, m := range msgs {
		reported, err := p.place(ctx, m, topics[i], token)
		switch {
		case err != nil:
			return fail(err)
		case reported:
			accepted[i] = true
			total -= messageSize(m)
		default:
			send, at = append(send, m), append(at, i)
		}
	}
	if len(send) == 0 {
		return nil
	}
	if err := p.reserve(ctx, int64(len(send)), total, send[0]); err != nil {
		return fail(err)
	}
	bb, batch := p.bp.(backend.BatchProducer)
	for k := 0; k < len(send); {
		var err error
		if batch {
			var n int
			n, err = bb.ProduceBatch(ctx, send[k:], token)
			for ; n > 0; n-- {
				accepted[at[k]] = true
				k++
			}
		} else if err = p.bp.Produce(ctx, send[k], token); err == nil {
			accepted[at[k]] = true
			k++
		}
		if err == nil || k == len(send) {
			continue // every message accepted, whatever the error
		}
		retry, reported, err := p.refused(ctx, send[k], err, token)
		switch {
		case retry:
			continue
		case reported:
			accepted[at[k]] = true
			k++
			continue
		}
		for _, m := range send[k+1:] {
			p.buffered.release(messageSize(m))
		}
		return fail(err)
	}
	return nil
}

// prepareMessage checks msg and returns its topic and size. The producer
// chooses the partition unless the partitioner is manual.
func (p *Producer) prepareMessage(msg *Message) (*topicEntry, int64, error) {
	if msg == nil {
		return nil, 0, newError("produce", CodeInvalidArg, "message is nil")
	}
	if p.cfg.Partitioner != PartitionerManual {
		msg.Partition = PartitionAny // the producer chooses
	}
	topic, terr := p.topics.lookup(msg.Topic)
	if terr != nil {
		terr.Op = "produce"
		return nil, 0, terr
	}
	size, err := p.check(msg)
	return topic, size, err
}

// Check validates msgs as Produce would, without sending or changing any,
// and returns the first refusal as Produce would return it: a nil message,
// an invalid topic, partition or timestamp, a message larger than
// message.max.bytes. Use it to send a batch all or nothing. A message it
// passes may still fail later (a missing topic, a full buffer, a closed
// producer).
func (p *Producer) Check(msgs ...*Message) error {
	for _, msg := range msgs {
		if msg == nil {
			return newError("produce", CodeInvalidArg, "message is nil")
		}
		if err := validTopic(msg.Topic); err != nil {
			err.Op = "produce"
			return err
		}
		m := *msg
		if p.cfg.Partitioner != PartitionerManual {
			m.Partition = PartitionAny
		}
		if _, err := p.check(&m); err != nil {
			return err
		}
	}
	return nil
}

// place makes sure msg's topic exists and gives a keyed message its
// partition. reported is true when msg's delivery has failed (its topic does
// not exist) and was reported to its token's receiver. p.mu is held.
func (p *Producer) place(ctx context.Context, msg *Message, topic *topicEntry, token any) (reported bool, err error) {
	// A keyed message needs the partition count; any message needs its
	// topic to exist, which is checked once per topic: this is the only
	// wait for a topic just created.
	keyed := msg.Partition == PartitionAny && msg.Key != nil
	if !keyed && topic.checked() {
		return false, nil
	}
	n, err := p.topics.count(ctx, p.bp, topic, keyed, p.stopping)
	if err != nil {
		werr := p.errs.wrap("produce", msg.Topic, -1, err)
		if CodeOf(werr) == CodeUnknownTopicOrPartition {
			p.counters.count(messageSize(msg), werr)
			p.report(msg, token, werr)
			return true, nil
		}
		if keyed || !IsRetriable(werr) {
			return false, werr // refused credentials, say, fail every message
		}
		// Other messages need no count: the client looks for the
		// cluster itself until delivery.timeout.ms.
		return false, nil
	}
	if keyed {
		msg.Partition = KeyPartition(p.cfg.Partitioner, msg.Key, n)
	}
	return false, nil
}

// reserve takes buffer room for k messages of size bytes in all, msg the
// first of them, waiting while the buffer is full.
func (p *Producer) reserve(ctx context.Context, k, size int64, msg *Message) error {
	if err := p.buffered.acquire(ctx, k, size, p.stopping); err != nil {
		if ctx.Err() != nil {
			e := ctxError("produce", ctx)
			e.Topic, e.Partition = msg.Topic, msg.Partition
			return e
		}
		return p.closedError("produce", msg.Topic)
	}
	return nil
}

// refused decides what the backend refusing msg with err means: try again
// (its own buffer was full although ours is not: it counts bytes its own
// way), a failed delivery reported now (the topic was deleted since it was
// checked), or an error for the caller. Unless it says to try again, msg's
// buffer room is given back.
func (p *Producer) refused(ctx context.Context, msg *Message, err error, token any) (retry, reported bool, _ error) {
	werr := p.errs.wrap("produce", msg.Topic, msg.Partition, err)
	switch CodeOf(werr) {
	case CodeQueueFull:
		select {
		case <-time.After(time.Millisecond):
			return true, false, nil
		case <-ctx.Done():
			werr = ctxError("produce", ctx)
		case <-p.stopping:
			werr = p.closedError("produce", msg.Topic)
		}
	case CodeUnknownTopicOrPartition:
		p.counters.count(messageSize(msg), werr)
		p.buffered.release(messageSize(msg))
		p.report(msg, token, werr)
		return false, true, nil
	}
	p.buffered.release(messageSize(msg))
	return false, false, werr
}

// delivered is the backend's report of one message (backend.ProducerHooks).
// The message leaves the buffer before its report runs, so that a report
// may produce again; once Close has begun, after. Close waits until the
// buffer is empty and no report is running.
func (p *Producer) delivered(m *Message, token any, err error) {
	p.reporting.Add(1)
	defer p.reporting.Add(-1)
	if err != nil {
		err = p.errs.wrap("produce", m.Topic, m.Partition, err)
	}
	size := messageSize(m)
	closing := p.closing.Load()
	if !closing {
		p.counters.count(size, err) // before the release: Stats' Produced never dips
		p.buffered.release(size)
		p.report(m, token, err)
		return
	}
	p.counters.count(size, err)
	p.report(m, token, err)
	p.buffered.release(size)
}

// report gives the outcome of m, err nil or an *Error, to the observers and
// to the receiver token names: a DeliveryFunc, or Events. A message that
// failed before it reached the backend is reported here directly.
func (p *Producer) report(m *Message, token any, err error) {
	if err != nil {
		m.Offset = OffsetInvalid
	}
	if t, ok := token.(*timedToken); ok {
		latency := time.Since(t.start)
		if t.sample {
			p.counters.latency.add(latency)
		}
		if p.obs != nil {
			p.obs.onDelivery(m, latency, err)
		}
		token = nil
		if t.fn != nil {
			token = t.fn
		}
	}
	if fn, ok := token.(DeliveryFunc); ok {
		fn(m, err)
	} else {
		p.reportToEvents(m, err)
	}
}

// tokenFor is the backend token of msgs, produced by one call to deliver
// their outcome to onDelivery: the function itself, which travels as an
// interface without allocation, or, when their latency is measured, a
// *timedToken. With a ProduceObserver every message is measured, after
// OnProduce; without, one call in latencySampling on average, for Stats.
func (p *Producer) tokenFor(ctx context.Context, msgs []*Message, onDelivery DeliveryFunc) any {
	if p.obs != nil && len(p.obs.produce) > 0 {
		for _, m := range msgs {
			p.obs.onProduce(ctx, m)
		}
		return &timedToken{start: time.Now(), fn: onDelivery, sample: true}
	}
	if sampled() {
		return &timedToken{start: time.Now(), fn: onDelivery, sample: true}
	}
	if onDelivery == nil {
		return nil
	}
	return onDelivery
}

func (p *Producer) closedError(op, topic string) error {
	e := newError(op, CodeClosed, "producer is closed")
	e.Topic = topic
	e.Backend = p.b.Name()
	return e
}

// The range of message timestamps: Kafka timestamps are milliseconds since
// the epoch and never negative, and some clients encode them through
// time.Time.UnixNano, which holds no later time.
var (
	minTimestamp = time.UnixMilli(0).UTC()
	maxTimestamp = time.Unix(0, math.MaxInt64).UTC().Truncate(time.Millisecond)
)

// check validates msg, whose topic is valid, before it is buffered, and
// returns its size.
func (p *Producer) check(msg *Message) (int64, error) {
	if msg.Partition < PartitionAny {
		e := newError("produce", CodeInvalidArg, "partition %d is invalid: use a partition number or PartitionAny", msg.Partition)
		e.Topic = msg.Topic
		return 0, e
	}
	if ts := msg.Timestamp; !ts.IsZero() && (ts.Before(minTimestamp) || ts.After(maxTimestamp)) {
		e := newError("produce", CodeInvalidArg, "timestamp %v is invalid: use the zero time (now) or a time from %v to %v", ts, minTimestamp, maxTimestamp)
		e.Topic, e.Partition = msg.Topic, msg.Partition
		return 0, e
	}
	size := messageSize(msg)
	if size > int64(p.cfg.MaxMessageBytes) {
		e := newError("produce", CodeMessageTooLarge, "message of %d bytes is larger than message.max.bytes (%d)", size, p.cfg.MaxMessageBytes)
		e.Topic, e.Partition = msg.Topic, msg.Partition
		return 0, e
	}
	return size, nil
}

// messageSize is what a message counts against message.max.bytes and
// queue.buffering.max.kbytes: key, value and headers.
func messageSize(m *Message) int64 {
	size := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		size += len(h.Key) + len(h.Value)
	}
	return int64(size)
}

// ProduceErrors is returned by ProduceSync when some messages failed. It is
// index-aligned with the messages; errors.Is and errors.As see every
// non-nil entry.
type ProduceErrors []error

// Error implements error.
func (pe ProduceErrors) Error() string {
	n, first := 0, error(nil)
	for _, err := range pe {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if n == 1 {
		return first.Error()
	}
	return fmt.Sprintf("%d of %d messages failed; first: %v", n, len(pe), first)
}

// Unwrap returns the non-nil errors.
func (pe ProduceErrors) Unwrap() []error {
	out := make([]error, 0, len(pe))
	for _, err := range pe {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// ProduceSync sends msgs and waits until each is delivered or failed, or ctx
// is done. Delivered messages have Partition and Offset set. It returns nil
// when all were delivered (at once when msgs is empty), otherwise
// ProduceErrors (index-aligned) or, if ctx ended first, the context's error
// as an *Error; messages already buffered may still be delivered after that.
func (p *Producer) ProduceSync(ctx context.Context, msgs ...*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	w := &syncWait{errs: make(ProduceErrors, len(msgs)), done: make(chan struct{})}
	w.left.Store(int64(len(msgs)))
	failed := false
	for i, m := range msgs {
		err := p.Produce(ctx, m, func(_ *Message, err error) { w.report(i, err) })
		if err != nil {
			failed = true
			w.report(i, err)
		}
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctxError("produce", ctx)
	}
	if failed {
		return w.errs
	}
	for _, err := range w.errs {
		if err != nil {
			return w.errs
		}
	}
	return nil
}

// syncWait collects the reports of one ProduceSync without a goroutine of
// its own: the last report closes done.
type syncWait struct {
	errs ProduceErrors
	left atomic.Int64
	done chan struct{}
}

func (w *syncWait) report(i int, err error) {
	w.errs[i] = err
	if w.left.Add(-1) == 0 {
		close(w.done)
	}
}

// Flush waits until every buffered message has been delivered or failed, or
// ctx is done (then it returns an *Error with CodeTimedOut or CodeCanceled).
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closing.Load() {
		return p.closedError("flush", "")
	}
	if ctx.Err() != nil {
		return ctxError("flush", ctx)
	}
	if err := p.bp.Flush(ctx); err != nil {
		if ctx.Err() != nil {
			return ctxError("flush", ctx)
		}
		return p.errs.wrap("flush", "", -1, err)
	}
	return nil
}

// closeMargin is the part of Close's time kept for failing and reporting
// what the flush leaves, and for releasing the client: a quarter of what
// is left, at most closeMarginMax.
const closeMarginMax = 500 * time.Millisecond

// beforeMargin returns a context that ends closeMargin before ctx's deadline.
func beforeMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-min(time.Until(dl)/4, closeMarginMax)))
}

// Close flushes buffered messages until shortly before ctx's deadline, fails
// the rest with CodeClosed (their delivery is still reported), closes
// Events and releases every resource. It returns by ctx's deadline: an
// *Error with CodeTimedOut when messages were left. Calling Close again
// returns the first call's result.
func (p *Producer) Close(ctx context.Context) error {
	if !p.closing.CompareAndSwap(false, true) {
		<-p.closed
		return p.closeErr
	}
	close(p.stopping)
	var abandonOnce sync.Once
	abandon := func() { abandonOnce.Do(func() { close(p.abandon) }) }
	stop := context.AfterFunc(ctx, abandon)
	defer stop()
	fctx, cancel := beforeMargin(ctx)
	ferr := p.bp.Flush(fctx)
	flushTimedOut := fctx.Err() != nil
	cancel()
	p.waitTransactions(ctx)
	err := p.bp.Close(ctx)
	// A backend may run the reports of what Close failed on goroutines it
	// does not wait for: wait for them, and for reports still running.
	if werr := p.waitReported(ctx); err == nil {
		err = werr
	}
	// Once the calls in flight have returned, nothing new reaches the
	// backend; a report later than ctx's end is dropped, not sent on a
	// closed channel.
	p.mu.Lock()
	abandon()
	p.eventsMu.Lock()
	p.eventsClosed = true
	close(p.events)
	p.eventsMu.Unlock()
	p.mu.Unlock()
	switch {
	case ferr != nil && ctx.Err() == nil && flushTimedOut:
		e := newError("close", CodeTimedOut, "messages not delivered before the close deadline were failed")
		e.Backend, e.Err = p.b.Name(), fctx.Err()
		err = e
	case err != nil && ctx.Err() != nil:
		err = ctxError("close", ctx)
	case err != nil:
		err = p.errs.wrap("close", "", -1, err)
	case ferr != nil:
		err = p.errs.wrap("close", "", -1, ferr)
	}
	p.closeErr = err
	close(p.closed)
	return err
}

// allReported reports whether every message handed to the backend has been
// reported and no report is running.
func (p *Producer) allReported() bool {
	n, _ := p.buffered.buffered()
	return n == 0 && p.reporting.Load() == 0
}

// waitReported waits until every message handed to the backend has been
// reported and no report is running, or ctx ends.
func (p *Producer) waitReported(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for !p.allReported() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// waitTransactions makes new transaction calls fail and waits until none
// runs, or ctx ends.
func (p *Producer) waitTransactions(ctx context.Context) {
	p.txnMu.Lock()
	p.txnClosed = true
	p.txnMu.Unlock()
	backend.RunWithin(ctx, func() error { p.txnCalls.Wait(); return nil }) //nolint:errcheck // ctx's end is Close's to report
}

// Transactions. These need a backend whose producer implements
// backend.TransactionalProducer and a producer opened with a
// TransactionalID; otherwise they return an *Error with CodeUnsupported or
// CodeState. They hold off Close while they run.

// txn runs fn on the transactional producer, unless the producer is closed.
func (p *Producer) txn(op string, fn func(backend.TransactionalProducer) error) error {
	p.txnMu.Lock()
	if p.txnClosed || p.closing.Load() {
		p.txnMu.Unlock()
		return p.closedError(op, "")
	}
	p.txnCalls.Add(1)
	p.txnMu.Unlock()
	defer p.txnCalls.Done()
	tp, err := optional[backend.TransactionalProducer](p.b, p.bp, op, "transactions")
	if err != nil {
		return err
	}
	if p.cfg.TransactionalID == "" {
		e := newError(op, CodeState, "producer has no transactional.id; set ProducerConfig.TransactionalID")
		e.Backend = p.b.Name()
		return e
	}
	// One at a time, as the backend contract promises.
	p.txnSerial.Lock()
	defer p.txnSerial.Unlock()
	return p.errs.wrap(op, "", -1, fn(tp))
}

// InitTransactions registers the transactional.id with the cluster, fencing
// older producers with the same id. Call it once, before the first
// BeginTransaction.
func (p *Producer) InitTransactions(ctx context.Context) error {
	return p.txn("init transactions", func(tp backend.TransactionalProducer) error { return tp.InitTransactions(ctx) })
}

// BeginTransaction starts a transaction: messages produced until Commit or
// Abort belong to it.
func (p *Producer) BeginTransaction() error {
	return p.txn("begin transaction", backend.TransactionalProducer.BeginTransaction)
}

// SendOffsetsToTransaction adds consumer offsets to the current transaction,
// so that they are committed if and only if the transaction commits. group
// comes from Consumer.GroupMetadata.
func (p *Producer) SendOffsetsToTransaction(ctx context.Context, offsets []TopicPartition, group GroupMetadata) error {
	const op = "send offsets to transaction"
	return p.txn(op, func(tp backend.TransactionalProducer) error {
		if group.GroupID == "" {
			return newError(op, CodeInvalidArg, "group metadata has no group id; pass Consumer.GroupMetadata()")
		}
		for _, o := range offsets {
			if o.Offset < 0 {
				e := newError(op, CodeInvalidArg, "offset %d is invalid", o.Offset)
				e.Topic, e.Partition = o.Topic, o.Partition
				return e
			}
		}
		return tp.SendOffsetsToTransaction(ctx, offsets, group)
	})
}

// CommitTransaction flushes and commits the current transaction.
func (p *Producer) CommitTransaction(ctx context.Context) error {
	return p.txn("commit transaction", func(tp backend.TransactionalProducer) error { return tp.CommitTransaction(ctx) })
}

// AbortTransaction aborts the current transaction: its messages are never
// seen by read_committed consumers.
func (p *Producer) AbortTransaction(ctx context.Context) error {
	return p.txn("abort transaction", func(tp backend.TransactionalProducer) error { return tp.AbortTransaction(ctx) })
}

// topicCache remembers the valid topic names Produce has seen, and their
// partition counts for key partitioning. The topic of the previous message
// is found without a map lookup. A count is refreshed after ttl: a timer per
// topic marks it stale, so the hot path reads no clock.
type topicCache struct {
	ttl  time.Duration
	errs errorMapper // classifies the backend's lookup errors
	last atomic.Pointer[topicEntry]
	mu   sync.RWMutex
	m    map[string]*topicEntry
}

// topicEntry is one valid topic name.
type topicEntry struct {
	name  string
	parts atomic.Pointer[partitionCount]
}

type partitionCount struct {
	n     int32
	stale atomic.Bool
	// found is set once the topic was seen to exist, or could not be
	// looked up for another reason than not existing: unkeyed messages
	// then go to the client without a look-up.
	found bool
	// missingUntil, when set, is until when the topic is known not to
	// exist: messages to it fail at once instead of waiting again.
	missingUntil time.Time
}

// lookup returns the entry of topic, or an error if the name is invalid.
func (c *topicCache) lookup(topic string) (*topicEntry, *Error) {
	if t := c.last.Load(); t != nil && t.name == topic {
		return t, nil
	}
	c.mu.RLock()
	t := c.m[topic]
	c.mu.RUnlock()
	if t == nil {
		if err := validTopic(topic); err != nil {
			return nil, err
		}
		t = &topicEntry{name: topic}
		c.mu.Lock()
		if old := c.m[topic]; old != nil {
			t = old
		} else {
			if c.m == nil {
				c.m = make(map[string]*topicEntry)
			}
			c.m[topic] = t
		}
		c.mu.Unlock()
	}
	c.last.Store(t)
	return t, nil
}

// checked reports whether unkeyed messages to t can skip the look-up.
func (t *topicEntry) checked() bool {
	pc := t.parts.Load()
	return pc != nil && pc.found
}

// Unknown topics: a topic created moments ago may not have reached the
// broker that answers yet, so a lookup that finds no topic is retried for
// unknownTopicGrace (the Java producer likewise waits for metadata in
// send). A topic still missing then is remembered as missing for
// unknownTopicMemory, so a stream of messages to it fails fast.
const (
	unknownTopicGrace  = 3 * time.Second
	unknownTopicMemory = time.Second
	unknownTopicPoll   = 100 * time.Millisecond
	unkeyedLookup      = time.Second
)

// count returns the partition count of t, looking it up (and waiting for a
// topic just created) unless the cache has it; a look-up ends with ctx or
// when stop is closed.
func (c *topicCache) count(ctx context.Context, bp backend.Producer, t *topicEntry, keyed bool, stop <-chan struct{}) (int32, error) {
	pc := t.parts.Load()
	if pc != nil && pc.n > 0 && !pc.stale.Load() {
		return pc.n, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var (
		n     int32
		err   error
		start = time.Now()
	)
	for {
		n, err = c.askCount(ctx, bp, t.name, keyed)
		if err == nil || CodeOf(c.errs.wrap("produce", t.name, -1, err)) != CodeUnknownTopicOrPartition {
			break
		}
		if pc != nil && start.Before(pc.missingUntil) || time.Since(start) >= unknownTopicGrace {
			t.parts.Store(&partitionCount{missingUntil: time.Now().Add(unknownTopicMemory)})
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(unknownTopicPoll):
		}
	}
	if err != nil {
		if pc != nil && pc.n > 0 {
			return pc.n, nil // keep using the last known count
		}
		if !keyed {
			t.parts.CompareAndSwap(pc, &partitionCount{found: true})
		}
		return 0, err
	}
	fresh := &partitionCount{n: n, found: true}
	time.AfterFunc(c.ttl, func() { fresh.stale.Store(true) })
	t.parts.Store(fresh)
	return n, nil
}

// askCount asks bp for topic's partition count once. For a message that
// does not need the count the call ends within unkeyedLookup, whatever the
// cluster does: a cluster that cannot answer is the client's to wait for.
func (c *topicCache) askCount(ctx context.Context, bp backend.Producer, topic string, keyed bool) (int32, error) {
	if !keyed {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, unkeyedLookup)
		defer cancel()
	}
	return bp.PartitionCount(ctx, topic)
}

// validTopic checks a topic name against Kafka's rules.
func validTopic(topic string) *Error {
	bad := func(why string) *Error {
		e := newError("", CodeInvalidTopicException, "topic name %q is invalid: %s", topic, why)
		e.Topic = topic
		return e
	}
	switch {
	case topic == "":
		return newError("", CodeInvalidTopicException, "topic name is empty")
	case topic == "." || topic == "..":
		return bad(`"." and ".." are not allowed`)
	case len(topic) > 249:
		return bad(fmt.Sprintf("it has %d characters, the limit is 249", len(topic)))
	}
	for _, r := range topic {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return bad(fmt.Sprintf("character %q is not allowed; use ASCII letters, digits, '.', '_' and '-'", r))
		}
	}
	return nil
}
