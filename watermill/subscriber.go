package watermill

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kafkaclient/kafkaclient"
)

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// ConfigMap, if set, is the consumers' config (librdkafka-style keys);
	// else Consumer is. group.id and enable.auto.commit are set by the
	// Subscriber; auto.offset.reset defaults to earliest.
	ConfigMap kafkaclient.ConfigMap
	// Consumer is the consumers' config when ConfigMap is nil. Its
	// GroupID and DisableAutoCommit are set by the Subscriber.
	Consumer kafkaclient.ConsumerConfig
	// Options open the consumers and the admin, for example
	// kafkaclient.WithBackend.
	Options []kafkaclient.Option
	// ConsumerGroup is the group every Subscribe call joins. Empty: each
	// call reads the whole topic in a group of its own.
	ConsumerGroup string
	// Marshaler makes Watermill messages. Default DefaultMarshaler{}.
	Marshaler Marshaler
	// NackResendSleep is how long a nacked message waits before it is
	// delivered again. Default 100ms.
	NackResendSleep time.Duration
	// CloseTimeout bounds Close. Default 30s.
	CloseTimeout time.Duration
	// InitializePartitions is the partition count SubscribeInitialize
	// creates topics with. Default 1.
	InitializePartitions int32
}

// Subscriber is a Watermill message.Subscriber over kafkaclient
// Consumers, one per Subscribe call.
type Subscriber struct {
	cfg    SubscriberConfig
	base   kafkaclient.ConsumerConfig
	logger watermill.LoggerAdapter

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	subs   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	closeErr error
	// closeDone is closed when the first Close returns; a second Close
	// waits for it.
	closeDone chan struct{}
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber checks cfg and returns a Subscriber; consumers are opened
// by Subscribe. logger may be nil.
func NewSubscriber(cfg SubscriberConfig, logger watermill.LoggerAdapter) (*Subscriber, error) {
	base := cfg.Consumer
	if cfg.ConfigMap != nil {
		m := make(kafkaclient.ConfigMap, len(cfg.ConfigMap)+1)
		m["auto.offset.reset"] = "earliest"
		for k, v := range cfg.ConfigMap {
			m[k] = v
		}
		var err error
		if base, err = parseConsumer(m, cfg.Options); err != nil {
			return nil, err
		}
	}
	base.DisableAutoCommit = true
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	if cfg.Marshaler == nil {
		cfg.Marshaler = DefaultMarshaler{}
	}
	if cfg.NackResendSleep <= 0 {
		cfg.NackResendSleep = 100 * time.Millisecond
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 30 * time.Second
	}
	if cfg.InitializePartitions <= 0 {
		cfg.InitializePartitions = 1
	}
	s := &Subscriber{cfg: cfg, base: base, logger: logger, closeDone: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Open (and close) one consumer now, so that a bad config fails here
	// rather than in Subscribe.
	c, err := s.open("watermill-config-check")
	if err != nil {
		return nil, err
	}
	if err := c.Close(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// parseConsumer parses m for the backend opts choose.
func parseConsumer(m kafkaclient.ConfigMap, opts []kafkaclient.Option) (kafkaclient.ConsumerConfig, error) {
	c, err := kafkaclient.NewConsumerFromMap(m, opts...)
	if err != nil {
		return kafkaclient.ConsumerConfig{}, err
	}
	defer c.Close(context.Background()) //nolint:errcheck // never subscribed
	return c.Config(), nil
}

func (s *Subscriber) open(group string) (*kafkaclient.Consumer, error) {
	cfg := s.base
	cfg.GroupID = group
	return kafkaclient.NewConsumer(cfg, s.cfg.Options...)
}

// Subscribe consumes topic and returns the channel its messages come on,
// one at a time: the next comes once this one is acked. The channel is
// closed when ctx ends or the Subscriber is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &kafkaclient.Error{Op: "subscribe", Topic: topic, Partition: -1, Code: kafkaclient.CodeClosed,
			Err: errors.New("subscriber is closed")}
	}
	group := s.cfg.ConsumerGroup
	if group == "" {
		group = "watermill-" + watermill.NewULID()
	}
	c, err := s.open(group)
	if err != nil {
		return nil, err
	}
	sub := &subscription{s: s, c: c, topic: topic, acked: map[partition]*kafkaclient.Message{}}
	if err := c.Subscribe(ctx, []string{topic}, sub); err != nil {
		c.Close(context.Background()) //nolint:errcheck // the subscribe error says more
		return nil, err
	}
	// The subscription ends with ctx or with Close; its messages carry
	// ctx's values.
	sctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	out := make(chan *message.Message)
	sub.out = out
	s.subs.Add(1)
	go func() {
		defer s.subs.Done()
		defer close(out)
		defer stop()
		defer cancel()
		sub.run(sctx)
		sub.commit(context.Background())
		cctx, ccancel := context.WithTimeout(context.Background(), s.cfg.CloseTimeout)
		defer ccancel()
		if err := c.Close(cctx); err != nil {
			s.logger.Error("closing consumer", err, watermill.LogFields{"topic": topic})
		}
	}()
	return out, nil
}

// Commits are batched: the acked offsets are committed once commitEvery
// messages were acked or commitInterval passed, when a partition is
// revoked, and when the subscription ends.
const (
	commitEvery    = 10_000
	commitInterval = 200 * time.Millisecond
)

type partition struct {
	topic string
	id    int32
}

// subscription is one Subscribe call's consumer. Its fields are used on
// the goroutine that polls (the rebalance listener runs there too).
type subscription struct {
	s     *Subscriber
	c     *kafkaclient.Consumer
	topic string
	out   chan<- *message.Message

	// acked holds the last acked message of each partition not yet
	// committed; nAcked counts them all.
	acked      map[partition]*kafkaclient.Message
	nAcked     int
	lastCommit time.Time
}

// run polls and hands out messages until ctx ends.
func (sub *subscription) run(ctx context.Context) {
	sub.lastCommit = time.Now()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, commitInterval)
		msgs, err := sub.c.PollAvailable(pctx, 256)
		cancel()
		if err != nil {
			switch {
			case ctx.Err() != nil || errors.Is(err, kafkaclient.ErrClosed):
				return
			case errors.Is(err, kafkaclient.ErrTimedOut):
				sub.maybeCommit(ctx) // idle: commit what is acked
			default:
				sub.s.logger.Error("poll", err, watermill.LogFields{"topic": sub.topic})
				sleep(ctx, sub.s.cfg.NackResendSleep)
			}
			continue
		}
		for _, m := range msgs {
			if !sub.deliver(ctx, m) {
				return
			}
			sub.acked[partition{m.Topic, m.Partition}] = m
			sub.nAcked++
			sub.maybeCommit(ctx)
		}
	}
}

