package prom_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	"github.com/kafkaclient/kafkaclient/prom"
)

func ExampleCollector() {
	cluster, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	ctx := context.Background()
	admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	if err != nil {
		panic(err)
	}
	if _, err := admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: "orders", Partitions: 1, ReplicationFactor: 1}); err != nil {
		panic(err)
	}
	admin.Close(ctx)

	coll := prom.NewCollector()
	reg := prometheus.NewRegistry()
	reg.MustRegister(coll)

	// The observer feeds the delivery latency histogram; the name given
	// to Observer and AddProducer is the client label.
	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()},
		kafkaclient.WithObserver(coll.Observer("orders")))
	if err != nil {
		panic(err)
	}
	coll.AddProducer("orders", p)
	for i := range 3 {
		if err := p.ProduceSync(ctx, kafkaclient.NewMessage("orders", nil, fmt.Appendf(nil, "order-%d", i))); err != nil {
			panic(err)
		}
	}

	c, err := kafkaclient.NewConsumer(cluster.ConsumerConfig("billing"))
	if err != nil {
		panic(err)
	}
	coll.AddConsumer("billing", c)
	if err := c.Subscribe(ctx, []string{"orders"}, nil); err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := c.Poll(ctx); err != nil {
			panic(err)
		}
	}

	// A server would serve the registry:
	//
	//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	//
	// Here one scrape is printed, a few of its samples.
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		for _, name := range []string{
			"kafkaclient_producer_delivered_messages_total",
			"kafkaclient_producer_delivered_bytes_total",
			"kafkaclient_producer_delivery_latency_seconds_count",
			"kafkaclient_consumer_consumed_messages_total",
			"kafkaclient_consumer_partition_lag",
		} {
			if strings.HasPrefix(line, name+"{") {
				fmt.Print(line)
			}
		}
	}

	c.Close(ctx)
	coll.RemoveConsumer("billing")
	p.Close(ctx)
	coll.RemoveProducer("orders")
	// Output:
	// kafkaclient_consumer_consumed_messages_total{client="billing"} 3
	// kafkaclient_consumer_partition_lag{client="billing",partition="0",topic="orders"} 0
	// kafkaclient_producer_delivered_bytes_total{client="orders"} 21
	// kafkaclient_producer_delivered_messages_total{client="orders"} 3
	// kafkaclient_producer_delivery_latency_seconds_count{client="orders"} 3
}
