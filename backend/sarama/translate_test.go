package sarama

import (
	"testing"

	"github.com/IBM/sarama"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// Sarama producer message and back from the consumer message a fetch of it
// gives: key, value, headers (nil and empty kept apart) and timestamp,
// without changing the message it was built from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.RoundTrip(f, func(t *testing.T, in *backend.Message) *backend.Message {
		p := &producer{compactAt: minCompact}
		r, err := p.newRecord(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		pm := r.pm
		if pm.Topic != in.Topic || pm.Metadata != r {
			t.Fatalf("topic %q, metadata %v: want %q and the record", pm.Topic, pm.Metadata, in.Topic)
		}
		// What Sarama's decoder hands out: nil for a null key or value
		// (a nil Encoder), the bytes otherwise, empty ones included.
		cm := &sarama.ConsumerMessage{Topic: pm.Topic, Partition: in.Partition, Offset: 42, Timestamp: pm.Timestamp,
			Key: encoded(t, pm.Key), Value: encoded(t, pm.Value)}
		for _, h := range pm.Headers {
			cm.Headers = append(cm.Headers, &sarama.RecordHeader{Key: h.Key, Value: h.Value})
		}
		got := toMessage(cm)
		if got.Offset != 42 || got.LeaderEpoch != -1 {
			t.Errorf("offset %d, leader epoch %d: want 42, -1", got.Offset, got.LeaderEpoch)
		}
		return got
	})
}

// encoded is what e puts on the wire, nil for null.
func encoded(t *testing.T, e sarama.Encoder) []byte {
	if e == nil {
		return nil
	}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
