package sarama_test

import (
	"testing"

	"github.com/IBM/sarama"

	saramabackend "github.com/kafkaclient/kafkaclient/backend/sarama"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite (conformance.Run says when its
// faults/ and security/ cases run) with the As targets of the package doc.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Backend: saramabackend.New(),
		As: conformance.AsTargets{
			Producer: []any{new(sarama.Client), new(sarama.AsyncProducer)},
			Consumer: []any{new(sarama.Client), new(sarama.ConsumerGroup)},
			Admin:    []any{new(sarama.Client), new(sarama.ClusterAdmin)},
		},
	})
}
