package watermill_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	wmk "github.com/kafkaclient/kafkaclient/watermill"
)

// TestPublishBadInput checks that a message without a UUID, one too large,
// or a closed publisher fail Publish with a typed error, and that nothing
// of a refused call is sent.
func TestPublishBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cluster := kafkatest.NewCluster(t)
			pub, sub := newPubSub(t, cluster, b, "group-"+watermill.NewULID())
			topic := kafkatest.UniqueName(t, "topic")
			require.NoError(t, sub.(*wmk.Subscriber).SubscribeInitialize(topic))

			good := message.NewMessage(watermill.NewUUID(), []byte("good"))
			noID := message.NewMessage("", []byte("no id"))
			err := pub.Publish(topic, good, noID)
			require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
			assert.Contains(t, err.Error(), "message 2 of 2 has no UUID")

			big := message.NewMessage(watermill.NewUUID(), []byte("big"))
			big.Metadata.Set("blob", strings.Repeat("x", 2_000_000)) // past message.max.bytes
			err = pub.Publish(topic, good, big)
			require.ErrorIs(t, err, kafkaclient.ErrMessageTooLarge)

			last := message.NewMessage(watermill.NewUUID(), []byte("last"))
			require.NoError(t, pub.Publish(topic, last))
			require.NoError(t, pub.Close())
			err = pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("late")))
			require.ErrorIs(t, err, kafkaclient.ErrClosed)

			// Only the message of the accepted call arrived.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			msgs, err := sub.Subscribe(ctx, topic)
			require.NoError(t, err)
			got := <-msgs
			require.NotNil(t, got)
			assert.Equal(t, last.UUID, got.UUID)
			assert.Equal(t, "last", string(got.Payload))
			got.Ack()
			select {
			case m := <-msgs:
				t.Fatalf("unexpected message %s: %s", m.UUID, m.Payload)
			case <-time.After(time.Second):
			}
		})
	}
}

// TestMetadataAndKey checks that metadata travels as headers and that a key
// taken from metadata decides the partition, as a keyed kafkaclient
// message's would.
func TestMetadataAndKey(t *testing.T) {
	cluster := kafkatest.NewCluster(t)
	b := backends[0]
	opts := []kafkaclient.Option{kafkaclient.WithBackend(b.new())}
	pub, err := wmk.NewPublisher(wmk.PublisherConfig{Producer: cluster.ProducerConfig(), Options: opts,
		Marshaler: wmk.DefaultMarshaler{Key: wmk.KeyFromMetadata("order")}}, nil)
	require.NoError(t, err)
	defer pub.Close()
	topic := cluster.CreateTopic(t, 6)
	msg := message.NewMessage(watermill.NewUUID(), []byte("paid"))
	msg.Metadata.Set("order", "order-42")
	msg.Metadata.Set("trace", "abc")
	require.NoError(t, pub.Publish(topic, msg))

	c, err := kafkaclient.NewConsumer(cluster.ConsumerConfig(kafkatest.UniqueName(t, "group")), opts...)
	require.NoError(t, err)
	defer kafkatest.CloseClient(t, c.Close)
	require.NoError(t, c.Subscribe(t.Context(), []string{topic}, nil))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	km, err := c.Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, "order-42", string(km.Key))
	assert.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte("order-42"), 6), km.Partition)
	back, err := wmk.DefaultMarshaler{}.Unmarshal(km)
	require.NoError(t, err)
	assert.Equal(t, msg.UUID, back.UUID)
	assert.Equal(t, "abc", back.Metadata.Get("trace"))
	assert.Equal(t, "order-42", back.Metadata.Get("order"))
}
