package kotel_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/backend/segmentio"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	kotel "github.com/kafkaclient/kafkaclient/otel"
)

// backends are the backends every test runs on; confluent_test.go adds
// confluent in cgo builds.
var backends = []func() kafkaclient.Backend{franz.New, segmentio.New}

// timeout bounds each test's waits: a real cluster's first group join takes
// a few seconds.
const timeout = 60 * time.Second

// foreignTraceparent is the W3C trace context a producer other than
// kafkaclient puts on its messages in the tests.
const foreignTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// harness is one backend under test, with an Observer that records its
// spans in spans and its metrics in metrics.
type harness struct {
	cluster *kafkatest.Cluster
	backend kafkaclient.Backend
	tp      *sdktrace.TracerProvider
	spans   *tracetest.SpanRecorder
	metrics *sdkmetric.ManualReader
	obs     *kotel.Observer
	group   string
}

// eachBackend runs test on every backend, on one cluster.
func eachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	cluster := kafkatest.NewCluster(t)
	for _, newBackend := range backends {
		b := newBackend()
		t.Run(b.Name(), func(t *testing.T) {
			spans := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() {
				assert.NoError(t, tp.Shutdown(context.Background()))
				assert.NoError(t, mp.Shutdown(context.Background()))
			})
			group := kafkatest.UniqueName(t, "group")
			test(t, &harness{
				cluster: cluster, backend: b, tp: tp, spans: spans, metrics: reader, group: group,
				obs: kotel.New(kotel.WithTracerProvider(tp), kotel.WithMeterProvider(mp), kotel.WithConsumerGroup(group)),
			})
		})
	}
}

// ctx is a context for one test's calls.
func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// producer opens a producer with the observer, closed when the test ends.
func (h *harness) producer(t *testing.T) *kafkaclient.Producer {
	t.Helper()
	p, err := kafkaclient.NewProducer(h.cluster.ProducerConfig(), kafkaclient.WithBackend(h.backend), kafkaclient.WithObserver(h.obs))
	require.NoError(t, err)
	t.Cleanup(func() { kafkatest.CloseClient(t, p.Close) })
	return p
}

// consume opens a consumer with the observer in the harness's group,
// subscribes it to topic and returns the first n messages it polls.
func (h *harness) consume(t *testing.T, topic string, n int) []*kafkaclient.Message {
	t.Helper()
	cfg := h.cluster.ConsumerConfig(h.group)
	cfg.SessionTimeout, cfg.HeartbeatInterval = 6*time.Second, 500*time.Millisecond
	cfg.FetchMaxWait = 100 * time.Millisecond
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(h.backend), kafkaclient.WithObserver(h.obs))
	require.NoError(t, err)
	defer kafkatest.CloseClient(t, c.Close)
	ctx := ctx(t)
	require.NoError(t, c.Subscribe(ctx, []string{topic}, nil))
	var got []*kafkaclient.Message
	for len(got) < n {
		m, err := c.Poll(ctx)
		require.NoError(t, err, "after %d of %d messages", len(got), n)
		got = append(got, m)
	}
	return got
}

// span returns the one ended span named name.
func (h *harness) span(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "spans named %q", name)
	return found[0]
}

// attrs are the attributes of s, by key.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// assertAttrs checks that s has the attributes want (values as strings).
func assertAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		a, ok := got[attribute.Key(k)]
		if assert.True(t, ok, "%s has no %s", s.Name(), k) {
			assert.Equal(t, v, a.String(), "%s: %s", s.Name(), k)
		}
	}
}

// linked reports whether s links to the span sc.
func linked(s sdktrace.ReadOnlySpan, sc trace.SpanContext) bool {
	for _, l := range s.Links() {
		if l.SpanContext.TraceID() == sc.TraceID() && l.SpanContext.SpanID() == sc.SpanID() {
			return true
		}
	}
	return false
}

// headers returns the values of m's headers named key.
func headers(m *kafkaclient.Message, key string) []string {
	var vs []string
	for _, h := range m.Headers {
		if h.Key == key {
			vs = append(vs, string(h.Value))
		}
	}
	return vs
}

