package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

var producerCases = []Case{
	{
		Name: "produce/roundtrip_key_value_headers_timestamp",
		Doc:  "A message's key, value, headers (repeated keys, nil and empty values, in order) and explicit timestamp (to the millisecond) come back unchanged.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			ts := time.Now().Add(-time.Minute).Truncate(time.Millisecond).Add(123456 * time.Nanosecond)
			headers := []kafkaclient.Header{
				{Key: "h", Value: []byte("1")},
				{Key: "other", Value: []byte("x")},
				{Key: "h", Value: []byte("2")},
				{Key: "nil", Value: nil},
				{Key: "h", Value: []byte("3")},
			}
			msg := kafkaclient.NewMessage(topic, []byte("the-key"), []byte("the-value"))
			msg.Headers = headers
			msg.Timestamp = ts
			msg.Opaque = "opaque"
			Produce(t, p, msg)
			require.Equal(t, int32(0), msg.Partition, "delivered partition")
			require.GreaterOrEqual(t, msg.Offset, int64(0), "delivered offset")
			require.Equal(t, ts.UnixMilli(), msg.Timestamp.UnixMilli(), "delivered timestamp")
			require.Equal(t, "opaque", msg.Opaque, "Opaque is carried to the delivery report")

			got := prodConsume(t, e, topic, 1, 1)[0]
			assert.Equal(t, topic, got.Topic)
			assert.Equal(t, msg.Partition, got.Partition)
			assert.Equal(t, msg.Offset, got.Offset)
			assert.Equal(t, []byte("the-key"), got.Key)
			assert.Equal(t, []byte("the-value"), got.Value)
			assert.Equal(t, ts.UnixMilli(), got.Timestamp.UnixMilli(), "consumed timestamp, ms precision")
			require.Len(t, got.Headers, len(headers), "headers: %+v", got.Headers)
			for i, h := range headers {
				assert.Equal(t, h.Key, got.Headers[i].Key, "header %d key", i)
				assert.Equal(t, h.Value, got.Headers[i].Value, "header %d value", i)
			}
			assert.Nil(t, got.Headers[3].Value, "a nil header value is consumed as nil")
		},
	},
	{
		Name: "produce/nil_vs_empty_key_and_value",
		Doc:  "A nil key and a nil value (tombstone) are consumed as nil, an empty key and an empty value as non-nil empty slices.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			msgs := []*kafkaclient.Message{
				kafkaclient.NewMessage(topic, nil, []byte("nil-key")),
				kafkaclient.NewMessage(topic, []byte{}, []byte("empty-key")),
				kafkaclient.NewMessage(topic, []byte("k"), nil),
				kafkaclient.NewMessage(topic, []byte("k"), []byte{}),
			}
			for _, m := range msgs {
				Produce(t, p, m)
			}
			got := prodConsume(t, e, topic, 1, len(msgs))
			assert.Nil(t, got[0].Key, "nil key")
			assert.Equal(t, []byte("nil-key"), got[0].Value)
			assert.NotNil(t, got[1].Key, "empty key must not come back nil")
			assert.Empty(t, got[1].Key)
			assert.Equal(t, []byte("empty-key"), got[1].Value)
			assert.Equal(t, []byte("k"), got[2].Key)
			assert.Nil(t, got[2].Value, "nil value (tombstone)")
			assert.Equal(t, []byte("k"), got[3].Key)
			assert.NotNil(t, got[3].Value, "empty value must not come back nil")
			assert.Empty(t, got[3].Value)
		},
	},
	{
		Name: "produce/explicit_partition",
		Doc:  "With partitioner=manual, a message with an explicit partition is delivered to and consumed from that partition, whatever its key hashes to.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 3)
			p := e.Producer(t, pcManual)
			// A key that hashes elsewhere: the explicit partition wins.
			key := prodKeyFor(1, 3)
			keyed := kafkaclient.NewMessage(topic, key, []byte("keyed"))
			keyed.Partition = 2
			unkeyed := kafkaclient.NewMessage(topic, nil, []byte("unkeyed"))
			unkeyed.Partition = 2
			prodRequireDistinct(t, prodRequirePlaced(t, e, p, topic, 3, 2, keyed, unkeyed))
		},
	},
	{
		Name: "produce/partition_chosen_by_producer",
		Doc:  "With the default partitioner a message's Partition is not read: a Message literal without one, and one naming another partition, both go to their key's partition.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 3)
			p := e.Producer(t, nil)
			// A key that hashes neither to partition 0 (the zero value) nor 2.
			key := prodKeyFor(1, 3)
			literal := &kafkaclient.Message{Topic: topic, Key: key, Value: []byte("literal")}
			named := kafkaclient.NewMessage(topic, key, []byte("named"))
			named.Partition = 2
			prodRequirePlaced(t, e, p, topic, 3, 1, literal, named)
		},
	},
	{
		Name: "produce/per_key_ordering",
		Doc:  "Messages with the same key are consumed in the order they were produced.",
		Run: func(t *testing.T, e *Env) {
			const keys, n = 10, 200
			topic := e.Topic(t, 4)
			p := e.Producer(t, nil)
			ctx := Ctx(t)
			var failed atomic.Int32
			var firstErr atomic.Value
			for _, m := range prodKeyed(topic, keys, n) {
				require.NoError(t, p.Produce(ctx, m, func(_ *kafkaclient.Message, err error) {
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				}))
			}
			require.NoError(t, p.Flush(ctx))
			require.Zero(t, failed.Load(), "deliveries failed, first: %v", firstErr.Load())
			next := prodRequireKeyOrder(t, prodConsume(t, e, topic, 4, n), 4)
			require.Len(t, next, keys)
			for k, c := range next {
				assert.Equal(t, n/keys, c, "messages of key %s", k)
			}
		},
	},
	{
		Name: "produce/batch",
		Doc:  "ProduceBatch reports every message once, keyed messages on their key's partition and in order per key, each with its offset; a batch holding an invalid message produces nothing and says which one.",
		Run: func(t *testing.T, e *Env) {
			const keys, n = 7, 300
			topic := e.Topic(t, 3)
			p := e.Producer(t, nil)
			ctx := Ctx(t)
			msgs := prodKeyed(topic, keys, n)
			for i, m := range msgs {
				m.Opaque = i
			}
			msgs[n-1].Key = nil // an unkeyed message rides along
			counts := make([]atomic.Int32, n)
			var failed atomic.Value
			report := func(m *kafkaclient.Message, err error) {
				counts[m.Opaque.(int)].Add(1)
				if err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
			require.NoError(t, p.ProduceBatch(ctx, msgs[:n/2], report))
			require.NoError(t, p.ProduceBatch(ctx, msgs[n/2:], report))
			require.NoError(t, p.Flush(ctx))
			require.Nil(t, failed.Load(), "a delivery failed")
			for i, m := range msgs {
				require.Equal(t, int32(1), counts[i].Load(), "reports of message %d", i)
				require.GreaterOrEqual(t, m.Offset, int64(0), "message %d", i)
				if m.Key != nil {
					require.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, m.Key, 3), m.Partition, "message %d", i)
				}
			}
			prodRequireKeyOrder(t, prodConsume(t, e, topic, 3, n), 3)

			bad := []*kafkaclient.Message{
				kafkaclient.NewMessage(topic, nil, []byte("good")),
				kafkaclient.NewMessage("bad topic!", nil, []byte("bad")),
			}
			var reported atomic.Int32
			err := p.ProduceBatch(ctx, bad, func(*kafkaclient.Message, error) { reported.Add(1) })
			var pe kafkaclient.ProduceErrors
			require.ErrorAs(t, err, &pe)
			require.Len(t, pe, 2)
			RequireCode(t, pe[0], kafkaclient.CodeInvalidArg)
			RequireCode(t, pe[1], kafkaclient.CodeInvalidTopicException)
			require.NoError(t, p.Flush(ctx))
			assert.Zero(t, reported.Load(), "a message of a refused batch was reported")
		},
	},
	{
		Name: "produce/sync_sets_partition_and_consecutive_offsets",
		Doc:  "ProduceSync sets Partition and Offset on each message, and offsets in one partition of a new topic are consecutive from 0.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 2)
			p := e.Producer(t, pcManual)
			var msgs []*kafkaclient.Message
			for i := range 10 {
				m := kafkaclient.NewMessage(topic, nil, []byte(fmt.Sprint(i)))
				m.Partition = 1
				msgs = append(msgs, m)
			}
			Produce(t, p, msgs[:5]...)
			for _, m := range msgs[5:] {
				Produce(t, p, m)
			}
			for i, m := range msgs {
				assert.Equal(t, int32(1), m.Partition, "message %d", i)
				assert.Equal(t, int64(i), m.Offset, "message %d", i)
				assert.False(t, m.Timestamp.IsZero(), "message %d has no timestamp", i)
			}
			any := kafkaclient.NewMessage(topic, nil, []byte("any"))
			Produce(t, p, any)
			assert.Contains(t, []int32{0, 1}, any.Partition)
			assert.GreaterOrEqual(t, any.Offset, int64(0))
			if any.Partition == 1 {
				assert.Equal(t, int64(10), any.Offset)
			} else {
				assert.Equal(t, int64(0), any.Offset)
			}
		},
	},
	{
		Name: "produce/async_delivery_report_exactly_once",
		Doc:  "Every message accepted by Produce gets exactly one delivery report, with no error, by the time Flush returns, and none after.",
		Run: func(t *testing.T, e *Env) {
			const n = 1000
			topic := e.Topic(t, 3)
			p := e.Producer(t, nil)
			ctx := Ctx(t)
			counts := make([]atomic.Int32, n)
			var errs atomic.Int32
			var firstErr atomic.Value
			msgs := make([]*kafkaclient.Message, n)
			for i := range n {
				m := kafkaclient.NewMessage(topic, []byte(fmt.Sprintf("k%d", i%17)), []byte(fmt.Sprint(i)))
				m.Opaque = i
				msgs[i] = m
				require.NoError(t, p.Produce(ctx, m, func(m *kafkaclient.Message, err error) {
					counts[m.Opaque.(int)].Add(1)
					if err != nil {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
				}))
			}
			require.NoError(t, p.Flush(ctx))
			check := func(when string) {
				for i := range counts {
					if c := counts[i].Load(); c != 1 {
						t.Fatalf("%s: message %d was reported %d times", when, i, c)
					}
				}
			}
			check("after Flush")
			require.Zero(t, errs.Load(), "failed deliveries, first: %v", firstErr.Load())
			for i, m := range msgs {
				require.GreaterOrEqual(t, m.Offset, int64(0), "message %d", i)
			}
			closeWithin(t, p.Close)
			check("after Close")
		},
	},
	{
		Name: "produce/events_delivery_report",
		Doc:  "With a nil DeliveryFunc each message's outcome arrives on Events as a *DeliveryReport carrying the same message.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			ctx := Ctx(t)
			sent := map[*kafkaclient.Message]bool{}
			for i := range 3 {
				m := kafkaclient.NewMessage(topic, nil, []byte(fmt.Sprint(i)))
				require.NoError(t, p.Produce(ctx, m, nil))
				sent[m] = false
			}
			for range 3 {
				select {
				case ev := <-p.Events():
					dr, ok := ev.(*kafkaclient.DeliveryReport)
					require.True(t, ok, "event %T %v is not a *DeliveryReport", ev, ev)
					require.NoError(t, dr.Err)
					done, known := sent[dr.Message]
					require.True(t, known, "report for a message that was not produced: %+v", dr.Message)
					require.False(t, done, "second report for message %q", dr.Message.Value)
					sent[dr.Message] = true
					assert.Equal(t, int32(0), dr.Message.Partition)
					assert.GreaterOrEqual(t, dr.Message.Offset, int64(0))
				case <-ctx.Done():
					t.Fatalf("no delivery report on Events: %v", ctx.Err())
				}
			}
			select {
			case ev := <-p.Events():
				t.Fatalf("unexpected extra event %T %v", ev, ev)
			case <-time.After(200 * time.Millisecond):
			}
		},
	},
	{
		Name: "produce/flush_drains",
		Doc:  "Flush sends buffered messages at once, even with a long linger, and returns only after every delivery report has run.",
		Run: func(t *testing.T, e *Env) {
			const n = 500
			topic := e.Topic(t, 3)
			p := e.Producer(t, func(c *kafkaclient.ProducerConfig) { c.Linger = 10 * time.Second })
			ctx := Ctx(t)
			var reported, failed atomic.Int32
			for i := range n {
				m := kafkaclient.NewMessage(topic, nil, []byte(fmt.Sprint(i)))
				require.NoError(t, p.Produce(ctx, m, func(_ *kafkaclient.Message, err error) {
					if err != nil {
						failed.Add(1)
					}
					reported.Add(1)
				}))
			}
			start := time.Now()
			require.NoError(t, p.Flush(ctx))
			assert.Less(t, time.Since(start), 5*time.Second, "Flush must not wait for linger")
			require.Equal(t, int32(n), reported.Load(), "reports run when Flush returned")
			require.Zero(t, failed.Load())
			// Flushing an empty producer returns at once.
			require.NoError(t, p.Flush(ctx))
		},
	},
	{
		Name: "produce/just_created_topic",
		Doc:  "A topic created through the Admin API can be produced to at once, keyed and unkeyed, even before every broker has its metadata.",
		Run: func(t *testing.T, e *Env) {
			ctx := Ctx(t)
			a := e.Admin(t)
			name := kafkatest.UniqueName(t, "topic")
			res, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: name, Partitions: 3, ReplicationFactor: 1})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			t.Cleanup(func() { a.DeleteTopics(context.Background(), name) }) //nolint:errcheck // clean-up
			p := e.Producer(t, nil)
			Produce(t, p, kafkaclient.NewMessage(name, []byte("k"), []byte("keyed")), kafkaclient.NewMessage(name, nil, []byte("unkeyed")))
		},
	},
	{
		Name: "produce/old_timestamp",
		Doc:  "A message carrying a timestamp from long ago (a replayed event) is delivered with that timestamp, not failed as timed out.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			old := time.Date(2001, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
			hourAgo := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
			m1 := kafkaclient.NewMessage(topic, []byte("k"), []byte("2001"))
			m1.Timestamp = old
			m2 := kafkaclient.NewMessage(topic, []byte("k"), []byte("hour"))
			m2.Timestamp = hourAgo
			Produce(t, p, m1, m2)
			got := prodConsume(t, e, topic, 1, 2)
			require.True(t, old.Equal(got[0].Timestamp), "got %v", got[0].Timestamp)
			require.True(t, hourAgo.Equal(got[1].Timestamp), "got %v", got[1].Timestamp)
		},
	},
	{
		Name: "produce/compression_roundtrip",
		Doc:  "Messages produced with each compression codec (gzip, snappy, lz4, zstd) are consumed unchanged; snappy where Capabilities.Snappy says the backend lacks it is UNSUPPORTED at NewProducer.",
		Run: func(t *testing.T, e *Env) {
			for _, c := range []kafkaclient.Compression{kafkaclient.CompressionGzip, kafkaclient.CompressionSnappy, kafkaclient.CompressionLZ4, kafkaclient.CompressionZstd} {
				t.Run(c.String(), func(t *testing.T) {
					if c == kafkaclient.CompressionSnappy && !e.Caps.Snappy {
						cfg := e.Cluster.ProducerConfig()
						cfg.Compression = c
						_, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
						require.ErrorIs(t, err, kafkaclient.ErrUnsupported)
						t.Logf("snappy on this build: %v", err)
						return
					}
					topic := e.Topic(t, 1)
					p := e.Producer(t, func(cfg *kafkaclient.ProducerConfig) { cfg.Compression = c })
					require.Equal(t, c, p.Config().Compression)
					var msgs []*kafkaclient.Message
					for i := range 20 {
						v := strings.Repeat(fmt.Sprintf("compressible %s payload %d; ", c, i), 50)
						m := kafkaclient.NewMessage(topic, []byte(fmt.Sprint(i)), []byte(v))
						m.Headers = []kafkaclient.Header{{Key: "i", Value: []byte(fmt.Sprint(i))}}
						msgs = append(msgs, m)
					}
					Produce(t, p, msgs...)
					got := prodConsume(t, e, topic, 1, len(msgs))
					for i, m := range got {
						require.Equal(t, msgs[i].Key, m.Key, "message %d", i)
						require.True(t, bytes.Equal(msgs[i].Value, m.Value), "message %d value differs", i)
						require.Equal(t, msgs[i].Headers, m.Headers, "message %d", i)
					}
				})
			}
		},
	},
	{
		Name: "produce/message_too_large",
		Doc:  "A message over the producer's MaxMessageBytes fails at once with MESSAGE_TOO_LARGE, and one over the topic's max.message.bytes fails delivery with MESSAGE_TOO_LARGE from the broker.",
		Run: func(t *testing.T, e *Env) {
			t.Run("client", func(t *testing.T) {
				topic := e.Topic(t, 1)
				p := e.Producer(t, nil)
				require.Equal(t, 1_000_000, p.Config().MaxMessageBytes, "default message.max.bytes")
				m := kafkaclient.NewMessage(topic, nil, prodRandBytes(t, 2<<20))
				called := atomic.Int32{}
				err := p.Produce(Ctx(t), m, func(*kafkaclient.Message, error) { called.Add(1) })
				require.ErrorIs(t, err, kafkaclient.ErrMessageTooLarge)
				ke := RequireCode(t, err, kafkaclient.CodeMessageTooLarge)
				assert.Equal(t, kafkaclient.Code(10), ke.Code)
				assert.Equal(t, topic, ke.Topic)
				err = p.ProduceSync(Ctx(t), m)
				require.ErrorIs(t, err, kafkaclient.ErrMessageTooLarge)
				// Headers count too.
				h := kafkaclient.NewMessage(topic, nil, []byte("small"))
				h.Headers = []kafkaclient.Header{{Key: "big", Value: prodRandBytes(t, 1_000_001)}}
				require.ErrorIs(t, p.Produce(Ctx(t), h, func(*kafkaclient.Message, error) { called.Add(1) }), kafkaclient.ErrMessageTooLarge)
				// The producer still works.
				ProduceValues(t, p, topic, "after")
				time.Sleep(50 * time.Millisecond)
				assert.Zero(t, called.Load(), "no delivery report for a message Produce refused")
			})
			t.Run("broker", func(t *testing.T) {
				topic := e.Topic(t, 1, "max.message.bytes", "10000")
				p := e.Producer(t, func(c *kafkaclient.ProducerConfig) { c.MaxMessageBytes = 1_000_000 })
				m := kafkaclient.NewMessage(topic, nil, prodRandBytes(t, 50_000))
				err := p.ProduceSync(Ctx(t), m)
				require.Error(t, err)
				require.ErrorIs(t, err, kafkaclient.ErrMessageTooLarge)
				RequireCode(t, err, kafkaclient.CodeMessageTooLarge)
				assert.Equal(t, kafkaclient.OffsetInvalid, m.Offset, "a failed message has no offset")
				// A small message to the same topic still goes through.
				ProduceValues(t, p, topic, "small")
			})
		},
	},
	{
		Name: "produce/unknown_topic",
		Doc:  "Producing to a topic that does not exist fails delivery with UNKNOWN_TOPIC_OR_PARTITION within 5 seconds, for keyed and unkeyed messages.",
		Run: func(t *testing.T, e *Env) {
			p := e.Producer(t, nil)
			for _, tc := range []struct {
				name string
				key  []byte
			}{{"keyed", []byte("k")}, {"nil_key", nil}} {
				t.Run(tc.name, func(t *testing.T) {
					topic := kafkatest.UniqueName(t, "missing")
					m := kafkaclient.NewMessage(topic, tc.key, []byte("v"))
					ch := make(chan error, 2)
					start := time.Now()
					ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
					defer cancel()
					require.NoError(t, p.Produce(ctx, m, func(_ *kafkaclient.Message, err error) { ch <- err }))
					select {
					case err := <-ch:
						require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition, "after %v", time.Since(start))
						ke := RequireCode(t, err, kafkaclient.CodeUnknownTopicOrPartition)
						assert.Equal(t, topic, ke.Topic)
						assert.Equal(t, kafkaclient.OffsetInvalid, m.Offset)
					case <-ctx.Done():
						t.Fatalf("no delivery report within 5s for a message to unknown topic %s", topic)
					}
					select {
					case err := <-ch:
						t.Fatalf("second delivery report: %v", err)
					case <-time.After(100 * time.Millisecond):
					}
				})
			}
		},
	},
	{
		Name: "produce/after_close",
		Doc:  "Close delivers what was buffered; afterwards Produce, ProduceSync and Flush fail with CLOSED, Events is closed, and Close again returns the first result.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			ctx := Ctx(t)
			delivered := make(chan error, 1)
			require.NoError(t, p.Produce(ctx, kafkaclient.NewMessage(topic, nil, []byte("before close")), func(_ *kafkaclient.Message, err error) { delivered <- err }))
			require.NoError(t, p.Close(ctx))
			select {
			case err := <-delivered:
				require.NoError(t, err, "a message buffered before Close is delivered")
			default:
				t.Fatal("Close returned before the buffered message was reported")
			}
			require.NoError(t, p.Close(ctx), "second Close")

			err := p.Produce(ctx, kafkaclient.NewMessage(topic, nil, []byte("after")), func(*kafkaclient.Message, error) {
				t.Error("delivery report for a message refused after Close")
			})
			require.ErrorIs(t, err, kafkaclient.ErrClosed)
			RequireCode(t, err, kafkaclient.CodeClosed)
			require.ErrorIs(t, p.Produce(ctx, kafkaclient.NewMessage(topic, []byte("k"), []byte("after")), nil), kafkaclient.ErrClosed)
			require.ErrorIs(t, p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("after"))), kafkaclient.ErrClosed)
			require.ErrorIs(t, p.Flush(ctx), kafkaclient.ErrClosed)
			for ev := range p.Events() {
				t.Errorf("unexpected event after Close: %v", ev)
			}
		},
	},
	{
		Name: "produce/invalid_input",
		Doc:  "Produce refuses a nil message, invalid topic names, a negative partition and a done context at once with typed errors, and reports nothing for them.",
		Run: func(t *testing.T, e *Env) {
			p := e.Producer(t, pcManual)
			ctx := Ctx(t)
			var reports atomic.Int32
			cb := func(*kafkaclient.Message, error) { reports.Add(1) }

			err := p.Produce(ctx, nil, cb)
			require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
			RequireCode(t, err, kafkaclient.CodeInvalidArg)

			for _, topic := range []string{"", ".", "..", strings.Repeat("a", 250), "bad topic!", "t/x", "tópico"} {
				for _, key := range [][]byte{nil, []byte("k")} {
					err := p.Produce(ctx, kafkaclient.NewMessage(topic, key, []byte("v")), cb)
					RequireCode(t, err, kafkaclient.CodeInvalidTopicException)
					require.ErrorIs(t, err, kafkaclient.ErrInvalidTopicException, "topic %q", topic)
				}
			}

			topic := e.Topic(t, 1)
			m := kafkaclient.NewMessage(topic, nil, []byte("v"))
			m.Partition = -5
			err = p.Produce(ctx, m, cb)
			require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
			RequireCode(t, err, kafkaclient.CodeInvalidArg)

			canceled, cancel := context.WithCancel(t.Context())
			cancel()
			for _, key := range [][]byte{nil, []byte("k")} {
				err = p.Produce(canceled, kafkaclient.NewMessage(topic, key, []byte("v")), cb)
				require.ErrorIs(t, err, kafkaclient.ErrCanceled)
				require.ErrorIs(t, err, context.Canceled)
				RequireCode(t, err, kafkaclient.CodeCanceled)
			}
			err = p.ProduceSync(canceled, kafkaclient.NewMessage(topic, nil, []byte("v")))
			require.ErrorIs(t, err, kafkaclient.ErrCanceled)
			require.ErrorIs(t, err, context.Canceled)

			expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			defer cancel2()
			err = p.Produce(expired, kafkaclient.NewMessage(topic, nil, []byte("v")), cb)
			require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.True(t, kafkaclient.IsTimeout(err))

			// The producer is still usable, and none of the refused
			// messages was reported.
			ProduceValues(t, p, topic, "valid")
			require.NoError(t, p.Flush(ctx))
			assert.Zero(t, reports.Load(), "delivery reports for refused messages")
		},
	},
	{
		Name: "produce/idempotence",
		Doc:  "An idempotent producer (Idempotence ToggleOn) opens and delivers in order where the backend declares Idempotence, and fails with UNSUPPORTED elsewhere.",
		Run: func(t *testing.T, e *Env) {
			cfg := e.Cluster.ProducerConfig()
			cfg.Idempotence = kafkaclient.ToggleOn
			if !e.Caps.Idempotence {
				p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
				RequireUnsupported(t, err)
				require.Nil(t, p)
				return
			}
			topic := e.Topic(t, 1)
			p := e.Producer(t, func(c *kafkaclient.ProducerConfig) { c.Idempotence = kafkaclient.ToggleOn })
			require.Equal(t, kafkaclient.ToggleOn, p.Config().Idempotence)
			var msgs []*kafkaclient.Message
			for i := range 50 {
				msgs = append(msgs, kafkaclient.NewMessage(topic, nil, []byte(fmt.Sprint(i))))
			}
			Produce(t, p, msgs...)
			got := prodConsume(t, e, topic, 1, len(msgs))
			for i, m := range got {
				assert.Equal(t, fmt.Sprint(i), string(m.Value))
				assert.Equal(t, int64(i), m.Offset)
			}
			// Idempotence with acks other than all is a config error.
			cfg.Acks = kafkaclient.AcksLeader
			_, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
		},
	},
	{
		Name: "produce/all_brokers_down",
		Doc:  "A producer whose only bootstrap server refuses connections reports ALL_BROKERS_DOWN or TRANSPORT on Events within 10s, and Close returns by its deadline, reporting the buffered message once.",
		Run: func(t *testing.T, e *Env) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			require.NoError(t, ln.Close())

			cfg := e.Cluster.ProducerConfig()
			cfg.BootstrapServers = []string{addr}
			p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
			require.NoError(t, err)
			closed := false
			t.Cleanup(func() {
				if !closed {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					p.Close(ctx) //nolint:errcheck // clean-up after a failed assertion
				}
			})

			var reports atomic.Int32
			var reportErr atomic.Value
			topic := kafkatest.UniqueName(t, "down")
			require.NoError(t, p.Produce(Ctx(t), kafkaclient.NewMessage(topic, nil, []byte("v")), func(_ *kafkaclient.Message, err error) {
				reports.Add(1)
				if err != nil {
					reportErr.Store(err)
				}
			}))

			deadline := time.After(10 * time.Second)
		wait:
			for {
				select {
				case ev := <-p.Events():
					ke, ok := ev.(*kafkaclient.Error)
					require.True(t, ok, "event %T %v is not an *Error", ev, ev)
					assert.Contains(t, []string{"ALL_BROKERS_DOWN", "TRANSPORT"}, kafkaclient.CodeName(ke.Code), "client error %v", ke)
					assert.Equal(t, e.Backend.Name(), ke.Backend)
					assert.True(t, ke.Retriable(), "%v is retriable", ke)
					break wait
				case <-deadline:
					t.Fatal("no client-level error on Events within 10s")
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err = p.Close(ctx)
			elapsed := time.Since(start)
			closed = true
			assert.Less(t, elapsed, 5*time.Second, "Close took %v with a 2s deadline (err %v)", elapsed, err)
			if err != nil {
				require.ErrorIs(t, err, kafkaclient.ErrTimedOut, "Close could not flush by its deadline")
			}
			require.Equal(t, int32(1), reports.Load(), "the buffered message is reported exactly once by the time Close returns")
			v := reportErr.Load()
			require.NotNil(t, v, "the undeliverable message was reported without an error")
			RequireCode(t, v.(error), kafkaclient.CodeClosed)
			require.ErrorIs(t, v.(error), kafkaclient.ErrClosed)
			time.Sleep(100 * time.Millisecond)
			assert.Equal(t, int32(1), reports.Load(), "reported again after Close")
		},
	},
}

