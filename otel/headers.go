package kotel

import (
	"context"
	"encoding/hex"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkaclient/kafkaclient"
)

// Header names of the W3C trace context and baggage.
const (
	traceparentHeader = "traceparent"
	tracestateHeader  = "tracestate"
	baggageHeader     = "baggage"
)

// injectW3C writes the headers the default propagator (W3C trace context
// and baggage) writes for sc and the baggage in ctx, with one allocation
// for the traceparent value instead of three.
func injectW3C(ctx context.Context, sc trace.SpanContext, m *kafkaclient.Message) {
	if sc.IsValid() {
		// version "00", trace ID, span ID and flags, of which only the
		// spec-defined sampled and random bits.
		tid, sid := sc.TraceID(), sc.SpanID()
		flags := [1]byte{byte(sc.TraceFlags() & (trace.FlagsSampled | trace.FlagsRandom))}
		v := make([]byte, 55)
		v[0], v[1], v[2], v[35], v[52] = '0', '0', '-', '-', '-'
		hex.Encode(v[3:35], tid[:])
		hex.Encode(v[36:52], sid[:])
		hex.Encode(v[53:55], flags[:])
		setHeader(m, traceparentHeader, v)
		if ts := sc.TraceState(); ts.Len() > 0 {
			setHeader(m, tracestateHeader, []byte(ts.String()))
		}
	}
	if bg := baggage.FromContext(ctx); bg.Len() > 0 {
		setHeader(m, baggageHeader, []byte(bg.String()))
	}
}

// setHeader sets the header named key to value, in place of any header of
// that name (where the first one was). It writes a new slice: the
// message's may be shared with other messages.
func setHeader(m *kafkaclient.Message, key string, value []byte) {
	hs := make([]kafkaclient.Header, 0, len(m.Headers)+1)
	set := false
	for _, h := range m.Headers {
		switch {
		case h.Key != key:
			hs = append(hs, h)
		case !set:
			hs, set = append(hs, kafkaclient.Header{Key: key, Value: value}), true
		}
	}
	if !set {
		hs = append(hs, kafkaclient.Header{Key: key, Value: value})
	}
	m.Headers = hs
}

// headerCarrier reads and writes a message's headers for a propagator.
// Header keys match exactly: "traceparent", as every W3C propagator writes
// it.
type headerCarrier struct{ m *kafkaclient.Message }

// Get returns the value of the last header named key, "" when none is.
func (c headerCarrier) Get(key string) string {
	hs := c.m.Headers
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return string(hs[i].Value)
		}
	}
	return ""
}

// Set sets the header named key to value (see setHeader).
func (c headerCarrier) Set(key, value string) { setHeader(c.m, key, []byte(value)) }

// Keys returns the names of the headers.
func (c headerCarrier) Keys() []string {
	keys := make([]string, len(c.m.Headers))
	for i, h := range c.m.Headers {
		keys[i] = h.Key
	}
	return keys
}