// maybeCommit commits the acked offsets when enough are waiting or enough
// time has passed.
func (sub *subscription) maybeCommit(ctx context.Context) {
	if sub.nAcked >= commitEvery || sub.nAcked > 0 && time.Since(sub.lastCommit) >= commitInterval {
		sub.commit(context.WithoutCancel(ctx))
	}
}

// commit commits the acked offsets.
func (sub *subscription) commit(ctx context.Context) {
	sub.lastCommit = time.Now()
	if sub.nAcked == 0 {
		return
	}
	msgs := make([]*kafkaclient.Message, 0, len(sub.acked))
	for _, m := range sub.acked {
		msgs = append(msgs, m)
	}
	clear(sub.acked)
	sub.nAcked = 0
	ctx, cancel := context.WithTimeout(ctx, sub.s.cfg.CloseTimeout)
	defer cancel()
	if err := sub.c.CommitMessages(ctx, msgs...); err != nil {
		// The partitions went to another member, which reads from the
		// last commit: the messages are delivered again (at least once).
		sub.s.logger.Error("commit", err, watermill.LogFields{"topic": sub.topic})
	}
}

// OnAssigned implements kafkaclient.RebalanceListener.
func (sub *subscription) OnAssigned(context.Context, *kafkaclient.Consumer, []kafkaclient.TopicPartition) error {
	return nil
}

// OnRevoked commits what was acked before the partitions go.
func (sub *subscription) OnRevoked(ctx context.Context, _ *kafkaclient.Consumer, _ []kafkaclient.TopicPartition) error {
	sub.commit(ctx)
	return nil
}

// OnLost drops the acked offsets of the lost partitions: they can no
// longer be committed.
func (sub *subscription) OnLost(_ context.Context, _ *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
	for _, tp := range tps {
		delete(sub.acked, partition{tp.Topic, tp.Partition})
	}
	return nil
}

// deliver hands m out until it is acked, and reports whether it was; a
// nacked message is handed out again, as a new Watermill message.
func (sub *subscription) deliver(ctx context.Context, m *kafkaclient.Message) bool {
	for {
		msg, err := sub.s.cfg.Marshaler.Unmarshal(m)
		if err != nil {
			// Nothing later of the partition may go first: stop here; the
			// message is delivered again after a restart.
			sub.s.logger.Error("unmarshal", err, watermill.LogFields{"topic": m.Topic, "partition": m.Partition, "offset": m.Offset})
			<-ctx.Done()
			return false
		}
		mctx, cancel := context.WithCancel(ctx)
		msg.SetContext(mctx)
		select {
		case sub.out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		}
		select {
		case <-msg.Acked():
			cancel()
			return true
		case <-msg.Nacked():
			cancel()
			if !sleep(ctx, sub.s.cfg.NackResendSleep) {
				return false
			}
		case <-ctx.Done():
			cancel()
			return false
		}
	}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// SubscribeInitialize creates topic, with InitializePartitions partitions,
// unless it exists.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: s.base.ClientConfig}, s.cfg.Options...)
	if err != nil {
		return err
	}
	defer a.Close(context.Background()) //nolint:errcheck // nothing is pending
	rs, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: s.cfg.InitializePartitions, ReplicationFactor: -1})
	if err != nil {
		return err
	}
	if err := rs[0].Err; err != nil && !errors.Is(err, kafkaclient.ErrTopicAlreadyExists) {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	return nil
}

// Close cancels the context of the messages handed out, ends every
// subscription and closes its channel, within CloseTimeout. A second Close
// waits for the first and returns its result.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeDone
		return s.closeErr
	}
	s.closed = true
	s.mu.Unlock()
	defer close(s.closeDone)
	s.cancel()
	done := make(chan struct{})
	go func() { s.subs.Wait(); close(done) }()
	t := time.NewTimer(s.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.closeErr = &kafkaclient.Error{Op: "close", Partition: -1, Code: kafkaclient.CodeTimedOut,
			Err: fmt.Errorf("subscriptions still running after %v", s.cfg.CloseTimeout)}
	}
	return s.closeErr
}
