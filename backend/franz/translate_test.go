package franz

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// franz-go record and back: key, value, headers (nil and empty kept apart)
// and timestamp, without changing the message it was built from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.Seed(f)
	f.Fuzz(func(t *testing.T, topic string, partition int32, key, value []byte, nilMask uint8, hdrs []byte, ts int64) {
		want := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		in := msgfuzz.Message(topic, partition, key, value, nilMask, hdrs, ts)
		r := toRecord(in)
		msgfuzz.Check(t, want, in)
		r.Offset, r.LeaderEpoch = 42, 7
		var got backend.Message
		fromRecord(&got, r)
		msgfuzz.Check(t, want, &got)
		if got.Offset != 42 || got.LeaderEpoch != 7 {
			t.Errorf("offset %d, leader epoch %d: want 42, 7", got.Offset, got.LeaderEpoch)
		}
	})
}
