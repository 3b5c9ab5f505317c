//go:build cgo

package confluent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

// pollSlice bounds one kafka.Consumer.Poll call, so that Poll notices its
// context and Close gets the consumer promptly.
const pollSlice = 100 * time.Millisecond

type consumer struct {
	kc    *kafka.Consumer
	cfg   backend.ConsumerConfig
	hooks backend.ConsumerHooks
	logs  *logForwarder

	// pollMu is held by Poll and by Close: librdkafka runs rebalance
	// callbacks inside them, on the holder's goroutine.
	pollMu sync.Mutex
	// cbCtx, when set (by Close), is the context handed to rebalance
	// hooks; guarded by pollMu.
	cbCtx context.Context
	// assigned counts the partitions librdkafka assigned through the
	// rebalance callback; guarded by pollMu.
	assigned int
	// deferred is an error met after Poll had gathered messages: the
	// next Poll returns it. Guarded by pollMu.
	deferred error

	life handle // guards kc
	// inRebalance is set while a rebalance callback runs: the callback's
	// own calls (a listener's commit) skip life, which Close may hold.
	inRebalance atomic.Bool

	// subscribed is set by Subscribe, started by Subscribe or Assign.
	subscribed atomic.Bool
	started    atomic.Bool

	closing   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func (confluentBackend) NewConsumer(cfg backend.ConsumerConfig, hooks backend.ConsumerHooks) (backend.Consumer, error) {
	kc, logs, err := open(cfg.ClientConfig, consumerProps(cfg), kafka.NewConsumer)
	if err != nil {
		return nil, err
	}
	return &consumer{kc: kc, cfg: cfg, hooks: hooks, logs: logs}, nil
}

// consumerProps maps the consumer settings to librdkafka properties.
func consumerProps(cfg backend.ConsumerConfig) kafka.ConfigMap {
	reset := map[backend.OffsetReset]string{
		backend.OffsetResetLatest: "latest", backend.OffsetResetEarliest: "earliest", backend.OffsetResetNone: "error",
	}[cfg.AutoOffsetReset]
	isolation := "read_uncommitted"
	if cfg.IsolationLevel == backend.IsolationReadCommitted {
		isolation = "read_committed"
	}
	group := cfg.GroupID
	autoCommit := !cfg.DisableAutoCommit
	if group == "" {
		// librdkafka wants a group.id even without a subscription; this
		// one is never committed to.
		var b [8]byte
		rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
		group = "kafkaclient-private-" + hex.EncodeToString(b[:])
		autoCommit = false
	}
	cm := kafka.ConfigMap{
		"group.id":                  group,
		"auto.offset.reset":         reset,
		"enable.auto.commit":        autoCommit,
		"auto.commit.interval.ms":   ms(cfg.AutoCommitInterval),
		"enable.auto.offset.store":  true, // a message returned by Poll counts as consumed
		"session.timeout.ms":        ms(cfg.SessionTimeout),
		"heartbeat.interval.ms":     ms(cfg.HeartbeatInterval),
		"max.poll.interval.ms":      ms(cfg.MaxPollInterval),
		"fetch.min.bytes":           cfg.FetchMinBytes,
		"fetch.max.bytes":           cfg.FetchMaxBytes,
		"max.partition.fetch.bytes": cfg.MaxPartitionFetchBytes,
		"fetch.wait.max.ms":         ms(cfg.FetchMaxWait),
		// librdkafka requires fetch.max.bytes >= message.max.bytes.
		"message.max.bytes":        min(max(cfg.FetchMaxBytes, 1000), 1000000),
		"isolation.level":          isolation,
		"enable.partition.eof":     false,
		"allow.auto.create.topics": false,
	}
	if len(cfg.Assignors) > 0 {
		names := backend.Convert(cfg.Assignors, func(a backend.Assignor) string { return string(a) })
		cm["partition.assignment.strategy"] = strings.Join(names, ",")
	}
	if cfg.GroupProtocol == backend.GroupProtocolConsumer {
		// librdkafka refuses the classic protocol's settings with it.
		cm["group.protocol"] = string(cfg.GroupProtocol)
		delete(cm, "session.timeout.ms")
		delete(cm, "heartbeat.interval.ms")
		if cfg.GroupRemoteAssignor != "" {
			cm["group.remote.assignor"] = cfg.GroupRemoteAssignor
		}
	}
	if cfg.GroupInstanceID != "" {
		cm["group.instance.id"] = cfg.GroupInstanceID
	}
	return cm
}

// closedErr is the error of a call on a closed consumer.
func (c *consumer) closedErr() error {
	return backend.Errorf(backend.CodeClosed, "consumer is closed")
}

// use runs fn while kc is alive.
func (c *consumer) use(fn func() error) error {
	if c.inRebalance.Load() {
		// Inside a rebalance callback kc is alive, and Close may hold
		// life for writing.
		return fn()
	}
	if !c.life.acquire() {
		return c.closedErr()
	}
	defer c.life.release()
	return fn()
}

func (c *consumer) Subscribe(_ context.Context, topics []string) error {
	err := c.use(func() error { return c.kc.SubscribeTopics(topics, c.rebalance) })
	if err == nil {
		c.subscribed.Store(true)
		c.started.Store(true)
	}
	return err
}

func (c *consumer) Assign(_ context.Context, tps []backend.TopicPartition) error {
	return c.assign(c.kc.Assign, tps)
}

func (c *consumer) IncrementalAssign(_ context.Context, tps []backend.TopicPartition) error {
	return c.assign(c.kc.IncrementalAssign, tps)
}

func (c *consumer) IncrementalUnassign(_ context.Context, tps []backend.TopicPartition) error {
	return c.usePartitions(c.kc.IncrementalUnassign, tps)
}

// assign starts consuming tps with call, librdkafka's assign or
// incremental assign.
func (c *consumer) assign(call func([]kafka.TopicPartition) error, tps []backend.TopicPartition) error {
	err := c.usePartitions(call, tps)
	if err == nil {
		c.started.Store(true)
	}
	return err
}

// usePartitions runs call on tps, converted, while kc is alive.
func (c *consumer) usePartitions(call func([]kafka.TopicPartition) error, tps []backend.TopicPartition) error {
	return c.use(func() error { return call(toKafkaTP(tps)) })
}

// rebalance is the librdkafka rebalance callback. It runs inside
// kafka.Consumer.Poll or Close, on the goroutine holding pollMu.
func (c *consumer) rebalance(kc *kafka.Consumer, ev kafka.Event) error {
	c.inRebalance.Store(true)
	defer c.inRebalance.Store(false)
	ctx := c.cbCtx
	if ctx == nil {
		// Inside Poll: the listener may take up to the rebalance timeout.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), c.cfg.MaxPollInterval)
		defer cancel()
	}
	cooperative := kc.GetRebalanceProtocol() == "COOPERATIVE"
	var err error
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		c.hooks.Rebalance(ctx, backend.RebalanceAssigned, fromKafkaTPs(e.Partitions), true) //nolint:errcheck // the root logs the listener's error
		if cooperative {
			err = kc.IncrementalAssign(e.Partitions)
		} else {
			err = kc.Assign(e.Partitions)
		}
		if err == nil {
			c.assigned += len(e.Partitions)
		}
	case kafka.RevokedPartitions:
		kind := backend.RebalanceRevoked
		if kc.AssignmentLost() {
			kind = backend.RebalanceLost
		}
		c.hooks.Rebalance(ctx, kind, fromKafkaTPs(e.Partitions), true) //nolint:errcheck // the root logs the listener's error
		if cooperative {
			err = kc.IncrementalUnassign(e.Partitions)
			c.assigned = max(0, c.assigned-len(e.Partitions))
		} else {
			err = kc.Unassign()
			c.assigned = 0
		}
	}
	if err != nil {
		c.hooks.OnError(err)
	}
	return nil
}

