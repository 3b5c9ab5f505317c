//go:build cgo

package confluent_test

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/confluent"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: confluent.New(), As: asTargets})
}

// asTargets checks the As targets of the package doc: **kafka.Producer on
// the producer, **kafka.Consumer on the consumer and **kafka.AdminClient on
// the admin.
func asTargets(t *testing.T, p *kafkaclient.Producer, c *kafkaclient.Consumer, a *kafkaclient.Admin) {
	var kp *kafka.Producer
	require.True(t, p.As(&kp), "Producer.As(**kafka.Producer)")
	require.NotNil(t, kp, "Producer.As(**kafka.Producer)")
	var kc *kafka.Consumer
	require.True(t, c.As(&kc), "Consumer.As(**kafka.Consumer)")
	require.NotNil(t, kc, "Consumer.As(**kafka.Consumer)")
	var ka *kafka.AdminClient
	require.True(t, a.As(&ka), "Admin.As(**kafka.AdminClient)")
	require.NotNil(t, ka, "Admin.As(**kafka.AdminClient)")
}
