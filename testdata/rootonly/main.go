// Command rootonly imports nothing of kafkaclient but the root package: the
// backend comes from the build tags. It produces keyed messages to the topic
// named by its arguments, consumes them back, and prints "key partition"
// lines, so tests can compare placements across backends.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rootonly BROKERS TOPIC")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := kafkaclient.ClientConfig{BootstrapServers: strings.Split(os.Args[1], ",")}
	topic := os.Args[2]
	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: client})
	check(err)
	keys := []string{"a", "b", "order-123", "customer-42", "k"}
	for _, k := range keys {
		check(p.ProduceSync(ctx, kafkaclient.NewMessage(topic, []byte(k), []byte("v-"+k))))
	}
	check(p.Close(ctx))
	c, err := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{ClientConfig: client, GroupID: "rootonly-" + topic, AutoOffsetReset: kafkaclient.OffsetResetEarliest})
	check(err)
	check(c.Subscribe(ctx, []string{topic}, nil))
	fmt.Println("backend", kafkaclient.DefaultBackend().Name())
	for range keys {
		m, err := c.Poll(ctx)
		check(err)
		fmt.Println(string(m.Key), m.Partition)
	}
	check(c.Close(ctx))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
