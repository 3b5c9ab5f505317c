package kafkaclient

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// RebalanceListener is told when the consumer's partitions change. Its
// methods run on the goroutine that calls Poll, PollBatch or ReadMessage,
// inside that call (the Java and librdkafka model), or inside Close: user
// code never races its own processing. The consumer passed in may be used
// to commit, seek or pause.
type RebalanceListener interface {
	// OnAssigned: the partitions were added to the assignment. Messages of
	// them are returned after it returns.
	OnAssigned(ctx context.Context, c *Consumer, partitions []TopicPartition) error
	// OnRevoked: the partitions are being taken away in an orderly
	// rebalance (or by Close). Commit processed offsets here; the commit
	// still succeeds.
	OnRevoked(ctx context.Context, c *Consumer, partitions []TopicPartition) error
	// OnLost: the partitions were lost (session timeout, fencing); another
	// member may already own them, so do not commit.
	OnLost(ctx context.Context, c *Consumer, partitions []TopicPartition) error
}

// RebalanceFuncs adapts functions to a RebalanceListener; nil fields do
// nothing.
type RebalanceFuncs struct {
	Assigned func(ctx context.Context, c *Consumer, partitions []TopicPartition) error
	Revoked  func(ctx context.Context, c *Consumer, partitions []TopicPartition) error
	Lost     func(ctx context.Context, c *Consumer, partitions []TopicPartition) error
}

// OnAssigned implements RebalanceListener.
func (f RebalanceFuncs) OnAssigned(ctx context.Context, c *Consumer, tps []TopicPartition) error {
	if f.Assigned == nil {
		return nil
	}
	return f.Assigned(ctx, c, tps)
}

// OnRevoked implements RebalanceListener.
func (f RebalanceFuncs) OnRevoked(ctx context.Context, c *Consumer, tps []TopicPartition) error {
	if f.Revoked == nil {
		return nil
	}
	return f.Revoked(ctx, c, tps)
}

// OnLost implements RebalanceListener.
func (f RebalanceFuncs) OnLost(ctx context.Context, c *Consumer, tps []TopicPartition) error {
	if f.Lost == nil {
		return nil
	}
	return f.Lost(ctx, c, tps)
}

type tpKey struct {
	topic     string
	partition int32
}

// rebalanceReq is a rebalance waiting for the polling goroutine.
type rebalanceReq struct {
	ctx   context.Context
	kind  backend.RebalanceKind
	tps   []TopicPartition
	done  chan struct{}
	err   error
	taken atomic.Bool
}

// Consumer reads messages, usually as a member of a consumer group. Poll,
// PollBatch and ReadMessage are meant for one goroutine; the other methods
// may be called from any goroutine. Close it when done: Close commits (when
// auto-commit is on), leaves the group and releases everything.
type Consumer struct {
	core
	cfg ConsumerConfig
	bc  backend.Consumer

	closed atomic.Bool

	mu       sync.Mutex
	listener RebalanceListener
	mode     int // 0 none, 1 subscribed, 2 manually assigned
	assigned map[tpKey]struct{}
	// parts tracks what Poll returned of each partition; hot is the entry
	// of the partition Poll returned last (nil when it was deleted), so
	// that a run of messages of one partition costs no map lookup.
	parts      map[tpKey]*partState
	hot        *partState
	hotKey     tpKey
	pollCancel context.CancelFunc
	// unassigns counts the times partitions were taken away (revoked or
	// lost); unassignedAt holds, per partition, the count when it last was,
	// so that PollBatch can drop what it collected of it before.
	unassigns    uint64
	unassignedAt map[tpKey]uint64

	rebal chan *rebalanceReq

	// obs are the observers, nil without; counters are Stats'.
	obs      *observers
	counters consumerCounters
	// protocolChecked: the brokers serve group.protocol=consumer.
	protocolChecked atomic.Bool
}

const (
	modeNone = iota
	modeSubscribed
	modeAssigned
)

// NewConsumer opens a consumer. The config is validated and defaults are
// applied; it is not modified. Call Subscribe or Assign to start consuming.
func NewConsumer(cfg ConsumerConfig, opts ...Option) (*Consumer, error) {
	prepared, b, err := prepare(cfg, opts, func(c *ConsumerConfig) *ClientConfig { return &c.ClientConfig }, prepareConsumer)
	if err != nil {
		return nil, err
	}
	c := &Consumer{
		core:     newCore(b, "consumer"),
		cfg:      prepared,
		assigned: map[tpKey]struct{}{},
		parts:    map[tpKey]*partState{},
		rebal:    make(chan *rebalanceReq, 16),
	}
	c.async = asyncCommits{mu: &c.mu, wake: c.interruptPollLocked}
	c.obs = newObservers(applyOptions(opts).observers, prepared.Logger)
	bc, err := b.NewConsumer(prepared, backend.ConsumerHooks{Rebalance: c.onRebalance, OnError: c.onClientError})
	if err != nil {
		return nil, c.errs.wrap("open consumer", "", -1, err)
	}
	c.bc = bc
	return c, nil
}

// NewConsumerFromMap parses m (see ConfigMap) and opens a consumer.
func NewConsumerFromMap(m ConfigMap, opts ...Option) (*Consumer, error) {
	return fromMap(m, opts, parseConsumerConfig, NewConsumer)
}

