package segmentio

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// kafka-go message, encoding as a v2 record batch, decoding and translation
// back: key, value, headers (nil and empty kept apart) and timestamp,
// without changing the message it was built from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.Seed(f)
	f.Fuzz(func(t *testing.T, topic string, partition int32, key, value []byte, nilMask uint8, hdrs []byte, ts int64) {
		want := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		in := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		stamp := want.Timestamp
		if !stamp.IsZero() && (ts < 0 || stamp.After(time.Unix(0, math.MaxInt64))) {
			return // refused by Producer.Produce: kafka-go encodes through UnixNano
		}
		if stamp.IsZero() {
			// Produce stamps a message without a timestamp.
			stamp = time.UnixMilli(1_700_000_000_000)
			want.Timestamp = stamp
		}
		km := toKafkaMessage(in, stamp)
		in.Timestamp = want.Timestamp
		msgfuzz.Check(t, want, in)
		if km.Topic != topic {
			t.Errorf("topic %q, want %q", km.Topic, topic)
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
		got, err := fromRecord(topic, partition, r)
		if err != nil {
			t.Fatalf("fromRecord: %v", err)
		}
		msgfuzz.Check(t, want, got)
		if got.Offset != offset {
			t.Errorf("offset %d, want the record's %d", got.Offset, offset)
		}
	})
}
