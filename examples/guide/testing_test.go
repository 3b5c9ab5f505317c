package guide_test

// The guide's "Testing" section: the mock producer in a unit test, an
// integration test against a broker, and table-driven producer tests.

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/examples/guide"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TestOrderService mirrors "Testing / Mock Producer": the service runs on
// kafkatest.NewMockProducer, a real *kafkaclient.Producer over an in-memory
// backend, and the test inspects what it recorded.
func TestOrderService(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	service := guide.NewOrderService(p, "orders")

	err := service.CreateOrder(t.Context(), guide.Order{ID: "123", Amount: 99.99})
	require.NoError(t, err)

	messages := mock.Messages()
	require.Len(t, messages, 1)
	assert.Equal(t, "orders", messages[0].Topic)
	assert.Equal(t, []byte("123"), messages[0].Key)
	assert.JSONEq(t, `{"id": "123", "amount": 99.99}`, string(messages[0].Value))
	assert.Equal(t, []kafkaclient.Header{{Key: "type", Value: []byte("order-created")}}, messages[0].Headers)

	t.Run("delivery failure is returned", func(t *testing.T) {
		mock.FailNext(kafkaclient.CodeTopicAuthorizationFailed)
		err := service.CreateOrder(t.Context(), guide.Order{ID: "124", Amount: 1})
		require.ErrorIs(t, err, kafkaclient.ErrTopicAuthorizationFailed)
		assert.Equal(t, "authorization", guide.ClassifyError(err))
		assert.Len(t, mock.Messages(), 1, "a failed message is not recorded")
	})
	t.Run("invalid order is not sent", func(t *testing.T) {
		require.Error(t, service.CreateOrder(t.Context(), guide.Order{Amount: 1}))
		assert.Len(t, mock.Messages(), 1)
	})
}

// TestProduceConsume mirrors "Testing / Integration Testing" on every
// backend: where the guide starts Kafka in a container, kafkatest.NewCluster
// starts the embedded broker in the test process (or uses the cluster named
// by KAFKA_BOOTSTRAP_SERVERS, with unique names).
func TestProduceConsume(t *testing.T) {
	for _, b := range selectedBackends(t) {
		t.Run(b.Name(), func(t *testing.T) {
			cluster := kafkatest.NewCluster(t)
			topic := cluster.CreateTopic(t, 3)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()

			// Test producer.
			p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
				"bootstrap.servers": cluster.BootstrapServers()[0],
			}, kafkaclient.WithBackend(b))
			require.NoError(t, err)
			defer kafkatest.CloseClient(t, p.Close)
			service := guide.NewOrderService(p, topic)
			require.NoError(t, service.CreateOrder(ctx, guide.Order{ID: "123", Amount: 99.99}))
			require.NoError(t, p.Flush(ctx))

			// Test consumer.
			c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{
				"bootstrap.servers": cluster.BootstrapServers()[0],
				"group.id":          kafkatest.UniqueName(t, "test"),
				"auto.offset.reset": "earliest",
			}, kafkaclient.WithBackend(b))
			require.NoError(t, err)
			defer kafkatest.CloseClient(t, c.Close)
			require.NoError(t, c.Subscribe(ctx, []string{topic}, nil))

			msg, err := c.ReadMessage(10 * time.Second)
			require.NoError(t, err)
			var got guide.Order
			require.NoError(t, json.Unmarshal(msg.Value, &got))
			assert.Equal(t, guide.Order{ID: "123", Amount: 99.99}, got)
			assert.Equal(t, []byte("123"), msg.Key)
			assert.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte("123"), 3), msg.Partition)
			assert.Equal(t, int64(0), msg.Offset)
		})
	}
}

// target is a producer under test: the mock, or a backend on the embedded
// broker.
type target struct {
	name string
	open func(t *testing.T) (p *kafkaclient.Producer, topic string)
}

// producerTargets returns the mock and every selected backend.
func producerTargets(t *testing.T) []target {
	targets := []target{{
		name: "mock",
		open: func(t *testing.T) (*kafkaclient.Producer, string) {
			p, mock := kafkatest.NewMockProducer(t)
			mock.Strict()
			mock.SetPartitions("orders", 3)
			return p, "orders"
		},
	}}
	for _, b := range selectedBackends(t) {
		targets = append(targets, target{
			name: b.Name(),
			open: func(t *testing.T) (*kafkaclient.Producer, string) {
				cluster := kafkatest.NewCluster(t, kafkatest.Embedded())
				topic := cluster.CreateTopic(t, 3)
				cfg := cluster.ProducerConfig()
				cfg.DeliveryTimeout = 10 * time.Second
				p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(b))
				require.NoError(t, err)
				t.Cleanup(func() { kafkatest.CloseClient(t, p.Close) })
				return p, topic
			},
		})
	}
	return targets
}

// TestProducerSend mirrors "Testing / Table-Driven Tests": one table of
// messages and the error each must give, run on the mock producer and on
// every backend.
func TestProducerSend(t *testing.T) {
	tests := []struct {
		name string
		// topic is "" for the target's topic.
		topic   string
		key     []byte
		value   []byte
		wantErr error
	}{
		{name: "valid message", key: []byte("123"), value: []byte(`{"id": 123}`)},
		{name: "empty value", key: []byte("123"), value: []byte("")},
		{name: "tombstone", key: []byte("123"), value: nil},
		{name: "nil key", key: nil, value: []byte(`{"id": 124}`)},
		{name: "too large", key: []byte("123"), value: make([]byte, 2<<20), wantErr: kafkaclient.ErrMessageTooLarge},
		{name: "invalid topic name", topic: "orders and more", key: []byte("123"), value: []byte("{}"), wantErr: kafkaclient.ErrInvalidTopicException},
		{name: "unknown topic", topic: "no-such-topic", key: []byte("123"), value: []byte("{}"), wantErr: kafkaclient.ErrUnknownTopicOrPartition},
	}
	for _, target := range producerTargets(t) {
		t.Run(target.name, func(t *testing.T) {
			p, topic := target.open(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
					defer cancel()
					msg := kafkaclient.NewMessage(topic, tt.key, tt.value)
					if tt.topic != "" {
						msg.Topic = tt.topic
					}
					err := p.ProduceSync(ctx, msg)
					if tt.wantErr != nil {
						require.ErrorIs(t, err, tt.wantErr)
						return
					}
					require.NoError(t, err)
					assert.GreaterOrEqual(t, msg.Offset, int64(0))
					if tt.key != nil {
						assert.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, tt.key, 3), msg.Partition)
					}
				})
			}
		})
	}
}