// Config returns the consumer's effective config, defaults applied. It is a
// copy: changing it does not change the consumer.
func (c *Consumer) Config() ConsumerConfig {
	cfg := c.cfg
	cfg.ClientConfig = effectiveClient(cfg.ClientConfig)
	cfg.Assignors = slices.Clone(cfg.Assignors)
	return cfg
}

// Backend returns the name of the backend the consumer runs on.
func (c *Consumer) Backend() string { return c.b.Name() }

// Capabilities returns what the consumer's backend supports.
func (c *Consumer) Capabilities() Capabilities { return capabilitiesOf(c.b, c.bc) }

// As sets target to the underlying client if its type matches.
func (c *Consumer) As(target any) bool { return as(c.bc, target) }

func (c *Consumer) onClientError(err error) {
	werr := c.errs.wrap("client", "", -1, err)
	if l := c.cfg.Logger; l != nil {
		l.Warn("kafkaclient: consumer error", "err", werr)
	}
	if e, ok := werr.(*Error); ok && c.obs != nil {
		c.obs.onClientError(e)
	}
}

// core is what Consumer and ShareConsumer share: the backend, its error
// mapper, the asynchronous commits, the state of Close and the helpers
// built on them.
type core struct {
	b       backend.Backend
	errs    errorMapper
	closing atomic.Bool
	name    string // the client in messages: "consumer", "share consumer"
	// async are the CommitOffsetsAsync or CommitAsync commits.
	async asyncCommits
	// closeErr is Close's result, set before done is closed.
	closeErr error
	done     chan struct{}
}

func newCore(b backend.Backend, name string) core {
	return core{b: b, errs: errorMapper{b}, name: name, done: make(chan struct{})}
}

// closeBegun starts Close, or reports that it has begun already, with what
// this Close returns then: nil at once when called from a callback the
// first Close runs, else the first Close's result once it ends.
func (c *core) closeBegun() (bool, error) {
	if c.closing.CompareAndSwap(false, true) {
		return false, nil
	}
	if c.async.inClose.Load() {
		return true, nil
	}
	<-c.done
	return true, c.closeErr
}

// fail returns an *Error of op naming the backend.
func (c *core) fail(op string, code Code, format string, args ...any) *Error {
	e := newError(op, code, format, args...)
	e.Backend = c.b.Name()
	return e
}

// usable is nil, or CodeClosed once Close has begun.
func (c *core) usable(op string) error {
	if c.closing.Load() {
		return c.fail(op, CodeClosed, "%s is closed", c.name)
	}
	return nil
}

// Subscribe joins the consumer group (ConsumerConfig.GroupID) and consumes
// the topics; subscribing again replaces the topic list. listener, which
// may be nil, is told of partition changes. It returns once the
// subscription is registered; partitions are assigned in the background and
// reported to listener inside Poll. ctx bounds the registration.
func (c *Consumer) Subscribe(ctx context.Context, topics []string, listener RebalanceListener) error {
	const op = "subscribe"
	if err := c.usable(op); err != nil {
		return err
	}
	if c.cfg.GroupID == "" {
		return c.fail(op, CodeInvalidArg, "subscribe needs a consumer group: set group.id")
	}
	if len(topics) == 0 {
		return c.fail(op, CodeInvalidArg, "no topics given")
	}
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			err.Op = op
			return err
		}
	}
	if err := c.checkGroupProtocol(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	if c.mode == modeAssigned {
		c.mu.Unlock()
		return c.fail(op, CodeState, "consumer has a manual assignment; Subscribe and Assign cannot be mixed")
	}
	c.listener = listener
	c.mode = modeSubscribed
	c.mu.Unlock()
	return c.errs.wrap(op, "", -1, c.bc.Subscribe(ctx, slices.Clone(topics)))
}

// checkGroupProtocol refuses group.protocol=consumer, once, when no broker
// of the cluster serves its generally available version (Kafka 4.0's
// ConsumerGroupHeartbeat v1, KIP-1082): the clients would otherwise fall
// back to the classic protocol, or, on 3.x's early-access version, wait
// for ever (librdkafka). A cluster that cannot be asked is the client's to
// find out about.
func (c *Consumer) checkGroupProtocol(ctx context.Context) error {
	if c.cfg.GroupProtocol != GroupProtocolConsumer || c.protocolChecked.Load() {
		return nil
	}
	lacking := brokersLacking(ctx, c.cfg.ClientConfig, c.b, APIConsumerGroupHeartbeat, 1)
	if len(lacking) == 0 {
		c.protocolChecked.Store(true)
		return nil
	}
	return c.fail("subscribe", CodeUnsupportedVersion, "group.protocol=consumer needs brokers that serve version 1 of the ConsumerGroupHeartbeat API (KIP-848 as released in Kafka 4.0): brokers %s do not; use group.protocol=classic", strings.Join(lacking, ", "))
}

