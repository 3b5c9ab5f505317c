package franz_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka. The As
// targets are the package doc's: **kgo.Client and **kadm.Client on every
// client.
func TestConformance(t *testing.T) {
	targets := func() []any { return []any{new(*kgo.Client), new(*kadm.Client)} }
	conformance.Run(t, conformance.Harness{
		Backend: franz.New(),
		As:      conformance.AsTargets{Producer: targets(), Consumer: targets(), Admin: targets()},
	})
}
