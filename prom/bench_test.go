package prom_test

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	"github.com/kafkaclient/kafkaclient/prom"
)

// BenchmarkProduce measures producer throughput, Produce with a delivery
// callback and a Flush, at 1 KiB on a fresh embedded broker, without an
// observer and with the Collector's: the cost of the latency histogram
// and of the per-message timing the client does for any observer. Compare
// the two with benchstat:
//
//	go test -run '^$' -bench BenchmarkProduce -count 10 >bench.txt
//	benchstat -col /observer bench.txt
//
// The broker runs in the benchmark's process, so the rounds vary by tens
// of percent on a machine of few cores: BenchmarkObserverOnDelivery gives
// the collector's own cost per message without that noise.
func BenchmarkProduce(b *testing.B) {
	for _, bk := range []testBackend{{"franz", franz.New}} {
		for _, observer := range []string{"none", "collector"} {
			b.Run(bk.name+"/1KiB/observer="+observer, func(b *testing.B) {
				benchmarkProduce(b, bk.new(), 1024, observer == "collector")
			})
		}
	}
}

func benchmarkProduce(b *testing.B, bk kafkaclient.Backend, size int, observed bool) {
	// A broker per round: the embedded one keeps every message in memory.
	cluster, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	defer cluster.Close()
	ctx := context.Background()
	const topic = "bench"
	admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()}, kafkaclient.WithBackend(bk))
	if err != nil {
		b.Fatal(err)
	}
	_, err = admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 1})
	admin.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	opts := []kafkaclient.Option{kafkaclient.WithBackend(bk)}
	if observed {
		coll := prom.NewCollector()
		opts = append(opts, kafkaclient.WithObserver(coll.Observer("bench")))
		defer coll.RemoveProducer("bench")
	}
	p, err := kafkaclient.NewProducer(cluster.ProducerConfig(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	// Warm up: metadata and connections.
	if err := p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("warm-up"))); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, size)
	var failed atomic.Int64
	report := func(_ *kafkaclient.Message, err error) {
		if err != nil {
			failed.Add(1)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	// The rounds before left their brokers' messages as garbage: hand the
	// memory back, so that every round starts from a small heap whose
	// pages are not mapped yet, and the order of the rounds does not
	// change their speed.
	debug.FreeOSMemory()
	b.ResetTimer()
	for range b.N {
		if err := p.Produce(ctx, kafkaclient.NewMessage(topic, nil, value), report); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d deliveries failed", n)
	}
}

// BenchmarkObserverOnDelivery measures what the Collector's observer adds
// to each delivery report: one histogram observation, no allocation.
func BenchmarkObserverOnDelivery(b *testing.B) {
	o := prom.NewCollector().Observer("bench")
	m := kafkaclient.NewMessage("bench", nil, make([]byte, 1024))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o.OnDelivery(m, time.Duration(i%4096)*time.Millisecond/16, nil)
	}
}
