package conformance

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

// inputCases feed every entry point bad input: oversized and nil messages,
// calls after Close and with done contexts, and arguments that name
// partitions or offsets that cannot be used. Each call must return the typed
// *Error with the right code, must not panic, and must leave the client
// usable. Bad config and invalid topic names are refused before a backend
// sees them, so they are tested once in the root package
// (validation_test.go).
var inputCases = []Case{
	// Messages.
	{
		Name: "input/message_too_large",
		Doc:  "A message above message.max.bytes (value, key or both) is MESSAGE_TOO_LARGE at once, and the producer still delivers.",
		Run: inProducer(func(c *kafkaclient.ProducerConfig) { c.MaxMessageBytes = 10_000 }, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			for _, m := range []*kafkaclient.Message{
				kafkaclient.NewMessage(topic, nil, make([]byte, 10_001)),
				kafkaclient.NewMessage(topic, make([]byte, 10_001), nil),
				kafkaclient.NewMessage(topic, make([]byte, 5_001), make([]byte, 5_000)),
			} {
				ke := inRequire(t, inProduce(t, p, m), kafkaclient.ErrMessageTooLarge)
				assert.Equal(t, topic, ke.Topic)
				inRequire(t, inProduceSync(t, p, m), kafkaclient.ErrMessageTooLarge)
			}
			// A message below the limit goes through.
			Produce(t, p, kafkaclient.NewMessage(topic, nil, make([]byte, 9_000)))
		}),
	},
	{
		Name: "input/message_nil",
		Doc:  "A nil message is INVALID_ARG from Produce and ProduceSync; in a ProduceSync batch only its entry fails, and the others are delivered.",
		Run: inProducer(nil, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			err := inErr(t, "produce", func() error { return p.Produce(Ctx(t), nil, nil) })
			inRequire(t, err, kafkaclient.ErrInvalidArg)
			err = inErr(t, "produce", func() error { return p.Produce(Ctx(t), nil, func(*kafkaclient.Message, error) {}) })
			inRequire(t, err, kafkaclient.ErrInvalidArg)
			good := kafkaclient.NewMessage(topic, nil, []byte("good"))
			err = inErr(t, "produce sync", func() error { return p.ProduceSync(Ctx(t), good, nil) })
			var pe kafkaclient.ProduceErrors
			require.ErrorAs(t, err, &pe)
			require.Len(t, pe, 2)
			assert.NoError(t, pe[0], "the valid message of the batch")
			inRequire(t, pe[1], kafkaclient.ErrInvalidArg)
			require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
			assert.GreaterOrEqual(t, good.Offset, int64(0), "the valid message was delivered")
			err = inErr(t, "commit messages", func() error {
				c := e.Consumer(t, e.Group(t), nil)
				return c.CommitMessages(Ctx(t), nil)
			})
			inRequire(t, err, kafkaclient.ErrInvalidArg)
		}),
	},
	{
		Name: "input/header_nil_value",
		Doc:  "A header with a nil value is allowed and consumed as nil; an empty value stays empty and a repeated key keeps both entries.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			m := kafkaclient.NewMessage(topic, []byte("k"), []byte("v"))
			m.Headers = []kafkaclient.Header{{Key: "nil", Value: nil}, {Key: "empty", Value: []byte{}}, {Key: "", Value: []byte("no key")}, {Key: "nil", Value: nil}}
			require.NoError(t, inProduceSync(t, p, m))
			got := inConsumeOne(t, e, topic)
			require.Len(t, got.Headers, 4, "headers: %+v", got.Headers)
			assert.Equal(t, "nil", got.Headers[0].Key)
			assert.Nil(t, got.Headers[0].Value, "a nil header value is consumed as nil")
			assert.Equal(t, "empty", got.Headers[1].Key)
			assert.NotNil(t, got.Headers[1].Value, "an empty header value is consumed as empty, not nil")
			assert.Empty(t, got.Headers[1].Value)
			assert.Equal(t, "", got.Headers[2].Key)
			assert.Equal(t, []byte("no key"), got.Headers[2].Value)
			assert.Nil(t, got.Headers[3].Value)
		},
	},
	{
		Name: "input/headers_oversized",
		Doc:  "Headers count toward the message size: one big header, or many small ones, over message.max.bytes is MESSAGE_TOO_LARGE, and the producer still delivers.",
		Run: inProducer(func(c *kafkaclient.ProducerConfig) { c.MaxMessageBytes = 10_000 }, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			big := kafkaclient.NewMessage(topic, nil, []byte("small"))
			big.Headers = []kafkaclient.Header{{Key: "big", Value: make([]byte, 10_000)}}
			many := kafkaclient.NewMessage(topic, nil, []byte("small"))
			for i := range 200 {
				many.Headers = append(many.Headers, kafkaclient.Header{Key: fmt.Sprintf("header-%03d", i), Value: make([]byte, 50)})
			}
			longKeys := kafkaclient.NewMessage(topic, nil, nil)
			longKeys.Headers = []kafkaclient.Header{{Key: strings.Repeat("k", 10_001)}}
			for _, m := range []*kafkaclient.Message{big, many, longKeys} {
				inRequire(t, inProduce(t, p, m), kafkaclient.ErrMessageTooLarge)
				inRequire(t, inProduceSync(t, p, m), kafkaclient.ErrMessageTooLarge)
			}
		}),
	},
	{
		Name: "input/partition_below_any",
		Doc:  "A message Partition below -1 (PartitionAny) is INVALID_ARG at once, with or without a key.",
		Run: inProducer(pcManual, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			for _, part := range []int32{-2, -100, math.MinInt32} {
				for _, key := range [][]byte{nil, []byte("k")} {
					m := kafkaclient.NewMessage(topic, key, []byte("v"))
					m.Partition = part
					inRequire(t, inProduce(t, p, m), kafkaclient.ErrInvalidArg, "partition %d", part)
				}
			}
		}),
	},
	{
		Name: "input/partition_beyond_count",
		Doc:  "A message for a partition the topic does not have fails with UNKNOWN_TOPIC_OR_PARTITION within 15 seconds, and the producer still delivers.",
		Run: inProducer(func(c *kafkaclient.ProducerConfig) {
			c.DeliveryTimeout = 10 * time.Second
			c.Partitioner = kafkaclient.PartitionerManual
		}, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			m := kafkaclient.NewMessage(topic, nil, []byte("v"))
			m.Partition = 7
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			start := time.Now()
			err := inErr(t, "produce sync", func() error { return p.ProduceSync(ctx, m) })
			require.Error(t, err)
			require.Less(t, time.Since(start), 15*time.Second)
			inRequire(t, err, kafkaclient.ErrUnknownTopicOrPartition)
		}),
	},
	{
		Name: "input/timestamp_out_of_range",
		Doc:  "A message timestamp before 1970 or after 2262 (beyond what Kafka and every client can encode) is INVALID_ARG at once, and the producer still delivers.",
		Run: inProducer(nil, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			for _, ts := range []time.Time{
				time.UnixMilli(-1),
				time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
			} {
				m := kafkaclient.NewMessage(topic, nil, []byte("v"))
				m.Timestamp = ts
				inRequire(t, inProduce(t, p, m), kafkaclient.ErrInvalidArg, "timestamp %v", ts)
			}
		}),
	},
	{
		Name: "input/produce_sync_no_messages",
		Doc:  "ProduceSync with no messages (or an empty slice) is a no-op that returns nil at once, even with a done context.",
		Run: inProducer(nil, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			require.NoError(t, inErr(t, "produce sync", func() error { return p.ProduceSync(Ctx(t)) }))
			require.NoError(t, inErr(t, "produce sync", func() error { return p.ProduceSync(Ctx(t), []*kafkaclient.Message{}...) }))
			for _, dc := range inDoneContexts(t) {
				for range 20 {
					require.NoError(t, inErr(t, "produce sync", func() error { return p.ProduceSync(dc.ctx) }), "%s", dc.name)
				}
			}
		}),
	},

	// After Close.
	{
		Name: "input/producer_after_close",
		Doc:  "After Close, Produce, ProduceSync, Flush and the transaction calls are CLOSED, and none reports a delivery.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			require.NoError(t, p.Close(Ctx(t)))
			cb := func(*kafkaclient.Message, error) { t.Error("delivery report after Close") }
			for _, key := range [][]byte{nil, []byte("k")} {
				err := inErr(t, "produce", func() error { return p.Produce(Ctx(t), kafkaclient.NewMessage(topic, key, []byte("v")), cb) })
				inRequire(t, err, kafkaclient.ErrClosed)
			}
			err := inErr(t, "produce sync", func() error { return p.ProduceSync(Ctx(t), kafkaclient.NewMessage(topic, nil, []byte("v"))) })
			inRequire(t, err, kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "flush", func() error { return p.Flush(Ctx(t)) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "begin transaction", p.BeginTransaction), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "init transactions", func() error { return p.InitTransactions(Ctx(t)) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "commit transaction", func() error { return p.CommitTransaction(Ctx(t)) }), kafkaclient.ErrClosed)
			// Validation of the message still comes first.
			inRequire(t, inErr(t, "produce", func() error { return p.Produce(Ctx(t), nil, cb) }), kafkaclient.ErrInvalidArg)
		},
	},
	{
		Name: "input/producer_double_close",
		Doc:  "Closing a producer twice, or concurrently, returns the first result and does not panic.",
		Run: func(t *testing.T, e *Env) {
			_, p := ccFilled(t, e, "v")
			inCloseConcurrently(t, p.Close)
			expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			defer cancel()
			require.NoError(t, inErr(t, "close", func() error { return p.Close(expired) }), "a later Close returns the first result")
		},
	},
	{
		Name: "input/consumer_after_close",
		Doc:  "After Close, Poll, PollBatch, ReadMessage, Commit, CommitOffsets, Seek, Pause, Resume, Subscribe, Assign and GroupMetadata are CLOSED.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := e.Consumer(t, e.Group(t), nil)
			tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}
			if e.Caps.ManualAssign {
				require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{tp}))
			} else {
				require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
			}
			require.NoError(t, c.Close(Ctx(t)))
			ctx := Ctx(t)
			inRequire(t, inErr(t, "poll", func() error { _, err := c.Poll(ctx); return err }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "poll batch", func() error { _, err := c.PollBatch(ctx, 5); return err }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "read message", func() error { _, err := c.ReadMessage(time.Second); return err }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "commit", func() error { _, err := c.Commit(ctx); return err }), kafkaclient.ErrClosed)
			at := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1}
			inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(ctx, at) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "commit messages", func() error {
				return c.CommitMessages(ctx, &kafkaclient.Message{Topic: topic, Partition: 0, Offset: 0})
			}), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "seek", func() error { return c.Seek(ctx, at) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "pause", func() error { return c.Pause(tp) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "resume", func() error { return c.Resume(tp) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "subscribe", func() error { return c.Subscribe(Ctx(t), []string{topic}, nil) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "assign", func() error { return c.Assign(Ctx(t), []kafkaclient.TopicPartition{tp}) }), kafkaclient.ErrClosed)
			inRequire(t, inErr(t, "group metadata", func() error { _, err := c.GroupMetadata(); return err }), kafkaclient.ErrClosed)
		},
	},
	{
		Name: "input/consumer_double_close",
		Doc:  "Closing a consumer twice, or concurrently, returns the first result and does not panic.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := e.Consumer(t, e.Group(t), nil)
			require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
			inCloseConcurrently(t, c.Close)
			unused := e.Consumer(t, "", nil)
			require.NoError(t, inErr(t, "close", func() error { return unused.Close(Ctx(t)) }), "closing a consumer that never consumed")
			require.NoError(t, inErr(t, "close", func() error { return unused.Close(Ctx(t)) }))
		},
	},
	{
		Name: "input/admin_after_close",
		Doc:  "After Close every admin call is CLOSED.",
		Run: func(t *testing.T, e *Env) {
			a := e.Admin(t)
			require.NoError(t, a.Close(Ctx(t)))
			inAdminCalls(t, a, "t", func(op string, err error) { inRequire(t, err, kafkaclient.ErrClosed, "%s", op) })
		},
	},
	{
		Name: "input/admin_double_close",
		Doc:  "Closing an admin twice, or concurrently, returns nil and does not panic.",
		Run: func(t *testing.T, e *Env) {
			a := e.Admin(t)
			_, err := a.DescribeCluster(Ctx(t))
			require.NoError(t, err)
			inCloseConcurrently(t, a.Close)
		},
	},

	// Done contexts.
	{
		Name: "input/produce_done_context",
		Doc:  "Produce and ProduceSync with a cancelled context are CANCELED, with an expired one TIMED_OUT, report nothing, and the producer still delivers.",
		Run: inProducer(nil, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			var reports atomic.Int32
			cb := func(*kafkaclient.Message, error) { reports.Add(1) }
			for _, dc := range inDoneContexts(t) {
				for _, key := range [][]byte{nil, []byte("k")} {
					err := inErr(t, "produce", func() error { return p.Produce(dc.ctx, kafkaclient.NewMessage(topic, key, []byte("v")), cb) })
					inRequire(t, err, dc.want, "%s", dc.name)
					require.ErrorIs(t, err, dc.ctx.Err())
					err = inErr(t, "produce sync", func() error { return p.ProduceSync(dc.ctx, kafkaclient.NewMessage(topic, key, []byte("v"))) })
					inRequire(t, err, dc.want, "%s", dc.name)
				}
			}
			time.Sleep(50 * time.Millisecond)
			assert.Zero(t, reports.Load(), "delivery reports for refused messages")
		}),
	},
	{
		Name: "input/flush_done_context",
		Doc:  "Flush with a cancelled context is CANCELED and with an expired one TIMED_OUT, with or without buffered messages; the messages are still delivered.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, func(c *kafkaclient.ProducerConfig) { c.Linger = 200 * time.Millisecond })
			for _, dc := range inDoneContexts(t) {
				inRequire(t, inErr(t, "flush", func() error { return p.Flush(dc.ctx) }), dc.want, "%s, nothing buffered", dc.name)
			}
			delivered := make(chan error, 1)
			require.NoError(t, p.Produce(Ctx(t), kafkaclient.NewMessage(topic, nil, []byte("buffered")), func(_ *kafkaclient.Message, err error) { delivered <- err }))
			for _, dc := range inDoneContexts(t) {
				inRequire(t, inErr(t, "flush", func() error { return p.Flush(dc.ctx) }), dc.want, "%s, one message buffered", dc.name)
			}
			require.NoError(t, p.Flush(Ctx(t)))
			require.NoError(t, <-delivered)
		},
	},
	{
		Name: "input/poll_done_context",
		Doc:  "Poll, PollBatch with a cancelled context are CANCELED and with an expired one TIMED_OUT, and the consumer then still polls the message.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := inAssigned(t, e, topic, "")
			for _, dc := range inDoneContexts(t) {
				inRequire(t, inErr(t, "poll", func() error { _, err := c.Poll(dc.ctx); return err }), dc.want, "%s", dc.name)
				inRequire(t, inErr(t, "poll batch", func() error { _, err := c.PollBatch(dc.ctx, 3); return err }), dc.want, "%s", dc.name)
			}
			// A Poll cancelled while it waits.
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			inRequire(t, inErr(t, "poll", func() error { _, err := c.Poll(ctx); return err }), kafkaclient.ErrCanceled, "cancelled while waiting")
			ctx2, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel2()
			inRequire(t, inErr(t, "poll", func() error { _, err := c.Poll(ctx2); return err }), kafkaclient.ErrTimedOut, "expired while waiting")
			p := e.Producer(t, nil)
			ProduceValues(t, p, topic, "after")
			msgs := PollN(t, c, 1)
			assert.Equal(t, "after", string(msgs[0].Value))
		},
	},
	{
		Name: "input/commit_done_context",
		Doc:  "CommitOffsets and Commit with a cancelled context are CANCELED and with an expired one TIMED_OUT; a commit with a live context then succeeds.",
		Run: func(t *testing.T, e *Env) {
			topic, _ := ccFilled(t, e, "a", "b")
			group := e.Group(t)
			c := inAssigned(t, e, topic, group)
			PollN(t, c, 2)
			tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1}
			for _, dc := range inDoneContexts(t) {
				inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(dc.ctx, tp) }), dc.want, "%s", dc.name)
				inRequire(t, inErr(t, "commit", func() error { _, err := c.Commit(dc.ctx); return err }), dc.want, "%s", dc.name)
			}
			committed, err := c.Commit(Ctx(t))
			require.NoError(t, err)
			require.Len(t, committed, 1)
			assert.Equal(t, int64(2), committed[0].Offset)
			a := e.Admin(t)
			ccEventually(t, 10*time.Second, func() bool { return ccGroupOffset(t, a, group, topic, 0) == 2 }, "the live commit took effect")
		},
	},
	{
		Name: "input/admin_done_context",
		Doc:  "Every admin call with a cancelled context is CANCELED and with an expired one TIMED_OUT; the admin then still works.",
		Run: func(t *testing.T, e *Env) {
			a := e.Admin(t)
			topic := e.Topic(t, 1)
			for _, dc := range inDoneContexts(t) {
				inAdminCallsCtx(t, a, dc.ctx, topic, func(op string, err error) { inRequire(t, err, dc.want, "%s, %s", op, dc.name) })
			}
			inStillAdmins(t, a)
		},
	},

	// Consumer arguments.
	{
		Name: "input/commit_unassigned_partition",
		Doc:  "Committing a partition not assigned to the consumer is NOT_ASSIGNED naming it, and commits of assigned partitions still work.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 2)
			group := e.Group(t)
			c := e.Consumer(t, group, nil)
			other := kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 1, LeaderEpoch: -1}
			ke := inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), other) }), kafkaclient.ErrNotAssigned, "no assignment at all")
			assert.Equal(t, topic, ke.Topic)
			assert.Equal(t, int32(1), ke.Partition)
			if !e.Caps.ManualAssign {
				return
			}
			require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
			inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), other) }), kafkaclient.ErrNotAssigned, "another partition")
			missing := kafkaclient.TopicPartition{Topic: "no-such-topic", Partition: 0, Offset: 1, LeaderEpoch: -1}
			inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), missing) }), kafkaclient.ErrNotAssigned, "another topic")
			mine := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}
			inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), mine, other) }), kafkaclient.ErrNotAssigned, "mixed")
			require.NoError(t, c.CommitOffsets(Ctx(t), mine))
			inRequire(t, inErr(t, "commit messages", func() error {
				return c.CommitMessages(Ctx(t), &kafkaclient.Message{Topic: topic, Partition: 1, Offset: 3})
			}), kafkaclient.ErrNotAssigned)
		},
	},
	{
		Name: "input/commit_negative_offset",
		Doc:  "Committing a negative offset (OffsetEnd, OffsetInvalid, -5) for an assigned partition is INVALID_ARG.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := inAssigned(t, e, topic, e.Group(t))
			for _, off := range []int64{-5, kafkaclient.OffsetEnd, kafkaclient.OffsetInvalid, math.MinInt64} {
				tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: off, LeaderEpoch: -1}
				inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), tp) }), kafkaclient.ErrInvalidArg, "offset %d", off)
			}
			require.NoError(t, c.CommitOffsets(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}))
		},
	},
	{
		Name: "input/commit_without_group",
		Doc:  "Committing on a consumer without group.id is INVALID_ARG.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := inAssigned(t, e, topic, "")
			tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}
			inRequire(t, inErr(t, "commit offsets", func() error { return c.CommitOffsets(Ctx(t), tp) }), kafkaclient.ErrInvalidArg)
			inRequire(t, inErr(t, "commit", func() error { _, err := c.Commit(Ctx(t)); return err }), kafkaclient.ErrInvalidArg)
		},
	},
	{
		Name: "input/seek_negative_offset",
		Doc:  "Seeking to a negative offset other than OffsetBeginning and OffsetEnd is INVALID_ARG, and the consumer still reads from where it was.",
		Run: func(t *testing.T, e *Env) {
			topic, _ := ccFilled(t, e, "0", "1", "2")
			c := inAssigned(t, e, topic, "")
			for _, off := range []int64{-3, -5, kafkaclient.OffsetStored, kafkaclient.OffsetInvalid, math.MinInt64} {
				err := inErr(t, "seek", func() error {
					return c.Seek(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: off, LeaderEpoch: -1})
				})
				if !e.Caps.Seek {
					RequireUnsupported(t, err)
					return
				}
				inRequire(t, err, kafkaclient.ErrInvalidArg, "offset %d", off)
			}
			assert.Equal(t, []string{"0", "1", "2"}, ccValues(PollN(t, c, 3)))
		},
	},
	{
		Name: "input/seek_unassigned_partition",
		Doc:  "Seeking a partition not assigned to the consumer is NOT_ASSIGNED.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 2)
			c := inAssigned(t, e, topic, "")
			err := inErr(t, "seek", func() error {
				return c.Seek(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 0, LeaderEpoch: -1})
			})
			if !e.Caps.Seek {
				RequireUnsupported(t, err)
				return
			}
			inRequire(t, err, kafkaclient.ErrNotAssigned)
		},
	},
	{
		Name: "input/assign_negative_partition",
		Doc:  "Assigning a negative partition, or an invalid start offset, is INVALID_ARG and leaves no assignment.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := e.Consumer(t, "", nil)
			for _, tp := range []kafkaclient.TopicPartition{
				{Topic: topic, Partition: -1, Offset: kafkaclient.OffsetBeginning},
				{Topic: topic, Partition: -2, Offset: 0},
				{Topic: topic, Partition: math.MinInt32, Offset: 0},
				{Topic: topic, Partition: 0, Offset: -7},
				{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetInvalid},
			} {
				err := inErr(t, "assign", func() error { return c.Assign(Ctx(t), []kafkaclient.TopicPartition{tp}) })
				if !e.Caps.ManualAssign {
					RequireUnsupported(t, err)
					return
				}
				inRequire(t, err, kafkaclient.ErrInvalidArg, "%+v", tp)
			}
			assert.Empty(t, c.Assignment())
			_, err := c.Poll(Ctx(t))
			inRequire(t, err, kafkaclient.ErrState)
		},
	},
	{
		Name: "input/poll_batch_not_positive",
		Doc:  "PollBatch with n <= 0 is INVALID_ARG at once, and the consumer still polls.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			c := inAssigned(t, e, topic, "")
			for _, n := range []int{0, -1, math.MinInt} {
				start := time.Now()
				inRequire(t, inErr(t, "poll batch", func() error { _, err := c.PollBatch(Ctx(t), n); return err }), kafkaclient.ErrInvalidArg, "n=%d", n)
				assert.Less(t, time.Since(start), time.Second)
			}
			p := e.Producer(t, nil)
			ProduceValues(t, p, topic, "x")
			msgs, err := c.PollBatch(Ctx(t), 1)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
		},
	},
	{
		Name: "input/subscribe_no_topics",
		Doc:  "Subscribe with no topics (nil or empty) is INVALID_ARG and leaves no subscription.",
		Run: func(t *testing.T, e *Env) {
			c := e.Consumer(t, e.Group(t), nil)
			inRequire(t, inErr(t, "subscribe", func() error { return c.Subscribe(Ctx(t), nil, nil) }), kafkaclient.ErrInvalidArg)
			inRequire(t, inErr(t, "subscribe", func() error { return c.Subscribe(Ctx(t), []string{}, nil) }), kafkaclient.ErrInvalidArg)
			_, err := c.Poll(Ctx(t))
			inRequire(t, err, kafkaclient.ErrState)
			// It can still subscribe.
			topic := e.Topic(t, 1)
			require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
		},
	},
	{
		Name: "input/pause_unassigned_partition",
		Doc:  "Pausing or resuming a partition not assigned is NOT_ASSIGNED (UNSUPPORTED without pause/resume).",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 2)
			c := inAssigned(t, e, topic, "")
			other := kafkaclient.TopicPartition{Topic: topic, Partition: 1}
			for op, fn := range map[string]func(...kafkaclient.TopicPartition) error{"pause": c.Pause, "resume": c.Resume} {
				err := inErr(t, op, func() error { return fn(other) })
				if !e.Caps.PauseResume {
					RequireUnsupported(t, err)
					continue
				}
				inRequire(t, err, kafkaclient.ErrNotAssigned, "%s", op)
			}
		},
	},

	// Admin arguments.
	{
		Name: "input/admin_bad_arguments",
		Doc:  "CreateTopics with partitions or replication factor below -1, DescribeConsumerGroups with no group and ListConsumerGroupOffsets with an empty group are INVALID_ARG.",
		Run: func(t *testing.T, e *Env) {
			a := e.Admin(t)
			for _, spec := range []kafkaclient.TopicSpec{
				{Name: "bad-partitions", Partitions: -2, ReplicationFactor: 1},
				{Name: "bad-replication", Partitions: 1, ReplicationFactor: -5},
			} {
				inRequire(t, inErr(t, "create topics", func() error { _, err := a.CreateTopics(Ctx(t), spec); return err }), kafkaclient.ErrInvalidArg, "%+v", spec)
			}
			inRequire(t, inErr(t, "describe groups", func() error { _, err := a.DescribeConsumerGroups(Ctx(t)); return err }), kafkaclient.ErrInvalidArg)
			inRequire(t, inErr(t, "list group offsets", func() error { _, err := a.ListConsumerGroupOffsets(Ctx(t), ""); return err }), kafkaclient.ErrInvalidArg)
			inStillAdmins(t, a)
		},
	},
	{
		Name: "input/transactions_without_id",
		Doc:  "Transaction calls on a producer without transactional.id are STATE (UNSUPPORTED on a backend without transactions), and the producer still delivers.",
		Run: inProducer(nil, func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
			want := kafkaclient.ErrState
			if !e.Caps.Transactions {
				want = kafkaclient.ErrUnsupported
			}
			inRequire(t, inErr(t, "begin transaction", p.BeginTransaction), want)
			inRequire(t, inErr(t, "init transactions", func() error { return p.InitTransactions(Ctx(t)) }), want)
			inRequire(t, inErr(t, "commit transaction", func() error { return p.CommitTransaction(Ctx(t)) }), want)
			inRequire(t, inErr(t, "abort transaction", func() error { return p.AbortTransaction(Ctx(t)) }), want)
		}),
	},
}

