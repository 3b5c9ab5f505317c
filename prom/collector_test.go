package prom_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/conformance"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	"github.com/kafkaclient/kafkaclient/prom"
)

// perPartition is how many messages the tests produce to each partition
// of their topic; each is messageSize bytes.
var perPartition = []int{6, 4}

const messageSize = 10 // len("message-00")

// TestCollector produces messages (some to a topic that does not exist)
// with the collector's observer, consumes and commits them, and checks
// what a scrape exports, on every backend.
func TestCollector(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testCollector(t, b.new()) })
	}
}

func testCollector(t *testing.T, b kafkaclient.Backend) {
	cluster := kafkatest.NewCluster(t)
	topic := cluster.CreateTopic(t, int32(len(perPartition)))
	coll := prom.NewCollector()
	// The pedantic registry also checks that Collect sends only what
	// Describe described.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(coll)
	n := 0
	for _, k := range perPartition {
		n += k
	}

	pcfg := cluster.ProducerConfig()
	pcfg.Partitioner = kafkaclient.PartitionerManual
	p := open(t, kafkaclient.NewProducer, pcfg, kafkaclient.WithBackend(b), kafkaclient.WithObserver(coll.Observer("orders")))
	coll.AddProducer("orders", p)
	var msgs []*kafkaclient.Message
	for partition, k := range perPartition {
		for range k {
			m := kafkaclient.NewMessage(topic, nil, fmt.Appendf(nil, "message-%02d", len(msgs)))
			m.Partition = int32(partition)
			msgs = append(msgs, m)
		}
	}
	require.NoError(t, p.ProduceSync(conformance.Ctx(t), msgs...))
	missing := kafkatest.UniqueName(t, "missing")
	err := p.ProduceSync(conformance.Ctx(t), kafkaclient.NewMessage(missing, nil, []byte("a")), kafkaclient.NewMessage(missing, nil, []byte("b")))
	require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)

	ccfg := cluster.ConsumerConfig(kafkatest.UniqueName(t, "group"))
	quickGroup(&ccfg)
	c := open(t, kafkaclient.NewConsumer, ccfg, kafkaclient.WithBackend(b))
	coll.AddConsumer("billing", c)
	require.NoError(t, c.Subscribe(conformance.Ctx(t), []string{topic}, nil))
	conformance.PollN(t, c, n)
	require.NoError(t, conformance.Retrying(t, func() error { _, err := c.Commit(conformance.Ctx(t)); return err }))

	t.Run("producer_counts_equal_the_messages", func(t *testing.T) {
		err := testutil.CollectAndCompare(coll, strings.NewReader(fmt.Sprintf(`
# HELP kafkaclient_producer_produced_messages_total Messages the producer accepted.
# TYPE kafkaclient_producer_produced_messages_total counter
kafkaclient_producer_produced_messages_total{client="orders"} %[1]d
# HELP kafkaclient_producer_delivered_messages_total Messages Kafka acknowledged.
# TYPE kafkaclient_producer_delivered_messages_total counter
kafkaclient_producer_delivered_messages_total{client="orders"} %[2]d
# HELP kafkaclient_producer_delivered_bytes_total Bytes (key, value and headers) of the messages Kafka acknowledged.
# TYPE kafkaclient_producer_delivered_bytes_total counter
kafkaclient_producer_delivered_bytes_total{client="orders"} %[3]d
# HELP kafkaclient_producer_buffered_messages Messages accepted and not yet reported.
# TYPE kafkaclient_producer_buffered_messages gauge
kafkaclient_producer_buffered_messages{client="orders"} 0
`, n+2, n, n*messageSize)),
			"kafkaclient_producer_produced_messages_total", "kafkaclient_producer_delivered_messages_total",
			"kafkaclient_producer_delivered_bytes_total", "kafkaclient_producer_buffered_messages")
		assert.NoError(t, err)
	})

	t.Run("failures_counted_by_code", func(t *testing.T) {
		err := testutil.CollectAndCompare(coll, strings.NewReader(`
# HELP kafkaclient_producer_failed_messages_total Messages reported failed, by error code.
# TYPE kafkaclient_producer_failed_messages_total counter
kafkaclient_producer_failed_messages_total{client="orders",code="UNKNOWN_TOPIC_OR_PARTITION"} 2
# HELP kafkaclient_producer_failed_bytes_total Bytes (key, value and headers) of the messages reported failed.
# TYPE kafkaclient_producer_failed_bytes_total counter
kafkaclient_producer_failed_bytes_total{client="orders"} 2
`), "kafkaclient_producer_failed_messages_total", "kafkaclient_producer_failed_bytes_total")
		assert.NoError(t, err)
	})

	t.Run("latency_histogram_counts_the_deliveries", func(t *testing.T) {
		got := scrape(t, reg)
		assert.Equal(t, float64(n), got[`kafkaclient_producer_delivery_latency_seconds_count{client="orders"}`], "failed deliveries are not observed")
		assert.Positive(t, got[`kafkaclient_producer_delivery_latency_seconds_sum{client="orders"}`])
	})

	t.Run("consumer_counts_equal_the_messages", func(t *testing.T) {
		got := scrape(t, reg)
		s := c.Stats()
		assert.Equal(t, float64(n), got[`kafkaclient_consumer_consumed_messages_total{client="billing"}`])
		assert.Equal(t, float64(n*messageSize), got[`kafkaclient_consumer_consumed_bytes_total{client="billing"}`])
		assert.GreaterOrEqual(t, got[`kafkaclient_consumer_commits_total{client="billing"}`], 1.0)
		assert.Equal(t, float64(s.Commits), got[`kafkaclient_consumer_commits_total{client="billing"}`])
		assert.Equal(t, float64(s.CommitsFailed), got[`kafkaclient_consumer_failed_commits_total{client="billing"}`])
		assert.GreaterOrEqual(t, got[`kafkaclient_consumer_rebalances_total{client="billing"}`], 1.0)
		assert.Equal(t, float64(len(perPartition)), got[`kafkaclient_consumer_assigned_partitions{client="billing"}`])
	})

	t.Run("lag_is_zero_after_a_full_drain", func(t *testing.T) {
		got := scrape(t, reg)
		for partition, k := range perPartition {
			labels := fmt.Sprintf(`{client="billing",partition="%d",topic="%s"}`, partition, topic)
			for _, name := range []string{"position", "committed_offset", "high_watermark"} {
				assert.Equal(t, float64(k), got["kafkaclient_consumer_partition_"+name+labels], name)
			}
			v, ok := got["kafkaclient_consumer_partition_lag"+labels]
			assert.True(t, ok, "partition %d has a lag series", partition)
			assert.Zero(t, v, "partition %d", partition)
		}
	})

	t.Run("lint_finds_no_problem", func(t *testing.T) {
		problems, err := testutil.CollectAndLint(coll)
		require.NoError(t, err)
		assert.Empty(t, problems)
	})

	t.Run("remove_drops_closed_clients_series", func(t *testing.T) {
		closeWithin(t, p.Close)
		closeWithin(t, c.Close)
		got := scrape(t, reg)
		assert.Equal(t, float64(n), got[`kafkaclient_consumer_consumed_messages_total{client="billing"}`], "a closed client keeps its counts")
		coll.RemoveProducer("orders")
		assert.Zero(t, scrapeFor(t, reg, "orders"), "series of the producer left")
		assert.NotZero(t, scrapeFor(t, reg, "billing"))
		coll.RemoveConsumer("billing")
		assert.Zero(t, testutil.CollectAndCount(coll))
	})
}

