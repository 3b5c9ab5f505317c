package kotel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// TestInjectW3CAsThePropagator checks that injectW3C, the fast path of the
// default propagator, writes the headers the propagator writes.
func TestInjectW3CAsThePropagator(t *testing.T) {
	ts, err := trace.ParseTraceState("vendor=abc,other=1")
	require.NoError(t, err)
	member, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	bg, err := baggage.New(member)
	require.NoError(t, err)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	})
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	for _, c := range []struct {
		name string
		sc   trace.SpanContext
		ctx  context.Context
	}{
		{"sampled", sc.WithTraceFlags(trace.FlagsSampled), context.Background()},
		{"not sampled, random", sc.WithTraceFlags(trace.FlagsRandom), context.Background()},
		{"unknown flags dropped", sc.WithTraceFlags(0xff), context.Background()},
		{"trace state and baggage", sc.WithTraceFlags(trace.FlagsSampled).WithTraceState(ts), baggage.ContextWithBaggage(context.Background(), bg)},
		{"no span, baggage", trace.SpanContext{}, baggage.ContextWithBaggage(context.Background(), bg)},
		{"nothing", trace.SpanContext{}, context.Background()},
	} {
		t.Run(c.name, func(t *testing.T) {
			existing := []kafkaclient.Header{{Key: "a", Value: []byte("1")}, {Key: "traceparent", Value: []byte("old")}, {Key: "traceparent", Value: []byte("older")}}
			want := &kafkaclient.Message{Headers: existing}
			prop.Inject(trace.ContextWithSpanContext(c.ctx, c.sc), headerCarrier{want})
			got := &kafkaclient.Message{Headers: existing}
			injectW3C(c.ctx, c.sc, got)
			assert.Equal(t, want.Headers, got.Headers)
			assert.Equal(t, []byte("old"), existing[1].Value, "the caller's slice is left alone")
		})
	}
}
