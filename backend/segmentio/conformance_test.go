package segmentio_test

import (
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/kafkaclient/kafkaclient/backend/segmentio"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite (conformance.Run says when its
// faults/ and security/ cases run) with the As targets of the package doc.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Backend: segmentio.New(),
		As: conformance.AsTargets{
			Producer: []any{new(*kafka.Writer), new(*kafka.Client)},
			Consumer: []any{new(*kafka.Client), new(*kafka.ConsumerGroup)},
			Admin:    []any{new(*kafka.Client)},
		},
	})
}
