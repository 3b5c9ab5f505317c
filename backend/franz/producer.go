package franz

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// producer is a Producer over kgo; As is its clients'.
type producer struct {
	clients
	cfg     backend.ProducerConfig
	hooks   backend.ProducerHooks
	promise func(*kgo.Record, error) // p.delivered, bound once
	closing atomic.Bool

	deadlines deadlineBuckets
	// authErr is the last authentication or TLS failure of a connection,
	// until a connection succeeds.
	authErr atomic.Pointer[error]

	// Transaction state, guarded by txnMu.
	txnMu        sync.Mutex
	inTxn        bool
	offsetsInTxn bool
	producedTxn  atomic.Bool
}

func (franzBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	p := &producer{cfg: cfg, hooks: hooks, deadlines: deadlineBuckets{timeout: cfg.DeliveryTimeout}}
	p.promise = p.delivered
	opts = append(opts,
		kgo.RecordPartitioner(partitioner{}),
		kgo.ProducerLinger(cfg.Linger),
		kgo.ProducerBatchMaxBytes(int32(min(cfg.BatchSize, 1<<30))),
		// The root bounds what is buffered; franz-go's own limits are set
		// above it, so that kgo.Produce never blocks on a context it does
		// not control.
		kgo.MaxBufferedRecords(cfg.MaxBufferedMessages+1),
		kgo.MaxBufferedBytes(int(cfg.MaxBufferedBytes)+cfg.MaxMessageBytes+1),
		kgo.WithHooks(&brokerWatch{onError: hooks.OnError, onAuth: p.authFailed, down: map[int32]bool{}}),
	)
	opts = append(opts, kgo.RequiredAcks(map[backend.Acks]kgo.Acks{
		backend.AcksAll: kgo.AllISRAcks(), backend.AcksLeader: kgo.LeaderAck(), backend.AcksNone: kgo.NoAck(),
	}[cfg.Acks]))
	if cfg.Idempotence != backend.ToggleOn {
		// franz-go sizes in-flight requests itself when idempotent (at most
		// 5, which the root enforces) and takes the setting only without.
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(cfg.MaxInFlight))
	}
	switch {
	case cfg.Retries > 0:
		opts = append(opts, kgo.RecordRetries(cfg.Retries))
	case cfg.Retries < 0:
		// franz-go retries while a record's tries are at most this.
		opts = append(opts, kgo.RecordRetries(0))
	}
	opts = append(opts, kgo.ProducerBatchCompression(map[backend.Compression]kgo.CompressionCodec{
		backend.CompressionNone:   kgo.NoCompression(),
		backend.CompressionGzip:   kgo.GzipCompression(),
		backend.CompressionSnappy: kgo.SnappyCompression(),
		backend.CompressionLZ4:    kgo.Lz4Compression(),
		backend.CompressionZstd:   kgo.ZstdCompression(),
	}[cfg.Compression]))
	if cfg.TransactionalID != "" {
		opts = append(opts, kgo.TransactionalID(cfg.TransactionalID), kgo.TransactionTimeout(cfg.TransactionTimeout),
			kgo.MaxVersions(txnVersions()))
	} else if cfg.Idempotence == backend.ToggleOn {
		// delivery.timeout.ms holds even for a batch whose request may
		// have reached the broker (all brokers gone mid-request), as in
		// the Java client and librdkafka: such a message is reported
		// MSG_TIMED_OUT and may still have been written. Without this
		// franz-go keeps it until a broker answers.
		opts = append(opts, kgo.AllowIdempotentProduceCancellation())
	}
	if p.clients, err = newClients(opts); err != nil {
		return nil, err
	}
	return p, nil
}

// inflight is one message on its way: the franz-go record it became, and
// the root's token for its report. The record is the first field, so the
// shared promise finds the inflight from the *kgo.Record franz-go hands
// back: one allocation per message, no closure.
type inflight struct {
	rec   kgo.Record
	m     *backend.Message
	token any
}

