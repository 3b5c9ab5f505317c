package kotel

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/messagingconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// ScopeName is the instrumentation scope of the tracer and the meter an
// Observer uses.
const ScopeName = "github.com/kafkaclient/kafkaclient/otel"

// Operation names (messaging.operation.name) of the spans and metrics.
const (
	opSend    = "send"
	opPoll    = "poll"
	opProcess = "process"
)

// Observer traces and measures the clients it is given to with
// kafkaclient.WithObserver: it implements kafkaclient.ProduceObserver and
// kafkaclient.ConsumeObserver. It is safe for concurrent use, and one
// Observer may observe any number of clients.
//
// A sampled send span is held from OnProduce to OnDelivery, which a client
// calls once for every message OnProduce saw, closed or not: the Observer
// keeps nothing for longer.
type Observer struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	// w3c: propagator is the default, whose headers injectW3C writes
	// with fewer allocations.
	w3c   bool
	group string

	// The instruments, as messagingconv names and describes them. The
	// message counters are observable: a message adds to an atomic
	// counter of its topic, and the meter reads the counters when it
	// collects.
	sent      metric.Int64ObservableCounter
	consumed  metric.Int64ObservableCounter
	duration  metric.Float64Histogram
	processed metric.Float64Histogram

	// topics holds a *topicInfo per topic seen, copied on write: reads,
	// one per message, take no lock and allocate nothing.
	topics   atomic.Pointer[map[string]*topicInfo]
	topicsMu sync.Mutex

	// inflight are the send spans of the messages produced and not yet
	// reported. The root calls OnDelivery once for every OnProduce, so
	// every entry is removed; only recording spans are kept. ninflight
	// counts them, so that OnDelivery takes no lock when none is kept (no
	// span sampled).
	inflightMu sync.Mutex
	inflight   map[*kafkaclient.Message]sendSpans
	ninflight  atomic.Int64
}

// Option configures New.
type Option func(*config)

type config struct {
	tp    trace.TracerProvider
	mp    metric.MeterProvider
	prop  propagation.TextMapPropagator
	group string
}

// WithTracerProvider sets the tracer provider. The default is the global
// one, otel.GetTracerProvider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider. The default is the global
// one, otel.GetMeterProvider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithPropagator sets how the trace context is written to and read from
// message headers. The default is W3C trace context and baggage
// (propagation.TraceContext and propagation.Baggage), whatever the global
// propagator is: a message's headers are a wire format that the consumers,
// in any language, must agree on.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

// WithConsumerGroup sets messaging.consumer.group.name on the poll and
// process spans and on the consumer metrics. The observer is not told
// which consumer polled, so give one Observer per group when consumers of
// several groups are observed. The default is none.
func WithConsumerGroup(group string) Option {
	return func(c *config) { c.group = group }
}

