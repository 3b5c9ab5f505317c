package watermill_test

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// pubSubMaker opens a Publisher and a Subscriber of group on cluster.
type pubSubMaker struct {
	name string
	open func(b *testing.B, cluster *kafkatest.Cluster, group string) (message.Publisher, message.Subscriber)
}

// makers are this adapter on each backend, then watermill-kafka (Sarama).
func makers() []pubSubMaker {
	var out []pubSubMaker
	for _, bk := range backends {
		out = append(out, pubSubMaker{"kafkaclient-" + bk.name, func(b *testing.B, cluster *kafkatest.Cluster, group string) (message.Publisher, message.Subscriber) {
			return openKafkaclient(b, cluster, bk, group)
		}})
	}
	return append(out, pubSubMaker{"watermill-kafka", openWatermillKafka})
}

func openWatermillKafka(b *testing.B, cluster *kafkatest.Cluster, group string) (message.Publisher, message.Subscriber) {
	pub, err := wkafka.NewPublisher(wkafka.PublisherConfig{Brokers: cluster.BootstrapServers(), Marshaler: wkafka.DefaultMarshaler{}}, watermill.NopLogger{})
	if err != nil {
		b.Fatal(err)
	}
	sc := wkafka.DefaultSaramaSubscriberConfig()
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sub, err := wkafka.NewSubscriber(wkafka.SubscriberConfig{Brokers: cluster.BootstrapServers(), Unmarshaler: wkafka.DefaultMarshaler{},
		OverwriteSaramaConfig: sc, ConsumerGroup: group}, watermill.NopLogger{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close(); sub.Close() })
	return pub, sub
}

// benchMessages are n messages of 100 bytes.
func benchMessages(n int) []*message.Message {
	payload := make([]byte, 100)
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = message.NewMessage(watermill.NewUUID(), payload)
	}
	return out
}

// publishN publishes n of msgs to topic, len(msgs) per Publish call.
func publishN(b *testing.B, pub message.Publisher, topic string, msgs []*message.Message, n int) {
	for done := 0; done < n; done += len(msgs) {
		if err := pub.Publish(topic, msgs[:min(len(msgs), n-done)]...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish publishes 100-byte messages, 100 per Publish call, with
// this adapter on each backend and with watermill-kafka, on the embedded
// broker. Compare msgs/s and allocs/op between rows of one run:
//
//	go test -run '^$' -bench . -benchtime 5000x
func BenchmarkPublish(b *testing.B) {
	cluster := kafkatest.NewCluster(b)
	for _, m := range makers() {
		b.Run(m.name, func(b *testing.B) {
			pub, _ := m.open(b, cluster, "unused-"+watermill.NewULID())
			topic := cluster.CreateTopic(b, 1)
			msgs := benchMessages(100)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			publishN(b, pub, topic, msgs, b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkSubscribe receives and acks 100-byte messages already in a
// one-partition topic, with this adapter on each backend and with
// watermill-kafka, on the embedded broker.
func BenchmarkSubscribe(b *testing.B) {
	cluster := kafkatest.NewCluster(b)
	for _, m := range makers() {
		b.Run(m.name, func(b *testing.B) {
			pub, sub := m.open(b, cluster, "bench-"+watermill.NewULID())
			topic := cluster.CreateTopic(b, 1)
			publishN(b, pub, topic, benchMessages(100), b.N)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			in, err := sub.Subscribe(ctx, topic)
			if err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				select {
				case msg := <-in:
					msg.Ack()
				case <-ctx.Done():
					b.Fatalf("%d of %d messages arrived", i, b.N)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