func (p *producer) Produce(_ context.Context, m *backend.Message, token any) error {
	if p.closing.Load() {
		return kgo.ErrClientClosed
	}
	f := &inflight{m: m, token: token}
	fillRecord(&f.rec, m)
	// One clock read per message: the timestamp (which franz-go would
	// otherwise read again) and the delivery deadline.
	now := time.Now()
	if f.rec.Timestamp.IsZero() {
		f.rec.Timestamp = now
	}
	if p.cfg.TransactionalID != "" {
		p.producedTxn.Store(true)
	}
	// The record's context bounds its delivery (delivery.timeout.ms) and
	// must outlive this call: franz-go fails buffered records whose context
	// ends. franz-go's own RecordDeliveryTimeout counts from the record's
	// timestamp, which would fail at once a message carrying an old
	// timestamp, so it is not used.
	p.cl.Produce(p.deadlines.ctx(now), &f.rec, p.promise)
	return nil
}

// delivered is the promise of every record.
func (p *producer) delivered(r *kgo.Record, err error) {
	f := (*inflight)(unsafe.Pointer(r))
	m := f.m
	m.Partition = r.Partition
	m.Offset = r.Offset
	m.Timestamp = r.Timestamp
	switch {
	case err == nil:
	case errors.Is(err, kgo.ErrAborting) && p.closing.Load():
		// Failed by Close, which reports what it could not deliver
		// as CodeClosed.
		err = backend.WithCode(backend.CodeClosed, err)
	case errors.Is(err, context.Canceled) && p.authErr.Load() != nil:
		// Failed by authFailed.
		err = *p.authErr.Load()
	case errors.Is(err, context.DeadlineExceeded):
		err = backend.WithCode(backend.CodeMsgTimedOut, err)
	case r.Context != nil && errors.Is(r.Context.Err(), context.DeadlineExceeded):
		// franz-go fails a record whose context ended with the last
		// error it met, a dial error when the cluster is unreachable:
		// report the delivery timeout, as the other backends do.
		err = backend.WithCode(backend.CodeMsgTimedOut, fmt.Errorf("message not delivered within delivery.timeout.ms (%v): %w", p.deadlines.timeout, err))
	}
	p.hooks.Delivered(m, f.token, err)
}

// authFailed is called for every connection attempt: err is nil when it
// succeeded. Refused credentials or an untrusted certificate fail the
// buffered records with that error at once, as the Java client does,
// instead of retrying them until delivery.timeout.ms.
func (p *producer) authFailed(err error) {
	if err == nil {
		p.authErr.Store(nil)
		return
	}
	if old := p.authErr.Swap(&err); old == nil {
		p.hooks.OnError(err)
	}
	p.deadlines.failAll()
}

func (p *producer) PartitionCount(ctx context.Context, topic string) (int32, error) {
	md, err := p.adm.Metadata(ctx, topic)
	if err := orErr(md.Topics, err); err != nil {
		return 0, err
	}
	td, ok := md.Topics[topic]
	if !ok {
		return 0, kerr.UnknownTopicOrPartition
	}
	return int32(len(td.Partitions)), nil
}

func (p *producer) Flush(ctx context.Context) error { return p.cl.Flush(ctx) }

// Close fails what the root's flush left, requests in flight included (the
// client is being destroyed, so no sequence number is reused); every
// promise is still called, with CodeClosed.
func (p *producer) Close(ctx context.Context) error {
	p.closing.Store(true)
	p.cl.UnsafeAbortBufferedRecords()
	err := p.clients.Close(ctx)
	p.deadlines.failAll() // no record is left: stop every bucket's timer
	return err
}

// Transactions.

func (p *producer) InitTransactions(ctx context.Context) error {
	_, _, err := p.cl.ProducerID(ctx)
	return err
}

func (p *producer) BeginTransaction() error {
	p.txnMu.Lock()
	defer p.txnMu.Unlock()
	if p.inTxn {
		return backend.Errorf(backend.CodeState, "a transaction is already open: commit or abort it first")
	}
	if err := p.cl.BeginTransaction(); err != nil {
		return err
	}
	p.inTxn, p.offsetsInTxn = true, false
	p.producedTxn.Store(false)
	return nil
}

func (p *producer) CommitTransaction(ctx context.Context) error {
	return p.endTransaction(ctx, kgo.TryCommit)
}

