package kotel_test

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/benchmarks"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	kotel "github.com/kafkaclient/kafkaclient/otel"
)

// BenchmarkProduce produces 1 KiB messages with Produce and a delivery
// callback, and waits for every report, on the franz backend with the
// settings of the project's benchmarks (package benchmarks), once per
// observer:
//
//   - none: no observer;
//   - noop: the observer on no-op providers, what New gives a program that
//     installs no OpenTelemetry SDK;
//   - unsampled: the observer on the SDK, its sampler sampling no span
//     (metrics measured, trace context written);
//   - sampled: the observer on the SDK, every span sampled and exported in
//     batches to an exporter that drops them.
//
// The broker is the embedded one in a child process, so that its CPU time
// and garbage are not counted (or KAFKA_BOOTSTRAP_SERVERS). Compare with
//
//	go test -run '^$' -bench Produce -benchtime 200000x -count 5 . | tee bench.txt
//	benchstat -col /observer bench.txt
func BenchmarkProduce(b *testing.B) {
	env := benchEnv(b)
	for _, bench := range []struct {
		name     string
		observer func(b *testing.B) []kafkaclient.Option
	}{
		{"none", func(*testing.B) []kafkaclient.Option { return nil }},
		{"noop", func(*testing.B) []kafkaclient.Option {
			return []kafkaclient.Option{kafkaclient.WithObserver(kotel.New(kotel.WithTracerProvider(tracenoop.NewTracerProvider()), kotel.WithMeterProvider(metricnoop.NewMeterProvider())))}
		}},
		{"unsampled", func(b *testing.B) []kafkaclient.Option { return sdkObserver(b, sdktrace.NeverSample()) }},
		{"sampled", func(b *testing.B) []kafkaclient.Option { return sdkObserver(b, sdktrace.AlwaysSample()) }},
	} {
		b.Run("franz/observer="+bench.name+"/1KiB", func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			s := benchmarks.DefaultSettings(env.Brokers)
			s.Topic = benchmarks.TopicName("otel", bench.name)
			if err := env.CreateTopic(ctx, s.Topic, s.Partitions); err != nil {
				b.Fatal(err)
			}
			defer env.DeleteTopic(context.Background(), s.Topic) //nolint:errcheck // best effort clean-up
			p, err := kafkaclient.NewProducer(s.ProducerConfig(), append(bench.observer(b), kafkaclient.WithBackend(franz.New()))...)
			if err != nil {
				b.Fatal(err)
			}
			defer kafkatest.CloseClient(b, p.Close)
			keys := make([][]byte, 1024) // 8-byte keys over the partitions
			for i := range keys {
				keys[i] = binary.BigEndian.AppendUint64(nil, uint64(i))
			}
			value := make([]byte, 1024)
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				firstErr error
			)
			report := func(_ *kafkaclient.Message, err error) {
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
				wg.Done()
			}
			produce := func(n int) {
				for i := range n {
					wg.Add(1)
					if err := p.Produce(ctx, kafkaclient.NewMessage(s.Topic, keys[i%len(keys)], value), report); err != nil {
						b.Fatal(err)
					}
				}
				wg.Wait()
			}
			produce(1000) // connections, metadata, first batches
			b.SetBytes(int64(len(keys[0]) + len(value)))
			b.ReportAllocs()
			b.ResetTimer()
			produce(b.N)
			b.StopTimer()
			if firstErr != nil {
				b.Fatal(firstErr)
			}
		})
	}
}

// benchEnv returns the cluster of KAFKA_BOOTSTRAP_SERVERS, or else an
// embedded broker in a child process (this test binary, see TestMain),
// stopped when b ends.
func benchEnv(b *testing.B) *benchmarks.Env {
	b.Helper()
	var brokers []string
	for _, a := range strings.Split(os.Getenv(kafkatest.EnvBootstrapServers), ",") {
		if a = strings.TrimSpace(a); a != "" {
			brokers = append(brokers, a)
		}
	}
	if len(brokers) == 0 {
		proc, err := benchmarks.StartBrokerProcess(os.Args[0], "-test.run=^$", "-test.bench=^$")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { proc.Close() }) //nolint:errcheck // the broker's exit status says nothing
		brokers = proc.Addrs
	}
	env, err := benchmarks.NewEnv(brokers)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(env.Close)
	return env
}

// sdkObserver is the option of an observer on the OpenTelemetry SDK whose
// spans sampler samples, exported in batches to an exporter that drops
// them, and whose metrics are aggregated for a reader that never reads.
func sdkObserver(b *testing.B, sampler sdktrace.Sampler) []kafkaclient.Option {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		tp.Shutdown(context.Background()) //nolint:errcheck // nothing to report
		mp.Shutdown(context.Background()) //nolint:errcheck // nothing to report
	})
	return []kafkaclient.Option{kafkaclient.WithObserver(kotel.New(kotel.WithTracerProvider(tp), kotel.WithMeterProvider(mp)))}
}

// BenchmarkObserve measures the observer alone, with no client: OnProduce
// and OnDelivery of one 1 KiB message, per observer of BenchmarkProduce.
// It is what the observer adds to the goroutines of Produce and of the
// delivery reports.
func BenchmarkObserve(b *testing.B) {
	for _, bench := range []struct {
		name string
		obs  func(b *testing.B) *kotel.Observer
	}{
		{"noop", func(*testing.B) *kotel.Observer {
			return kotel.New(kotel.WithTracerProvider(tracenoop.NewTracerProvider()), kotel.WithMeterProvider(metricnoop.NewMeterProvider()))
		}},
		{"unsampled", func(b *testing.B) *kotel.Observer { return sdkOnly(b, sdktrace.NeverSample()) }},
		{"sampled", func(b *testing.B) *kotel.Observer { return sdkOnly(b, sdktrace.AlwaysSample()) }},
	} {
		b.Run("observer="+bench.name, func(b *testing.B) {
			o := bench.obs(b)
			ctx := context.Background()
			key, value := []byte("key-0001"), make([]byte, 1024)
			b.ReportAllocs()
			for b.Loop() {
				m := kafkaclient.NewMessage("orders", key, value)
				o.OnProduce(ctx, m)
				m.Partition, m.Offset = 3, 12345
				o.OnDelivery(m, time.Millisecond, nil)
			}
		})
	}
}

// sdkOnly is the observer of sdkObserver.
func sdkOnly(b *testing.B, sampler sdktrace.Sampler) *kotel.Observer {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		tp.Shutdown(context.Background()) //nolint:errcheck // nothing to report
		mp.Shutdown(context.Background()) //nolint:errcheck // nothing to report
	})
	return kotel.New(kotel.WithTracerProvider(tp), kotel.WithMeterProvider(mp))
}