// TestCollectorLeavesOutUnknownValues checks that a partition whose
// position and committed offset are not known yet has no series for them,
// nor for its lag, instead of a sentinel.
func TestCollectorLeavesOutUnknownValues(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cluster := kafkatest.NewCluster(t)
			topic := cluster.CreateTopic(t, 1)
			c := open(t, kafkaclient.NewConsumer, cluster.ConsumerConfig(""), kafkaclient.WithBackend(b.new()))
			err := c.Assign(conformance.Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}})
			if errors.Is(err, kafkaclient.ErrUnsupported) {
				t.Skipf("%s: %v", b.name, err)
			}
			require.NoError(t, err)
			coll := prom.NewCollector()
			coll.AddConsumer("idle", c)
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(coll)
			got := scrape(t, reg)
			assert.Equal(t, 1.0, got[`kafkaclient_consumer_assigned_partitions{client="idle"}`])
			for key, v := range got {
				assert.GreaterOrEqual(t, v, 0.0, key)
				for _, name := range []string{"position", "committed_offset", "lag"} {
					assert.False(t, strings.HasPrefix(key, "kafkaclient_consumer_partition_"+name+"{"), "unknown value exported: %s %v", key, v)
				}
			}
		})
	}
}

// TestCollectorOptions checks the namespace and the constant labels.
func TestCollectorOptions(t *testing.T) {
	cluster := kafkatest.NewCluster(t)
	p := open(t, kafkaclient.NewProducer, cluster.ProducerConfig())
	coll := prom.NewCollector(prom.Namespace("shop"), prom.ConstLabels(prometheus.Labels{"service": "checkout"}))
	coll.Observer("orders") // makes the histogram's series
	coll.AddProducer("orders", p)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(coll)
	got := scrape(t, reg)
	assert.Contains(t, got, `shop_producer_delivered_messages_total{client="orders",service="checkout"}`)
	assert.Contains(t, got, `shop_producer_delivery_latency_seconds_count{client="orders",service="checkout"}`)
	for key := range got {
		assert.True(t, strings.HasPrefix(key, "shop_"), key)
		assert.Contains(t, key, `service="checkout"`)
	}
	// Two collectors of different namespaces share a registry.
	reg.MustRegister(prom.NewCollector())
}

// scrape gathers reg and returns each sample by its name and labels, as
// in the text format with the labels sorted; a histogram gives its _count
// and _sum.
func scrape(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[mf.GetName()+key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[mf.GetName()+key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[mf.GetName()+"_sum"+key] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// scrapeFor counts the samples of scrape whose client label is client.
func scrapeFor(t *testing.T, reg prometheus.Gatherer, client string) int {
	t.Helper()
	n := 0
	for key := range scrape(t, reg) {
		if strings.Contains(key, fmt.Sprintf("client=%q", client)) {
			n++
		}
	}
	return n
}

// open opens a client with newClient, closed when the test ends.
func open[Cfg any, C interface{ Close(context.Context) error }](t *testing.T, newClient func(Cfg, ...kafkaclient.Option) (C, error), cfg Cfg, opts ...kafkaclient.Option) C {
	t.Helper()
	c, err := newClient(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, c.Close) })
	return c
}

// closeWithin closes a client within 15 seconds; ErrClosed, from a client
// closed already, is no failure.
func closeWithin(t *testing.T, closeFn func(context.Context) error) {
	t.Helper()
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := closeFn(cctx); err != nil && !errors.Is(err, kafkaclient.ErrClosed) {
		t.Errorf("close: %v", err)
	}
}

// quickGroup has a consumer join and leave its group quickly, and commit
// only when told.
func quickGroup(cfg *kafkaclient.ConsumerConfig) {
	cfg.SessionTimeout = 6 * time.Second
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.FetchMaxWait = 100 * time.Millisecond
	cfg.DisableAutoCommit = true
}