// fromKafkaTPs converts an assignment: partitions without offsets.
func fromKafkaTPs(tps []kafka.TopicPartition) []backend.TopicPartition {
	return backend.Convert(tps, func(tp kafka.TopicPartition) backend.TopicPartition {
		out := fromKafkaTP(tp)
		out.Offset = backend.OffsetInvalid
		return out
	})
}

// Poll waits for a first message in slices of pollSlice, then takes what
// else is ready at once, up to max.
func (c *consumer) Poll(ctx context.Context, max int) ([]*backend.Message, error) {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if c.closing.Load() {
		return nil, c.closedErr()
	}
	if !c.started.Load() {
		return nil, backend.Errorf(backend.CodeState, "not subscribed or assigned")
	}
	if err := c.deferred; err != nil {
		c.deferred = nil
		return nil, err
	}
	var out []*backend.Message
	// fail returns err, or the messages gathered so far and err at the
	// next call.
	fail := func(err error) ([]*backend.Message, error) {
		if len(out) == 0 {
			return nil, err
		}
		c.deferred = err
		return out, nil
	}
	for len(out) < max {
		wait := 0
		if len(out) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if c.closing.Load() {
				return nil, c.closedErr()
			}
			wait = timeoutMs(ctx, pollSlice)
		}
		ev := c.kc.Poll(wait)
		switch e := ev.(type) {
		case nil:
			if len(out) > 0 {
				return out, nil
			}
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				return fail(e.TopicPartition.Error)
			}
			if out == nil {
				// The first message and the slice holding it share one
				// allocation: a Poll for one message costs one.
				b := &firstMessage{}
				fillMessage(&b.m, e)
				b.out[0] = &b.m
				out = b.out[:]
			} else {
				out = append(out, toMessage(e))
			}
		case kafka.Error:
			if e.IsFatal() || e.Code() == kafka.ErrAutoOffsetReset {
				return fail(e)
			}
			c.hooks.OnError(e)
		}
	}
	return out, nil
}