// prodKeyed returns n messages to topic spread over keys keys: the value
// of each is its key and its rank among the messages of that key.
func prodKeyed(topic string, keys, n int) []*kafkaclient.Message {
	msgs := make([]*kafkaclient.Message, n)
	for i := range msgs {
		k := fmt.Sprintf("key-%d", i%keys)
		msgs[i] = kafkaclient.NewMessage(topic, []byte(k), []byte(fmt.Sprintf("%s/%d", k, i/keys)))
	}
	return msgs
}

// prodRequireKeyOrder asserts that the keyed messages of got, made by
// prodKeyed, come in order per key, each on its key's partition of
// partitions; it returns how many messages each key has.
func prodRequireKeyOrder(t *testing.T, got []*kafkaclient.Message, partitions int32) map[string]int {
	t.Helper()
	next := map[string]int{}
	for _, m := range got {
		if m.Key == nil {
			continue
		}
		k := string(m.Key)
		require.Equal(t, fmt.Sprintf("%s/%d", k, next[k]), string(m.Value), "order of key %s", k)
		require.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, m.Key, partitions), m.Partition)
		next[k]++
	}
	return next
}

// prodKeyFor returns a key that murmur2 puts in partition of partitions.
func prodKeyFor(partition, partitions int32) []byte {
	for i := 0; ; i++ {
		if k := []byte(fmt.Sprintf("key-%d", i)); kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, k, partitions) == partition {
			return k
		}
	}
}

