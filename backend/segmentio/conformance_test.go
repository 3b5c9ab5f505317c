package segmentio_test

import (
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/kafkaclient/kafkaclient/backend/segmentio"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka. The As
// targets are the package doc's: **kafka.Writer on the producer,
// **kafka.Client on every client, **kafka.ConsumerGroup on a subscribed
// consumer.
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