func (p *producer) AbortTransaction(ctx context.Context) error {
	return p.endTransaction(ctx, kgo.TryAbort)
}

func (p *producer) endTransaction(ctx context.Context, commit kgo.TransactionEndTry) error {
	p.txnMu.Lock()
	defer p.txnMu.Unlock()
	if !p.inTxn {
		return backend.Errorf(backend.CodeState, "no transaction is open: call BeginTransaction first")
	}
	if commit {
		if err := p.cl.Flush(ctx); err != nil {
			return err
		}
	} else if err := p.cl.AbortBufferedRecords(ctx); err != nil {
		return err
	}
	// franz-go ends the transaction on the broker only if it produced to
	// it; offsets sent by SendOffsetsToTransaction alone also opened it
	// there, so end it with our own EndTxn. With the wire versions capped
	// (txnVersions) EndTxn does not bump the producer epoch, so franz-go's
	// view of the producer stays right.
	offsetsOnly := p.offsetsInTxn && !p.producedTxn.Load()
	if err := p.cl.EndTransaction(ctx, commit); err != nil {
		return err
	}
	p.inTxn = false
	if !offsetsOnly {
		return nil
	}
	id, epoch, err := p.cl.ProducerID(ctx)
	if err != nil {
		return err
	}
	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = p.cfg.TransactionalID, id, epoch, bool(commit)
	resp, err := end.RequestWith(ctx, p.cl)
	if err != nil {
		return err
	}
	return kerr.ErrorForCode(resp.ErrorCode)
}

// txnVersions caps the request versions of a transactional client below
// KIP-890 part 2 (transaction.version 2), whose EndTxn bumps the producer
// epoch: the backend sends EndTxn itself for offsets-only transactions, and
// that must leave franz-go's producer epoch valid.
func txnVersions() *kversion.Versions {
	v := kversion.Stable()
	v.SetMaxKeyVersion(kmsg.Produce.Int16(), 11)
	v.SetMaxKeyVersion(kmsg.EndTxn.Int16(), 4)
	v.SetMaxKeyVersion(kmsg.TxnOffsetCommit.Int16(), 4)
	v.SetMaxKeyVersion(kmsg.AddPartitionsToTxn.Int16(), 4)
	return v
}

// SendOffsetsToTransaction adds the group's offsets to the transaction with
// AddOffsetsToTxn and TxnOffsetCommit, the requests the Java client sends.
func (p *producer) SendOffsetsToTransaction(ctx context.Context, offsets []backend.TopicPartition, g backend.GroupMetadata) error {
	p.txnMu.Lock()
	defer p.txnMu.Unlock()
	if !p.inTxn {
		return backend.Errorf(backend.CodeState, "no transaction is open: call BeginTransaction first")
	}
	p.offsetsInTxn = true
	id, epoch, err := p.cl.ProducerID(ctx)
	if err != nil {
		return err
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID = p.cfg.TransactionalID
	add.ProducerID, add.ProducerEpoch, add.Group = id, epoch, g.GroupID
	// CONCURRENT_TRANSACTIONS: the coordinator is still completing the
	// last transaction (writing its markers); ask again shortly.
	err = retryWhile(ctx, kerr.ConcurrentTransactions, func() error {
		addResp, err := add.RequestWith(ctx, p.cl)
		if err != nil {
			return err
		}
		return kerr.ErrorForCode(addResp.ErrorCode)
	})
	if err != nil {
		return err
	}
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID = p.cfg.TransactionalID
	commit.Group = g.GroupID
	commit.ProducerID, commit.ProducerEpoch = id, epoch
	commit.Generation, commit.MemberID = g.GenerationID, g.MemberID
	if g.GroupInstanceID != "" {
		commit.InstanceID = &g.GroupInstanceID
	}
	for _, o := range offsets {
		i := slices.IndexFunc(commit.Topics, func(t kmsg.TxnOffsetCommitRequestTopic) bool { return t.Topic == o.Topic })
		if i < 0 {
			i = len(commit.Topics)
			commit.Topics = append(commit.Topics, kmsg.TxnOffsetCommitRequestTopic{Topic: o.Topic})
		}
		part := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		part.Partition, part.Offset, part.LeaderEpoch = o.Partition, o.Offset, o.LeaderEpoch
		if o.Metadata != "" {
			part.Metadata = &o.Metadata
		}
		commit.Topics[i].Partitions = append(commit.Topics[i].Partitions, part)
	}
	resp, err := commit.RequestWith(ctx, p.cl)
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		for _, part := range t.Partitions {
			if err := kerr.ErrorForCode(part.ErrorCode); err != nil {
				return err
			}
		}
	}
	return nil
}