func TestTraceContinuesFromProduceToProcess(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		topic := h.cluster.CreateTopic(t, 1)
		reqCtx, request := h.tp.Tracer("test").Start(ctx(t), "request")
		require.NoError(t, h.producer(t).ProduceSync(reqCtx, kafkaclient.NewMessage(topic, []byte("order-1"), []byte("paid"))))
		request.End()

		m := h.consume(t, topic, 1)[0]
		assert.Len(t, headers(m, "traceparent"), 1)
		// The consumer loop's own span is not the parent: the message's is.
		loopCtx, loop := h.tp.Tracer("test").Start(ctx(t), "consumer loop")
		procCtx, process := h.obs.StartProcess(loopCtx, m)
		assert.Equal(t, process.SpanContext(), trace.SpanContextFromContext(procCtx))
		process.End()
		loop.End()

		send, poll, proc := h.span(t, "send "+topic), h.span(t, "poll "+topic), h.span(t, "process "+topic)
		traceID := request.SpanContext().TraceID()
		assert.Equal(t, traceID, send.SpanContext().TraceID())
		assert.Equal(t, request.SpanContext().SpanID(), send.Parent().SpanID())
		assert.Equal(t, traceID, proc.SpanContext().TraceID(), "the process span continues the request's trace")
		assert.Equal(t, send.SpanContext().SpanID(), proc.Parent().SpanID(), "the process span's parent is the send span")
		assert.True(t, proc.Parent().IsRemote())
		assert.True(t, linked(proc, send.SpanContext()), "the process span links to the send span")
		assert.True(t, linked(poll, send.SpanContext()), "the poll span links to the send span")

		assert.Equal(t, trace.SpanKindProducer, send.SpanKind())
		assert.Equal(t, trace.SpanKindConsumer, poll.SpanKind())
		assert.Equal(t, trace.SpanKindConsumer, proc.SpanKind())
		assertAttrs(t, poll, map[string]string{
			"messaging.system": "kafka", "messaging.operation.name": "poll", "messaging.operation.type": "receive",
			"messaging.destination.name": topic, "messaging.consumer.group.name": h.group,
			"messaging.destination.partition.id": "0", "messaging.kafka.offset": "0",
		})
		assertAttrs(t, proc, map[string]string{
			"messaging.system": "kafka", "messaging.operation.name": "process", "messaging.operation.type": "process",
			"messaging.destination.name": topic, "messaging.consumer.group.name": h.group,
			"messaging.destination.partition.id": "0", "messaging.kafka.offset": "0",
			"messaging.kafka.message.key": "order-1", "messaging.message.body.size": "4",
		})
	})
}