// brokersLacking asks the cluster of cc, through an admin of b, which
// brokers do not serve api at version (or later), and returns their ids.
// When the cluster cannot be asked, it returns none: finding out is then
// the client's.
func brokersLacking(ctx context.Context, cc ClientConfig, b backend.Backend, api APIKey, version int16) []string {
	a, err := NewAdmin(AdminConfig{ClientConfig: cc}, WithBackend(b))
	if err != nil {
		return nil
	}
	defer a.Close(ctx) //nolint:errcheck // only read from
	brokers, err := a.BrokerAPIs(ctx)
	if err != nil {
		return nil
	}
	var lacking []string
	for _, br := range brokers {
		if br.Err != nil {
			continue
		}
		if br.Supports(api, version) {
			return nil // the brokers of one cluster serve one version
		}
		lacking = append(lacking, strconv.Itoa(int(br.Broker.ID)))
	}
	return lacking
}

// Assign consumes exactly these partitions without group management,
// starting at each one's Offset (OffsetBeginning, OffsetEnd, OffsetStored or
// an offset). Assigning again replaces the assignment. It needs a backend
// with Capabilities.ManualAssign. ctx bounds the offset look-ups it needs.
//
// OffsetStored is the group's committed offset, read when Assign is called
// (with an admin client opened for it); a partition without one starts
// where auto.offset.reset says, and with auto.offset.reset=none Assign
// fails with CodeOffsetOutOfRange.
func (c *Consumer) Assign(ctx context.Context, partitions []TopicPartition) error {
	const op = "assign"
	assigner, err := consumerOp[backend.Assigner](c, op, "manual partition assignment")
	if err != nil {
		return err
	}
	if partitions, err = c.startsOf(op, ctx, partitions, false); err != nil {
		return err
	}
	c.mu.Lock()
	c.mode = modeAssigned
	c.assigned = make(map[tpKey]struct{}, len(partitions))
	for _, tp := range partitions {
		c.assigned[tpKey{tp.Topic, tp.Partition}] = struct{}{}
	}
	for k, st := range c.parts {
		if _, ok := c.assigned[k]; !ok {
			st.hasDelivered, st.hasCommitted = false, false
		}
	}
	c.mu.Unlock()
	return c.errs.wrap(op, "", -1, assigner.Assign(ctx, partitions))
}

// startsOf checks the partitions of a manual assignment and their starting
// offsets, and resolves OffsetStored: for Assign, and for IncrementalAssign
// (added), whose partitions must not be assigned yet.
func (c *Consumer) startsOf(op string, ctx context.Context, partitions []TopicPartition, added bool) ([]TopicPartition, error) {
	for _, tp := range partitions {
		if err := validTopic(tp.Topic); err != nil {
			err.Op = op
			return nil, err
		}
		if tp.Partition < 0 {
			return nil, c.fail(op, CodeInvalidArg, "partition %d of %q is invalid", tp.Partition, tp.Topic)
		}
		if tp.Offset < 0 && tp.Offset != OffsetBeginning && tp.Offset != OffsetEnd && tp.Offset != OffsetStored {
			return nil, c.fail(op, CodeInvalidArg, "offset %d of %q[%d] is invalid: use an offset >= 0, OffsetBeginning, OffsetEnd or OffsetStored", tp.Offset, tp.Topic, tp.Partition)
		}
	}
	c.mu.Lock()
	subscribed := c.mode == modeSubscribed
	i := slices.IndexFunc(partitions, func(tp TopicPartition) bool { _, ok := c.assigned[tpKey{tp.Topic, tp.Partition}]; return added && ok })
	c.mu.Unlock()
	if subscribed {
		return nil, c.fail(op, CodeState, "consumer is subscribed; Subscribe and manual assignment cannot be mixed")
	}
	if i >= 0 {
		e := c.fail(op, CodeState, "partition is already assigned: use Seek to move it")
		e.Topic, e.Partition = partitions[i].Topic, partitions[i].Partition
		return nil, e
	}
	return c.resolveStored(ctx, partitions)
}

// IncrementalAssign adds the partitions to the manual assignment, each
// starting at its Offset as with Assign, without restarting the partitions
// already assigned (with Assign, or earlier IncrementalAssign calls). A
// partition already assigned fails the call with CodeState.
func (c *Consumer) IncrementalAssign(ctx context.Context, partitions ...TopicPartition) error {
	const op = "incremental assign"
	ia, err := consumerOp[backend.IncrementalAssigner](c, op, "incremental assignment")
	if err != nil {
		return err
	}
	if partitions, err = c.startsOf(op, ctx, partitions, true); err != nil || len(partitions) == 0 {
		return err
	}
	c.mu.Lock()
	c.mode = modeAssigned
	for _, tp := range partitions {
		c.assigned[tpKey{tp.Topic, tp.Partition}] = struct{}{}
	}
	c.mu.Unlock()
	return c.errs.wrap(op, "", -1, ia.IncrementalAssign(ctx, partitions))
}

// IncrementalUnassign removes the partitions from the manual assignment;
// the others go on. Messages of them fetched and not yet returned are
// dropped. The partitions must be assigned (CodeNotAssigned).
func (c *Consumer) IncrementalUnassign(ctx context.Context, partitions ...TopicPartition) error {
	const op = "incremental unassign"
	ia, err := consumerOp[backend.IncrementalAssigner](c, op, "incremental assignment")
	if err != nil {
		return err
	}
	if err := c.checkAssigned(op, partitions); err != nil || len(partitions) == 0 {
		return err
	}
	if err := ia.IncrementalUnassign(ctx, slices.Clone(partitions)); err != nil {
		return c.errs.wrap(op, "", -1, err)
	}
	c.mu.Lock()
	c.unassignLocked(partitions)
	c.mu.Unlock()
	return nil
}

