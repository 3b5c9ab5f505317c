package kafkaclient_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// startCluster starts an embedded broker for an example, which owns it,
// with the topics.
func startCluster(topics ...kafkaclient.TopicSpec) (*kafkatest.Cluster, func()) {
	c, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		panic(err)
	}
	if len(topics) > 0 {
		admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: c.ClientConfig()})
		if err != nil {
			panic(err)
		}
		defer admin.Close(context.Background())
		if _, err := admin.CreateTopics(context.Background(), topics...); err != nil {
			panic(err)
		}
	}
	return c, c.Close
}

func ExampleProducer_Produce() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "orders", Partitions: 6, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()

	p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": cluster.BootstrapServers()[0],
		"client.id":         "order-service",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Delivery reports for messages produced without a callback arrive on
	// Events, as in confluent-kafka-go.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range p.Events() {
			switch ev := ev.(type) {
			case *kafkaclient.DeliveryReport:
				if ev.Err != nil {
					fmt.Println("delivery failed:", ev.Err)
				} else {
					fmt.Printf("delivered to %s[%d]\n", ev.Message.Topic, ev.Message.Partition)
				}
			case *kafkaclient.Error:
				fmt.Println("producer error:", ev)
			}
		}
	}()
	msg := kafkaclient.NewMessage("orders", []byte("order-123"), []byte(`{"id": 123, "amount": 99.99}`))
	if err := p.Produce(ctx, msg, nil); err != nil {
		fmt.Println(err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p.Flush(flushCtx)
	p.Close(flushCtx)
	<-done
	// Output: delivered to orders[1]
}

func ExampleProducer_ProduceSync() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()

	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	defer p.Close(ctx)
	msg := kafkaclient.NewMessage("orders", []byte("order-123"), []byte(`{"id": 123}`))
	msg.Headers = []kafkaclient.Header{{Key: "correlation-id", Value: []byte("abc-123")}}
	if err := p.ProduceSync(ctx, msg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delivered to %s [%d] at offset %d\n", msg.Topic, msg.Partition, msg.Offset)

	err := p.ProduceSync(ctx, kafkaclient.NewMessage("missing-topic", []byte("k"), []byte("v")))
	fmt.Println("unknown topic:", errors.Is(err, kafkaclient.ErrUnknownTopicOrPartition), kafkaclient.IsRetriable(err))
	// Output:
	// delivered to orders [1] at offset 0
	// unknown topic: true true
}

func ExampleProducer_ProduceBatch() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "orders", Partitions: 3, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()

	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	defer p.Close(ctx)
	var batch []*kafkaclient.Message
	for i := range 100 {
		batch = append(batch, kafkaclient.NewMessage("orders", fmt.Appendf(nil, "order-%d", i%10), fmt.Appendf(nil, `{"seq": %d}`, i)))
	}
	var mu sync.Mutex
	delivered := 0
	if err := p.ProduceBatch(ctx, batch, func(m *kafkaclient.Message, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			delivered++
		}
	}); err != nil {
		fmt.Println(err) // ProduceErrors: which messages were not accepted
		return
	}
	if err := p.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Println("delivered:", delivered)
	// Output: delivered: 100
}

func ExampleConsumer_Poll() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "orders", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	p.ProduceSync(ctx, kafkaclient.NewMessage("orders", []byte("order-1"), []byte("paid")))
	p.Close(ctx)

	c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers":  cluster.BootstrapServers()[0],
		"group.id":           "order-processors",
		"auto.offset.reset":  "earliest",
		"enable.auto.commit": false,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	c.Subscribe(ctx, []string{"orders"}, nil)
	for {
		msg, err := c.ReadMessage(5 * time.Second)
		if errors.Is(err, kafkaclient.ErrTimedOut) {
			continue // no message yet: not an error
		}
		if err != nil {
			fmt.Println("consumer error:", err)
			return
		}
		fmt.Printf("received key=%s value=%s partition=%d offset=%d\n", msg.Key, msg.Value, msg.Partition, msg.Offset)
		if err := c.CommitMessages(ctx, msg); err != nil {
			fmt.Println("commit error:", err)
		}
		break
	}
	// Output: received key=order-1 value=paid partition=0 offset=0
}

