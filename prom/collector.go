package prom

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafkaclient/kafkaclient"
)

// Option configures NewCollector.
type Option func(*config)

type config struct {
	namespace   string
	constLabels prometheus.Labels
	buckets     []float64
}

// Namespace sets the first part of every metric name (default
// "kafkaclient"). Two collectors in one registry need different
// namespaces or different ConstLabels.
func Namespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// ConstLabels adds labels with fixed values to every series (default
// none), a service or environment name, say. A label named client, code,
// topic or partition makes registering the Collector fail.
func ConstLabels(labels prometheus.Labels) Option {
	return func(c *config) { c.constLabels = labels }
}

// LatencyBuckets sets the upper bounds, in seconds, of the delivery latency
// histogram's buckets (default DefaultLatencyBuckets; nil means
// prometheus.DefBuckets).
func LatencyBuckets(buckets []float64) Option { return func(c *config) { c.buckets = buckets } }

// DefaultLatencyBuckets are the delivery latency histogram's buckets unless
// LatencyBuckets says otherwise: from 1 ms, doubling, to about 16 s, which
// spans a linger of a few milliseconds up to a delivery timeout.
var DefaultLatencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

// Collector is a prometheus.Collector of the producers and consumers added
// to it; see the package doc for its metrics. Its methods may be called
// concurrently.
type Collector struct {
	latency *prometheus.HistogramVec

	mu        sync.RWMutex
	producers map[string]*kafkaclient.Producer
	consumers map[string]*kafkaclient.Consumer

	produced, producedBytes   *prometheus.Desc
	delivered, deliveredBytes *prometheus.Desc
	failed, failedBytes       *prometheus.Desc
	buffered, bufferedBytes   *prometheus.Desc

	consumed, consumedBytes *prometheus.Desc
	commits, failedCommits  *prometheus.Desc
	rebalances, assigned    *prometheus.Desc
	position, committed     *prometheus.Desc
	high, lag               *prometheus.Desc
}

// NewCollector returns a Collector with no clients; register it with a
// prometheus.Registerer, then add clients.
func NewCollector(opts ...Option) *Collector {
	cfg := config{namespace: "kafkaclient", buckets: DefaultLatencyBuckets}
	for _, o := range opts {
		o(&cfg)
	}
	desc := func(subsystem, name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(cfg.namespace, subsystem, name), help, append([]string{"client"}, labels...), cfg.constLabels)
	}
	partition := []string{"topic", "partition"}
	return &Collector{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace:   cfg.namespace,
			Subsystem:   "producer",
			Name:        "delivery_latency_seconds",
			Help:        "Time from Produce to Kafka's acknowledgement, of the messages delivered.",
			ConstLabels: cfg.constLabels,
			Buckets:     cfg.buckets,
		}, []string{"client"}),
		producers: map[string]*kafkaclient.Producer{},
		consumers: map[string]*kafkaclient.Consumer{},

		produced:       desc("producer", "produced_messages_total", "Messages the producer accepted."),
		producedBytes:  desc("producer", "produced_bytes_total", "Bytes (key, value and headers) of the messages the producer accepted."),
		delivered:      desc("producer", "delivered_messages_total", "Messages Kafka acknowledged."),
		deliveredBytes: desc("producer", "delivered_bytes_total", "Bytes (key, value and headers) of the messages Kafka acknowledged."),
		failed:         desc("producer", "failed_messages_total", "Messages reported failed, by error code.", "code"),
		failedBytes:    desc("producer", "failed_bytes_total", "Bytes (key, value and headers) of the messages reported failed."),
		buffered:       desc("producer", "buffered_messages", "Messages accepted and not yet reported."),
		bufferedBytes:  desc("producer", "buffered_bytes", "Bytes (key, value and headers) of the messages accepted and not yet reported."),

		consumed:      desc("consumer", "consumed_messages_total", "Messages the consumer returned."),
		consumedBytes: desc("consumer", "consumed_bytes_total", "Bytes (key, value and headers) of the messages the consumer returned."),
		commits:       desc("consumer", "commits_total", "Commits made through the consumer, failed ones included."),
		failedCommits: desc("consumer", "failed_commits_total", "Commits made through the consumer that failed."),
		rebalances:    desc("consumer", "rebalances_total", "Changes of the consumer's assignment."),
		assigned:      desc("consumer", "assigned_partitions", "Partitions assigned to the consumer."),
		position:      desc("consumer", "partition_position", "Offset the consumer reads next in the partition.", partition...),
		committed:     desc("consumer", "partition_committed_offset", "Last offset committed through the consumer in the partition since it was assigned.", partition...),
		high:          desc("consumer", "partition_high_watermark", "High watermark of the partition, as of the last fetch.", partition...),
		lag:           desc("consumer", "partition_lag", "Messages of the partition behind its high watermark.", partition...),
	}
}

// AddProducer exports p's Stats under the client label name. A producer
// already added under name is replaced. p may be closed before it is
// removed: its final counts stay exported.
func (c *Collector) AddProducer(name string, p *kafkaclient.Producer) {
	c.mu.Lock()
	c.producers[name] = p
	c.mu.Unlock()
}