// GetWatermarkOffsets returns the partition's log start offset (low) and
// high watermark as the consumer's last fetch of it answered, without
// asking the broker (QueryWatermarkOffsets does): OffsetInvalid for both
// before the first fetch, and for low where the backend's client does not
// report it. The partition must be assigned.
func (c *Consumer) GetWatermarkOffsets(topic string, partition int32) (low, high int64, err error) {
	const op = "watermark offsets"
	wc, err := consumerOp[backend.WatermarkCacher](c, op, "cached watermarks")
	if err == nil {
		err = c.checkAssigned(op, []TopicPartition{{Topic: topic, Partition: partition}})
	}
	if err != nil {
		return OffsetInvalid, OffsetInvalid, err
	}
	low, high, ok := wc.CachedWatermarks(topic, partition)
	if !ok {
		return OffsetInvalid, OffsetInvalid, nil
	}
	if low < 0 {
		low = OffsetInvalid
	}
	return low, high, nil
}

// resolveStored returns a copy of tps in which OffsetStored is the group's
// committed offset, or where there is none (or no group), the offset
// auto.offset.reset names. The committed offsets are read with an admin
// client of the consumer's backend, opened for the purpose.
func (c *Consumer) resolveStored(ctx context.Context, tps []TopicPartition) ([]TopicPartition, error) {
	tps = slices.Clone(tps)
	if !slices.ContainsFunc(tps, func(tp TopicPartition) bool { return tp.Offset == OffsetStored }) {
		return tps, nil
	}
	committed := map[tpKey]int64{}
	if c.cfg.GroupID != "" {
		a, err := NewAdmin(AdminConfig{ClientConfig: c.cfg.ClientConfig}, WithBackend(c.b))
		if err != nil {
			return nil, err
		}
		offsets, err := a.ListConsumerGroupOffsets(ctx, c.cfg.GroupID)
		a.Close(ctx) //nolint:errcheck // only read from
		// A group that never committed may not exist yet.
		if err != nil && CodeOf(err) != CodeGroupIDNotFound {
			return nil, c.errs.wrap("assign", "", -1, err)
		}
		for _, o := range offsets {
			committed[tpKey{o.Topic, o.Partition}] = o.Offset
		}
	}
	for i, tp := range tps {
		if tp.Offset != OffsetStored {
			continue
		}
		if o, ok := committed[tpKey{tp.Topic, tp.Partition}]; ok && o >= 0 {
			tps[i].Offset = o
			continue
		}
		switch c.cfg.AutoOffsetReset {
		case OffsetResetEarliest:
			tps[i].Offset = OffsetBeginning
		case OffsetResetLatest:
			tps[i].Offset = OffsetEnd
		default:
			e := c.fail("assign", CodeOffsetOutOfRange, "partition has no committed offset and auto.offset.reset is none: assign an offset, OffsetBeginning or OffsetEnd")
			e.Topic, e.Partition = tp.Topic, tp.Partition
			return nil, e
		}
	}
	return tps, nil
}

// Assignment returns the partitions currently assigned, sorted.
func (c *Consumer) Assignment() []TopicPartition {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TopicPartition, 0, len(c.assigned))
	for k := range c.assigned {
		out = append(out, TopicPartition{Topic: k.topic, Partition: k.partition, Offset: OffsetInvalid, LeaderEpoch: -1})
	}
	return sortedTopicPartitions(out)
}

