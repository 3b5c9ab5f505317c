package franz

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type producer struct {
	cl    *kgo.Client
	adm   *kadm.Client
	cfg   backend.ProducerConfig
	hooks backend.ProducerHooks
	// sem bounds buffered messages; franz's own limit is set above it so
	// that kgo.Produce never blocks on a context we do not control.
	sem    chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (franzBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	p := &producer{cfg: cfg, hooks: hooks, sem: make(chan struct{}, cfg.MaxBufferedMessages), closed: make(chan struct{})}
	opts = append(opts,
		kgo.RecordPartitioner(partitioner{}),
		kgo.ProducerLinger(cfg.Linger),
		kgo.ProducerBatchMaxBytes(int32(min(cfg.BatchSize, 1<<30))),
		kgo.MaxBufferedRecords(cfg.MaxBufferedMessages+1),
		kgo.MaxBufferedBytes(int(cfg.MaxBufferedBytes)),
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
		kgo.UnknownTopicRetries(2),
		kgo.WithHooks(&brokerWatch{onError: p.clientError}),
	)
	switch cfg.Acks {
	case backend.AcksAll:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case backend.AcksLeader:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case backend.AcksNone:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if cfg.Idempotence != backend.ToggleOn {
		// franz-go sizes in-flight requests itself when idempotent (at most
		// 5, which the root enforces) and takes the setting only without.
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(cfg.MaxInFlight))
	}
	switch {
	case cfg.Retries > 0:
		opts = append(opts, kgo.RecordRetries(cfg.Retries))
	case cfg.Retries < 0:
		opts = append(opts, kgo.RecordRetries(1))
	}
	switch cfg.Compression {
	case backend.CompressionNone:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case backend.CompressionGzip:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case backend.CompressionSnappy:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case backend.CompressionLZ4:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case backend.CompressionZstd:
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	}
	if cfg.TransactionalID != "" {
		opts = append(opts, kgo.TransactionalID(cfg.TransactionalID), kgo.TransactionTimeout(cfg.TransactionTimeout))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, backend.WithCode(backend.CodeBadConfig, err)
	}
	p.cl = cl
	p.adm = kadm.NewClient(cl)
	return p, nil
}

func (p *producer) clientError(err error) {
	if p.hooks.OnError != nil {
		p.hooks.OnError(err)
	}
}

func (p *producer) Produce(ctx context.Context, m *backend.Message, report backend.DeliveryFunc) error {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closed:
		return kgo.ErrClientClosed
	}
	r := &kgo.Record{
		Topic:     m.Topic,
		Partition: m.Partition,
		Key:       m.Key,
		Value:     m.Value,
		Headers:   toHeaders(m.Headers),
		Timestamp: m.Timestamp,
	}
	// The record's context must outlive this call: franz-go fails buffered
	// records whose context is canceled.
	p.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
		<-p.sem
		m.Partition = r.Partition
		m.Offset = r.Offset
		m.Timestamp = r.Timestamp
		if err != nil && errors.Is(err, kgo.ErrAborting) && p.isClosed() {
			// Failed by Close, which reports what it could not deliver
			// as CodeClosed.
			err = backend.WithCode(backend.CodeClosed, err)
		}
		report(m, err)
	})
	return nil
}

func (p *producer) PartitionCount(ctx context.Context, topic string) (int32, error) {
	md, err := p.adm.Metadata(ctx, topic)
	if err != nil {
		return 0, err
	}
	td, ok := md.Topics[topic]
	if !ok {
		return 0, kerr.UnknownTopicOrPartition
	}
	if td.Err != nil {
		return 0, td.Err
	}
	return int32(len(td.Partitions)), nil
}

func (p *producer) isClosed() bool {
	select {
	case <-p.closed:
		return true
	default:
		return false
	}
}

func (p *producer) Flush(ctx context.Context) error { return p.cl.Flush(ctx) }

func (p *producer) Close(ctx context.Context) error {
	p.once.Do(func() { close(p.closed) })
	err := p.cl.Flush(ctx)
	if err != nil {
		// Fail what is left; every promise is still called.
		p.cl.AbortBufferedRecords(context.Background()) //nolint:errcheck // best effort; Close reports the flush error
	}
	if cerr := closeWithin(ctx, p.cl.Close); err == nil {
		err = cerr
	}
	return err
}

func (p *producer) As(target any) bool {
	if a, ok := target.(**kadm.Client); ok {
		*a = p.adm
		return true
	}
	return asClient(p.cl, target)
}

// Transactions.

func (p *producer) InitTransactions(ctx context.Context) error {
	_, _, err := p.cl.ProducerID(ctx)
	return err
}

func (p *producer) BeginTransaction() error { return p.cl.BeginTransaction() }

func (p *producer) CommitTransaction(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return err
	}
	return p.cl.EndTransaction(ctx, kgo.TryCommit)
}

func (p *producer) AbortTransaction(ctx context.Context) error {
	if err := p.cl.AbortBufferedRecords(ctx); err != nil {
		return err
	}
	return p.cl.EndTransaction(ctx, kgo.TryAbort)
}

// SendOffsetsToTransaction adds the group's offsets to the transaction with
// AddOffsetsToTxn and TxnOffsetCommit, the requests the Java client sends.
func (p *producer) SendOffsetsToTransaction(ctx context.Context, offsets []backend.TopicPartition, g backend.GroupMetadata) error {
	id, epoch, err := p.cl.ProducerID(ctx)
	if err != nil {
		return err
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID = p.cfg.TransactionalID
	add.ProducerID, add.ProducerEpoch, add.Group = id, epoch, g.GroupID
	addResp, err := add.RequestWith(ctx, p.cl)
	if err != nil {
		return err
	}
	if err := kerr.ErrorForCode(addResp.ErrorCode); err != nil {
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
	byTopic := map[string]int{}
	for _, o := range offsets {
		i, ok := byTopic[o.Topic]
		if !ok {
			t := kmsg.NewTxnOffsetCommitRequestTopic()
			t.Topic = o.Topic
			commit.Topics = append(commit.Topics, t)
			i = len(commit.Topics) - 1
			byTopic[o.Topic] = i
		}
		part := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		part.Partition, part.Offset, part.LeaderEpoch = o.Partition, o.Offset, o.LeaderEpoch
		if o.Metadata != "" {
			md := o.Metadata
			part.Metadata = &md
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
	mu      sync.Mutex
	down    map[int32]bool
	alerted atomic.Bool
}

var (
	_ kgo.HookBrokerConnect = (*brokerWatch)(nil)
)

func (w *brokerWatch) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	w.mu.Lock()
	if w.down == nil {
		w.down = map[int32]bool{}
	}
	w.down[meta.NodeID] = err != nil
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
