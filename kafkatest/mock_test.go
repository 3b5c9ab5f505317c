package kafkatest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// OrderService is code under test: it depends on *kafkaclient.Producer only.
type OrderService struct{ p *kafkaclient.Producer }

func (s OrderService) CreateOrder(ctx context.Context, id string) error {
	return s.p.ProduceSync(ctx, kafkaclient.NewMessage("orders", []byte(id), []byte(`{"id":"`+id+`"}`)))
}

func TestMockProducerRecords(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	svc := OrderService{p}
	require.NoError(t, svc.CreateOrder(t.Context(), "123"))
	msgs := mock.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "orders", msgs[0].Topic)
	assert.Equal(t, []byte("123"), msgs[0].Key)
	assert.Equal(t, int64(0), msgs[0].Offset)
}

func TestMockProducerInjectsErrors(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	mock.FailNext(kafkaclient.CodeMessageTooLarge)
	err := OrderService{p}.CreateOrder(t.Context(), "1")
	require.ErrorIs(t, err, kafkaclient.ErrMessageTooLarge)
	assert.False(t, kafkaclient.IsRetriable(err))
	assert.Empty(t, mock.Messages(), "a failed message is not recorded")

	mock.FailTopic("orders", kafkaclient.CodeTopicAuthorizationFailed)
	err = OrderService{p}.CreateOrder(t.Context(), "2")
	require.ErrorIs(t, err, kafkaclient.ErrTopicAuthorizationFailed)
	mock.FailTopic("orders", kafkaclient.CodeNone)
	require.NoError(t, OrderService{p}.CreateOrder(t.Context(), "3"))
}

func TestMockProducerPartitionsByKey(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	mock.SetPartitions("orders", 6)
	for _, k := range []string{"a", "b", "order-123"} {
		require.NoError(t, p.ProduceSync(t.Context(), kafkaclient.NewMessage("orders", []byte(k), nil)))
	}
	got := map[string]int32{}
	for _, m := range mock.Messages() {
		got[string(m.Key)] = m.Partition
	}
	assert.Equal(t, map[string]int32{"a": 4, "b": 2, "order-123": 1}, got, "the root's murmur2 placement, as on every backend")
}

func TestMockProducerStrictUnknownTopic(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	mock.Strict()
	err := p.ProduceSync(t.Context(), kafkaclient.NewMessage("nope", nil, []byte("v")))
	require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)
}

// The guide's table-driven producer test, against the mock.
func TestProducerSendTable(t *testing.T) {
	tests := []struct {
		name    string
		msg     *kafkaclient.Message
		wantErr error
	}{
		{"valid message", kafkaclient.NewMessage("orders", []byte("123"), []byte(`{"id": 123}`)), nil},
		{"empty value", kafkaclient.NewMessage("orders", []byte("123"), []byte("")), nil},
		{"nil message", nil, kafkaclient.ErrInvalidArg},
		{"empty topic", kafkaclient.NewMessage("", nil, []byte("v")), kafkaclient.ErrInvalidTopicException},
		{"oversize", kafkaclient.NewMessage("orders", nil, make([]byte, 2_000_000)), kafkaclient.ErrMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, mock := kafkatest.NewMockProducer(t)
			err := p.ProduceSync(t.Context(), tt.msg)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, mock.Messages())
				return
			}
			require.NoError(t, err)
			assert.Len(t, mock.Messages(), 1)
		})
	}
}

func TestMockHasNoConsumer(t *testing.T) {
	_, err := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"mock:1"}}}, kafkaclient.WithBackend(kafkatest.NewMock()))
	require.ErrorIs(t, err, kafkaclient.ErrUnsupported)
	require.True(t, errors.Is(err, errors.ErrUnsupported))
}

func TestNewClusterEmbedded(t *testing.T) {
	if v := kafkatest.EnvBootstrapServers; v == "" {
		t.Fatal("env name is empty")
	}
	c := kafkatest.NewCluster(t, kafkatest.Brokers(3))
	if c.External() {
		return // the variable points at a real cluster; nothing embedded to check
	}
	require.NotNil(t, c.Fake())
	md, err := c.Admin().BrokerMetadata(t.Context())
	require.NoError(t, err)
	assert.Len(t, md.Brokers, 3)
}