// onRebalance is the backend's hook; see backend.ConsumerHooks.
func (c *Consumer) onRebalance(ctx context.Context, kind backend.RebalanceKind, tps []TopicPartition, inPoll bool) error {
	c.mu.Lock()
	listener := c.listener
	c.mu.Unlock()
	if listener == nil || inPoll || c.closing.Load() {
		return c.runRebalance(ctx, kind, tps)
	}
	r := &rebalanceReq{ctx: ctx, kind: kind, tps: tps, done: make(chan struct{})}
	select {
	case c.rebal <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.interruptPoll()
	select {
	case <-r.done:
		return r.err
	case <-c.done:
	case <-ctx.Done():
	}
	// The poller did not take it in time (or Close started): run it here.
	if r.taken.CompareAndSwap(false, true) {
		r.err = c.runRebalance(ctx, kind, tps)
		close(r.done)
		return r.err
	}
	<-r.done
	return r.err
}

func (c *Consumer) interruptPoll() {
	c.mu.Lock()
	c.interruptPollLocked()
	c.mu.Unlock()
}

// interruptPollLocked is interruptPoll with c.mu held.
func (c *Consumer) interruptPollLocked() {
	if c.pollCancel != nil {
		c.pollCancel()
	}
}

// runRebalance updates the assignment and calls the listener, in the order
// that keeps commits legal: added before OnAssigned, revoked after
// OnRevoked, lost before OnLost.
func (c *Consumer) runRebalance(ctx context.Context, kind backend.RebalanceKind, tps []TopicPartition) error {
	c.mu.Lock()
	listener := c.listener
	if kind == backend.RebalanceAssigned {
		for _, tp := range tps {
			c.assigned[tpKey{tp.Topic, tp.Partition}] = struct{}{}
		}
	}
	if kind == backend.RebalanceLost {
		c.unassignLocked(tps)
	}
	c.mu.Unlock()
	c.counters.rebalances.Add(1)
	var sorted []TopicPartition
	if listener != nil || c.obs != nil {
		sorted = sortedTopicPartitions(slices.Clone(tps))
	}
	if c.obs != nil {
		c.obs.onRebalance(kind, sorted)
	}
	var err error
	if listener != nil {
		switch kind {
		case backend.RebalanceAssigned:
			err = listener.OnAssigned(ctx, c, sorted)
		case backend.RebalanceRevoked:
			err = listener.OnRevoked(ctx, c, sorted)
		case backend.RebalanceLost:
			err = listener.OnLost(ctx, c, sorted)
		}
	}
	if kind == backend.RebalanceRevoked {
		c.mu.Lock()
		c.unassignLocked(tps)
		c.mu.Unlock()
	}
	if err != nil && c.cfg.Logger != nil {
		c.cfg.Logger.Warn("kafkaclient: rebalance listener failed", "kind", kind.String(), "err", err)
	}
	return err
}

func (c *Consumer) unassignLocked(tps []TopicPartition) {
	c.unassigns++
	if c.unassignedAt == nil {
		c.unassignedAt = map[tpKey]uint64{}
	}
	for _, tp := range tps {
		k := tpKey{tp.Topic, tp.Partition}
		delete(c.assigned, k)
		delete(c.parts, k)
		c.unassignedAt[k] = c.unassigns
	}
	c.hot = nil
}

// unassignCount is c.unassigns.
func (c *Consumer) unassignCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unassigns
}

// keepAssigned drops from msgs, collected when c.unassigns was since, the
// messages of partitions taken away after that: the group delivers them
// again to whichever member owns the partition now, from its last commit.
func (c *Consumer) keepAssigned(msgs []*Message, since uint64) []*Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unassigns == since {
		return msgs
	}
	return slices.DeleteFunc(msgs, func(m *Message) bool { return c.unassignedAt[tpKey{m.Topic, m.Partition}] > since })
}

// runPending runs rebalances queued for the polling goroutine, and the
// reports of finished asynchronous commits.
func (c *Consumer) runPending() {
	c.async.runReports()
	for {
		select {
		case r := <-c.rebal:
			if r.taken.CompareAndSwap(false, true) {
				r.err = c.runRebalance(r.ctx, r.kind, r.tps)
				close(r.done)
			}
		default:
			return
		}
	}
}

// Poll returns the next message, waiting until one arrives or ctx is done;
// then it returns an *Error with CodeTimedOut (deadline) or CodeCanceled.
// Rebalance listeners run inside Poll.
func (c *Consumer) Poll(ctx context.Context) (*Message, error) {
	msgs, err := c.poll(ctx, 1)
	if err != nil {
		return nil, err
	}
	return msgs[0], nil
}

// ReadMessage is Poll with a timeout, the shape of confluent-kafka-go's
// ReadMessage: an expired timeout is an *Error matching ErrTimedOut.
func (c *Consumer) ReadMessage(timeout time.Duration) (*Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Poll(ctx)
}

// PollBatch returns up to max messages: it collects until it has max or ctx
// is done, and returns what it has. When ctx ends before any message came,
// it returns an *Error with CodeTimedOut or CodeCanceled. Commit the last
// message of a batch to commit the whole batch. With manual commits
// (DisableAutoCommit), when a rebalance takes a partition away while
// PollBatch collects, what it collected of that partition is left out: the
// group delivers it again from its last commit. With auto-commit it is kept,
// since the client commits what it returned when the partition goes.
func (c *Consumer) PollBatch(ctx context.Context, max int) ([]*Message, error) {
	if max <= 0 {
		return nil, c.fail("poll", CodeInvalidArg, "batch size %d is invalid: want at least 1", max)
	}
	var (
		out []*Message
		// since is c.unassigns when the messages in out were returned:
		// a rebalance in a later poll may take their partitions away.
		since uint64
	)
	for len(out) < max {
		msgs, err := c.poll(ctx, max-len(out))
		if len(out) > 0 && c.cfg.DisableAutoCommit {
			// With auto-commit, the client counts what it returned as
			// consumed and commits it when the partition goes: the
			// group does not deliver it again, so it is kept.
			out = c.keepAssigned(out, since)
		}
		if err != nil {
			if len(out) > 0 && ctx.Err() != nil {
				return out, nil
			}
			return out, err
		}
		if out == nil && len(msgs) == max {
			return msgs, nil
		}
		out = append(out, msgs...)
		since = c.unassignCount()
	}
	return out, nil
}

// PollAvailable returns the messages the client has ready, up to max,
// waiting only until the first one arrives: the high-throughput form of
// Poll (franz-go's PollRecords, a librdkafka poll loop), which hands over
// one fetch at a time instead of one message. When ctx ends before any
// message came, it returns an *Error with CodeTimedOut or CodeCanceled.
// Rebalance listeners run inside it, as in Poll.
func (c *Consumer) PollAvailable(ctx context.Context, max int) ([]*Message, error) {
	if max <= 0 {
		return nil, c.fail("poll", CodeInvalidArg, "batch size %d is invalid: want at least 1", max)
	}
	return c.poll(ctx, max)
}

