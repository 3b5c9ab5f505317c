package sarama

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkaclient/kafkaclient/backend"
)

// record is one message handed to Produce. It rides through Sarama in
// ProducerMessage.Metadata, which Sarama never reads, so that it is
// reported exactly once, by whichever goroutine claims it first.
type record struct {
	m         *backend.Message
	token     any
	pm        *sarama.ProducerMessage // kept, to be sent again
	partition int32                   // asked for, or PartitionAny
	ts        time.Time
	deadline  time.Time
	done      atomic.Bool // claimed by a report
	reported  atomic.Bool // the report has returned, for Flush
}

// producer is a Producer over Sarama's AsyncProducer. An idempotent
// AsyncProducer asks for a producer id as it is created, so it is opened
// on first use by the Resender, and Produce never waits for the cluster.
type producer struct {
	cfg   backend.ProducerConfig
	hooks backend.ProducerHooks
	conn  *conn
	lazy  bool // opening does I/O
	// untilTimeout: Sarama counts retries, so the Resender sends again what
	// it gave up on, until the delivery timeout.
	untilTimeout bool

	// apMu guards ap and shut. It is read-held while a message or a
	// transaction call is handed to ap: Sarama panics on input to an
	// AsyncProducer closed meanwhile.
	apMu sync.RWMutex
	ap   sarama.AsyncProducer
	shut bool
	// drained is closed once the latest AsyncProducer has reported every
	// message: one closed by Flush drains before the next opens, so that
	// a partition's messages keep their order.
	drained chan struct{}
	openMu  sync.Mutex
	active  sync.WaitGroup // reporters and opens in progress
	inited  atomic.Bool    // InitTransactions has succeeded
	alerted atomic.Bool    // OnError has had the current outage

	// mu guards closed and handed, the records registered since the last
	// compaction: the unreported ones are those Close fails.
	mu        sync.Mutex
	closed    bool
	closing   chan struct{}
	handed    []*record
	compactAt int
	retry     backend.Resender[*record]
	// queued counts the records given to the Resender and not yet handed
	// on: a new one goes behind them. (Resender.Waiting is false while the
	// Resender sends the ones it has taken.)
	queued atomic.Int64
}

const (
	// Sarama's retry backoff doubles from backoffMin to backoffMax.
	backoffMin = 100 * time.Millisecond
	backoffMax = time.Second
	// recordOverhead is what Sarama counts per message beyond the key,
	// value and headers the root checks against message.max.bytes.
	recordOverhead = 1024
	// lingerWait is the longest linger that Flush waits out. A longer one
	// is cut short by closing the AsyncProducer, Sarama's only way to send
	// its batches at once; an idempotent one's successor costs a new
	// producer id.
	lingerWait = 100 * time.Millisecond
	// minCompact is the least length of producer.handed compacted.
	minCompact = 1024
	// maxRetries is the most retries Sarama is given: it allocates a slot
	// per retry for each partition. More mean until the delivery timeout.
	maxRetries = 1000
)

// errNotOpen says no AsyncProducer is open: the Resender opens one.
var errNotOpen = errors.New("no producer open")

