//go:build !kafkaclient_segmentio && !kafkaclient_confluent && !kafkaclient_sarama

package kafkaclient_test

import (
	"context"
	"fmt"

	"github.com/kafkaclient/kafkaclient"
)

// Share groups need a backend that has them: this example runs on the
// default backend, franz (elsewhere NewShareConsumer returns
// ErrUnsupported).
func ExampleShareConsumer() {
	cluster, stop := startCluster(kafkaclient.TopicSpec{Name: "emails", Partitions: 1, ReplicationFactor: 1})
	defer stop()
	ctx := context.Background()
	admin, _ := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	defer admin.Close(ctx)
	// A new share group starts at the end of each partition; this one
	// reads what is there already.
	admin.IncrementalAlterConfigs(ctx, kafkaclient.GroupResource("mailers"),
		kafkaclient.ConfigAlteration{Name: "share.auto.offset.reset", Value: "earliest"})
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()})
	p.ProduceSync(ctx, kafkaclient.NewMessage("emails", nil, []byte("welcome")))
	p.Close(ctx)

	c, err := kafkaclient.NewShareConsumerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers":          cluster.BootstrapServers()[0],
		"group.id":                   "mailers",
		"share.acknowledgement.mode": "explicit",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)
	c.Subscribe(ctx, []string{"emails"})
	for sent := false; !sent; {
		msgs, err := c.Poll(ctx, 10)
		if err != nil {
			fmt.Println("poll error:", err)
			return
		}
		for _, m := range msgs {
			if m.DeliveryCount == 1 {
				// The mail server is busy: let the group deliver it again.
				fmt.Printf("%s: delivery %d failed, released\n", m.Value, m.DeliveryCount)
				c.Acknowledge(m, kafkaclient.AckRelease)
				continue
			}
			fmt.Printf("%s: sent on delivery %d\n", m.Value, m.DeliveryCount)
			c.Acknowledge(m, kafkaclient.AckAccept)
			sent = true
		}
	}
	if err := c.Commit(ctx); err != nil {
		fmt.Println("commit error:", err)
	}
	// Output:
	// welcome: delivery 1 failed, released
	// welcome: sent on delivery 2
}