func (c *Consumer) poll(ctx context.Context, max int) ([]*Message, error) {
	for {
		if err := c.usable("poll"); err != nil {
			return nil, err
		}
		c.mu.Lock()
		mode, listener, async := c.mode, c.listener, c.async.inflight > 0
		c.mu.Unlock()
		if mode == modeNone {
			return nil, c.fail("poll", CodeState, "consumer has no subscription or assignment: call Subscribe or Assign first")
		}
		c.runPending()
		if err := ctx.Err(); err != nil {
			return nil, ctxError("poll", ctx)
		}
		var (
			msgs []*Message
			err  error
			pctx = ctx
		)
		if listener == nil && !async {
			// No listener and no asynchronous commit to report:
			// rebalances run in place and need not interrupt the poll
			// (Close interrupts it by closing the backend).
			msgs, err = c.bc.Poll(ctx, max)
		} else {
			var cancel context.CancelFunc
			pctx, cancel = context.WithCancel(ctx)
			c.mu.Lock()
			c.pollCancel = cancel
			if len(c.rebal) > 0 || len(c.async.done) > 0 {
				cancel()
			}
			c.mu.Unlock()
			msgs, err = c.bc.Poll(pctx, max)
			c.mu.Lock()
			c.pollCancel = nil
			c.mu.Unlock()
			cancel()
		}
		if err != nil || len(msgs) == 0 {
			if ctx.Err() != nil {
				return nil, ctxError("poll", ctx)
			}
			if pctx.Err() != nil || err == nil {
				continue // interrupted for a rebalance, or spurious wake-up
			}
			if c.closing.Load() {
				return nil, c.fail("poll", CodeClosed, "consumer is closed")
			}
			return nil, c.errs.wrap("poll", "", -1, err)
		}
		c.noteDelivered(msgs)
		var size int64
		for _, m := range msgs {
			size += messageSize(m)
		}
		c.counters.consumed.Add(int64(len(msgs)))
		c.counters.consumedBytes.Add(size)
		if c.obs != nil {
			c.obs.onPoll(ctx, msgs)
		}
		return msgs, nil
	}
}

// checkDelivered refuses to commit messages that Poll did not return since
// their partition was last assigned: after a rebalance took the partition
// away and gave it back, the group resumes from its last commit, so those
// messages are delivered again and committing them now would skip the copies
// still to come.
func (c *Consumer) checkDelivered(msgs []*Message) error {
	if c.closed.Load() {
		return nil // CommitOffsets reports it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		k := tpKey{m.Topic, m.Partition}
		if _, ok := c.assigned[k]; !ok {
			continue // CommitOffsets reports it
		}
		if st := c.parts[k]; st == nil || !st.hasDelivered || m.Offset < st.delivered.first || m.Offset >= st.delivered.next {
			e := c.fail("commit", CodeIllegalGeneration, "message at offset %d was not delivered since the partition was last assigned (a rebalance took it away and gave it back): it will be delivered again; process and commit it then", m.Offset)
			e.Topic, e.Partition = m.Topic, m.Partition
			return e
		}
	}
	return nil
}

// CommitMessages commits, for each partition of msgs, the offset after the
// highest message: the messages are processed. It waits for the broker's
// answer. The messages must be ones Poll returned since their partition was
// last assigned: a message delivered before a rebalance took its partition
// away (even if the partition came back) fails with CodeIllegalGeneration,
// because the group resumes from its last commit and delivers it again.
// Use CommitOffsets to commit arbitrary offsets.
func (c *Consumer) CommitMessages(ctx context.Context, msgs ...*Message) error {
	highest := map[tpKey]int64{}
	for _, m := range msgs {
		if m == nil {
			return c.fail("commit", CodeInvalidArg, "message is nil")
		}
		k := tpKey{m.Topic, m.Partition}
		if o, ok := highest[k]; !ok || m.Offset+1 > o {
			highest[k] = m.Offset + 1
		}
	}
	if err := c.checkDelivered(msgs); err != nil {
		return err
	}
	offsets := make([]TopicPartition, 0, len(highest))
	for k, o := range highest {
		offsets = append(offsets, TopicPartition{Topic: k.topic, Partition: k.partition, Offset: o, LeaderEpoch: -1})
	}
	return c.CommitOffsets(ctx, sortedTopicPartitions(offsets)...)
}

// span is a range of offsets [first, next) of one partition.
type span struct{ first, next int64 }

// partState is what Poll returned of one partition.
type partState struct {
	// position is the offset after the last message returned, if
	// hasPosition (Seek clears it).
	position    int64
	hasPosition bool
	// delivered spans the offsets returned since the partition was
	// assigned, if hasDelivered: CommitMessages commits only messages
	// inside it.
	delivered    span
	hasDelivered bool
	// committed is the last offset committed through the consumer, if
	// hasCommitted.
	committed    int64
	hasCommitted bool
}

