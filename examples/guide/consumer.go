package guide

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// consumerMap is the guide's basic consumer config.
func (e Env) consumerMap() kafkaclient.ConfigMap {
	return kafkaclient.ConfigMap{
		"bootstrap.servers":  e.servers(),
		"group.id":           e.group(),
		"auto.offset.reset":  "earliest",
		"enable.auto.commit": false,
	}
}

// BasicConsumer mirrors "Consumer / Basic Consumer": a group member with
// manual commit that reads with ReadMessage until SIGINT or SIGTERM.
// signal.NotifyContext turns the signals into a context; here the context
// is also canceled once stopAfter messages were processed, which stands in
// for the operator pressing Ctrl-C. It finishes by printing the group's
// committed offsets.
func BasicConsumer(ctx context.Context, env Env, stopAfter int) error {
	topic, err := env.seedOrders(ctx, 1, stopAfter)
	if err != nil {
		return err
	}

	c, err := kafkaclient.NewConsumerFromMap(env.consumerMap(), env.Options...)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	processed := 0
	for run := true; run; {
		select {
		case <-ctx.Done():
			env.printf("terminating: %v\n", context.Cause(ctx))
			run = false
		default:
			msg, err := c.ReadMessage(100 * time.Millisecond)
			if err != nil {
				// A timeout is not an error: no message yet.
				if errors.Is(err, kafkaclient.ErrTimedOut) {
					continue
				}
				env.printf("consumer error: %v\n", err)
				continue
			}
			env.printf("received: key=%s value=%s partition=%d offset=%d\n", msg.Key, msg.Value, msg.Partition, msg.Offset)

			// Manual commit.
			if err := c.CommitMessages(ctx, msg); err != nil {
				env.printf("commit error: %v\n", err)
			}
			if processed++; processed == stopAfter {
				cancel()
			}
		}
	}
	closeCtx, cancelClose := context.WithTimeout(context.Background(), closeTimeout)
	defer cancelClose()
	if err := c.Close(closeCtx); err != nil {
		return err
	}
	return env.printCommitted(closeCtx)
}

// printCommitted prints the group's committed offsets.
func (e Env) printCommitted(ctx context.Context) error {
	a, err := e.admin()
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	offsets, err := a.ListConsumerGroupOffsets(ctx, e.group())
	if err != nil {
		return err
	}
	e.printf("committed: %s\n", formatTPs(offsets, true))
	return nil
}

// ProductionConsumerConfig is the guide's production consumer config
// ("Consumer / Production Consumer Configuration"), every key of it.
func ProductionConsumerConfig(servers, group string) kafkaclient.ConfigMap {
	return kafkaclient.ConfigMap{
		// Connection
		"bootstrap.servers": servers,
		"group.id":          group,
		"client.id":         "order-processor-1",

		// Offset management
		"enable.auto.commit": false,
		"auto.offset.reset":  "earliest",

		// Session management
		"session.timeout.ms":    45000,
		"heartbeat.interval.ms": 15000,
		"max.poll.interval.ms":  300000,

		// Fetch configuration
		"fetch.min.bytes":           1,
		"fetch.max.bytes":           52428800,
		"max.partition.fetch.bytes": 1048576,

		// Assignment strategy
		"partition.assignment.strategy": "cooperative-sticky",
	}
}

// ProductionConsumer mirrors "Consumer / Production Consumer
// Configuration": it opens a consumer with ProductionConsumerConfig. On a
// backend without cooperative rebalancing, cooperative-sticky fails with
// ErrUnsupported; the pattern prints that and falls back to the eager
// range assignor. It then reads and commits the topic's messages.
func ProductionConsumer(ctx context.Context, env Env) error {
	const n = 6
	topic, err := env.seedOrders(ctx, 3, n)
	if err != nil {
		return err
	}
	cfg := ProductionConsumerConfig(env.servers(), env.group())
	c, err := kafkaclient.NewConsumerFromMap(cfg, env.Options...)
	if env.unsupported(err, "partition.assignment.strategy=cooperative-sticky", "falling back to range") {
		cfg["partition.assignment.strategy"] = "range"
		c, err = kafkaclient.NewConsumerFromMap(cfg, env.Options...)
	}
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	cc := c.Config()
	env.printf("client.id=%s assignors=%v auto.commit=%t session.timeout=%v heartbeat=%v max.poll.interval=%v\n",
		cc.ClientID, cc.Assignors, !cc.DisableAutoCommit, cc.SessionTimeout, cc.HeartbeatInterval, cc.MaxPollInterval)
	env.printf("fetch.min.bytes=%d fetch.max.bytes=%d max.partition.fetch.bytes=%d\n", cc.FetchMinBytes, cc.FetchMaxBytes, cc.MaxPartitionFetchBytes)

	if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
		return err
	}
	for read := 0; read < n; {
		msgs, err := c.PollBatch(ctx, n-read)
		if err != nil {
			return err
		}
		if err := c.CommitMessages(ctx, msgs...); err != nil {
			return err
		}
		read += len(msgs)
	}
	env.printf("read and committed %d messages\n", n)
	if err := c.Close(ctx); err != nil {
		return err
	}
	return env.printCommitted(ctx)
}