func ExampleParseProducerConfig() {
	_, err := kafkaclient.ParseProducerConfig(kafkaclient.ConfigMap{"bootstrap.servers": "kafka:9092", "linger": 5})
	fmt.Println(err)
	_, err = kafkaclient.ParseProducerConfig(kafkaclient.ConfigMap{"bootstrap.servers": "kafka:9092", "acks": 7})
	fmt.Println(err)
	// Output:
	// kafkaclient: config: config key "linger" is unknown; did you mean "linger.ms"? (BAD_CONFIG)
	// kafkaclient: config: config key "acks" has invalid value "7": want one of -1, 0, 1, all (BAD_CONFIG)
}

func ExampleAdmin_BrokerAPIs() {
	cluster, stop := startCluster()
	defer stop()
	ctx := context.Background()

	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close(ctx)
	brokers, err := a.BrokerAPIs(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range brokers {
		if b.Err != nil {
			fmt.Printf("broker %d: %v\n", b.Broker.ID, b.Err)
			continue
		}
		// Check before relying on a feature an older broker lacks.
		fmt.Printf("broker %d: consumer group protocol (KIP-848): %t\n", b.Broker.ID, b.Supports(kafkaclient.APIConsumerGroupHeartbeat, 0))
	}
	// Output: broker 0: consumer group protocol (KIP-848): true
}

func ExampleWithTokenProvider() {
	// The provider is asked for a token when the client has none, or its
	// token is past 80% of its lifetime (or 5 s from expiry): fetch one from an identity
	// provider here, or sign one (AWS MSK IAM).
	provider := func(ctx context.Context) (kafkaclient.Token, error) {
		return kafkaclient.Token{Value: "eyJhbGciOi...", Expiry: time.Now().Add(time.Hour)}, nil
	}
	m := kafkaclient.ConfigMap{"bootstrap.servers": "127.0.0.1:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}
	_, err := kafkaclient.NewProducerFromMap(m)
	fmt.Println("without a token source, bad config:", errors.Is(err, kafkaclient.ErrBadConfig))

	p, err := kafkaclient.NewProducerFromMap(m, kafkaclient.WithTokenProvider(provider))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(context.Background())
	fmt.Println("authenticates with", p.Config().Security.Mechanism)
	// Output:
	// without a token source, bad config: true
	// authenticates with OAUTHBEARER
}

func ExampleConsumer_Lag() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "clicks", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	for i := range 10 {
		p.ProduceSync(ctx, kafkaclient.NewMessage("clicks", nil, []byte(fmt.Sprint(i))))
	}
	p.Close(ctx)

	c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": cluster.BootstrapServers()[0], "group.id": "click-counters", "enable.auto.commit": false,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	c.Assign(ctx, []kafkaclient.TopicPartition{{Topic: "clicks", Partition: 0, Offset: kafkaclient.OffsetBeginning}})
	for range 4 {
		if _, err := c.Poll(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	lag, err := c.Lag(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range lag {
		fmt.Printf("%s/%d: at %d of %d, %d behind\n", l.Topic, l.Partition, l.Position, l.High, l.Lag)
	}
	// Output: clicks/0: at 4 of 10, 6 behind
}

func ExampleConsumer_SeekToTime() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "events", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i, name := range []string{"login", "view", "buy", "logout"} {
		m := kafkaclient.NewMessage("events", nil, []byte(name))
		m.Timestamp = start.Add(time.Duration(i) * time.Minute)
		p.ProduceSync(ctx, m)
	}
	p.Close(ctx)

	c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": cluster.BootstrapServers()[0]})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	c.Assign(ctx, []kafkaclient.TopicPartition{{Topic: "events", Partition: 0, Offset: kafkaclient.OffsetEnd}})
	// Replay everything from 09:01:30 on.
	if err := c.SeekToTime(ctx, start.Add(90*time.Second)); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		m, err := c.Poll(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s at %s\n", m.Value, m.Timestamp.UTC().Format("15:04"))
	}
	// Output:
	// buy at 09:02
	// logout at 09:03
}

func ExampleConsumer_Messages() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "jobs", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	for _, job := range []string{"resize", "encode", "upload"} {
		p.ProduceSync(ctx, kafkaclient.NewMessage("jobs", nil, []byte(job)))
	}
	p.Close(ctx)

	c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": cluster.BootstrapServers()[0], "group.id": "workers", "auto.offset.reset": "earliest",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	c.Subscribe(ctx, []string{"jobs"}, nil)
	done := 0
	for m, err := range c.Messages(ctx) {
		if err != nil {
			fmt.Println("poll:", err) // the range goes on unless the error ended it
			continue
		}
		fmt.Println("job", string(m.Value))
		if done++; done == 3 {
			break // nothing is lost: the next Poll or range goes on from here
		}
	}
	// Output:
	// job resize
	// job encode
	// job upload
}

func ExampleAdmin_ResetConsumerGroupOffsets() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "payments", Partitions: 2, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	cfg := kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig(), Partitioner: kafkaclient.PartitionerManual}
	p, _ := kafkaclient.NewProducer(cfg)
	for i := range 10 {
		m := kafkaclient.NewMessage("payments", nil, []byte("payment"))
		m.Partition = int32(i % 2) // 5 in each partition
		p.ProduceSync(ctx, m)
	}
	p.Close(ctx)
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close(ctx)
	// The group "ledger" has read everything.
	a.ResetConsumerGroupOffsets(ctx, "ledger", kafkaclient.ResetToLatest(), "payments")

	// Replay the topic: with the group's consumers stopped, move it back
	// to the beginning (ResetToTime goes to a point in time, ResetToOffset
	// to an offset).
	set, err := a.ResetConsumerGroupOffsets(ctx, "ledger", kafkaclient.ResetToEarliest(), "payments")
	if err != nil {
		fmt.Println(err) // NON_EMPTY_GROUP while a consumer of the group runs
		return
	}
	for _, tp := range set {
		fmt.Printf("%s/%d -> %d\n", tp.Topic, tp.Partition, tp.Offset)
	}
	lag, _ := a.ConsumerGroupLag(ctx, "ledger")
	fmt.Println("messages to read again:", lag.Total)
	// Output:
	// payments/0 -> 0
	// payments/1 -> 0
	// messages to read again: 10
}

