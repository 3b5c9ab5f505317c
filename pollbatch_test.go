package kafkaclient

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient/backend"
)

// replayBackend opens a consumer whose second Poll reports, the way
// librdkafka does inside its poll, that partition 0 of "t" was taken away
// and given back, and then returns it again from offset 0, as a group
// resuming from its last commit would.
type replayBackend struct{ stubBackend }

func (b *replayBackend) NewConsumer(_ backend.ConsumerConfig, hooks backend.ConsumerHooks) (backend.Consumer, error) {
	return &replayConsumer{hooks: hooks}, nil
}

type replayConsumer struct {
	hooks backend.ConsumerHooks
	polls int
}

func (c *replayConsumer) Subscribe(context.Context, []string) error { return nil }

func (c *replayConsumer) Poll(ctx context.Context, _ int) ([]*backend.Message, error) {
	c.polls++
	p0 := []backend.TopicPartition{{Topic: "t", Partition: 0}}
	switch c.polls {
	case 1:
		if err := c.hooks.Rebalance(ctx, backend.RebalanceAssigned, p0, true); err != nil {
			return nil, err
		}
		return replayMessages(0, 3), nil
	case 2:
		if err := c.hooks.Rebalance(ctx, backend.RebalanceRevoked, p0, true); err != nil {
			return nil, err
		}
		if err := c.hooks.Rebalance(ctx, backend.RebalanceAssigned, p0, true); err != nil {
			return nil, err
		}
		return replayMessages(0, 5), nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (c *replayConsumer) Commit(context.Context, []backend.TopicPartition) error { return nil }
func (c *replayConsumer) Close(context.Context) error                            { return nil }

// replayMessages are the messages of partition 0 of "t" at offsets from up
// to (not including) to.
func replayMessages(from, to int64) []*backend.Message {
	var out []*backend.Message
	for o := from; o < to; o++ {
		out = append(out, &backend.Message{Topic: "t", Partition: 0, Offset: o, Value: []byte{byte(o)}})
	}
	return out
}

// A partition taken away while PollBatch collects is delivered again from
// the group's last commit: what PollBatch had collected of it before must
// not be returned too, or the caller processes those messages twice (and,
// had the partition gone to another member, alongside that member).
func TestPollBatchDropsWhatARebalanceTookAway(t *testing.T) {
	for _, listener := range []RebalanceListener{nil, RebalanceFuncs{}} {
		c, err := NewConsumer(ConsumerConfig{ClientConfig: stubClient, GroupID: "g", DisableAutoCommit: true}, WithBackend(&replayBackend{}))
		require.NoError(t, err)
		require.NoError(t, c.Subscribe(context.Background(), []string{"t"}, listener))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		msgs, err := c.PollBatch(ctx, 10)
		cancel()
		require.NoError(t, err)
		var offsets []int64
		for _, m := range msgs {
			offsets = append(offsets, m.Offset)
		}
		assert.Equal(t, []int64{0, 1, 2, 3, 4}, offsets, "listener %T: each offset once, from after the rebalance", listener)
		require.NoError(t, c.CommitMessages(context.Background(), msgs...), "the batch is committable")
		require.NoError(t, c.Close(context.Background()))
	}
}