// inNoPanic runs fn and fails the test if it panics.
func inNoPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v\n%s", what, r, debug.Stack())
		}
	}()
	fn()
}

// inErr runs fn, failing the test if it panics, and returns its error.
func inErr(t *testing.T, what string, fn func() error) error {
	t.Helper()
	var err error
	inNoPanic(t, what, func() { err = fn() })
	return err
}

// inProduce calls p.Produce with m and no delivery callback, failing the
// test if it panics, and returns its error.
func inProduce(t *testing.T, p *kafkaclient.Producer, m *kafkaclient.Message) error {
	t.Helper()
	return inErr(t, "produce", func() error { return p.Produce(Ctx(t), m, nil) })
}

// inProduceSync calls p.ProduceSync with m, failing the test if it panics,
// and returns its error.
func inProduceSync(t *testing.T, p *kafkaclient.Producer, m *kafkaclient.Message) error {
	t.Helper()
	return inErr(t, "produce sync", func() error { return p.ProduceSync(Ctx(t), m) })
}

// inCloseConcurrently requires that close, called three times concurrently and
// then once more, returns nil each time and does not panic.
func inCloseConcurrently(t *testing.T, close func(context.Context) error) {
	t.Helper()
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- inErrAsync(func() error { return close(Ctx(t)) }) }()
	}
	for range 3 {
		require.NoError(t, <-errs)
	}
	require.NoError(t, inErr(t, "close", func() error { return close(Ctx(t)) }))
}

