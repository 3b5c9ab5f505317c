// Command quickstart produces and consumes through kafkaclient's default
// backend and prints what happened. Without -brokers it starts the embedded
// broker in-process, so it needs nothing installed:
//
//	go run ./examples/quickstart
//	go run -tags kafkaclient_segmentio ./examples/quickstart   (another backend)
//	go run ./examples/quickstart -brokers 127.0.0.1:9092        (a real cluster)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

func main() {
	brokers := flag.String("brokers", "", "bootstrap servers (host:port,...); empty starts the embedded broker")
	count := flag.Int("messages", 1000, "messages to produce and consume")
	flag.Parse()
	if err := run(*brokers, *count); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(brokers string, count int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	servers := strings.Split(brokers, ",")
	if brokers == "" {
		cluster, err := kafkatest.Start()
		if err != nil {
			return err
		}
		defer cluster.Close()
		servers = cluster.BootstrapServers()
		fmt.Printf("embedded broker listening on %s\n", strings.Join(servers, ","))
	}
	client := kafkaclient.ClientConfig{BootstrapServers: servers, ClientID: "quickstart"}
	fmt.Printf("backend: %s\n", kafkaclient.DefaultBackend().Name())

	// Admin: create a topic with 6 partitions.
	topic := fmt.Sprintf("quickstart-%d", time.Now().UnixNano())
	admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: client})
	if err != nil {
		return err
	}
	defer admin.Close(context.Background()) //nolint:errcheck // exiting
	res, err := admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 6, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "3600000"}})
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	fmt.Printf("created topic %s with 6 partitions\n", topic)

	// Producer: async produce with delivery callbacks, then Flush.
	producer, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: client})
	if err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		delivered int
		failed    int
		perPart   = map[int32]int{}
	)
	start := time.Now()
	for i := range count {
		key := fmt.Sprintf("order-%d", i%50)
		msg := kafkaclient.NewMessage(topic, []byte(key), []byte(fmt.Sprintf(`{"id":%d}`, i)))
		msg.Headers = []kafkaclient.Header{{Key: "source", Value: []byte("quickstart")}}
		err := producer.Produce(ctx, msg, func(m *kafkaclient.Message, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			delivered++
			perPart[m.Partition]++
		})
		if err != nil {
			return err
		}
	}
	if err := producer.Flush(ctx); err != nil {
		return err
	}
	produceTime := time.Since(start)
	if err := producer.Close(ctx); err != nil {
		return err
	}
	fmt.Printf("produced %d messages in %v (%d failed); per partition: %v\n", delivered, produceTime.Round(time.Millisecond), failed, perPart)
	fmt.Printf("key \"order-7\" goes to partition %d on every backend (murmur2, like the Java client)\n",
		kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte("order-7"), 6))

	// Consumer: a group member with manual commits.
	consumer, err := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{
		ClientConfig:      client,
		GroupID:           "quickstart-" + topic,
		AutoOffsetReset:   kafkaclient.OffsetResetEarliest,
		DisableAutoCommit: true,
	})
	if err != nil {
		return err
	}
	if err := consumer.Subscribe(ctx, []string{topic}, nil); err != nil {
		return err
	}
	start = time.Now()
	consumed := 0
	for consumed < delivered {
		batch, err := consumer.PollAvailable(ctx, 500)
		if err != nil {
			return err
		}
		consumed += len(batch)
		if err := consumer.CommitMessages(ctx, batch...); err != nil {
			return err
		}
	}
	fmt.Printf("consumed and committed %d messages in %v\n", consumed, time.Since(start).Round(time.Millisecond))
	if err := consumer.Close(ctx); err != nil {
		return err
	}

	offsets, err := admin.ListConsumerGroupOffsets(ctx, "quickstart-"+topic)
	if err != nil {
		return err
	}
	var total int64
	for _, o := range offsets {
		total += o.Offset
	}
	fmt.Printf("group committed offsets sum to %d over %d partitions\n", total, len(offsets))

	// A typed error: producing to a topic that does not exist.
	p2, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: client})
	if err != nil {
		return err
	}
	err = p2.ProduceSync(ctx, kafkaclient.NewMessage("no-such-topic", []byte("k"), []byte("v")))
	fmt.Printf("producing to a missing topic: errors.Is(err, ErrUnknownTopicOrPartition) = %v\n", errors.Is(err, kafkaclient.ErrUnknownTopicOrPartition))
	if err := p2.Close(ctx); err != nil {
		return err
	}
	if total != int64(delivered) {
		return fmt.Errorf("committed %d, want %d", total, delivered)
	}
	fmt.Println("ok")
	return nil
}
