//go:build cgo

package confluent_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/confluent"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TestPollKeepsAnErrorMetAfterMessages consumes one partition full of
// messages next to one whose start is past its end under
// auto.offset.reset=none. librdkafka reports that error once, here behind
// the other partition's messages; a Poll that has gathered messages returns
// them, and the error at the next call.
func TestPollKeepsAnErrorMetAfterMessages(t *testing.T) {
	cluster := kafkatest.NewCluster(t)
	topic := cluster.CreateTopic(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig(), Partitioner: kafkaclient.PartitionerManual}, kafkaclient.WithBackend(confluent.New()))
	require.NoError(t, err)
	msgs := make([]*kafkaclient.Message, 5000)
	for i := range msgs {
		msgs[i] = kafkaclient.NewMessage(topic, nil, fmt.Appendf(nil, "%d", i))
		msgs[i].Partition = 0
	}
	require.NoError(t, p.ProduceSync(ctx, msgs...))
	require.NoError(t, p.Close(ctx))

	cfg := cluster.ConsumerConfig("")
	cfg.AutoOffsetReset = kafkaclient.OffsetResetNone
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(confluent.New()))
	require.NoError(t, err)
	defer kafkatest.CloseClient(t, c.Close)
	require.NoError(t, c.Assign(ctx, []kafkaclient.TopicPartition{
		{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning},
		{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetBeginning},
	}))
	// Partition 1 is sent past its end, and fails, only once partition
	// 0's messages are queued: its error comes after them.
	first, err := c.PollAvailable(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 1000}))
	time.Sleep(500 * time.Millisecond)
	got := len(first)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		ms, err := c.PollAvailable(pctx, 1000)
		pcancel()
		got += len(ms)
		if err != nil {
			require.ErrorIs(t, err, kafkaclient.ErrOffsetOutOfRange, "after %d messages", got)
			return
		}
		require.NoError(t, ctx.Err(), "no OFFSET_OUT_OF_RANGE for partition 1 after %d messages", got)
	}
}

// TestCommitPastItsDeadlineLeavesNoGoroutineAfterClose holds the broker's
// answer to a group member's commit longer than the commit's context:
// Commit returns at its deadline while librdkafka still waits, and Close
// waits for that commit, so no goroutine is left once Close has returned.
func TestCommitPastItsDeadlineLeavesNoGoroutineAfterClose(t *testing.T) {
	cluster := kafkatest.NewCluster(t, kafkatest.Embedded())
	topic := cluster.CreateTopic(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := kafkaclient.NewProducer(cluster.ProducerConfig(), kafkaclient.WithBackend(confluent.New()))
	require.NoError(t, err)
	require.NoError(t, p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("v"))))
	require.NoError(t, p.Close(ctx))
	before := goleak.IgnoreCurrent()

	cfg := cluster.ConsumerConfig(kafkatest.UniqueName(t, "group"))
	cfg.DisableAutoCommit = true
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(confluent.New()))
	require.NoError(t, err)
	require.NoError(t, c.Subscribe(ctx, []string{topic}, nil))
	_, err = c.Poll(ctx) // a member of the group, with the partition
	require.NoError(t, err)

	var held atomic.Bool
	cluster.Fake().ControlKey(int16(kmsg.OffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
		if held.CompareAndSwap(false, true) {
			time.Sleep(2 * time.Second)
		}
		return nil, nil, false
	})
	cctx, ccancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = c.CommitOffsets(cctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0})
	ccancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "the commit outlives its context")
	// The embedded broker serves each connection on goroutines of its own.
	ignore := []goleak.Option{before,
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).read"),
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).read.func1"),
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).write"),
	}
	require.Error(t, goleak.Find(ignore...), "the commit still runs after Commit returned")
	require.NoError(t, c.Close(ctx))
	require.True(t, held.Load(), "the broker held the commit")
	goleak.VerifyNone(t, ignore...)
}