// NewProducer maps cfg onto Sarama's config and opens the client, without
// I/O; a producer that is not idempotent also opens its AsyncProducer.
func (saramaBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	sc, err := newConfig(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	p := &producer{cfg: cfg, hooks: hooks, lazy: cfg.Idempotence == backend.ToggleOn,
		drained: make(chan struct{}), closing: make(chan struct{}), compactAt: minCompact}
	close(p.drained)
	pc := &sc.Producer
	pc.RequiredAcks = map[backend.Acks]sarama.RequiredAcks{
		backend.AcksAll: sarama.WaitForAll, backend.AcksLeader: sarama.WaitForLocal, backend.AcksNone: sarama.NoResponse,
	}[cfg.Acks]
	pc.Idempotent, pc.Timeout = p.lazy, cfg.RequestTimeout
	// Idempotence needs 1; Sarama keeps one batch in flight per partition
	// whatever the number.
	sc.Net.MaxOpenRequests = map[bool]int{false: cfg.MaxInFlight, true: 1}[p.lazy]
	pc.Compression = sarama.CompressionCodec(cfg.Compression) // numbered alike
	// MaxMessageBytes caps one message and one partition's batch; the
	// root has checked the message.
	pc.MaxMessageBytes = min(max(cfg.BatchSize, cfg.MaxMessageBytes+recordOverhead), int(sarama.MaxRequestSize)-1)
	if pc.Flush.Frequency = cfg.Linger; cfg.Linger > 0 {
		// A full batch goes at once (Sarama takes no size trigger without
		// a linger).
		pc.Flush.Bytes = min(cfg.BatchSize, int(sarama.MaxRequestSize)-1)
	}
	switch p.untilTimeout = cfg.Retries == 0 || cfg.Retries > maxRetries; {
	case cfg.Retries < 0:
		pc.Retry.Max = 0
	case !p.untilTimeout:
		pc.Retry.Max = cfg.Retries
	default:
		pc.Retry.Max = min(max(1, int(cfg.DeliveryTimeout/backoffMax)), maxRetries)
	}
	pc.Retry.Backoff, pc.Retry.BackoffFunc = backoffMin, func(retries, _ int) time.Duration {
		return p.unlessClosing(min(backoffMin<<min(max(retries-1, 0), 4), backoffMax))
	}
	pc.Transaction.ID, pc.Transaction.Timeout = cfg.TransactionalID, cfg.TransactionTimeout
	txnBackoff := pc.Transaction.Retry.Backoff
	pc.Transaction.Retry.BackoffFunc = func(int, int) time.Duration { return p.unlessClosing(txnBackoff) }
	if cfg.TransactionalID == "" {
		// An idempotent producer's InitProducerId, retried by Sarama 50
		// times whatever the error (a refused login included): the
		// Resender opens it again while the error may pass.
		pc.Transaction.Retry.Max = 2
	}
	pc.Partitioner = func(string) sarama.Partitioner { return &partitioner{} }
	pc.Return.Successes, pc.Return.Errors = true, true
	if p.conn, err = dial(cfg.ClientConfig, sc); err != nil {
		return nil, err
	}
	p.retry = backend.Resender[*record]{
		Send: p.resend, Retriable: retriable, Timeout: cfg.DeliveryTimeout,
		Deadline:   func(r *record) time.Time { return r.deadline },
		Fail:       func(r *record, err error) { p.queued.Add(-1); p.finish(r, nil, err) },
		BackoffMin: backoffMin, BackoffMax: backoffMax,
	}
	if !p.lazy {
		if err := p.open(context.Background()); err != nil {
			p.conn.close()
			return nil, err
		}
	}
	p.retry.Start()
	return p, nil
}

// unlessClosing returns d, or 0 once Close has begun: Sarama's waits
// before retries bound to fail would hold Close up.
func (p *producer) unlessClosing(d time.Duration) time.Duration {
	select {
	case <-p.closing:
		return 0
	default:
		return d
	}
}

// partitioner honours the partition the root chose, and spreads messages
// with PartitionAny (nil keys) round-robin over the partitions with a
// leader. Sarama makes one per topic and calls it from one goroutine.
type partitioner struct{ next int32 }

// RequiresConsistency completes sarama.Partitioner; Sarama asks
// MessageRequiresConsistency instead.
func (*partitioner) RequiresConsistency() bool { return true }

// MessageRequiresConsistency makes Sarama choose among all partitions,
// sorted, so that the index chosen is the partition number.
func (*partitioner) MessageRequiresConsistency(pm *sarama.ProducerMessage) bool {
	return pm.Metadata.(*record).partition >= 0
}

// Partition returns the partition index among the n Sarama offers.
func (s *partitioner) Partition(pm *sarama.ProducerMessage, n int32) (int32, error) {
	if r := pm.Metadata.(*record); r.partition >= 0 {
		return r.partition, nil // past the count: ErrInvalidPartition
	}
	s.next = (s.next + 1) % n
	return s.next, nil
}

// Produce hands m to the AsyncProducer, or to the Resender while records
// wait there or none is open.
func (p *producer) Produce(ctx context.Context, m *backend.Message, token any) error {
	if p.cfg.TransactionalID != "" && !p.inited.Load() {
		return backend.Errorf(backend.CodeState, "call InitTransactions before producing")
	}
	r, err := p.newRecord(m, token)
	if err != nil {
		return err
	}
	if p.queued.Load() == 0 {
		if err := p.hand(ctx, r.pm); !errors.Is(err, errNotOpen) {
			return p.withdraw(r, err)
		}
	}
	// Behind the records waiting, or until the Resender has opened an
	// AsyncProducer.
	if p.requeue(r, errNotOpen, true) != nil {
		return p.withdraw(r, closedError())
	}
	return nil
}

// requeue is Resender.Retry, counting r in queued when it is queued.
func (p *producer) requeue(r *record, err error, force bool) error {
	p.queued.Add(1)
	if err = p.retry.Retry(r, err, force); err != nil {
		p.queued.Add(-1)
	}
	return err
}

// newRecord registers m, stamped now unless it has a time (Sarama stamps
// only its own copy).
func (p *producer) newRecord(m *backend.Message, token any) (*record, error) {
	now := time.Now()
	r := &record{m: m, token: token, partition: m.Partition, ts: m.Timestamp, deadline: now.Add(p.cfg.DeliveryTimeout)}
	if r.ts.IsZero() {
		r.ts = now
	}
	r.pm = &sarama.ProducerMessage{Topic: m.Topic, Timestamp: r.ts, Metadata: r,
		Headers: backend.Convert(m.Headers, func(h backend.Header) sarama.RecordHeader {
			return sarama.RecordHeader{Key: []byte(h.Key), Value: h.Value}
		})}
	// A nil Encoder is null on the wire; an empty ByteEncoder stays empty.
	if m.Key != nil {
		r.pm.Key = sarama.ByteEncoder(m.Key)
	}
	if m.Value != nil {
		r.pm.Value = sarama.ByteEncoder(m.Value)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, closedError()
	}
	p.handed = append(p.handed, r)
	if len(p.handed) >= p.compactAt {
		// One pass for at least as many records handed since the last.
		// Reported, not only claimed: Flush waits for a report running.
		p.handed = slices.DeleteFunc(p.handed, func(h *record) bool { return h.reported.Load() })
		p.compactAt = max(2*len(p.handed), minCompact)
	}
	return r, nil
}

// hand gives pm to the open AsyncProducer; errNotOpen when there is none.
func (p *producer) hand(ctx context.Context, pm *sarama.ProducerMessage) error {
	p.apMu.RLock()
	defer p.apMu.RUnlock()
	if p.ap == nil {
		return errNotOpen
	}
	select {
	case p.ap.Input() <- pm:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closing:
		return closedError()
	}
}

// resend is the Resender's Send: it opens an AsyncProducer when none is.
func (p *producer) resend(ctx context.Context, r *record) error {
	for {
		err := p.hand(ctx, r.pm)
		if err == nil {
			p.queued.Add(-1)
		}
		if !errors.Is(err, errNotOpen) {
			return err
		}
		if err := p.open(ctx); err != nil {
			return err
		}
	}
}

// withdraw takes r back, unreported, when err is set, and returns err; nil
// when Close has reported r meanwhile.
func (p *producer) withdraw(r *record, err error) error {
	if err == nil || !r.done.CompareAndSwap(false, true) {
		return nil
	}
	r.m, r.token = nil, nil
	r.reported.Store(true)
	return err
}

// open opens an AsyncProducer unless one is open, once the previous one
// has drained.
func (p *producer) open(ctx context.Context) error {
	p.openMu.Lock()
	defer p.openMu.Unlock()
	p.apMu.Lock()
	if p.shut || p.ap != nil {
		defer p.apMu.Unlock()
		if p.shut {
			return closedError()
		}
		return nil
	}
	prev := p.drained
	p.active.Add(1)
	p.apMu.Unlock()
	defer p.active.Done()
	if err := backend.Wait(ctx, prev); err != nil {
		return err
	}
	if p.lazy {
		// A cheap look at the cluster first: InitProducerId retries for
		// seconds when it is out of reach.
		if _, err := p.conn.client.RefreshController(); errors.Is(err, sarama.ErrOutOfBrokers) || errors.Is(err, sarama.ErrClosedClient) {
			p.alert(err)
			return err
		}
	}
	ap, err := sarama.NewAsyncProducerFromClient(p.conn.client)
	if err != nil {
		p.alert(err)
		return err
	}
	p.alerted.Store(false)
	done := make(chan struct{})
	p.active.Add(1)
	go p.report(ap, done)
	p.apMu.Lock()
	shut := p.shut
	if !shut {
		p.ap, p.drained = ap, done
	}
	p.apMu.Unlock()
	if shut {
		ap.AsyncClose()
		return closedError()
	}
	return nil
}

// report drains ap's Successes and Errors (Sarama blocks on either left
// unread) until its shutdown closes them.
func (p *producer) report(ap sarama.AsyncProducer, done chan struct{}) {
	defer p.active.Done()
	defer close(done)
	succ, errs := ap.Successes(), ap.Errors()
	for succ != nil || errs != nil {
		select {
		case pm, ok := <-succ:
			if !ok {
				succ = nil
			} else if r := pm.Metadata.(*record); !r.done.Load() {
				if p.alerted.Load() {
					p.alerted.Store(false)
				}
				p.finish(r, pm, nil)
			}
		case pe, ok := <-errs:
			if !ok {
				errs = nil
			} else if r := pe.Msg.Metadata.(*record); !r.done.Load() {
				p.failed(r, pe.Err)
			}
		}
	}
}

// failed sends r again when Sarama gave up on it for a reason that may
// pass, or reports it failed.
func (p *producer) failed(r *record, err error) {
	if errors.Is(err, sarama.ErrOutOfBrokers) {
		p.alert(err)
	}
	var ce sarama.ConfigurationError
	switch {
	case p.unlessClosing(1) == 0:
		err = backend.WithCode(backend.CodeClosed, err)
	case p.cfg.TransactionalID != "":
		// The transaction has failed with it.
	case errors.Is(err, sarama.ErrShuttingDown): // given back by an AsyncProducer Flush closed
		if err = p.requeue(r, err, true); err == nil {
			return
		}
	case errors.As(err, &ce) && strings.Contains(string(ce), "MaxMessageBytes"):
		err = backend.WithCode(backend.Code(sarama.ErrMessageSizeTooLarge), err)
	case p.untilTimeout:
		if err = p.requeue(r, err, false); err == nil {
			return
		}
	}
	p.finish(r, nil, err)
}

// alert reports on OnError, once until a message is delivered, a cluster
// out of reach, or an error that fails opening for good (a refused
// producer id).
func (p *producer) alert(err error) {
	down := errors.Is(err, sarama.ErrOutOfBrokers)
	if p.unlessClosing(1) == 0 || !down && retriable(err) || !p.alerted.CompareAndSwap(false, true) {
		return
	}
	if down {
		err = backend.WithCode(backend.CodeAllBrokersDown, err)
	}
	p.hooks.OnError(err)
}

// finish reports r once: later calls do nothing.
func (p *producer) finish(r *record, pm *sarama.ProducerMessage, err error) {
	if !r.done.CompareAndSwap(false, true) {
		return
	}
	m := r.m
	m.Offset = backend.OffsetInvalid
	if err == nil {
		m.Partition, m.Timestamp = pm.Partition, r.ts
		if !pm.Timestamp.IsZero() {
			m.Timestamp = pm.Timestamp // LogAppendTime
		}
		if p.cfg.Acks != backend.AcksNone {
			m.Offset = pm.Offset
		}
	}
	p.hooks.Delivered(m, r.token, err)
	r.m, r.token = nil, nil
	r.reported.Store(true)
}

// PartitionCount refreshes topic's metadata and counts its partitions.
func (p *producer) PartitionCount(ctx context.Context, topic string) (int32, error) {
	var n int
	err := backend.RunWithin(ctx, func() error {
		// Counts are cached: ask the cluster.
		if err := p.conn.client.RefreshMetadata(topic); err != nil {
			return err
		}
		parts, err := p.conn.client.Partitions(topic)
		n = len(parts)
		return err
	})
	if err != nil {
		return 0, err
	}
	return int32(n), nil
}

// Flush waits for the report of every record registered before it. A
// linger over lingerWait is cut short by closing the AsyncProducer, again
// every lingerWait for records the Resender hands to a new one; not in a
// transaction, which lives in its AsyncProducer.
func (p *producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	pending := slices.DeleteFunc(slices.Clone(p.handed), func(r *record) bool { return r.reported.Load() })
	p.mu.Unlock()
	cut := p.cfg.Linger > lingerWait && p.cfg.TransactionalID == ""
	var next time.Time
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for _, r := range pending {
		for !r.reported.Load() {
			if now := time.Now(); cut && !now.Before(next) {
				next = now.Add(lingerWait)
				p.apMu.Lock()
				ap := p.ap
				p.ap = nil
				p.apMu.Unlock()
				if ap != nil {
					ap.AsyncClose()
				}
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			case <-p.closing:
				return closedError()
			}
		}
	}
	return nil
}

// Close fails what the root's flush left, each record reported once; a
// later report by Sarama is ignored.
func (p *producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.closing)
	handed := p.handed
	p.handed = nil
	p.mu.Unlock()
	// Closing the client first fails Sarama's retries, look-ups and
	// InitProducerId at once, not after each one's backoff.
	p.conn.close()
	for _, r := range handed {
		p.finish(r, nil, backend.Errorf(backend.CodeClosed, "producer closed before the message was delivered"))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.retry.Stop()
		p.apMu.Lock() // after a transaction call still holding it
		ap := p.ap
		p.ap, p.shut = nil, true
		p.apMu.Unlock()
		if ap != nil {
			ap.AsyncClose()
		}
		p.active.Wait()
	}()
	return backend.Wait(ctx, done)
}

