package watermill_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	wmk "github.com/kafkaclient/kafkaclient/watermill"
)

// features are what the adapter guarantees, for Watermill's suite.
var features = tests.Features{
	// Subscribers of one group share the topic's partitions.
	ConsumerGroups: true,
	// At-least-once: a message acked but not yet committed when a
	// consumer dies is delivered again.
	ExactlyOnceDelivery: false,
	// One message at a time per subscription, and the topics the suite
	// creates (SubscribeInitialize) have one partition.
	GuaranteedOrder:                     true,
	GuaranteedOrderWithSingleSubscriber: true,
	Persistent:                          true,
	NewSubscriberReceivesOldMessages:    true,
	// TestReconnect restarts the broker with this command; the embedded
	// broker has none, so it is skipped (Watermill's suite says so).
	RestartServiceCommand: nil,
}

// TestPubSub runs Watermill's own Pub/Sub test suite on each backend. Under
// the race detector it runs the suite's short form (100 messages and 10
// subscribers where it otherwise has 5,000 and 50: kafka-go's consumers,
// fifty times over, are too slow there); .ci/run also runs it in full
// without the race detector.
func TestPubSub(t *testing.T) {
	features := features
	features.ForceShort = raceEnabled
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cluster := kafkatest.NewCluster(t)
			tests.TestPubSub(t, features,
				func(t *testing.T) (message.Publisher, message.Subscriber) {
					// No group: each Subscribe reads the topic from the
					// start, as the suite expects of a new subscriber.
					return newPubSub(t, cluster, b, "")
				},
				func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
					return newPubSub(t, cluster, b, group)
				})
		})
	}
}

func newPubSub(t *testing.T, cluster *kafkatest.Cluster, b testBackend, group string) (message.Publisher, message.Subscriber) {
	return openKafkaclient(t, cluster, b, group)
}

// openKafkaclient opens this adapter's Publisher and Subscriber on
// backend b, closed when the test ends.
func openKafkaclient(t testing.TB, cluster *kafkatest.Cluster, b testBackend, group string) (message.Publisher, message.Subscriber) {
	opts := []kafkaclient.Option{kafkaclient.WithBackend(b.new())}
	pub, err := wmk.NewPublisher(wmk.PublisherConfig{Producer: cluster.ProducerConfig(), Options: opts}, nil)
	require.NoError(t, err)
	cc := cluster.ConsumerConfig("")
	cc.FetchMaxWait = 50 * time.Millisecond
	cc.SessionTimeout = 6 * time.Second
	cc.HeartbeatInterval = 500 * time.Millisecond
	sub, err := wmk.NewSubscriber(wmk.SubscriberConfig{Consumer: cc, Options: opts, ConsumerGroup: group,
		NackResendSleep: 10 * time.Millisecond}, nil)
	require.NoError(t, err)
	// Some of the suite's tests leave them open; closing twice is no error.
	t.Cleanup(func() {
		assert.NoError(t, pub.Close())
		assert.NoError(t, sub.Close())
	})
	return pub, sub
}
