package kafkaclient

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Observing a client. An observer is any value that implements one or more
// of ProduceObserver, ConsumeObserver, CommitObserver, RebalanceObserver and
// ErrorObserver; WithObserver hands it to a client, which calls the methods
// it implements. The calls come from package kafkaclient itself, where it
// sees each event, so they are the same on every backend.
//
// The contract: methods run synchronously on the goroutine of the event
// (the caller of Produce, the client's delivery goroutine, the polling
// goroutine) and must not block: a slow observer slows that goroutine, and
// with it delivery reports or Poll. A method that panics is recovered; the
// panic is logged (ClientConfig.Logger) and the event goes on as if the
// method had returned. With no observer, a client does none of this work.

// RebalanceKind says what happened to a consumer's assignment:
// RebalanceAssigned, RebalanceRevoked or RebalanceLost.
type RebalanceKind = backend.RebalanceKind

// Rebalance kinds.
const (
	RebalanceAssigned = backend.RebalanceAssigned
	RebalanceRevoked  = backend.RebalanceRevoked
	RebalanceLost     = backend.RebalanceLost
)

// ProduceObserver observes the messages a producer sends.
type ProduceObserver interface {
	// OnProduce is called for each message Produce, ProduceBatch or
	// ProduceSync is given, once it is found valid and before it is
	// buffered, on the caller's goroutine with the caller's ctx. It may
	// add headers to m (a trace context, say); they count against the
	// message's size.
	OnProduce(ctx context.Context, m *Message)
	// OnDelivery reports the outcome of a message OnProduce saw, once:
	// err is nil when Kafka acknowledged it, an *Error otherwise (also
	// when Produce itself returned the error). latency runs from
	// OnProduce to the outcome.
	OnDelivery(m *Message, latency time.Duration, err error)
}

// ConsumeObserver observes the messages a consumer returns.
type ConsumeObserver interface {
	// OnPoll is called with the messages each Poll, PollBatch,
	// PollAvailable, ReadMessage or Messages step returns, before they are
	// returned, on the polling goroutine with the caller's ctx. It must
	// not modify or keep the slice.
	OnPoll(ctx context.Context, msgs []*Message)
}

// CommitObserver observes a consumer's commits.
type CommitObserver interface {
	// OnCommit reports each commit made through the consumer
	// (CommitOffsets, CommitMessages, Commit, CommitOffsetsAsync) with
	// its outcome: err is nil or an *Error. Commits the client makes by
	// itself (enable.auto.commit) are not seen.
	OnCommit(offsets []TopicPartition, err error)
}

// RebalanceObserver observes a consumer's assignment.
type RebalanceObserver interface {
	// OnRebalance reports a change of the group assignment, right before
	// the RebalanceListener (if any) runs, with the partitions sorted.
	OnRebalance(kind RebalanceKind, partitions []TopicPartition)
}

// ErrorObserver observes client-level errors.
type ErrorObserver interface {
	// OnClientError reports an error that belongs to no call (all brokers
	// down, a fatal error), the ones a producer's Events carries.
	OnClientError(err *Error)
}

// WithObserver has the client call o's methods (see ProduceObserver and the
// other observer interfaces). It may be given more than once: each
// observer is called, in the order given.
func WithObserver(o any) Option {
	return func(opts *options) {
		if o != nil {
			opts.observers = append(opts.observers, o)
		}
	}
}

// observers are the observers of one client, by kind; nil when it has
// none.
type observers struct {
	produce   []ProduceObserver
	consume   []ConsumeObserver
	commit    []CommitObserver
	rebalance []RebalanceObserver
	errors    []ErrorObserver
	logger    *slog.Logger
}

// newObservers sorts os by the interfaces they implement; it returns nil
// when none implements any.
func newObservers(os []any, logger *slog.Logger) *observers {
	o := &observers{logger: logger}
	for _, ob := range os {
		if v, ok := ob.(ProduceObserver); ok {
			o.produce = append(o.produce, v)
		}
		if v, ok := ob.(ConsumeObserver); ok {
			o.consume = append(o.consume, v)
		}
		if v, ok := ob.(CommitObserver); ok {
			o.commit = append(o.commit, v)
		}
		if v, ok := ob.(RebalanceObserver); ok {
			o.rebalance = append(o.rebalance, v)
		}
		if v, ok := ob.(ErrorObserver); ok {
			o.errors = append(o.errors, v)
		}
	}
	if len(o.produce)+len(o.consume)+len(o.commit)+len(o.rebalance)+len(o.errors) == 0 {
		return nil
	}
	return o
}