// stateLocked returns the entry of the partition, creating it.
func (c *Consumer) stateLocked(topic string, partition int32) *partState {
	if c.hot != nil && c.hotKey.partition == partition && c.hotKey.topic == topic {
		return c.hot
	}
	k := tpKey{topic, partition}
	st := c.parts[k]
	if st == nil {
		st = &partState{}
		c.parts[k] = st
	}
	c.hot, c.hotKey = st, k
	return st
}

// noteDelivered records the positions and delivered spans of msgs, once
// per run of messages of one partition.
func (c *Consumer) noteDelivered(msgs []*Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < len(msgs); {
		m := msgs[i]
		lo, hi := m.Offset, m.Offset
		j := i + 1
		for ; j < len(msgs) && msgs[j].Partition == m.Partition && msgs[j].Topic == m.Topic; j++ {
			lo, hi = min(lo, msgs[j].Offset), max(hi, msgs[j].Offset)
		}
		st := c.stateLocked(m.Topic, m.Partition)
		st.position, st.hasPosition = msgs[j-1].Offset+1, true
		if st.hasDelivered {
			st.delivered = span{min(st.delivered.first, lo), max(st.delivered.next, hi+1)}
		} else {
			st.delivered, st.hasDelivered = span{lo, hi + 1}, true
		}
		i = j
	}
}

// CommitOffsets commits the offsets (each the next offset to read) for the
// group, waiting for the broker's answer. Every partition must be assigned
// to this consumer: committing for a partition another member owns would
// rewind or skip its progress, so it fails with CodeNotAssigned.
func (c *Consumer) CommitOffsets(ctx context.Context, offsets ...TopicPartition) error {
	const op = "commit"
	if err := c.checkCommit(op, offsets); err != nil || len(offsets) == 0 {
		return err
	}
	return c.sendCommit(op, ctx, offsets)
}

// checkCommit checks that offsets may be committed: the consumer is open
// and in a group, and each partition is assigned with an offset >= 0.
func (c *Consumer) checkCommit(op string, offsets []TopicPartition) error {
	if c.closed.Load() {
		return c.fail(op, CodeClosed, "consumer is closed")
	}
	if c.cfg.GroupID == "" {
		return c.fail(op, CodeInvalidArg, "committing needs a consumer group: set group.id")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range offsets {
		if _, ok := c.assigned[tpKey{o.Topic, o.Partition}]; !ok {
			e := c.fail(op, CodeNotAssigned, "partition is not assigned to this consumer; commit only partitions returned by Assignment")
			e.Topic, e.Partition = o.Topic, o.Partition
			return e
		}
		if o.Offset < 0 {
			e := c.fail(op, CodeInvalidArg, "offset %d is invalid: commit the next offset to read (>= 0)", o.Offset)
			e.Topic, e.Partition = o.Topic, o.Partition
			return e
		}
	}
	return nil
}

// sendCommit commits offsets, checked already.
func (c *Consumer) sendCommit(op string, ctx context.Context, offsets []TopicPartition) error {
	if ctx.Err() != nil {
		// Not started: a backend may finish a commit after its ctx ended.
		return ctxError(op, ctx)
	}
	err := c.bc.Commit(ctx, slices.Clone(offsets))
	if err != nil {
		if ctx.Err() != nil {
			err = ctxError(op, ctx)
		} else {
			err = c.errs.wrap(op, "", -1, err)
		}
	}
	c.counted(offsets, err)
	return err
}

// counted records a commit of offsets, made or failed with err, for Stats
// and the observers.
func (c *Consumer) counted(offsets []TopicPartition, err error) {
	c.counters.commits.Add(1)
	if err != nil {
		c.counters.commitsFailed.Add(1)
	} else {
		c.mu.Lock()
		for _, o := range offsets {
			if _, ok := c.assigned[tpKey{o.Topic, o.Partition}]; ok {
				st := c.stateLocked(o.Topic, o.Partition)
				st.committed, st.hasCommitted = o.Offset, true
			}
		}
		c.mu.Unlock()
	}
	if c.obs != nil {
		c.obs.onCommit(offsets, err)
	}
}

// CommitOffsetsAsync commits offsets, as CommitOffsets does, in the
// background, and reports the outcome to done on the polling goroutine:
// inside a later Poll (which the report wakes), or inside Close, which
// waits for commits in flight. It returns at once; an error it returns
// (closed consumer, no group, a partition not assigned, a negative offset)
// means nothing was sent and done is not called. The commit is bounded by
// request.timeout.ms. Commits complete in any order: do not rely on a later
// one landing last.
func (c *Consumer) CommitOffsetsAsync(offsets []TopicPartition, done func(offsets []TopicPartition, err error)) error {
	const op = "commit"
	if err := c.checkCommit(op, offsets); err != nil {
		return err
	}
	offsets = slices.Clone(offsets)
	started := c.async.start(func() func() {
		var err error
		if len(offsets) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
			err = c.sendCommit(op, ctx, offsets)
			cancel()
		}
		return func() {
			if done != nil {
				done(offsets, err)
			}
		}
	})
	if !started {
		return c.fail(op, CodeClosed, "consumer is closed")
	}
	return nil
}