// RemoveProducer drops the series of the producer added under name, its
// delivery latency histogram included. Observations that the producer's
// Observer makes afterwards are not exported: remove a producer once it is
// closed.
func (c *Collector) RemoveProducer(name string) {
	c.mu.Lock()
	delete(c.producers, name)
	c.mu.Unlock()
	c.latency.DeleteLabelValues(name)
}

// AddConsumer exports cons's Stats under the client label name. A consumer
// already added under name is replaced. cons may be closed before it is
// removed.
func (c *Collector) AddConsumer(name string, cons *kafkaclient.Consumer) {
	c.mu.Lock()
	c.consumers[name] = cons
	c.mu.Unlock()
}

// RemoveConsumer drops the series of the consumer added under name.
func (c *Collector) RemoveConsumer(name string) {
	c.mu.Lock()
	delete(c.consumers, name)
	c.mu.Unlock()
}

// Observer returns the observer that feeds the delivery latency histogram
// of the producer named name: pass it to kafkaclient.WithObserver when
// opening the producer, and add the producer under the same name.
// Producers given observers of one name share one histogram.
func (c *Collector) Observer(name string) *Observer {
	return &Observer{latency: c.latency.WithLabelValues(name)}
}

// Observer is a kafkaclient.ProduceObserver that records each delivered
// message's latency in a Collector's histogram; Collector.Observer makes
// one.
type Observer struct {
	// latency is the histogram's child of one client label, looked up
	// once, so a delivery costs one observation.
	latency prometheus.Observer
}

// OnProduce does nothing: the latency the client passes to OnDelivery is
// measured from here.
func (*Observer) OnProduce(context.Context, *kafkaclient.Message) {}

// OnDelivery records latency, in seconds, when the message was delivered.
func (o *Observer) OnDelivery(_ *kafkaclient.Message, latency time.Duration, err error) {
	if err == nil {
		o.latency.Observe(latency.Seconds())
	}
}

// Describe sends the descriptors of every metric of the Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.produced, c.producedBytes, c.delivered, c.deliveredBytes,
		c.failed, c.failedBytes, c.buffered, c.bufferedBytes,
		c.consumed, c.consumedBytes, c.commits, c.failedCommits,
		c.rebalances, c.assigned, c.position, c.committed, c.high, c.lag,
	} {
		ch <- d
	}
	c.latency.Describe(ch)
}

// Collect reads the Stats of every client added and sends their metrics,
// with the delivery latency histograms.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	type named[T any] struct {
		name   string
		client T
	}
	c.mu.RLock()
	producers := make([]named[*kafkaclient.Producer], 0, len(c.producers))
	for name, p := range c.producers {
		producers = append(producers, named[*kafkaclient.Producer]{name, p})
	}
	consumers := make([]named[*kafkaclient.Consumer], 0, len(c.consumers))
	for name, cons := range c.consumers {
		consumers = append(consumers, named[*kafkaclient.Consumer]{name, cons})
	}
	c.mu.RUnlock()

	for _, p := range producers {
		c.collectProducer(ch, p.name, p.client.Stats())
	}
	for _, cons := range consumers {
		c.collectConsumer(ch, cons.name, cons.client.Stats())
	}
	c.latency.Collect(ch)
}

func (c *Collector) collectProducer(ch chan<- prometheus.Metric, name string, s kafkaclient.ProducerStats) {
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{name}, labels...)...)
	}
	counter(c.produced, s.Produced)
	counter(c.producedBytes, s.ProducedBytes)
	counter(c.delivered, s.Delivered)
	counter(c.deliveredBytes, s.DeliveredBytes)
	for code, n := range s.FailedByCode {
		counter(c.failed, n, kafkaclient.CodeName(code))
	}
	counter(c.failedBytes, s.FailedBytes)
	ch <- prometheus.MustNewConstMetric(c.buffered, prometheus.GaugeValue, float64(s.Buffered), name)
	ch <- prometheus.MustNewConstMetric(c.bufferedBytes, prometheus.GaugeValue, float64(s.BufferedBytes), name)
}

func (c *Collector) collectConsumer(ch chan<- prometheus.Metric, name string, s kafkaclient.ConsumerStats) {
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), name)
	}
	counter(c.consumed, s.Consumed)
	counter(c.consumedBytes, s.ConsumedBytes)
	counter(c.commits, s.Commits)
	counter(c.failedCommits, s.CommitsFailed)
	counter(c.rebalances, s.Rebalances)
	ch <- prometheus.MustNewConstMetric(c.assigned, prometheus.GaugeValue, float64(len(s.Partitions)), name)
	for _, ps := range s.Partitions {
		partition := strconv.Itoa(int(ps.Partition))
		// A negative value is a sentinel (OffsetInvalid, or a lag of -1):
		// unknown, so the series is left out.
		gauge := func(d *prometheus.Desc, v int64) {
			if v >= 0 {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), name, ps.Topic, partition)
			}
		}
		gauge(c.position, ps.Position)
		gauge(c.committed, ps.Committed)
		gauge(c.high, ps.High)
		gauge(c.lag, ps.Lag)
	}
}
