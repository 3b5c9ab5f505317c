package watermill_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	wmk "github.com/kafkaclient/kafkaclient/watermill"
)

// A Watermill router over kafkaclient: a handler reads "orders", and
// publishes what it makes of each to "invoices". The backend is the
// program's (franz-go unless a build tag picks another).
func Example_router() {
	cluster, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	client := kafkaclient.ConfigMap{"bootstrap.servers": strings.Join(cluster.BootstrapServers(), ",")}

	pub, err := wmk.NewPublisher(wmk.PublisherConfig{ConfigMap: client}, nil)
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	sub, err := wmk.NewSubscriber(wmk.SubscriberConfig{ConfigMap: client, ConsumerGroup: "invoicing"}, nil)
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	for _, topic := range []string{"orders", "invoices"} {
		if err := sub.SubscribeInitialize(topic); err != nil {
			panic(err)
		}
	}

	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		panic(err)
	}
	router.AddHandler("invoice", "orders", sub, "invoices", pub, func(msg *message.Message) ([]*message.Message, error) {
		invoice := message.NewMessage(watermill.NewUUID(), []byte("invoice for "+string(msg.Payload)))
		return []*message.Message{invoice}, nil
	})
	go router.Run(context.Background()) //nolint:errcheck // stopped by Close below
	<-router.Running()
	defer router.Close()

	if err := pub.Publish("orders", message.NewMessage(watermill.NewUUID(), []byte("order-1"))); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	invoices, err := sub.Subscribe(ctx, "invoices")
	if err != nil {
		panic(err)
	}
	msg := <-invoices
	fmt.Println(string(msg.Payload))
	msg.Ack()
	// Output: invoice for order-1
}
