package benchmarks

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient/kafkatest"
)

func TestMain(m *testing.M) {
	if os.Getenv(BrokerChildEnv) != "" {
		if err := ServeBroker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	closeBenchEnv()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left after the benchmarks:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	envOnce    sync.Once
	sharedEnv  *Env
	envErr     error
	brokerProc *BrokerProcess
)

// benchEnv returns the cluster the benchmarks run on: KAFKA_BOOTSTRAP_SERVERS,
// or an embedded broker in a child process, so that its CPU time and
// allocations are not counted.
func benchEnv(b *testing.B) *Env {
	b.Helper()
	envOnce.Do(func() {
		var brokers []string
		for _, a := range strings.Split(os.Getenv(kafkatest.EnvBootstrapServers), ",") {
			if a = strings.TrimSpace(a); a != "" {
				brokers = append(brokers, a)
			}
		}
		if len(brokers) == 0 {
			brokerProc, envErr = StartBrokerProcess(os.Args[0], "-test.run=^$", "-test.bench=^$")
			if envErr != nil {
				return
			}
			brokers = brokerProc.Addrs
		}
		sharedEnv, envErr = NewEnv(brokers)
	})
	if envErr != nil {
		b.Fatalf("cluster: %v", envErr)
	}
	return sharedEnv
}

func closeBenchEnv() {
	if sharedEnv != nil {
		sharedEnv.Close()
	}
	if brokerProc != nil {
		_ = brokerProc.Close()
	}
}

// benchTimeout bounds one run of a benchmark function.
const benchTimeout = 10 * time.Minute

// each runs fn for every registered backend, client kind and size, as
// sub-benchmarks <backend>/<kind>/<size>.
func each(b *testing.B, fn func(b *testing.B, e *Env, c Client, s Settings, size Size)) {
	for _, bk := range Backends() {
		b.Run(bk.Name, func(b *testing.B) {
			for _, kind := range Kinds {
				b.Run(kind, func(b *testing.B) {
					c, err := bk.Client(kind)
					if err != nil {
						b.Skip(err)
					}
					for _, size := range Sizes {
						b.Run(size.Name, func(b *testing.B) {
							b.StopTimer()
							b.ReportAllocs()
							b.SetBytes(int64(size.Bytes))
							e := benchEnv(b)
							s := DefaultSettings(e.Brokers)
							s.Topic = TopicName(bk.Name, kind, size.Name)
							ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
							defer cancel()
							if err := e.CreateTopic(ctx, s.Topic, s.Partitions); err != nil {
								b.Fatal(err)
							}
							defer func() { _ = e.DeleteTopic(context.Background(), s.Topic) }()
							fn(b, e, c, s, size)
						})
					}
				})
			}
		})
	}
}

// meter returns a Meter that drives b's timer.
func meter(b *testing.B) *Meter {
	return &Meter{
		OnStart: func() { b.ResetTimer(); b.StartTimer() },
		OnStop:  b.StopTimer,
	}
}

func report(b *testing.B, r Result) {
	b.ReportMetric(r.MsgsPerSec(), "msgs/s")
	b.ReportMetric(r.CPUPerMillion(), "cpu-s/Mmsgs")
	b.ReportMetric(float64(r.PeakRSS)/(1<<20), "peak-RSS-MB")
}

// BenchmarkProduce measures producing b.N messages and waiting for their
// delivery reports, after a warm-up.
func BenchmarkProduce(b *testing.B) {
	each(b, func(b *testing.B, e *Env, c Client, s Settings, size Size) {
		m := meter(b)
		if err := RunProduce(context.Background(), c, s, size.Bytes, b.N, 1000, m); err != nil {
			b.Fatal(err)
		}
		report(b, m.Result)
	})
}

// BatchSize is the number of messages of each call of BenchmarkProduceBatch.
const BatchSize = 100

// BenchmarkProduceBatch is BenchmarkProduce with the messages handed over
// BatchSize at a time: kafkaclient's Producer.ProduceBatch against each
// client's own way to send a batch.
func BenchmarkProduceBatch(b *testing.B) {
	each(b, func(b *testing.B, e *Env, c Client, s Settings, size Size) {
		m := meter(b)
		if err := RunProduceBatch(context.Background(), c, s, size.Bytes, b.N, 1000, BatchSize, m); err != nil {
			b.Fatal(err)
		}
		report(b, m.Result)
	})
}

// BenchmarkConsume measures a new group member reading a backlog of b.N
// messages, committing every 1000 and at the end. The timer starts at the
// first message.
func BenchmarkConsume(b *testing.B) {
	each(b, func(b *testing.B, e *Env, c Client, s Settings, size Size) {
		ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
		defer cancel()
		if err := e.Prefill(ctx, s.Topic, b.N, size.Bytes); err != nil {
			b.Fatal(err)
		}
		group := s.Topic
		defer e.DeleteGroup(context.Background(), group)
		m := meter(b)
		if err := RunConsume(ctx, c, s, group, b.N, m); err != nil {
			b.Fatal(err)
		}
		report(b, m.Result)
	})
}

// LatencyRate is the open-loop send rate of BenchmarkLatency, in messages
// per second.
const LatencyRate = 1000

// BenchmarkLatency sends b.N messages at LatencyRate messages per second,
// open loop, and reports the end-to-end latency percentiles.
func BenchmarkLatency(b *testing.B) {
	each(b, func(b *testing.B, e *Env, c Client, s Settings, size Size) {
		ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
		defer cancel()
		group := s.Topic
		defer e.DeleteGroup(context.Background(), group)
		m := meter(b)
		lat, err := RunLatency(ctx, c, s, group, size.Bytes, LatencyRate, b.N, m)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(lat.P50)/1e6, "p50-ms")
		b.ReportMetric(float64(lat.P99)/1e6, "p99-ms")
		b.ReportMetric(float64(lat.P999)/1e6, "p99.9-ms")
		b.ReportMetric(m.Result.CPUPerMillion(), "cpu-s/Mmsgs")
	})
}