func TestSendSpan(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		p := h.producer(t)
		t.Run("delivered", func(t *testing.T) {
			topic := h.cluster.CreateTopic(t, 3)
			m := kafkaclient.NewMessage(topic, []byte("order-1"), make([]byte, 1024))
			m.Headers = []kafkaclient.Header{{Key: "traceparent", Value: []byte(foreignTraceparent)}, {Key: "app", Value: []byte("x")}}
			shared := m.Headers
			binaryKey := kafkaclient.NewMessage(topic, []byte{0xff, 0xfe}, nil)
			require.NoError(t, p.ProduceSync(ctx(t), m, binaryKey))

			var sends []sdktrace.ReadOnlySpan
			for _, s := range h.spans.Ended() {
				if s.Name() == "send "+topic {
					sends = append(sends, s)
				}
			}
			require.Len(t, sends, 2)
			send := sends[0]
			if attrs(send)["messaging.kafka.message.key"].String() != "order-1" {
				send = sends[1]
			}
			assert.Equal(t, trace.SpanKindProducer, send.SpanKind())
			assertAttrs(t, send, map[string]string{
				"messaging.system": "kafka", "messaging.operation.name": "send", "messaging.operation.type": "send",
				"messaging.destination.name": topic, "messaging.kafka.message.key": "order-1",
				"messaging.message.body.size":        "1024",
				"messaging.destination.partition.id": itoa(m.Partition), "messaging.kafka.offset": itoa(m.Offset),
			})
			assert.Equal(t, codes.Unset, send.Status().Code)
			assert.Equal(t, []string{"00-" + send.SpanContext().TraceID().String() + "-" + send.SpanContext().SpanID().String() + "-" + send.SpanContext().TraceFlags().String()}, headers(m, "traceparent"),
				"the send span's context replaces the header of the same name")
			assert.Equal(t, []string{"x"}, headers(m, "app"))
			assert.Equal(t, foreignTraceparent, string(shared[0].Value), "the caller's header slice is left alone")

			other := sends[0]
			if other == send {
				other = sends[1]
			}
			_, hasKey := attrs(other)["messaging.kafka.message.key"]
			assert.False(t, hasKey, "a key that is not UTF-8 is left out")
			assertAttrs(t, other, map[string]string{"messaging.kafka.message.tombstone": "true", "messaging.message.body.size": "0"})
		})
		t.Run("failed", func(t *testing.T) {
			missing := kafkatest.UniqueName(t, "missing")
			err := p.ProduceSync(ctx(t), kafkaclient.NewMessage(missing, nil, []byte("a")))
			require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)

			send := h.span(t, "send "+missing)
			assert.Equal(t, codes.Error, send.Status().Code)
			assertAttrs(t, send, map[string]string{"error.type": "UNKNOWN_TOPIC_OR_PARTITION", "messaging.destination.name": missing})
			_, hasOffset := attrs(send)["messaging.kafka.offset"]
			assert.False(t, hasOffset, "a failed message has no offset")

			rm := h.collect(t)
			assert.Equal(t, int64(1), sum(t, rm, "messaging.client.sent.messages", missing, "UNKNOWN_TOPIC_OR_PARTITION"))
			assert.Equal(t, uint64(1), histogramCount(t, rm, "messaging.client.operation.duration", missing, "UNKNOWN_TOPIC_OR_PARTITION"))
		})
	})
}

func TestMetrics(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		const n = 10
		topic := h.cluster.CreateTopic(t, 2)
		msgs := make([]*kafkaclient.Message, n)
		for i := range msgs {
			msgs[i] = kafkaclient.NewMessage(topic, []byte{'k', byte('0' + i)}, []byte("v"))
		}
		require.NoError(t, h.producer(t).ProduceSync(ctx(t), msgs...))
		for i, m := range h.consume(t, topic, n) {
			_, span := h.obs.StartProcess(ctx(t), m)
			switch i {
			case 0:
				span.SetAttributes(attribute.String("error.type", "invalid_order"))
				span.SetStatus(codes.Error, "invalid order")
			case 1:
				span.SetStatus(codes.Error, "retried")
				span.SetStatus(codes.Ok, "") // Ok overrides Error
			}
			span.End()
			span.End() // a second End records nothing
		}

		rm := h.collect(t)
		assert.Equal(t, int64(n), sum(t, rm, "messaging.client.sent.messages", topic, ""))
		assert.Equal(t, uint64(n), histogramCount(t, rm, "messaging.client.operation.duration", topic, ""))
		assert.Equal(t, int64(n), sum(t, rm, "messaging.client.consumed.messages", topic, ""))
		assert.Equal(t, uint64(n-1), histogramCount(t, rm, "messaging.process.duration", topic, ""))
		assert.Equal(t, uint64(1), histogramCount(t, rm, "messaging.process.duration", topic, "invalid_order"))
	})
}

func TestSameMessageProducedTwiceBeforeItsReport(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background()) //nolint:errcheck // nothing to report
	obs := kotel.New(kotel.WithTracerProvider(tp))
	m := kafkaclient.NewMessage("orders", nil, []byte("v"))
	obs.OnProduce(context.Background(), m)
	obs.OnProduce(context.Background(), m)
	obs.OnDelivery(m, time.Millisecond, nil)
	obs.OnDelivery(m, time.Millisecond, nil)
	obs.OnDelivery(m, time.Millisecond, nil) // not seen by OnProduce: ignored
	assert.Len(t, spans.Ended(), 2, "each send span is ended once")
}

// collect returns the metrics recorded so far.
func (h *harness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.metrics.Collect(context.Background(), &rm))
	return rm
}

