package kotel

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// sendSpans are the send spans of one *Message not yet reported: one, but
// the same Message may be produced again before its report.
type sendSpans struct {
	first trace.Span
	more  []trace.Span
}

// OnProduce implements kafkaclient.ProduceObserver: it starts the send span
// of m, a child of the span in ctx, and writes its context into m's
// headers.
func (o *Observer) OnProduce(ctx context.Context, m *kafkaclient.Message) {
	ti := o.topic(m.Topic)
	ctx, span := o.tracer.Start(ctx, ti.sendName, ti.sendStart...)
	if o.w3c {
		injectW3C(ctx, span.SpanContext(), m)
	} else {
		o.propagator.Inject(ctx, headerCarrier{m})
	}
	if !span.IsRecording() {
		return // nothing to end: OnDelivery only measures
	}
	o.ninflight.Add(1)
	o.inflightMu.Lock()
	if s, ok := o.inflight[m]; ok {
		s.more = append(s.more, span)
		o.inflight[m] = s
	} else {
		o.inflight[m] = sendSpans{first: span}
	}
	o.inflightMu.Unlock()
}

// OnDelivery implements kafkaclient.ProduceObserver: it ends the send span
// of m with the message's attributes (its partition and offset once
// delivered) or its error, and counts and times the message.
func (o *Observer) OnDelivery(m *kafkaclient.Message, latency time.Duration, err error) {
	ti := o.topic(m.Topic)
	var errType string
	if err != nil {
		errType = errorType(err)
	}
	if span := o.delivered(m); span != nil {
		// The attributes go in one call: the message's are known by
		// now, and each call costs a recording span a copy.
		kvs := appendMessageAttrs(make([]attribute.KeyValue, 0, maxMessageAttrs+1), m)
		if err != nil {
			span.SetAttributes(append(kvs, semconv.ErrorTypeKey.String(errType))...)
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		} else {
			span.SetAttributes(kvs...)
		}
		span.End()
	}
	durOpts := ti.sendDurOpts
	if err == nil {
		ti.sent.Add(1)
	} else {
		durOpts = ti.failed(errType)
	}
	o.duration.Record(context.Background(), latency.Seconds(), durOpts...)
}

// delivered removes and returns the send span of m, nil when none is kept.
func (o *Observer) delivered(m *kafkaclient.Message) trace.Span {
	if o.ninflight.Load() == 0 {
		return nil
	}
	o.inflightMu.Lock()
	defer o.inflightMu.Unlock()
	s, ok := o.inflight[m]
	if !ok {
		return nil
	}
	o.ninflight.Add(-1)
	span := s.first
	if len(s.more) == 0 {
		delete(o.inflight, m)
	} else {
		o.inflight[m] = sendSpans{first: s.more[0], more: s.more[1:]}
	}
	return span
}

// appendMessageAttrs appends to kvs the attributes of m's own: its key
// (when valid UTF-8), whether it is a tombstone, its body size, and its
// partition and offset when it has them.
func appendMessageAttrs(kvs []attribute.KeyValue, m *kafkaclient.Message) []attribute.KeyValue {
	kvs = append(kvs, semconv.MessagingMessageBodySize(len(m.Value)))
	if m.Key != nil && utf8.Valid(m.Key) {
		kvs = append(kvs, semconv.MessagingKafkaMessageKey(string(m.Key)))
	}
	if m.Value == nil {
		kvs = append(kvs, semconv.MessagingKafkaMessageTombstone(true))
	}
	if m.Partition >= 0 {
		kvs = append(kvs, semconv.MessagingDestinationPartitionID(strconv.Itoa(int(m.Partition))))
	}
	if m.Offset >= 0 {
		kvs = append(kvs, semconv.MessagingKafkaOffset(int(m.Offset)))
	}
	return kvs
}

// maxMessageAttrs is how many attributes appendMessageAttrs appends at
// most.
const maxMessageAttrs = 5