// toMessage converts the consumed km.
func toMessage(km *kafka.Message) *backend.Message {
	m := new(backend.Message)
	fillMessage(m, km)
	return m
}

// firstMessage is the first message of a Poll and the slice it returns.
type firstMessage struct {
	m   backend.Message
	out [1]*backend.Message
}

// fillMessage sets m to the consumed km.
func fillMessage(m *backend.Message, km *kafka.Message) {
	*m = backend.Message{
		Partition:   km.TopicPartition.Partition,
		Offset:      int64(km.TopicPartition.Offset),
		Key:         km.Key,
		Value:       km.Value,
		Timestamp:   km.Timestamp,
		LeaderEpoch: -1,
	}
	if km.TopicPartition.Topic != nil {
		m.Topic = *km.TopicPartition.Topic
	}
	if km.LeaderEpoch != nil {
		m.LeaderEpoch = *km.LeaderEpoch
	}
	m.Headers = backend.Convert(km.Headers, func(h kafka.Header) backend.Header { return backend.Header(h) })
}

// Commit commits the offsets. librdkafka's commit waits without a timeout,
// so it runs on a goroutine and Commit returns when ctx ends.
func (c *consumer) Commit(ctx context.Context, offsets []backend.TopicPartition) error {
	if c.cfg.GroupID == "" {
		return backend.Errorf(backend.CodeInvalidArg, "committing needs a consumer group: set group.id")
	}
	tps := toKafkaTP(offsets)
	if !c.subscribed.Load() {
		// Outside group membership a commit has no generation, as an
		// admin's: an admin call over the consumer's connections answers
		// the broker's refusal (GROUP_AUTHORIZATION_FAILED), where
		// librdkafka's commit waits for a coordinator it is refused.
		return c.use(func() error {
			ka, err := kafka.NewAdminClientFromConsumer(c.kc)
			if err == nil {
				err = commitGenerationless(ctx, ka, c.cfg.GroupID, tps)
			}
			return err
		})
	}
	run := func() error {
		res, err := c.kc.CommitOffsets(tps)
		return firstErr(res, err, tpError)
	}
	if c.inRebalance.Load() {
		// kc stays alive while the callback runs.
		return backend.RunWithin(ctx, run)
	}
	if !c.life.acquire() {
		return c.closedErr()
	}
	// The read lock is held until the commit returns, even after ctx
	// ended, so that Close does not destroy kc under it.
	return backend.RunWithin(ctx, func() error {
		defer c.life.release()
		return run()
	})
}

