//go:build cgo

package confluent_test

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend/confluent"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka. The As
// targets are the package doc's.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Backend: confluent.New(),
		As: conformance.AsTargets{
			Producer: []any{new(*kafka.Producer)},
			Consumer: []any{new(*kafka.Consumer)},
			Admin:    []any{new(*kafka.AdminClient), new(*kafka.Producer)},
		},
	})
}
