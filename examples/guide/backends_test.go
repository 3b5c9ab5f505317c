package guide_test

import (
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/backend/sarama"
	"github.com/kafkaclient/kafkaclient/backend/segmentio"
)

// The pure-Go backends; backends_cgo_test.go adds confluent.
func init() {
	register(franz.New())
	register(segmentio.New())
	register(sarama.New())
}
