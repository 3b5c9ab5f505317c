// Package prom exports the counts of kafkaclient producers and consumers as
// Prometheus metrics: a [prometheus.Collector] that reads
// [kafkaclient.Producer.Stats] and [kafkaclient.Consumer.Stats] at scrape
// time, and a producer observer that feeds a delivery-latency histogram.
//
// It is a module of its own, so that the kafkaclient module does not
// depend on the Prometheus client.
//
// # Wiring
//
// One [Collector] serves any number of clients, each under a name that
// becomes its client label:
//
//	coll := prom.NewCollector()
//	prometheus.MustRegister(coll)
//
//	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithObserver(coll.Observer("orders")))
//	...
//	coll.AddProducer("orders", p)
//	defer coll.RemoveProducer("orders")
//
//	c, err := kafkaclient.NewConsumer(ccfg)
//	...
//	coll.AddConsumer("billing", c)
//	defer coll.RemoveConsumer("billing")
//
// The counters and gauges need only AddProducer and AddConsumer: a scrape
// calls Stats, which does no I/O. The latency histogram needs the observer
// too, since Stats keeps quantiles of a sample and a histogram needs every
// delivery; a producer opened without [Collector.Observer] has no
// histogram series. The observer costs one histogram observation per
// delivered message.
//
// # Metrics
//
// The names below are for the default namespace, "kafkaclient" (see
// [Namespace]); every series also carries the constant labels of
// [ConstLabels]. The client label is the name given to AddProducer,
// AddConsumer or Observer. Counters count from the client's opening:
// a client added again under the same name (a reopened one, say) starts
// from zero, which Prometheus reads as a counter reset.
//
// Producer, per client:
//
//	kafkaclient_producer_produced_messages_total{client}       counter: messages Produce, ProduceBatch and ProduceSync accepted
//	kafkaclient_producer_produced_bytes_total{client}          counter: their bytes (key, value and headers)
//	kafkaclient_producer_delivered_messages_total{client}      counter: messages Kafka acknowledged
//	kafkaclient_producer_delivered_bytes_total{client}         counter: their bytes
//	kafkaclient_producer_failed_messages_total{client,code}    counter: messages reported failed, by error code (kafkaclient.CodeName: "UNKNOWN_TOPIC_OR_PARTITION", "MSG_TIMED_OUT", ...); a code has a series once a message failed with it
//	kafkaclient_producer_failed_bytes_total{client}            counter: the bytes of the failed messages
//	kafkaclient_producer_buffered_messages{client}             gauge: messages accepted and not yet reported
//	kafkaclient_producer_buffered_bytes{client}                gauge: their bytes
//	kafkaclient_producer_delivery_latency_seconds{client}      histogram: from Produce to Kafka's acknowledgement, for messages delivered (failures are in failed_messages_total, so a timeout does not read as a slow delivery); needs Observer
//
// Consumer, per client:
//
//	kafkaclient_consumer_consumed_messages_total{client}       counter: messages Poll (and PollBatch, ReadMessage, ...) returned
//	kafkaclient_consumer_consumed_bytes_total{client}          counter: their bytes (key, value and headers)
//	kafkaclient_consumer_commits_total{client}                 counter: commits made through the consumer, failed ones included (not those of enable.auto.commit)
//	kafkaclient_consumer_failed_commits_total{client}          counter: the commits that failed
//	kafkaclient_consumer_rebalances_total{client}              counter: assignment changes (assigned, revoked and lost each count one)
//	kafkaclient_consumer_assigned_partitions{client}           gauge: partitions assigned now
//
// Consumer, per assigned partition; a series whose value is not known yet
// (no message read, nothing committed, no fetch answered) is left out
// rather than exported as a sentinel:
//
//	kafkaclient_consumer_partition_position{client,topic,partition}         gauge: the offset Poll reads next
//	kafkaclient_consumer_partition_committed_offset{client,topic,partition} gauge: the last offset committed through the consumer since the assignment
//	kafkaclient_consumer_partition_high_watermark{client,topic,partition}   gauge: the high watermark of the last fetch
//	kafkaclient_consumer_partition_lag{client,topic,partition}              gauge: messages behind the high watermark (see kafkaclient.PartitionStats.Lag)
package prom
