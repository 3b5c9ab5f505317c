package kafkaclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TestGroupProtocolConsumerOnAnOldBroker: a broker that does not serve
// KIP-848 (the embedded broker speaking Kafka 3.6's APIs) makes Subscribe
// with group.protocol=consumer fail with UNSUPPORTED_VERSION naming the
// setting, rather than fall back to the classic protocol or hang; classic
// still works there.
func TestGroupProtocolConsumerOnAnOldBroker(t *testing.T) {
	cluster := kafkatest.NewCluster(t, kafkatest.Embedded(), kafkatest.FakeOptions(kfake.MaxVersions(kversion.V3_6_0())))
	topic := cluster.CreateTopic(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, protocol := range []kafkaclient.GroupProtocol{kafkaclient.GroupProtocolConsumer, kafkaclient.GroupProtocolClassic} {
		cfg := cluster.ConsumerConfig(kafkatest.UniqueName(t, "group"))
		cfg.GroupProtocol = protocol
		c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(franz.New())) // a backend with KIP-848
		require.NoError(t, err)
		err = c.Subscribe(ctx, []string{topic}, nil)
		require.NoError(t, c.Close(ctx))
		if protocol == kafkaclient.GroupProtocolClassic {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, kafkaclient.ErrUnsupportedVersion)
		assert.Contains(t, err.Error(), "group.protocol=consumer")
		assert.Contains(t, err.Error(), "ConsumerGroupHeartbeat")
	}
}

// TestGroupProtocolConfig: group.protocol=consumer refuses the classic
// protocol's settings, naming each, and group.remote.assignor without it.
func TestGroupProtocolConfig(t *testing.T) {
	kip848 := kafkaclient.WithBackend(franz.New()) // a backend with group.protocol=consumer
	for key, value := range map[string]any{"session.timeout.ms": 10000, "heartbeat.interval.ms": 1000, "partition.assignment.strategy": "range"} {
		_, err := kafkaclient.ParseConsumerConfig(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.protocol": "consumer", key: value})
		require.NoError(t, err, "parsing checks values, not combinations")
		_, err = kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.protocol": "consumer", key: value}, kip848)
		require.ErrorIs(t, err, kafkaclient.ErrBadConfig, key)
		assert.Contains(t, err.Error(), key)
	}
	_, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.remote.assignor": "uniform"})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	_, err = kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.protocol": "consumer", "group.remote.assignor": "sticky"}, kip848)
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	_, err = kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.protocol": "next"})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": "localhost:9092", "group.protocol": "consumer", "group.remote.assignor": "range"}, kip848)
	require.NoError(t, err)
	assert.Equal(t, "range", c.Config().GroupRemoteAssignor)
	assert.Empty(t, c.Config().Assignors)
	require.NoError(t, c.Close(context.Background()))
}
