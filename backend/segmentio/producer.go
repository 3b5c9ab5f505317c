package segmentio

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/segmentio/kafka-go"
)

// record is one message handed to Produce, carried through kafka-go in
// kafka.Message.WriterData so that its report can be called exactly once.
type record struct {
	m         *backend.Message
	token     any
	partition int32 // the partition asked for, or PartitionAny
	ts        time.Time
	deadline  time.Time
	done      atomic.Bool
}

type producer struct {
	cfg   backend.ProducerConfig
	hooks backend.ProducerHooks
	s     *settings
	tr    *transport

	// wmu guards w: Flush replaces the writer, as closing a kafka.Writer is
	// its only way to send lingering batches at once.
	wmu sync.RWMutex
	w   *kafka.Writer
	mkw func() *kafka.Writer

	// mu guards closed and handed, every record handed over since the
	// last compaction: the unreported ones are those Close fails. A report
	// only marks its record done, so that the reporting goroutine never
	// waits for the producing ones.
	mu     sync.Mutex
	closed bool
	handed []*record
	// compactAt is the length of handed at which the reported records
	// are dropped from it.
	compactAt int
	// outstanding counts the records not yet reported, for Flush.
	outstanding atomic.Int64
	// retry holds the records waiting for the cluster to be reachable:
	// kafka-go has no delivery timeout.
	retry backend.Resender[*record]

	rr atomic.Uint32
}

// batchCount caps the messages in one kafka-go batch; the byte size and
// linger are what really bound batches. kafka-go allocates this many slots
// per batch.
const batchCount = 1000

// Retry backoff of kafka-go's writer.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = time.Second
)

func (segmentioBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	s, err := newSettings(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	p := &producer{
		cfg:       cfg,
		hooks:     hooks,
		s:         s,
		tr:        newTransport(s),
		compactAt: minCompact,
	}
	compression, err := compressionOf(cfg.Compression)
	if err != nil {
		return nil, err
	}
	p.mkw = func() *kafka.Writer {
		w := &kafka.Writer{
			Addr:      s.addr,
			Transport: p.tr,
			// kafka-go's default balancer is round-robin and ignores keys: the
			// root has computed the partition of keyed messages, so use it.
			Balancer: balancer{p},
			// kafka-go writes asynchronously and reports each batch here; every
			// message carries its record in WriterData.
			Async:      true,
			Completion: p.completion,
			// kafka-go's default is acks=none.
			RequiredAcks: requiredAcks(cfg.Acks),
			// kafka-go's default linger is 1s; 0 would mean that default, so
			// "send at once" is the smallest positive duration.
			BatchTimeout: max(cfg.Linger, time.Nanosecond),
			BatchSize:    batchCount,
			BatchBytes:   int64(max(cfg.BatchSize, cfg.MaxMessageBytes+batchOverhead)),
			WriteTimeout: s.timeout,
			ReadTimeout:  s.timeout,
			// kafka-go has no delivery timeout: retry for about as long.
			MaxAttempts:     maxAttempts(cfg),
			WriteBackoffMin: backoffMin,
			WriteBackoffMax: backoffMax,
		}
		w.Logger, w.ErrorLogger = s.loggers()
		w.Compression = compression
		return w
	}
	p.w = p.mkw()
	p.retry = backend.Resender[*record]{
		Send:       func(ctx context.Context, r *record) error { return p.writeMessages(ctx, p.toKafka(r)) },
		Retriable:  retriable,
		Deadline:   func(r *record) time.Time { return r.deadline },
		Fail:       func(r *record, err error) { p.finish(r, nil, err) },
		OnOutage:   hooks.OnError,
		Timeout:    cfg.DeliveryTimeout,
		BackoffMin: backoffMin,
		BackoffMax: backoffMax,
	}
	p.retry.Start()
	return p, nil
}

func compressionOf(c backend.Compression) (kafka.Compression, error) {
	codec, ok := map[backend.Compression]kafka.Compression{
		backend.CompressionNone: 0, backend.CompressionGzip: kafka.Gzip, backend.CompressionSnappy: kafka.Snappy,
		backend.CompressionLZ4: kafka.Lz4, backend.CompressionZstd: kafka.Zstd,
	}[c]
	if !ok {
		return 0, backend.Errorf(backend.CodeUnsupported, "compression.type %v is not supported by the segmentio backend", c)
	}
	return codec, nil
}

// batchOverhead is the room kafka-go counts per message beyond key, value
// and headers.
const batchOverhead = 1024

func requiredAcks(a backend.Acks) kafka.RequiredAcks {
	return map[backend.Acks]kafka.RequiredAcks{
		backend.AcksAll: kafka.RequireAll, backend.AcksLeader: kafka.RequireOne, backend.AcksNone: kafka.RequireNone,
	}[a]
}

// maxAttempts maps retries (and, when unset, delivery.timeout.ms) to
// kafka-go's attempts per batch.
func maxAttempts(cfg backend.ProducerConfig) int {
	switch {
	case cfg.Retries < 0:
		return 1
	case cfg.Retries > 0:
		return min(cfg.Retries, 1<<20) + 1
	}
	return max(int(cfg.DeliveryTimeout/backoffMax), 1)
}

// balancer honours the partition the root chose and spreads messages with
// PartitionAny (nil keys) round-robin.
type balancer struct{ p *producer }

func (b balancer) Balance(msg kafka.Message, partitions ...int) int {
	if r, ok := msg.WriterData.(*record); ok && r.partition >= 0 {
		return int(r.partition)
	}
	if len(partitions) == 0 {
		return 0
	}
	return partitions[int(b.p.rr.Add(1)-1)%len(partitions)]
}

func (p *producer) Produce(ctx context.Context, m *backend.Message, token any) error {
	r, err := p.newRecord(m, token, time.Now())
	if err != nil {
		return err
	}
	p.send(ctx, []*record{r}, []kafka.Message{p.toKafka(r)})
	return nil
}

// ProduceBatch hands msgs to the writer in one WriteMessages call, which
// groups them by partition once.
func (p *producer) ProduceBatch(ctx context.Context, msgs []*backend.Message, token any) (int, error) {
	now := time.Now()
	rs := make([]*record, len(msgs))
	kms := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		r, err := p.newRecord(m, token, now)
		if err != nil {
			p.send(ctx, rs[:i], kms[:i])
			return i, err
		}
		rs[i], kms[i] = r, p.toKafka(r)
	}
	p.send(ctx, rs, kms)
	return len(msgs), nil
}

