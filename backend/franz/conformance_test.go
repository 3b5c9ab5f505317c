package franz_test

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/conformance"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: franz.New()})
}

// TestFaults kills and restarts nodes of the 3-node cluster named by
// KAFKA_FAULT_CLUSTER; it skips when the variable is unset.
func TestFaults(t *testing.T) {
	fc := conformance.FaultClusterFromEnv(t, "../../scripts/kafka")
	conformance.RunFaults(t, conformance.Harness{Backend: franz.New()}, fc)
}

// TestSecurity runs the SASL and TLS cases against the listeners that
// scripts/kafka up starts; it skips when KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE are unset.
func TestSecurity(t *testing.T) {
	conformance.RunSecurity(t, conformance.Harness{Backend: franz.New()}, conformance.SecurityClusterFromEnv(t))
}
