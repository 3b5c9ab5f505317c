package guide

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/kafkaclient/kafkaclient"
)

// Order is the event the OrderService publishes.
type Order struct {
	ID     string  `json:"id"`
	Amount float64 `json:"amount"`
}

// OrderService publishes orders to a topic. It is the code under test of
// the guide's "Testing" section: its tests open it on
// kafkatest.NewMockProducer (unit tests) or on the embedded broker
// (integration tests), with the same *kafkaclient.Producer type.
type OrderService struct {
	producer *kafkaclient.Producer
	topic    string
}

// NewOrderService returns a service that publishes to topic with p.
func NewOrderService(p *kafkaclient.Producer, topic string) *OrderService {
	return &OrderService{producer: p, topic: topic}
}

// CreateOrder publishes order, keyed by its id so that one order's events
// stay in order, and waits until Kafka has it.
func (s *OrderService) CreateOrder(ctx context.Context, order Order) error {
	if order.ID == "" {
		return errors.New("order has no id")
	}
	value, err := json.Marshal(order)
	if err != nil {
		return err
	}
	msg := kafkaclient.NewMessage(s.topic, []byte(order.ID), value)
	msg.Headers = []kafkaclient.Header{{Key: "type", Value: []byte("order-created")}}
	return s.producer.ProduceSync(ctx, msg)
}
