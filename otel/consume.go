package kotel

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// OnPoll implements kafkaclient.ConsumeObserver: it records one poll span,
// a child of the span in ctx, linked to the send span of each message, and
// counts the messages per topic.
func (o *Observer) OnPoll(ctx context.Context, msgs []*kafkaclient.Message) {
	if len(msgs) == 0 {
		return
	}
	first := o.topic(msgs[0].Topic)
	oneTopic := true
	// Count per run of one topic: a poll's messages come grouped by
	// partition.
	run, n := first, int64(0)
	for _, m := range msgs {
		if m.Topic != run.topic {
			run.consumed.Add(n)
			run, n, oneTopic = o.topic(m.Topic), 0, false
		}
		n++
	}
	run.consumed.Add(n)

	name := opPoll
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.MessagingSystemKafka, semconv.MessagingOperationName(opPoll), semconv.MessagingOperationTypeReceive)
	if oneTopic {
		name = first.pollName
		attrs = append(attrs, semconv.MessagingDestinationName(first.topic))
	}
	if o.group != "" {
		attrs = append(attrs, semconv.MessagingConsumerGroupName(o.group))
	}
	if len(msgs) > 1 {
		attrs = append(attrs, semconv.MessagingBatchMessageCount(len(msgs)))
	} else {
		attrs = append(attrs, semconv.MessagingDestinationPartitionID(strconv.Itoa(int(msgs[0].Partition))), semconv.MessagingKafkaOffset(int(msgs[0].Offset)))
	}
	var links []trace.Link
	for _, m := range msgs {
		if sc := o.spanContext(m); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	_, span := o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...), trace.WithLinks(links...))
	span.End()
}

// spanContext is the span context m's headers carry, if any.
func (o *Observer) spanContext(m *kafkaclient.Message) trace.SpanContext {
	return trace.SpanContextFromContext(o.propagator.Extract(context.Background(), headerCarrier{m}))
}
