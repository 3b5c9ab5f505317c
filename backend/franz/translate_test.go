package franz

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// franz-go record and back: key, value, headers (nil and empty kept apart)
// and timestamp, without changing the message it was built from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.RoundTrip(f, func(t *testing.T, in *backend.Message) *backend.Message {
		var r kgo.Record
		fillRecord(&r, in)
		r.Offset, r.LeaderEpoch = 42, 7
		var got backend.Message
		fromRecord(&got, &r)
		if got.Offset != 42 || got.LeaderEpoch != 7 {
			t.Errorf("offset %d, leader epoch %d: want 42, 7", got.Offset, got.LeaderEpoch)
		}
		return &got
	})
}