// total adds up, over the data points of the metric name whose
// messaging.destination.name is topic and error.type errType ("" for
// none), the values get returns with each point's attributes. It checks
// the attributes every point has.
func total[P any, N int64 | uint64](t *testing.T, rm metricdata.ResourceMetrics, name, topic, errType string, get func(P) (attribute.Set, N)) N {
	t.Helper()
	var n N
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			var dps []P
			switch data := any(m.Data).(type) {
			case metricdata.Sum[int64]:
				dps, _ = any(data.DataPoints).([]P)
			case metricdata.Histogram[float64]:
				assert.Equal(t, "s", m.Unit, name)
				dps, _ = any(data.DataPoints).([]P)
			}
			for _, dp := range dps {
				s, v := get(dp)
				system, _ := s.Value("messaging.system")
				assert.Equal(t, "kafka", system.String(), name)
				_, hasOp := s.Value("messaging.operation.name")
				assert.True(t, hasOp, "%s has messaging.operation.name", name)
				dest, _ := s.Value("messaging.destination.name")
				et, _ := s.Value("error.type")
				if dest.String() == topic && et.String() == errType {
					n += v
				}
			}
		}
	}
	return n
}

// sum is the value of the counter name for topic and errType.
func sum(t *testing.T, rm metricdata.ResourceMetrics, name, topic, errType string) int64 {
	t.Helper()
	return total(t, rm, name, topic, errType, func(dp metricdata.DataPoint[int64]) (attribute.Set, int64) { return dp.Attributes, dp.Value })
}

// histogramCount is the count of the histogram name for topic and errType.
func histogramCount(t *testing.T, rm metricdata.ResourceMetrics, name, topic, errType string) uint64 {
	t.Helper()
	return total(t, rm, name, topic, errType, func(dp metricdata.HistogramDataPoint[float64]) (attribute.Set, uint64) {
		return dp.Attributes, dp.Count
	})
}

func TestForeignProducerKgo(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		topic := h.cluster.CreateTopic(t, 1)
		cl, err := kgo.NewClient(kgo.SeedBrokers(h.cluster.BootstrapServers()...))
		require.NoError(t, err)
		rec := &kgo.Record{Topic: topic, Value: []byte("from kgo"), Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte(foreignTraceparent)}}}
		err = cl.ProduceSync(ctx(t), rec).FirstErr()
		cl.Close()
		require.NoError(t, err)
		h.checkForeign(t, topic, "from kgo")
	})
}

func TestForeignProducerKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not on PATH: this test runs when it is (CI installs it)")
	}
	eachBackend(t, func(t *testing.T, h *harness) {
		topic := h.cluster.CreateTopic(t, 1)
		cmd := exec.CommandContext(ctx(t), kcat, "-P", "-b", strings.Join(h.cluster.BootstrapServers(), ","), "-t", topic, "-H", "traceparent="+foreignTraceparent)
		cmd.Stdin = strings.NewReader("from kcat\n")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "kcat: %s", out)
		h.checkForeign(t, topic, "from kcat")
	})
}

// checkForeign consumes the message value that another client produced to
// topic with foreignTraceparent, and checks that StartProcess continues
// that trace.
func (h *harness) checkForeign(t *testing.T, topic, value string) {
	t.Helper()
	m := h.consume(t, topic, 1)[0]
	require.Equal(t, value, string(m.Value))
	_, span := h.obs.StartProcess(ctx(t), m)
	span.End()

	proc := h.span(t, "process "+topic)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", proc.SpanContext().TraceID().String())
	assert.Equal(t, "00f067aa0ba902b7", proc.Parent().SpanID().String())
	assert.True(t, linked(proc, proc.Parent()))
	assert.True(t, linked(h.span(t, "poll "+topic), proc.Parent()))

	ectx := h.obs.Extract(context.Background(), m)
	assert.Equal(t, proc.Parent().SpanID(), trace.SpanContextFromContext(ectx).SpanID(), "Extract gives the producer's span")
}

// itoa formats a partition or offset as the attributes carry it.
func itoa[I int32 | int64](i I) string { return attribute.Int64Value(int64(i)).String() }