// send hands rs, whose messages are kms, to the writer in one call, or
// behind the records waiting to be written again. An asynchronous writer
// fails a call as a whole, before it buffers any message.
func (p *producer) send(ctx context.Context, rs []*record, kms []kafka.Message) {
	if p.retry.Waiting() {
		for _, r := range rs {
			if !p.retry.Add(r) { // closed meanwhile
				p.writeFailed(ctx, r, backend.Errorf(backend.CodeClosed, "producer is closed"))
			}
		}
		return
	}
	if err := p.writeMessages(ctx, kms...); err != nil {
		for _, r := range rs {
			p.writeFailed(ctx, r, p.tr.deniedErr(r.m.Topic, err))
		}
	} else {
		p.retry.Sent()
	}
}

// newRecord registers m, produced at now, as pending.
func (p *producer) newRecord(m *backend.Message, token any, now time.Time) (*record, error) {
	r := &record{m: m, token: token, partition: m.Partition, ts: m.Timestamp, deadline: now.Add(p.cfg.DeliveryTimeout)}
	if r.ts.IsZero() {
		r.ts = now
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, backend.Errorf(backend.CodeClosed, "producer is closed")
	}
	p.outstanding.Add(1)
	p.handed = append(p.handed, r)
	if len(p.handed) >= p.compactAt {
		// Dropping the reported records costs one pass over handed for
		// at least as many records handed over since the last pass.
		p.handed = slices.DeleteFunc(p.handed, func(h *record) bool { return h.done.Load() })
		p.compactAt = max(2*len(p.handed), minCompact)
	}
	return r, nil
}

// minCompact is the least length of producer.handed that is compacted.
const minCompact = 1024

// writeFailed queues r to be written again when err may pass, or reports
// it failed. A record is not failed because the caller's context ended
// while the writer looked up the topic: it is written again.
func (p *producer) writeFailed(ctx context.Context, r *record, err error) {
	if err := p.retry.Retry(r, err, ctx.Err() != nil); err != nil {
		p.finish(r, nil, err)
	}
}

// retriable reports whether WriteMessages failed for a reason that may go
// away: the cluster is unreachable, or a partition has no leader yet.
func retriable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return ke.Temporary() && ke != kafka.UnknownTopicOrPartition
	}
	return isNetworkError(err) || codeOf(err) == backend.Code(kafka.LeaderNotAvailable)
}

// writeMessages hands kms to the current writer. A writer closed by a
// concurrent Flush cannot be in use here: Flush swaps it under wmu.
func (p *producer) writeMessages(ctx context.Context, kms ...kafka.Message) error {
	p.wmu.RLock()
	defer p.wmu.RUnlock()
	return p.w.WriteMessages(ctx, kms...)
}