func (c *consumer) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) (out []backend.ListedOffset, err error) {
	isolation := kafka.IsolationLevelReadUncommitted
	if c.cfg.IsolationLevel == backend.IsolationReadCommitted {
		isolation = kafka.IsolationLevelReadCommitted
	}
	err = c.use(func() error {
		// An admin client over the consumer's own connections.
		ka, err := kafka.NewAdminClientFromConsumer(c.kc)
		if err != nil {
			return err
		}
		out, err = listOffsets(ctx, ka, isolation, reqs)
		return err
	})
	return out, err
}

func (c *consumer) Committed(ctx context.Context, tps []backend.TopicPartition) (out []backend.TopicPartition, err error) {
	// Through an admin client over the consumer's connections: the
	// consumer's own Committed waits for a coordinator until it times
	// out, where the admin call answers the broker's error (a group the
	// client may not read is GROUP_AUTHORIZATION_FAILED).
	err = c.use(func() error {
		ka, err := kafka.NewAdminClientFromConsumer(c.kc)
		if err == nil {
			out, err = groupOffsets(ctx, ka, c.cfg.GroupID, toKafkaTP(tps), c.cfg.IsolationLevel == backend.IsolationReadCommitted)
		}
		return err
	})
	return out, err
}

func (c *consumer) Seek(_ context.Context, tp backend.TopicPartition) error {
	return c.use(func() error {
		res, err := c.kc.SeekPartitions(toKafkaTP([]backend.TopicPartition{tp}))
		return firstErr(res, err, tpError)
	})
}

func (c *consumer) Pause(tps []backend.TopicPartition) error {
	return c.usePartitions(c.kc.Pause, tps)
}

func (c *consumer) Resume(tps []backend.TopicPartition) error {
	return c.usePartitions(c.kc.Resume, tps)
}

// CachedWatermarks answers from librdkafka's cache, which every fetch
// response updates. librdkafka reports an unknown watermark as
// OffsetInvalid (-1001).
func (c *consumer) CachedWatermarks(topic string, partition int32) (low, high int64, ok bool) {
	err := c.use(func() (err error) {
		low, high, err = c.kc.GetWatermarkOffsets(topic, partition)
		return err
	})
	if err != nil || high < 0 {
		return -1, -1, false
	}
	return max(low, -1), high, true
}

func (c *consumer) GroupMetadata() (backend.GroupMetadata, error) {
	gm := backend.GroupMetadata{GroupID: c.cfg.GroupID, GenerationID: -1, GroupInstanceID: c.cfg.GroupInstanceID}
	if !c.subscribed.Load() || c.cfg.GroupID == "" {
		return gm, nil
	}
	err := c.use(func() error {
		md, err := c.kc.GetConsumerGroupMetadata()
		if err != nil {
			return err
		}
		gm = fromConsumerGroupMetadata(md, gm)
		gm.Handle = md
		return nil
	})
	return gm, err
}

// Close leaves the group within ctx: it unsubscribes and polls until the
// revocation has run (the listener may commit there; with auto-commit
// librdkafka commits the consumed offsets), then closes librdkafka's
// consumer, which waits for those commits and sends LeaveGroup.
func (c *consumer) Close(ctx context.Context) error {
	c.closing.Store(true)
	return backend.RunWithin(ctx, func() error {
		c.closeOnce.Do(func() { c.closeErr = c.close(ctx) })
		return c.closeErr
	})
}

// close is Close's work, done once.
func (c *consumer) close(ctx context.Context) error {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	c.cbCtx = ctx
	if c.subscribed.Load() {
		if err := c.kc.Unsubscribe(); err == nil {
			// The revocation is delivered by Poll.
			deadline := time.Now().Add(c.cfg.SessionTimeout)
			for c.assigned > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
				c.kc.Poll(timeoutMs(ctx, pollSlice))
			}
		}
	}
	var err error
	c.logs.stopTokens()
	c.life.destroy(func() {
		err = c.kc.Close()
		c.logs.close()
	})
	var ke kafka.Error
	if errors.As(err, &ke) && ke.Code() == kafka.ErrState {
		err = nil // already closing
	}
	return err
}

func (c *consumer) As(target any) bool { return backend.SetAs(target, c.kc) }
