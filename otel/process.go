package kotel

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// Extract returns ctx with the trace context and baggage that m's headers
// carry, for code that makes its own spans: a span started from the
// returned context is a child of the span that produced m. When m carries
// none, ctx is returned as it is.
func (o *Observer) Extract(ctx context.Context, m *kafkaclient.Message) context.Context {
	return o.propagator.Extract(ctx, headerCarrier{m})
}

// StartProcess starts the span of the processing of m, a consumed message:
// "process <topic>", kind Consumer, whose parent is the span that produced
// m (the send span, whose context m's headers carry; the span in ctx when
// they carry none) and which is linked to it. The returned context holds
// the span and the baggage m carries: pass it to the processing code.
//
// End the span when the processing is done; End also records
// messaging.process.duration, from StartProcess to End, with error.type
// when the span's status was set to codes.Error (error.type is then the
// value given with SetAttributes, or "_OTHER").
func (o *Observer) StartProcess(ctx context.Context, m *kafkaclient.Message) (context.Context, trace.Span) {
	start := time.Now()
	ti := o.topic(m.Topic)
	prior := trace.SpanContextFromContext(ctx)
	ctx = o.Extract(ctx, m)
	opts := make([]trace.SpanStartOption, 0, len(ti.procStart)+2)
	opts = append(opts, ti.procStart...)
	opts = append(opts, trace.WithAttributes(appendMessageAttrs(make([]attribute.KeyValue, 0, maxMessageAttrs), m)...))
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && !sc.Equal(prior) {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	ctx, span := o.tracer.Start(ctx, ti.procName, opts...)
	ps := &processSpan{Span: span, o: o, ti: ti, start: start}
	return trace.ContextWithSpan(ctx, ps), ps
}

// processSpan is the span StartProcess returns: its End also records
// messaging.process.duration.
type processSpan struct {
	trace.Span
	o     *Observer
	ti    *topicInfo
	start time.Time

	mu sync.Mutex
	// failed: the status is Error; ok: it is Ok, which no later status
	// changes.
	failed, ok bool
	errorType  string
	ended      bool
}

// SetStatus notes the status for the duration's error.type, as the span
// keeps it (Ok is final, Unset changes nothing), and sets it on the span.
func (s *processSpan) SetStatus(code codes.Code, description string) {
	s.mu.Lock()
	switch {
	case s.ok:
	case code == codes.Error:
		s.failed = true
	case code == codes.Ok:
		s.ok, s.failed = true, false
	}
	s.mu.Unlock()
	s.Span.SetStatus(code, description)
}

// SetAttributes notes error.type for the duration, and sets kv on the span.
func (s *processSpan) SetAttributes(kv ...attribute.KeyValue) {
	for _, a := range kv {
		if a.Key == semconv.ErrorTypeKey {
			s.mu.Lock()
			s.errorType = a.Value.String()
			s.mu.Unlock()
		}
	}
	s.Span.SetAttributes(kv...)
}

// End ends the span and, the first time, records the processing duration.
func (s *processSpan) End(options ...trace.SpanEndOption) {
	s.Span.End(options...)
	end := time.Now()
	if cfg := trace.NewSpanEndConfig(options...); !cfg.Timestamp().IsZero() {
		end = cfg.Timestamp()
	}
	s.mu.Lock()
	ended, failed, errType := s.ended, s.failed, s.errorType
	s.ended = true
	s.mu.Unlock()
	if ended {
		return
	}
	d, ctx := end.Sub(s.start).Seconds(), context.Background()
	if !failed {
		s.o.processed.Record(ctx, d, s.ti.procOpts...)
		return
	}
	if errType == "" {
		errType = semconv.ErrorTypeOther.Value.AsString()
	}
	s.o.processed.Record(ctx, d, metric.WithAttributes(withErrorType(s.ti.procAttrs, errType)...))
}