// prodRequirePlaced produces msgs to topic, of partitions partitions, and
// asserts that each is reported delivered to partition want and consumed
// from it; it returns the messages consumed.
func prodRequirePlaced(t *testing.T, e *Env, p *kafkaclient.Producer, topic string, partitions, want int32, msgs ...*kafkaclient.Message) []*kafkaclient.Message {
	t.Helper()
	Produce(t, p, msgs...)
	for _, m := range msgs {
		assert.Equal(t, want, m.Partition, "message %q", m.Value)
	}
	got := prodConsume(t, e, topic, partitions, len(msgs))
	for _, m := range got {
		assert.Equal(t, want, m.Partition, "consumed message %q", m.Value)
	}
	return got
}

// prodConsume reads n messages from every partition of topic, from the
// beginning: with a manual assignment where the backend has one, else with a
// consumer group.
func prodConsume(t *testing.T, e *Env, topic string, partitions int32, n int) []*kafkaclient.Message {
	t.Helper()
	if e.Caps.ManualAssign {
		c := e.Consumer(t, "", nil)
		tps := make([]kafkaclient.TopicPartition, partitions)
		for i := range tps {
			tps[i] = kafkaclient.TopicPartition{Topic: topic, Partition: int32(i), Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}
		}
		require.NoError(t, c.Assign(Ctx(t), tps))
		return PollN(t, c, n)
	}
	c := e.Consumer(t, e.Group(t), nil)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	return PollN(t, c, n)
}

// prodRequireDistinct asserts that no message was consumed twice.
func prodRequireDistinct(t *testing.T, msgs []*kafkaclient.Message) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range msgs {
		k := fmt.Sprintf("%d/%d", m.Partition, m.Offset)
		require.False(t, seen[k], "message at %s consumed twice", k)
		seen[k] = true
	}
}

// prodRandBytes returns n random (incompressible) bytes.
func prodRandBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}