// inErrAsync runs fn on any goroutine and returns its error, or an error
// describing its panic.
func inErrAsync(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// inRequire asserts that err is an *Error with the sentinel's code, that
// errors.Is matches the sentinel, and that the message names the code.
func inRequire(t *testing.T, err error, sentinel *kafkaclient.Error, msgAndArgs ...any) *kafkaclient.Error {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke, "error %v (%T) is not a *kafkaclient.Error", err, err)
	require.Equal(t, kafkaclient.CodeName(sentinel.Code), kafkaclient.CodeName(ke.Code), append([]any{"error: %v; "}, err)...)
	require.ErrorIs(t, err, sentinel, msgAndArgs...)
	assert.Contains(t, err.Error(), kafkaclient.CodeName(sentinel.Code))
	return ke
}

type inDoneContext struct {
	name string
	ctx  context.Context
	want *kafkaclient.Error
}

// inDoneContexts returns a cancelled and an expired context.
func inDoneContexts(t *testing.T) []inDoneContext {
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	t.Cleanup(cancel2)
	return []inDoneContext{
		{"cancelled", canceled, kafkaclient.ErrCanceled},
		{"expired", expired, kafkaclient.ErrTimedOut},
	}
}

// inProducer returns the Run of a case that feeds bad input to a producer:
// it opens one, with edit (nil for the defaults), for a new one-partition
// topic, calls feed, and then requires that the producer still delivers.
func inProducer(edit func(*kafkaclient.ProducerConfig), feed func(t *testing.T, e *Env, p *kafkaclient.Producer, topic string)) func(t *testing.T, e *Env) {
	return func(t *testing.T, e *Env) {
		topic := e.Topic(t, 1)
		p := e.Producer(t, edit)
		feed(t, e, p, topic)
		inStillProduces(t, e, p, topic)
	}
}

