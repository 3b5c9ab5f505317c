//go:build cgo

package confluent

import (
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// confluent-kafka-go message and back: key, value, headers (nil and empty
// kept apart) and timestamp, without changing the message it was built
// from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.Seed(f)
	f.Fuzz(func(t *testing.T, topic string, partition int32, key, value []byte, nilMask uint8, hdrs []byte, ts int64) {
		want := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		in := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		stamp := want.Timestamp
		if stamp.IsZero() {
			// Produce stamps a message without a timestamp.
			stamp = time.UnixMilli(1_700_000_000_000)
			want.Timestamp = stamp
		}
		km := toKafkaMessage(in, stamp)
		in.Timestamp = want.Timestamp
		msgfuzz.Check(t, want, in)
		km.TopicPartition.Offset = 42
		got := toMessage(km)
		msgfuzz.Check(t, want, got)
		if got.Offset != 42 {
			t.Errorf("offset %d, want 42", got.Offset)
		}
	})
}
