//go:build cgo

package confluent_test

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend/confluent"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite (conformance.Run says when its
// faults/ and security/ cases run) with the As targets of the package doc.
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
