package guide_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/examples/guide"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// exampleEnv starts an embedded broker for an example and returns an Env
// printing to standard output on the default backend, and the function
// that stops the broker.
func exampleEnv() (guide.Env, func()) {
	cluster, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		panic(err)
	}
	return guide.Env{Brokers: cluster.BootstrapServers(), Out: os.Stdout}, cluster.Close
}

func ExampleBasicProducer() {
	env, stop := exampleEnv()
	defer stop()
	if err := guide.BasicProducer(context.Background(), env); err != nil {
		fmt.Println(err)
	}
	// Output:
	// delivered {"id": 123, "event": "created"} to orders[1]@0
	// delivered {"id": 123, "event": "paid"} to orders[1]@1
	// delivered {"id": 123, "event": "shipped"} to orders[1]@2
}

func ExampleSynchronousSend() {
	env, stop := exampleEnv()
	defer stop()
	if err := guide.SynchronousSend(context.Background(), env); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Delivered to orders [1] at offset 0
	// Delivered order-123 to orders [1] at offset 1
	// Delivered order-456 to orders [1] at offset 2
	// send to a missing topic: unknown topic=true retriable=true
}

func ExampleBasicConsumer() {
	env, stop := exampleEnv()
	defer stop()
	if err := guide.BasicConsumer(context.Background(), env, 2); err != nil {
		fmt.Println(err)
	}
	// Output:
	// received: key=key-0 value=order-0 partition=0 offset=0
	// received: key=key-1 value=order-1 partition=0 offset=1
	// terminating: context canceled
	// committed: orders[0]@2
}

func ExampleCreateTopics() {
	env, stop := exampleEnv()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := guide.CreateTopics(ctx, env); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Created topic orders (6 partitions, replication factor 1)
	// Failed to create topic orders: TOPIC_ALREADY_EXISTS
	// retention.ms=604800000 cleanup.policy=delete
}

func ExampleClassifyError() {
	for _, err := range []error{
		&kafkaclient.Error{Op: "produce", Topic: "orders", Partition: 0, Code: kafkaclient.CodeTopicAuthorizationFailed},
		&kafkaclient.Error{Op: "produce", Topic: "orders", Partition: 0, Code: kafkaclient.CodeMessageTooLarge},
		&kafkaclient.Error{Op: "client", Partition: -1, Code: kafkaclient.CodeAllBrokersDown},
		&kafkaclient.Error{Op: "produce", Topic: "orders", Partition: 0, Code: kafkaclient.CodeNotEnoughReplicas},
		&kafkaclient.Error{Op: "commit transaction", Partition: -1, Code: kafkaclient.CodeProducerFenced},
		fmt.Errorf("saving order: %w", &kafkaclient.Error{Op: "produce", Topic: "orders", Partition: -1, Code: kafkaclient.CodeInvalidConfig}),
		errors.New("disk full"),
	} {
		fmt.Println(guide.ClassifyError(err))
	}
	// Output:
	// authorization
	// invalid_message
	// network
	// retriable
	// fatal
	// other
	// unknown
}