// inStillProduces asserts that p still delivers a message to topic.
func inStillProduces(t *testing.T, e *Env, p *kafkaclient.Producer, topic string) {
	t.Helper()
	m := kafkaclient.NewMessage(topic, []byte("still"), []byte("usable"))
	require.NoError(t, inProduceSync(t, p, m), "the producer still delivers")
	assert.GreaterOrEqual(t, m.Offset, int64(0))
}

// inStillAdmins asserts that a still answers.
func inStillAdmins(t *testing.T, a *kafkaclient.Admin) {
	t.Helper()
	_, err := a.DescribeCluster(Ctx(t))
	require.NoError(t, err, "the admin still works")
}

// inAssigned returns a consumer of group (empty for none) reading partition
// 0 of topic from the beginning: assigned manually where the backend can,
// else subscribed.
func inAssigned(t *testing.T, e *Env, topic, group string) *kafkaclient.Consumer {
	t.Helper()
	if !e.Caps.ManualAssign {
		if group == "" {
			group = e.Group(t)
		}
		c := e.Consumer(t, group, nil)
		require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
		return c
	}
	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
	return c
}

// inConsumeOne reads the first message of partition 0 of topic.
func inConsumeOne(t *testing.T, e *Env, topic string) *kafkaclient.Message {
	t.Helper()
	return PollN(t, inAssigned(t, e, topic, ""), 1)[0]
}

