package guide

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// RebalanceLogger is the guide's rebalanceCallback ("Consumer / Rebalance
// Listener") as a kafkaclient.RebalanceListener. It runs inside Poll (or
// Close), on the polling goroutine. Unlike confluent-kafka-go, the
// listener does not call Assign or Unassign: the consumer applies the new
// assignment itself.
type RebalanceLogger struct {
	env      Env
	assigned chan struct{}
	lost     chan struct{}
}

// NewRebalanceLogger returns a listener that prints to env.Out.
func NewRebalanceLogger(env Env) *RebalanceLogger {
	return &RebalanceLogger{env: env, assigned: make(chan struct{}, 1), lost: make(chan struct{}, 1)}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// OnAssigned implements kafkaclient.RebalanceListener: initialise state for
// the new partitions here.
func (l *RebalanceLogger) OnAssigned(_ context.Context, _ *kafkaclient.Consumer, partitions []kafkaclient.TopicPartition) error {
	l.env.printf("partitions assigned: %s\n", formatTPs(partitions, false))
	notify(l.assigned)
	return nil
}

// OnRevoked implements kafkaclient.RebalanceListener: commit the processed
// offsets before the partitions move to another member.
func (l *RebalanceLogger) OnRevoked(ctx context.Context, c *kafkaclient.Consumer, partitions []kafkaclient.TopicPartition) error {
	l.env.printf("partitions revoked: %s\n", formatTPs(partitions, false))
	committed, err := c.Commit(ctx)
	if err != nil {
		l.env.printf("commit error during rebalance: %v\n", err)
		return err
	}
	if len(committed) == 0 {
		l.env.printf("nothing to commit before the rebalance\n")
		return nil
	}
	l.env.printf("committed before the rebalance: %s\n", formatTPs(committed, true))
	return nil
}

// OnLost implements kafkaclient.RebalanceListener: another member may own
// the partitions already, so nothing is committed; their uncommitted
// messages will be read again.
func (l *RebalanceLogger) OnLost(_ context.Context, _ *kafkaclient.Consumer, partitions []kafkaclient.TopicPartition) error {
	l.env.printf("partitions lost: %s (not committing)\n", formatTPs(partitions, false))
	notify(l.lost)
	return nil
}

// RebalanceListener mirrors "Consumer / Rebalance Listener": a consumer
// subscribed with a RebalanceLogger processes the messages of a
// two-partition topic and commits them only when its partitions are
// revoked (here by Close). When env.FenceMember is set, the group fences
// the member first: OnLost runs, the partitions are assigned again and the
// uncommitted messages come back.
//
// On a backend without rebalance callbacks, Subscribe with a listener fails
// with ErrUnsupported; the pattern prints that, subscribes without a
// listener and commits after processing instead.
func RebalanceListener(ctx context.Context, env Env) error {
	topic := env.topic()
	if err := env.createTopic(ctx, topic, 2, nil); err != nil {
		return err
	}
	if err := env.seedPartitions(ctx, topic, "p0", "p1"); err != nil {
		return err
	}
	cfg := env.consumerMap()
	// Short, so that a fenced member notices at its next heartbeat.
	cfg["session.timeout.ms"] = 6000
	cfg["heartbeat.interval.ms"] = 500
	c, err := kafkaclient.NewConsumerFromMap(cfg, env.Options...)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)

	listener := NewRebalanceLogger(env)
	err = c.Subscribe(ctx, []string{topic}, listener)
	if env.unsupported(err, "rebalance listener", "subscribing without one and committing after processing") {
		if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
			return err
		}
		msgs, err := pollN(ctx, c, 2)
		if err != nil {
			return err
		}
		env.printf("processed: %s\n", sortedValues(msgs))
		if err := c.CommitMessages(ctx, msgs...); err != nil {
			return err
		}
		if err := c.Close(ctx); err != nil {
			return err
		}
		return env.printCommitted(ctx)
	}
	if err != nil {
		return err
	}

	msgs, err := pollN(ctx, c, 2)
	if err != nil {
		return err
	}
	env.printf("processed: %s\n", sortedValues(msgs))

	if env.FenceMember != nil {
		<-listener.assigned // the first assignment, already printed
		if err := env.FenceMember(ctx); err != nil {
			return err
		}
		again, err := pollUntilReassigned(ctx, c, listener, 20*time.Second)
		if err != nil {
			env.printf("no new assignment after the fence: %v\n", err)
		}
		select {
		case <-listener.lost:
			// The offsets were not committed: the messages come back.
			rest, err := pollN(ctx, c, 2-len(again))
			if err != nil {
				return err
			}
			env.printf("read again after the loss: %s\n", sortedValues(append(again, rest...)))
		default:
		}
	}

	// Close revokes the partitions: OnRevoked commits.
	if err := c.Close(ctx); err != nil {
		return err
	}
	return env.printCommitted(ctx)
}

// pollUntilReassigned polls until the listener has seen a new assignment,
// and returns the messages polled meanwhile.
func pollUntilReassigned(ctx context.Context, c *kafkaclient.Consumer, l *RebalanceLogger, timeout time.Duration) ([]*kafkaclient.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var got []*kafkaclient.Message
	for {
		select {
		case <-l.assigned:
			return got, nil
		default:
		}
		pctx, pcancel := context.WithTimeout(ctx, 100*time.Millisecond)
		m, err := c.Poll(pctx)
		pcancel()
		switch {
		case err == nil:
			got = append(got, m)
		case ctx.Err() != nil:
			return got, ctx.Err()
		case !kafkaclient.IsTimeout(err):
			return got, err
		}
	}
}

// pollN polls until n messages arrived.
func pollN(ctx context.Context, c *kafkaclient.Consumer, n int) ([]*kafkaclient.Message, error) {
	var out []*kafkaclient.Message
	for len(out) < n {
		msgs, err := c.PollBatch(ctx, n-len(out))
		if err != nil {
			return out, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// sortedValues returns the messages' values, sorted and space-separated:
// messages of different partitions arrive in no fixed order.
func sortedValues(msgs []*kafkaclient.Message) string {
	vs := values(msgs)
	slices.Sort(vs)
	return strings.Join(vs, " ")
}

// seedPartitions writes values[i] to partition i of topic, with a producer
// whose partitioner honours each message's Partition.
func (e Env) seedPartitions(ctx context.Context, topic string, values ...string) error {
	p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": e.servers(),
		"client.id":         "seed",
		"partitioner":       "manual",
	}, e.Options...)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)
	msgs := make([]*kafkaclient.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkaclient.NewMessage(topic, nil, []byte(v))
		msgs[i].Partition = int32(i)
	}
	return p.ProduceSync(ctx, msgs...)
}