// Commit commits the position after the last message returned by Poll for
// every assigned partition, and returns what it committed. It is the
// guide's c.Commit(), for example in OnRevoked.
func (c *Consumer) Commit(ctx context.Context) ([]TopicPartition, error) {
	c.mu.Lock()
	offsets := make([]TopicPartition, 0, len(c.parts))
	for k, st := range c.parts {
		if _, ok := c.assigned[k]; ok && st.hasPosition {
			offsets = append(offsets, TopicPartition{Topic: k.topic, Partition: k.partition, Offset: st.position, LeaderEpoch: -1})
		}
	}
	c.mu.Unlock()
	sortedTopicPartitions(offsets)
	if err := c.CommitOffsets(ctx, offsets...); err != nil {
		return nil, err
	}
	return offsets, nil
}

func (c *Consumer) checkAssigned(op string, tps []TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		if _, ok := c.assigned[tpKey{tp.Topic, tp.Partition}]; !ok {
			e := c.fail(op, CodeNotAssigned, "partition is not assigned to this consumer")
			e.Topic, e.Partition = tp.Topic, tp.Partition
			return e
		}
	}
	return nil
}

// consumerOp returns the consumer's optional interface T for op, unless the
// consumer is closed or its backend lacks T (ErrUnsupported).
func consumerOp[T any](c *Consumer, op, what string) (T, error) {
	if err := c.usable(op); err != nil {
		var zero T
		return zero, err
	}
	return optional[T](c.b, c.bc, op, what)
}

// Seek makes consumption of tp's partition continue at tp.Offset (an offset
// >= 0, OffsetBeginning or OffsetEnd). The partition must be assigned.
func (c *Consumer) Seek(ctx context.Context, tp TopicPartition) error {
	const op = "seek"
	seeker, err := consumerOp[backend.Seeker](c, op, "seek")
	if err != nil {
		return err
	}
	if tp.Offset < 0 && tp.Offset != OffsetBeginning && tp.Offset != OffsetEnd {
		e := c.fail(op, CodeInvalidArg, "offset %d is invalid: use an offset >= 0, OffsetBeginning or OffsetEnd", tp.Offset)
		e.Topic, e.Partition = tp.Topic, tp.Partition
		return e
	}
	if err := c.checkAssigned(op, []TopicPartition{tp}); err != nil {
		return err
	}
	if err := seeker.Seek(ctx, tp); err != nil {
		return c.errs.wrap(op, tp.Topic, tp.Partition, err)
	}
	c.mu.Lock()
	if st := c.parts[tpKey{tp.Topic, tp.Partition}]; st != nil {
		st.hasPosition = false
	}
	c.mu.Unlock()
	return nil
}

// Pause stops fetching the partitions until Resume; Poll returns no
// messages of them meanwhile. The partitions must be assigned.
func (c *Consumer) Pause(partitions ...TopicPartition) error {
	return c.pauseResume("pause", partitions, backend.Pauser.Pause)
}

// Resume starts fetching paused partitions again.
func (c *Consumer) Resume(partitions ...TopicPartition) error {
	return c.pauseResume("resume", partitions, backend.Pauser.Resume)
}

func (c *Consumer) pauseResume(op string, tps []TopicPartition, fn func(backend.Pauser, []TopicPartition) error) error {
	pauser, err := consumerOp[backend.Pauser](c, op, op)
	if err != nil {
		return err
	}
	if err := c.checkAssigned(op, tps); err != nil {
		return err
	}
	return c.errs.wrap(op, "", -1, fn(pauser, slices.Clone(tps)))
}

// GroupMetadata returns this member's group identity, for
// Producer.SendOffsetsToTransaction.
func (c *Consumer) GroupMetadata() (GroupMetadata, error) {
	member, err := consumerOp[backend.GroupMember](c, "group metadata", "group metadata")
	if err != nil {
		return GroupMetadata{}, err
	}
	if c.cfg.GroupID == "" {
		return GroupMetadata{}, c.fail("group metadata", CodeInvalidArg, "consumer has no group.id")
	}
	gm, err := member.GroupMetadata()
	return gm, c.errs.wrap("group metadata", "", -1, err)
}

// Close leaves the group and releases the consumer within ctx's deadline.
// With auto-commit on, it first commits the offsets of messages returned by
// Poll; OnRevoked runs for the assigned partitions, so a listener can
// commit there. A Poll running concurrently returns CodeClosed. Calling
// Close again returns the first call's result. Close waits for the
// CommitOffsetsAsync commits in flight and runs their callbacks before it
// leaves the group, so a callback may still commit; a Close called from a
// callback or listener that Close runs returns nil at once, and the outer
// Close finishes.
func (c *Consumer) Close(ctx context.Context) error {
	if begun, err := c.closeBegun(); begun {
		return err
	}
	c.interruptPoll()
	c.async.inClose.Store(true)
	c.runPending()
	c.async.stop()
	c.async.wait(ctx)
	c.async.runReports()
	c.async.inClose.Store(false)
	err := c.bc.Close(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = ctxError("close", ctx)
		} else {
			err = c.errs.wrap("close", "", -1, err)
		}
	}
	// Set before done is closed: a concurrent Close returns it.
	c.closeErr = err
	c.closed.Store(true)
	close(c.done)
	c.runPending()
	return err
}

// String describes the consumer for logs.
func (c *Consumer) String() string {
	return fmt.Sprintf("kafkaclient.Consumer{backend: %s, group: %q}", c.b.Name(), c.cfg.GroupID)
}