// recover logs a panic of an observer's method.
func (o *observers) recover(method string) {
	if r := recover(); r != nil && o.logger != nil {
		o.logger.Error("kafkaclient: observer panicked", "method", method, "panic", fmt.Sprint(r))
	}
}

func (o *observers) onProduce(ctx context.Context, m *Message) {
	for _, ob := range o.produce {
		func() { defer o.recover("OnProduce"); ob.OnProduce(ctx, m) }()
	}
}

func (o *observers) onDelivery(m *Message, latency time.Duration, err error) {
	for _, ob := range o.produce {
		func() { defer o.recover("OnDelivery"); ob.OnDelivery(m, latency, err) }()
	}
}

func (o *observers) onPoll(ctx context.Context, msgs []*Message) {
	for _, ob := range o.consume {
		func() { defer o.recover("OnPoll"); ob.OnPoll(ctx, msgs) }()
	}
}

func (o *observers) onCommit(offsets []TopicPartition, err error) {
	for _, ob := range o.commit {
		func() { defer o.recover("OnCommit"); ob.OnCommit(offsets, err) }()
	}
}

func (o *observers) onRebalance(kind RebalanceKind, tps []TopicPartition) {
	for _, ob := range o.rebalance {
		func() { defer o.recover("OnRebalance"); ob.OnRebalance(kind, tps) }()
	}
}

func (o *observers) onClientError(err *Error) {
	for _, ob := range o.errors {
		func() { defer o.recover("OnClientError"); ob.OnClientError(err) }()
	}
}

// timedToken is the delivery token of a message whose latency is measured:
// every message when the producer has a ProduceObserver, else one in
// latencySampling for Stats.
type timedToken struct {
	start time.Time
	fn    DeliveryFunc
	// sample: the latency counts for Stats.
	sample bool
}

// latencySampling is how many messages, on average, one latency sample of
// Stats stands for when no ProduceObserver measures them all.
const latencySampling = 64

// sampled reports whether to measure the latency of a message for Stats.
func sampled() bool { return rand.Uint32()%latencySampling == 0 }

// LatencyStats are quantiles of recent delivery latencies: from Produce to
// the acknowledgement (or failure), over the last latencyWindow samples.
type LatencyStats struct {
	// Samples is how many measured deliveries the quantiles are over.
	Samples       int
	P50, P99, Max time.Duration
}

// latencyWindow is how many recent latency samples Stats keeps.
const latencyWindow = 1024

// latencies keeps the last latencyWindow delivery latencies.
type latencies struct {
	mu      sync.Mutex
	samples [latencyWindow]time.Duration
	n       int // samples taken, ever
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.samples[l.n%latencyWindow] = d
	l.n++
	l.mu.Unlock()
}

func (l *latencies) stats() LatencyStats {
	l.mu.Lock()
	s := slices.Clone(l.samples[:min(l.n, latencyWindow)])
	l.mu.Unlock()
	if len(s) == 0 {
		return LatencyStats{}
	}
	slices.Sort(s)
	q := func(f float64) time.Duration { return s[min(len(s)-1, int(f*float64(len(s))))] }
	return LatencyStats{Samples: len(s), P50: q(0.50), P99: q(0.99), Max: s[len(s)-1]}
}

// ProducerStats counts what a producer did since it was opened, the same
// way on every backend.
type ProducerStats struct {
	// Produced counts the messages Produce (or ProduceBatch, ProduceSync)
	// accepted, and their bytes (key, value and headers).
	Produced, ProducedBytes int64
	// Delivered counts the messages Kafka acknowledged.
	Delivered, DeliveredBytes int64
	// Failed counts the messages reported failed; FailedByCode splits
	// them by their error's Code.
	Failed, FailedBytes int64
	FailedByCode        map[Code]int64
	// Buffered counts the messages handed to the client and not yet
	// reported: waiting to be sent, or sent and waiting for an answer.
	Buffered, BufferedBytes int64
	// Latency is from Produce to the outcome.
	Latency LatencyStats
}

// producerCounters are the counts behind ProducerStats. Produced is not
// counted on its own: every message accepted is buffered, or reported.
type producerCounters struct {
	delivered, deliveredBytes atomic.Int64
	mu                        sync.Mutex
	failed, failedBytes       int64
	failedByCode              map[Code]int64
	latency                   latencies
}