// partitioner honours the partition the root chose, and spreads records
// with PartitionAny (nil keys) over partitions, switching partition with
// each new batch like the Java client's sticky partitioner.
type partitioner struct{}

func (partitioner) ForTopic(string) kgo.TopicPartitioner { return &stickyAny{cur: -1} }

type stickyAny struct {
	cur int
}

func (s *stickyAny) RequiresConsistency(r *kgo.Record) bool { return r.Partition >= 0 }

func (s *stickyAny) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		return int(r.Partition)
	}
	if s.cur < 0 || s.cur >= n {
		s.cur = rand.IntN(n)
	}
	return s.cur
}

func (s *stickyAny) OnNewBatch() { s.cur = -1 }

// brokerWatch reports "all brokers down" once every broker the client
// dialed has failed, and again after a broker came back and all failed
// again.
type brokerWatch struct {
	onError func(error)
	// onAuth is passed the error of a connection refused for its
	// credentials or certificate, and nil for a connection that succeeded.
	onAuth  func(error)
	mu      sync.Mutex
	down    map[int32]bool
	alerted atomic.Bool
}

var _ kgo.HookBrokerConnect = (*brokerWatch)(nil)

func (w *brokerWatch) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	w.mu.Lock()
	w.down[meta.NodeID] = err != nil
	if err == nil || isAuthFailure(err) {
		w.onAuth(err)
	}
	all := true
	for _, d := range w.down {
		all = all && d
	}
	w.mu.Unlock()
	if !all {
		w.alerted.Store(false)
		return
	}
	if err != nil && w.alerted.CompareAndSwap(false, true) {
		w.onError(backend.WithCode(backend.CodeAllBrokersDown, errors.Join(errors.New("all brokers are down"), err)))
	}
}

// deadlineBuckets hands out shared record contexts that end
// delivery.timeout.ms after the record was produced, to within bucket: one
// context (and timer) per bucket instead of one per message.
type deadlineBuckets struct {
	timeout time.Duration
	cur     atomic.Pointer[deadlineBucket]
	mu      sync.Mutex
	// parent is the parent of the buckets' contexts, so that failAll can
	// end them all; guarded by mu.
	parent       context.Context
	cancelParent context.CancelFunc
}

// failAll ends the context of every record handed out so far.
func (d *deadlineBuckets) failAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancelParent != nil {
		d.cancelParent()
	}
	d.parent, d.cancelParent = nil, nil
	d.cur.Store(nil)
}

type deadlineBucket struct {
	ctx context.Context
	// cancel would release this bucket's timer alone; failAll releases
	// every bucket's through their parent.
	cancel context.CancelFunc
	until  time.Time
}

const bucket = 100 * time.Millisecond

func (d *deadlineBuckets) ctx(now time.Time) context.Context {
	if b := d.cur.Load(); b != nil && now.Before(b.until) {
		return b.ctx
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if b := d.cur.Load(); b != nil && now.Before(b.until) {
		return b.ctx
	}
	// A bucket's timer is released when its deadline passes, or by
	// failAll, which Close calls.
	if d.parent == nil {
		d.parent, d.cancelParent = context.WithCancel(context.Background())
	}
	ctx, cancel := context.WithDeadline(d.parent, now.Add(d.timeout))
	d.cur.Store(&deadlineBucket{ctx: ctx, cancel: cancel, until: now.Add(bucket)})
	return ctx
}

// isAuthFailure reports whether a connection failed for its credentials or
// the broker's certificate, which retrying does not change.
func isAuthFailure(err error) bool {
	code := franzBackend{}.Code(err)
	return code == backend.CodeSASLAuthenticationFailed || code == backend.CodeSSL
}