// swapWriter puts a new writer in place and returns the old one, which the
// caller closes to send its lingering batches.
func (p *producer) swapWriter(reopen bool) *kafka.Writer {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	old := p.w
	if reopen {
		p.w = p.mkw()
	}
	return old
}

func (p *producer) toKafka(r *record) kafka.Message {
	km := toKafkaMessage(r.m, r.ts)
	km.WriterData = r
	return km
}

// toKafkaMessage converts m, stamped ts, for kafka-go's writer.
func toKafkaMessage(m *backend.Message, ts time.Time) kafka.Message {
	return kafka.Message{
		Topic:   m.Topic,
		Key:     m.Key,
		Value:   m.Value,
		Headers: backend.Convert(m.Headers, func(h backend.Header) kafka.Header { return kafka.Header(h) }),
		Time:    ts,
	}
}

// completion is kafka-go's report of one batch. WriteErrors is not seen
// through by errors.Is, so each message gets the batch's own error.
func (p *producer) completion(msgs []kafka.Message, err error) {
	var we kafka.WriteErrors
	if err != nil {
		errors.As(err, &we)
	}
	for i := range msgs {
		r, ok := msgs[i].WriterData.(*record)
		if !ok {
			continue
		}
		e := err
		if i < len(we) {
			e = we[i]
		}
		if e != nil && p.cfg.Retries == 0 {
			// kafka-go gave up after MaxAttempts (quickly when every
			// connection is refused): keep retrying until
			// delivery.timeout.ms, as the other clients do.
			if e = p.retry.Retry(r, e, false); e == nil {
				continue
			}
		}
		p.finish(r, &msgs[i], e)
	}
}

// finish reports r once: later calls do nothing.
func (p *producer) finish(r *record, km *kafka.Message, err error) {
	if !r.done.CompareAndSwap(false, true) {
		return
	}
	// r is outstanding until its report has run, so that Flush returns
	// after it; it no longer holds the message, which handed may keep a
	// while.
	defer func() {
		r.m, r.token = nil, nil
		p.outstanding.Add(-1)
	}()
	m := r.m
	if err == nil {
		m.Timestamp = r.ts
		if km != nil {
			m.Partition = int32(km.Partition)
			m.Offset = km.Offset
			if p.cfg.Acks == backend.AcksNone {
				m.Offset = backend.OffsetInvalid
			}
		}
	} else {
		m.Offset = backend.OffsetInvalid
		if km != nil {
			m.Partition = int32(km.Partition)
		}
	}
	p.hooks.Delivered(m, r.token, err)
}

func (p *producer) PartitionCount(ctx context.Context, topic string) (int32, error) {
	md, err := p.tr.freshMetadata(ctx, []string{topic})
	if err != nil {
		return 0, err
	}
	for _, t := range md.Topics {
		if t.Name == topic {
			if t.ErrorCode != 0 {
				return 0, kafka.Error(t.ErrorCode)
			}
			return int32(len(t.Partitions)), nil
		}
	}
	return 0, kafka.UnknownTopicOrPartition
}

// Flush sends lingering batches at once by closing the writer (kafka-go's
// only way to do so) after a fresh one took its place, then waits for every
// report.
func (p *producer) Flush(ctx context.Context) error {
	if p.outstanding.Load() == 0 {
		return nil
	}
	old := p.swapWriter(true)
	done := make(chan struct{})
	go func() { defer close(done); old.Close() }() //nolint:errcheck // always nil
	if err := p.waitReported(ctx); err != nil {
		return err
	}
	return backend.Wait(ctx, done)
}

// waitReported waits until every record has been reported, or ctx ends.
func (p *producer) waitReported(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for p.outstanding.Load() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close fails what the root's flush left: each record is reported once, a
// later completion by kafka-go is ignored.
func (p *producer) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	// Closing the writer sends what lingers; a new one is not needed.
	w := p.swapWriter(false)
	wdone := make(chan struct{})
	go func() { defer close(wdone); w.Close() }() //nolint:errcheck // always nil
	p.retry.Stop()
	p.mu.Lock()
	handed := p.handed
	p.handed = nil
	p.mu.Unlock()
	for _, r := range handed {
		p.finish(r, nil, backend.Errorf(backend.CodeClosed, "producer closed before the message was delivered"))
	}
	// kafka-go's Close waits for its retries: do not wait past ctx.
	err := backend.Wait(ctx, wdone)
	p.tr.Close()
	return err
}

func (p *producer) As(target any) bool {
	p.wmu.RLock()
	defer p.wmu.RUnlock()
	return backend.SetAs(target, p.w) || backend.SetAs(target, p.tr.client())
}

var _ backend.BatchProducer = (*producer)(nil)
