package kafkaclient_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// BenchmarkShareConsume measures share-group consumption of one partition
// by 1, 2 and 4 share consumers, on the embedded broker (or the cluster of
// KAFKA_BOOTSTRAP_SERVERS), in records/s. With no work per record the
// partition's fetches bound the rate; with 1ms of work per record (a call
// to a service, say) the members work in parallel, which is what share
// groups are for: compare the records/s of consumers=1, 2 and 4. In
// share.acquire.mode=batch_optimized (the default) Kafka hands a whole
// produced batch to one member, which holds the others back;
// record_limit (Kafka 4.2+) splits batches at max.poll.records.
//
//	go test -run '^$' -bench ShareConsume -benchtime 2000x .
func BenchmarkShareConsume(b *testing.B) {
	cluster := kafkatest.NewCluster(b)
	for _, mode := range []string{"batch_optimized", "record_limit"} {
		for _, work := range []time.Duration{0, time.Millisecond} {
			for _, consumers := range []int{1, 2, 4} {
				b.Run(fmt.Sprintf("mode=%s/work=%v/consumers=%d", mode, work, consumers), func(b *testing.B) {
					benchShareConsume(b, cluster, consumers, work, mode == "record_limit")
				})
			}
		}
	}
}

func benchShareConsume(b *testing.B, cluster *kafkatest.Cluster, consumers int, work time.Duration, recordLimit bool) {
	ctx := context.Background()
	opt := kafkaclient.WithBackend(franz.New())
	topic := cluster.CreateTopic(b, 1)
	group := kafkatest.UniqueName(b, "share")
	admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()}, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer kafkatest.CloseClient(b, admin.Close)
	if err := admin.IncrementalAlterConfigs(ctx, kafkaclient.GroupResource(group),
		kafkaclient.ConfigAlteration{Name: "share.auto.offset.reset", Value: "earliest"}); err != nil {
		b.Fatal(err)
	}
	p, err := kafkaclient.NewProducer(cluster.ProducerConfig(), opt)
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 100)
	for range b.N {
		if err := p.Produce(ctx, kafkaclient.NewMessage(topic, nil, value), nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	kafkatest.CloseClient(b, p.Close)

	var (
		left = atomic.Int64{}
		wg   sync.WaitGroup
		errs = make([]error, consumers)
	)
	left.Store(int64(b.N))
	cs := make([]*kafkaclient.ShareConsumer, consumers)
	for i := range cs {
		c, err := kafkaclient.NewShareConsumer(kafkaclient.ShareConsumerConfig{ClientConfig: cluster.ClientConfig(), GroupID: group,
			AckMode: kafkaclient.ShareAckExplicit, MaxPollRecords: 50, RecordLimit: recordLimit, FetchMaxWait: 50 * time.Millisecond}, opt)
		if err != nil {
			b.Fatal(err)
		}
		defer kafkatest.CloseClient(b, c.Close)
		cs[i] = c
	}
	b.ResetTimer()
	start := time.Now()
	for i, c := range cs {
		if err := c.Subscribe(ctx, []string{topic}); err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			for left.Load() > 0 {
				pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				msgs, err := c.Poll(pctx, 50)
				cancel()
				if err != nil {
					if pctx.Err() == nil {
						errs[i] = err
						return
					}
					continue
				}
				for _, m := range msgs {
					if work > 0 {
						time.Sleep(work)
					}
					if err := c.Acknowledge(m, kafkaclient.AckAccept); err != nil {
						errs[i] = err
						return
					}
				}
				left.Add(-int64(len(msgs)))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}