func ExampleAdmin_IncrementalAlterConfigs() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "audit", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close(ctx)
	// Keep the topic's messages for a week; other configs are unchanged.
	topic := kafkaclient.TopicResource("audit")
	err = a.IncrementalAlterConfigs(ctx, topic,
		kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpSet, Name: "retention.ms", Value: "604800000"})
	if err != nil {
		fmt.Println(err) // INVALID_CONFIG for an unknown name or a bad value
		return
	}
	rs, _ := a.DescribeConfigs(ctx, topic)
	for _, c := range rs[0].Configs {
		if c.Name == "retention.ms" {
			fmt.Println(c.Name, c.Value, c.Source == kafkaclient.ConfigSourceTopic)
		}
	}
	// Output:
	// retention.ms 604800000 true
}

func ExampleAdmin_CreateACLs() {
	cluster, stop := startCluster()
	defer stop()
	ctx := context.Background()
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close(ctx)
	// Let the billing service read every topic whose name starts with
	// "invoices.", as a member of its group.
	err = a.CreateACLs(ctx,
		kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceTopic, ResourceName: "invoices.", Pattern: kafkaclient.ACLPatternPrefixed,
			Principal: "User:billing", Operation: kafkaclient.ACLOperationRead, Permission: kafkaclient.ACLPermissionAllow},
		kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceGroup, ResourceName: "billing",
			Principal: "User:billing", Operation: kafkaclient.ACLOperationRead, Permission: kafkaclient.ACLPermissionAllow})
	if err != nil {
		fmt.Println(err) // SECURITY_DISABLED on a cluster without an authorizer
		return
	}
	acls, _ := a.DescribeACLs(ctx, kafkaclient.ACL{Principal: "User:billing"})
	for _, acl := range acls {
		fmt.Println(acl)
	}
	// Output:
	// User:billing ALLOW READ on TOPIC invoices. (PREFIXED) from *
	// User:billing ALLOW READ on GROUP billing (LITERAL) from *
}

// deliveryLog is an observer that prints each delivery's outcome.
type deliveryLog struct{}

func (deliveryLog) OnProduce(context.Context, *kafkaclient.Message) {}

func (deliveryLog) OnDelivery(m *kafkaclient.Message, latency time.Duration, err error) {
	fmt.Printf("%s/%d@%d err=%v fast=%v\n", m.Topic, m.Partition, m.Offset, err, latency < 10*time.Second)
}

func ExampleWithObserver() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "clicks", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()}, kafkaclient.WithObserver(deliveryLog{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(ctx)
	p.ProduceSync(ctx, kafkaclient.NewMessage("clicks", nil, []byte("home")), kafkaclient.NewMessage("clicks", nil, []byte("cart")))
	s := p.Stats()
	fmt.Println("produced", s.Produced, "delivered", s.Delivered, "bytes", s.DeliveredBytes, "buffered", s.Buffered)
	// Output:
	// clicks/0@0 err=<nil> fast=true
	// clicks/0@1 err=<nil> fast=true
	// produced 2 delivered 2 bytes 8 buffered 0
}