// New returns an Observer configured by opts; see the package doc for what
// it traces and measures. The meter provider holds on to the Observer, to
// read its message counters, for as long as the provider lives: make one
// Observer for many clients rather than one per client.
func New(opts ...Option) *Observer {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	w3c := c.prop == nil
	if w3c {
		c.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	o := &Observer{
		tracer:     c.tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		propagator: c.prop,
		w3c:        w3c,
		group:      c.group,
		inflight:   map[*kafkaclient.Message]sendSpans{},
	}
	empty := map[string]*topicInfo{}
	o.topics.Store(&empty)

	// On an error an instrument is a no-op one: the error goes to the
	// global error handler, and the observer works on without it.
	meter := c.mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	sent, err := messagingconv.NewClientSentMessagesObservable(meter)
	handle(err)
	consumed, err := messagingconv.NewClientConsumedMessagesObservable(meter)
	handle(err)
	duration, err := messagingconv.NewClientOperationDuration(meter)
	handle(err)
	processed, err := messagingconv.NewProcessDuration(meter)
	handle(err)
	o.sent, o.consumed, o.duration, o.processed = sent.Inst(), consumed.Inst(), duration.Inst(), processed.Inst()
	_, err = meter.RegisterCallback(o.observeCounters, o.sent, o.consumed)
	handle(err)
	return o
}

// handle gives err, if any, to the global error handler.
func handle(err error) {
	if err != nil {
		otel.Handle(err)
	}
}

// observeCounters reports the message counters of every topic.
func (o *Observer) observeCounters(_ context.Context, obs metric.Observer) error {
	for _, ti := range *o.topics.Load() {
		if n := ti.sent.Load(); n > 0 {
			obs.ObserveInt64(o.sent, n, ti.sentObs)
		}
		if n := ti.consumed.Load(); n > 0 {
			obs.ObserveInt64(o.consumed, n, ti.consumedObs)
		}
		ti.failuresMu.Lock()
		for _, f := range ti.failures {
			obs.ObserveInt64(o.sent, f.n, f.sentObs)
		}
		ti.failuresMu.Unlock()
	}
	return nil
}

// topicInfo is what the observer builds once per topic (span names, span
// start options, metric attributes) and its message counters.
type topicInfo struct {
	topic                        string
	sendName, pollName, procName string
	sendStart, procStart         []trace.SpanStartOption

	// The attributes of the metrics: as options, built once so that a
	// measurement allocates nothing, and as lists, for those with an
	// error.type.
	sentObs, consumedObs  metric.ObserveOption
	sendDurOpts, procOpts []metric.RecordOption
	sentAttrs, procAttrs  []attribute.KeyValue

	// sent and consumed count the messages delivered and polled.
	sent, consumed atomic.Int64
	// failures are the messages that failed, by error.type.
	failuresMu sync.Mutex
	failures   map[string]*failure
}

// failure counts the messages of a topic that failed with one error.type,
// with the options of their metrics.
type failure struct {
	n           int64
	sentObs     metric.ObserveOption
	sendDurOpts []metric.RecordOption
}

// topic returns the topicInfo of topic, built on first use.
func (o *Observer) topic(topic string) *topicInfo {
	if ti := (*o.topics.Load())[topic]; ti != nil {
		return ti
	}
	o.topicsMu.Lock()
	defer o.topicsMu.Unlock()
	old := *o.topics.Load()
	if ti := old[topic]; ti != nil {
		return ti
	}
	ti := o.newTopicInfo(topic)
	m := make(map[string]*topicInfo, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[topic] = ti
	o.topics.Store(&m)
	return ti
}

func (o *Observer) newTopicInfo(topic string) *topicInfo {
	system, dest := semconv.MessagingSystemKafka, semconv.MessagingDestinationName(topic)
	ti := &topicInfo{
		topic:    topic,
		sendName: opSend + " " + topic,
		pollName: opPoll + " " + topic,
		procName: opProcess + " " + topic,
	}
	// Spans: the attributes known at the start are given at the start,
	// for samplers.
	ti.sendStart = []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(system, semconv.MessagingOperationName(opSend), semconv.MessagingOperationTypeSend, dest),
	}
	proc := []attribute.KeyValue{system, semconv.MessagingOperationName(opProcess), semconv.MessagingOperationTypeProcess, dest}
	if o.group != "" {
		proc = append(proc, semconv.MessagingConsumerGroupName(o.group))
	}
	ti.procStart = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(proc...)}

	// Metrics.
	ti.sentAttrs = []attribute.KeyValue{system, semconv.MessagingOperationName(opSend), dest}
	ti.procAttrs = []attribute.KeyValue{system, semconv.MessagingOperationName(opProcess), dest}
	consumed := []attribute.KeyValue{system, semconv.MessagingOperationName(opPoll), dest}
	if o.group != "" {
		ti.procAttrs = append(ti.procAttrs, semconv.MessagingConsumerGroupName(o.group))
		consumed = append(consumed, semconv.MessagingConsumerGroupName(o.group))
	}
	ti.sentObs = metric.WithAttributes(ti.sentAttrs...)
	ti.sendDurOpts = []metric.RecordOption{sendDurAttrs(ti.sentAttrs)}
	ti.consumedObs = metric.WithAttributes(consumed...)
	ti.procOpts = []metric.RecordOption{metric.WithAttributes(ti.procAttrs...)}
	return ti
}

// sendDurAttrs is the option of the attributes of the send durations:
// those of the sent messages, and messaging.operation.type.
func sendDurAttrs(sent []attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributes(append(sent[:len(sent):len(sent)], semconv.MessagingOperationTypeSend)...)
}

// failed counts a message of the topic that failed with errType, and
// returns the options of its send duration.
func (ti *topicInfo) failed(errType string) []metric.RecordOption {
	ti.failuresMu.Lock()
	defer ti.failuresMu.Unlock()
	f := ti.failures[errType]
	if f == nil {
		attrs := withErrorType(ti.sentAttrs, errType)
		f = &failure{sentObs: metric.WithAttributes(attrs...), sendDurOpts: []metric.RecordOption{sendDurAttrs(attrs)}}
		if ti.failures == nil {
			ti.failures = map[string]*failure{}
		}
		ti.failures[errType] = f
	}
	f.n++
	return f.sendDurOpts
}

// withErrorType returns base and error.type errType, in a new slice.
func withErrorType(base []attribute.KeyValue, errType string) []attribute.KeyValue {
	kvs := make([]attribute.KeyValue, len(base), len(base)+1)
	copy(kvs, base)
	return append(kvs, semconv.ErrorTypeKey.String(errType))
}

// errorType is the error.type of err: the name of its kafkaclient code.
func errorType(err error) string { return kafkaclient.CodeName(kafkaclient.CodeOf(err)) }