// count counts the outcome of a message of size bytes.
func (c *producerCounters) count(size int64, err error) {
	if err == nil {
		c.delivered.Add(1)
		c.deliveredBytes.Add(size)
		return
	}
	c.mu.Lock()
	c.failed++
	c.failedBytes += size
	if c.failedByCode == nil {
		c.failedByCode = map[Code]int64{}
	}
	c.failedByCode[CodeOf(err)]++
	c.mu.Unlock()
}

// Stats returns what the producer did since it was opened. It does no I/O.
func (p *Producer) Stats() ProducerStats {
	c := &p.counters
	s := ProducerStats{
		Delivered: c.delivered.Load(), DeliveredBytes: c.deliveredBytes.Load(),
		Latency: c.latency.stats(),
	}
	s.Buffered, s.BufferedBytes = p.buffered.buffered()
	c.mu.Lock()
	s.Failed, s.FailedBytes = c.failed, c.failedBytes
	s.FailedByCode = make(map[Code]int64, len(c.failedByCode))
	for code, n := range c.failedByCode {
		s.FailedByCode[code] = n
	}
	c.mu.Unlock()
	s.Produced = s.Delivered + s.Failed + s.Buffered
	s.ProducedBytes = s.DeliveredBytes + s.FailedBytes + s.BufferedBytes
	return s
}

// ConsumerStats counts what a consumer did since it was opened, the same
// way on every backend, with the state of each assigned partition.
type ConsumerStats struct {
	// Consumed counts the messages Poll (and friends) returned, and their
	// bytes (key, value and headers).
	Consumed, ConsumedBytes int64
	// Commits counts the commits made through the consumer, and
	// CommitsFailed those that failed; commits the client makes by itself
	// (enable.auto.commit) are not counted.
	Commits, CommitsFailed int64
	// Rebalances counts the assignment changes: Assigned, Revoked and
	// Lost each count one.
	Rebalances int64
	// Partitions are the assigned partitions, sorted.
	Partitions []PartitionStats
}

// PartitionStats is the state of one assigned partition.
type PartitionStats struct {
	Topic     string
	Partition int32
	// Position is the offset Poll reads next, OffsetInvalid before it
	// returned a message of the partition.
	Position int64
	// Committed is the last offset committed through the consumer since
	// the partition was assigned, OffsetInvalid when none was.
	Committed int64
	// High is the high watermark the last fetch of the partition answered
	// (see GetWatermarkOffsets), OffsetInvalid when unknown.
	High int64
	// Lag is High minus Position (minus Committed before any position),
	// -1 when either is unknown.
	Lag int64
}

// consumerCounters are the counts behind ConsumerStats.
type consumerCounters struct {
	consumed, consumedBytes atomic.Int64
	commits, commitsFailed  atomic.Int64
	rebalances              atomic.Int64
}

// Stats returns what the consumer did since it was opened, and the state
// of its assigned partitions. It does no I/O.
func (c *Consumer) Stats() ConsumerStats {
	n := &c.counters
	s := ConsumerStats{
		Consumed: n.consumed.Load(), ConsumedBytes: n.consumedBytes.Load(),
		Commits: n.commits.Load(), CommitsFailed: n.commitsFailed.Load(), Rebalances: n.rebalances.Load(),
	}
	wc, _ := c.bc.(backend.WatermarkCacher)
	for _, tp := range c.Assignment() {
		ps := PartitionStats{Topic: tp.Topic, Partition: tp.Partition, Position: OffsetInvalid, Committed: OffsetInvalid, High: OffsetInvalid, Lag: -1}
		c.mu.Lock()
		if st := c.parts[tpKey{tp.Topic, tp.Partition}]; st != nil {
			if st.hasPosition {
				ps.Position = st.position
			}
			if st.hasCommitted {
				ps.Committed = st.committed
			}
		}
		c.mu.Unlock()
		if wc != nil {
			if _, high, ok := wc.CachedWatermarks(tp.Topic, tp.Partition); ok {
				ps.High = high
			}
		}
		from := ps.Position
		if from < 0 {
			from = ps.Committed
		}
		if ps.High >= 0 && from >= 0 {
			ps.Lag = max(ps.High-from, 0)
		}
		s.Partitions = append(s.Partitions, ps)
	}
	return s
}