// closedError is the error of a call on a closed producer.
func closedError() error { return backend.Errorf(backend.CodeClosed, "producer is closed") }

// As reaches the sarama.Client, and the sarama.AsyncProducer while one is
// open.
func (p *producer) As(target any) bool {
	p.apMu.RLock()
	defer p.apMu.RUnlock()
	return backend.SetAs(target, p.conn.client) || p.ap != nil && backend.SetAs(target, p.ap)
}

// Transactions.

// txnOpen are the states of a transaction begun and not yet ended.
const txnOpen = sarama.ProducerTxnFlagInTransaction | sarama.ProducerTxnFlagEndTransaction | sarama.ProducerTxnFlagInError

// withTxn runs fn on the AsyncProducer within ctx, when a transaction is
// open (or, to begin one, is not).
func (p *producer) withTxn(ctx context.Context, begin bool, fn func(sarama.AsyncProducer) error) error {
	return backend.RunWithin(ctx, func() error {
		p.apMu.RLock()
		defer p.apMu.RUnlock()
		switch open := p.ap != nil && p.ap.TxnStatus()&txnOpen != 0; {
		case p.shut:
			return closedError()
		case p.ap == nil || !p.inited.Load():
			return backend.Errorf(backend.CodeState, "call InitTransactions first")
		case begin && open:
			return backend.Errorf(backend.CodeState, "a transaction is already open: commit or abort it first")
		case !begin && !open:
			return backend.Errorf(backend.CodeState, "no transaction is open: call BeginTransaction first")
		}
		return fn(p.ap)
	})
}