// ConsumeBatch is the guide's consumeBatch: it returns up to batchSize
// messages, fewer when timeout passes first, and none (with a nil error)
// when no message came in time.
func ConsumeBatch(ctx context.Context, c *kafkaclient.Consumer, batchSize int, timeout time.Duration) ([]*kafkaclient.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msgs, err := c.PollBatch(ctx, batchSize)
	if errors.Is(err, kafkaclient.ErrTimedOut) {
		return nil, nil
	}
	return msgs, err
}

// BatchProcessing mirrors "Consumer / Batch Processing": batches of up to
// batchSize messages or one second, each processed and then committed by
// committing its last message. It stops after total messages.
func BatchProcessing(ctx context.Context, env Env, total, batchSize int) error {
	topic, err := env.seedOrders(ctx, 1, total)
	if err != nil {
		return err
	}
	c, err := env.subscribed(ctx, topic)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	for processed := 0; processed < total; {
		batch, err := ConsumeBatch(ctx, c, batchSize, 2*time.Second)
		if err != nil {
			env.printf("error consuming batch: %v\n", err)
			if ctx.Err() != nil {
				return err
			}
			continue
		}
		if len(batch) == 0 {
			continue
		}
		processed += len(batch)
		last := batch[len(batch)-1]
		// Commit the last message of the batch: it commits the batch.
		if err := c.CommitMessages(ctx, last); err != nil {
			env.printf("commit error: %v\n", err)
			continue
		}
		env.printf("batch of %d: %s..%s, committed %s[%d]@%d\n", len(batch), batch[0].Value, last.Value, last.Topic, last.Partition, last.Offset+1)
	}
	return nil
}

// GracefulConsumer is the guide's Consumer of "Consumer / Graceful
// Shutdown": it reads and commits until it is told to stop, by a signal or
// by Close, and finishes the message in hand before stopping.
type GracefulConsumer struct {
	consumer *kafkaclient.Consumer
	running  atomic.Bool
	// Process handles one message; an error is printed and the message
	// still committed.
	Process func(*kafkaclient.Message) error
	env     Env
}

// NewGracefulConsumer opens the consumer from config.
func NewGracefulConsumer(env Env, config kafkaclient.ConfigMap) (*GracefulConsumer, error) {
	c, err := kafkaclient.NewConsumerFromMap(config, env.Options...)
	if err != nil {
		return nil, err
	}
	g := &GracefulConsumer{consumer: c, env: env}
	g.running.Store(true)
	return g, nil
}

// Consume reads topics until ctx is done (SIGINT and SIGTERM end it too)
// or Stop is called.
func (g *GracefulConsumer) Consume(ctx context.Context, topics []string) error {
	if err := g.consumer.Subscribe(ctx, topics, nil); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	for g.running.Load() {
		select {
		case <-ctx.Done():
			g.env.printf("terminating: %v\n", context.Cause(ctx))
			g.running.Store(false)
		default:
			msg, err := g.consumer.ReadMessage(100 * time.Millisecond)
			if err != nil {
				if errors.Is(err, kafkaclient.ErrTimedOut) {
					continue
				}
				g.env.printf("consumer error: %v\n", err)
				continue
			}
			if g.Process != nil {
				if err := g.Process(msg); err != nil {
					g.env.printf("processing error: %v\n", err)
				}
			}
			if err := g.consumer.CommitMessages(context.WithoutCancel(ctx), msg); err != nil {
				g.env.printf("commit error: %v\n", err)
			}
		}
	}
	return nil
}

// Stop makes Consume return after the message in hand.
func (g *GracefulConsumer) Stop() { g.running.Store(false) }

// Close stops consuming and closes the consumer: it leaves the group
// within ctx, so the partitions move to the other members at once.
func (g *GracefulConsumer) Close(ctx context.Context) error {
	g.running.Store(false)
	return g.consumer.Close(ctx)
}

// GracefulShutdown mirrors "Consumer / Graceful Shutdown": a
// GracefulConsumer runs on its own goroutine until its context is canceled
// (the signal); here that happens after stopAfter messages. Then the
// consumer is closed, and the group's committed offsets show that every
// processed message was committed.
func GracefulShutdown(ctx context.Context, env Env, stopAfter int) error {
	topic, err := env.seedOrders(ctx, 1, stopAfter)
	if err != nil {
		return err
	}
	g, err := NewGracefulConsumer(env, env.consumerMap())
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	processed := 0
	g.Process = func(m *kafkaclient.Message) error {
		env.printf("processing %s\n", m.Value)
		if processed++; processed == stopAfter {
			cancel()
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- g.Consume(runCtx, []string{topic}) }()
	consumeErr := <-done
	closeCtx, cancelClose := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancelClose()
	if err := g.Close(closeCtx); err != nil {
		return err
	}
	if consumeErr != nil {
		return consumeErr
	}
	env.printf("closed after %d messages\n", processed)
	return env.printCommitted(closeCtx)
}
