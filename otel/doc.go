// Package kotel traces and measures kafkaclient producers and consumers
// with OpenTelemetry, and carries the W3C trace context in message headers
// so that a trace goes on from the code that produces a message to the code
// that processes it, across services and across Kafka clients.
//
// The package is named kotel, not otel, so that it can be imported next to
// go.opentelemetry.io/otel (which a program needs to set its providers)
// without an alias:
//
//	import (
//		"go.opentelemetry.io/otel"
//		kotel "github.com/kafkaclient/kafkaclient/otel"
//	)
//
// # Wiring
//
// New returns an [Observer]; hand it to each client with
// kafkaclient.WithObserver. In the consumer loop, StartProcess opens the
// span of the processing of one message, continuing the producer's trace:
//
//	obs := kotel.New(kotel.WithConsumerGroup("orders-service"))
//	p, err := kafkaclient.NewProducer(pcfg, kafkaclient.WithObserver(obs))
//	...
//	c, err := kafkaclient.NewConsumer(ccfg, kafkaclient.WithObserver(obs))
//	...
//	for {
//		m, err := c.Poll(ctx)
//		if err != nil { ... }
//		mctx, span := obs.StartProcess(ctx, m)
//		err = handle(mctx, m)
//		if err != nil {
//			span.SetStatus(codes.Error, err.Error())
//		}
//		span.End()
//	}
//
// One Observer may serve any number of producers and consumers; it is safe
// for concurrent use. By default it uses the global tracer and meter
// providers (otel.GetTracerProvider, otel.GetMeterProvider) and writes and
// reads the W3C trace context and baggage headers (traceparent, tracestate,
// baggage) whatever the global propagator is; WithTracerProvider,
// WithMeterProvider and WithPropagator change that.
//
// # Traces
//
// The spans follow the OpenTelemetry semantic conventions for messaging
// (Kafka), version 1.43.0:
//
//   - "send <topic>", kind Producer: one per message produced, from
//     Produce (ProduceBatch, ProduceSync) to its delivery report, a child of
//     the span in Produce's ctx. Its context is written into the message's
//     headers, replacing any header of the same name (without an SDK, the
//     span is the one in ctx, if any, which is passed on). After delivery it
//     carries the partition and offset; a failed delivery has status Error
//     and error.type, the kafkaclient error code's name
//     (kafkaclient.CodeName), such as "UNKNOWN_TOPIC_OR_PARTITION".
//   - "poll <topic>" ("poll" when the messages come from several topics),
//     kind Consumer: one per Poll (PollBatch, ReadMessage, ...) that returns
//     messages, a child of the span in Poll's ctx, linked to the send span
//     of each message that carries one.
//   - "process <topic>", kind Consumer: made by [Observer.StartProcess] for
//     the application's processing of one message; its parent is the send
//     span whose context the message carries (the span in ctx when it
//     carries none), to which it is also linked.
//
// Attributes: messaging.system ("kafka"), messaging.operation.name ("send",
// "poll", "process"), messaging.operation.type ("send", "receive",
// "process"), messaging.destination.name, messaging.destination.partition.id,
// messaging.kafka.offset, messaging.kafka.message.key (when the key is
// valid UTF-8), messaging.kafka.message.tombstone (a nil value),
// messaging.message.body.size, messaging.batch.message_count (polls of
// more than one message), messaging.consumer.group.name (given with
// WithConsumerGroup) and error.type.
//
// # Metrics
//
//   - messaging.client.sent.messages (counter): messages produced, counted
//     at their delivery report, failed ones with error.type.
//   - messaging.client.operation.duration (histogram, seconds): for "send",
//     from Produce to the delivery report of each message.
//   - messaging.client.consumed.messages (counter): messages polls
//     returned.
//   - messaging.process.duration (histogram, seconds): from StartProcess to
//     the End of its span, with error.type when the span's status was set to
//     Error.
//
// Their attributes are messaging.system, messaging.operation.name,
// messaging.destination.name, messaging.operation.type (send durations),
// messaging.consumer.group.name (consumer side, when known) and error.type:
// few values each, so that a metric has one series per topic and outcome,
// not one per partition or message. The two counters are observable ones
// (their semconv Observable form): a message adds to an atomic counter, read
// when the meter collects.
//
// Not measured: the duration of polls (OnPoll is told the messages a poll
// returned, not when it began), polls that failed, and commits.
//
// # Cost
//
// The observer runs on the goroutines of Produce, of the delivery reports
// and of Poll, and never blocks. Span names, span start options and metric
// attributes are built once per topic; a send span is kept from OnProduce
// to OnDelivery only when it is recording (sampled). Without an
// OpenTelemetry SDK (the global no-op providers), a message costs a no-op
// span and an atomic add; with the SDK, most of the cost is the SDK's own:
// the span (an unsampled one too: its IDs, its sampler) and the histogram
// measurement. BenchmarkObserve measures the observer alone and
// BenchmarkProduce a producer with and without it:
//
//	go test -run '^$' -bench Produce -benchtime 200000x -count 6 . | tee bench.txt
//	benchstat -col /observer bench.txt
package kotel
