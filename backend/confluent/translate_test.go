//go:build cgo

package confluent

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/internal/msgfuzz"
)

// FuzzMessageRoundTrip checks that a message survives translation to a
// confluent-kafka-go message and back: key, value, headers (nil and empty
// kept apart) and timestamp, without changing the message it was built
// from.
func FuzzMessageRoundTrip(f *testing.F) {
	msgfuzz.RoundTrip(f, func(t *testing.T, in *backend.Message) *backend.Message {
		var km kafka.Message
		fillKafkaMessage(&km, in)
		km.TopicPartition.Offset = 42
		got := toMessage(&km)
		if got.Offset != 42 {
			t.Errorf("offset %d, want 42", got.Offset)
		}
		return got
	})
}