// InitTransactions opens the AsyncProducer, whose InitProducerId fences
// older producers of the transactional id.
func (p *producer) InitTransactions(ctx context.Context) error {
	if err := backend.RunWithin(ctx, func() error { return p.open(ctx) }); err != nil {
		return err
	}
	p.inited.Store(true)
	return nil
}

// BeginTransaction begins a transaction in Sarama's state, without I/O.
func (p *producer) BeginTransaction() error {
	return p.withTxn(context.Background(), true, sarama.AsyncProducer.BeginTxn)
}

// SendOffsetsToTransaction adds the offsets to the transaction. Sarama
// sends them with CommitTransaction, so the group's fencing errors come
// from there.
func (p *producer) SendOffsetsToTransaction(ctx context.Context, offsets []backend.TopicPartition, g backend.GroupMetadata) error {
	gm, ok := g.Handle.(*sarama.ConsumerGroupMetadata)
	if !ok {
		gm = &sarama.ConsumerGroupMetadata{GroupID: g.GroupID, GenerationID: g.GenerationID, MemberID: g.MemberID}
		if g.GroupInstanceID != "" {
			gm.GroupInstanceID = &g.GroupInstanceID
		}
	}
	byTopic := map[string][]*sarama.PartitionOffsetMetadata{}
	for _, o := range offsets {
		pom := &sarama.PartitionOffsetMetadata{Partition: o.Partition, Offset: o.Offset, LeaderEpoch: o.LeaderEpoch}
		if o.Metadata != "" {
			pom.Metadata = &o.Metadata
		}
		byTopic[o.Topic] = append(byTopic[o.Topic], pom)
	}
	return p.withTxn(ctx, false, func(ap sarama.AsyncProducer) error {
		return ap.AddOffsetsToTxnWithGroupMetadata(byTopic, gm)
	})
}

// CommitTransaction waits for the transaction's messages, then commits.
func (p *producer) CommitTransaction(ctx context.Context) error {
	return p.withTxn(ctx, false, sarama.AsyncProducer.CommitTxn)
}

// AbortTransaction aborts once Sarama has delivered the buffered messages
// (see the package doc).
func (p *producer) AbortTransaction(ctx context.Context) error {
	return p.withTxn(ctx, false, sarama.AsyncProducer.AbortTxn)
}

var (
	_ backend.TransactionalProducer = (*producer)(nil)
	_ backend.Aser                  = (*producer)(nil)
)
