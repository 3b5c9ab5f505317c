package segmentio

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// kafka-go message, encoding as a v2 record batch, decoding and translation
// back: key, value, headers (nil and empty kept apart) and timestamp,
// without changing the message it was built from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.RoundTrip(f, func(t *testing.T, in *backend.Message) *backend.Message {
		if ts := in.Timestamp; ts.Before(time.Unix(0, 0)) || ts.After(time.Unix(0, math.MaxInt64)) {
			return nil // refused by Producer.Produce: kafka-go encodes through UnixNano
		}
		km := toKafkaMessage(in, in.Timestamp)
		if km.Topic != in.Topic {
			t.Errorf("topic %q, want %q", km.Topic, in.Topic)
		}

		// The wire: one record in a v2 batch, as the writer sends it.
		rec := protocol.Record{
			Time:    km.Time,
			Key:     protocol.NewBytes(km.Key),
			Value:   protocol.NewBytes(km.Value),
			Headers: km.Headers,
		}
		var buf bytes.Buffer
		out := protocol.RecordSet{Version: 2, Records: protocol.NewRecordReader(rec)}
		if _, err := out.WriteTo(&buf); err != nil {
			t.Fatalf("encode: %v", err)
		}
		var in2 protocol.RecordSet
		if _, err := in2.ReadFrom(&buf); err != nil {
			t.Fatalf("decode: %v", err)
		}
		r, err := in2.Records.ReadRecord()
		if err != nil {
			t.Fatalf("read record: %v", err)
		}
		offset := r.Offset
		got, err := fromRecord(in.Topic, in.Partition, r)
		if err != nil {
			t.Fatalf("fromRecord: %v", err)
		}
		if got.Offset != offset {
			t.Errorf("offset %d, want the record's %d", got.Offset, offset)
		}
		return got
	})
}