// inAdminCalls calls every admin method with a live context and passes each
// error to check.
func inAdminCalls(t *testing.T, a *kafkaclient.Admin, topic string, check func(op string, err error)) {
	t.Helper()
	inAdminCallsCtx(t, a, Ctx(t), topic, check)
}

func inAdminCallsCtx(t *testing.T, a *kafkaclient.Admin, ctx context.Context, topic string, check func(op string, err error)) {
	t.Helper()
	calls := []struct {
		op string
		fn func() error
	}{
		{"create topics", func() error {
			_, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic + "-new", Partitions: 1, ReplicationFactor: 1})
			return err
		}},
		{"delete topics", func() error { _, err := a.DeleteTopics(ctx, topic+"-none"); return err }},
		{"create partitions", func() error { return a.CreatePartitions(ctx, topic, 2) }},
		{"describe topics", func() error { _, err := a.DescribeTopics(ctx, topic); return err }},
		{"describe configs", func() error { _, err := a.DescribeTopicConfigs(ctx, topic); return err }},
		{"describe cluster", func() error { _, err := a.DescribeCluster(ctx); return err }},
		{"list groups", func() error { _, err := a.ListConsumerGroups(ctx); return err }},
		{"describe groups", func() error { _, err := a.DescribeConsumerGroups(ctx, "g"); return err }},
		{"list group offsets", func() error { _, err := a.ListConsumerGroupOffsets(ctx, "g"); return err }},
		{"delete groups", func() error { return a.DeleteConsumerGroups(ctx, "g") }},
	}
	for _, c := range calls {
		check(c.op, inErr(t, c.op, c.fn))
	}
}
