package segmentio_test

import (
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/segmentio"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: segmentio.New(), As: asTargets})
}

// asTargets checks the As targets of the package doc: **kafka.Writer on the
// producer, **kafka.Client on every client, and **kafka.ConsumerGroup on the
// consumer, which has subscribed.
func asTargets(t *testing.T, p *kafkaclient.Producer, c *kafkaclient.Consumer, a *kafkaclient.Admin) {
	var w *kafka.Writer
	require.True(t, p.As(&w), "Producer.As(**kafka.Writer)")
	require.NotNil(t, w, "Producer.As(**kafka.Writer)")
	for client, as := range map[string]func(any) bool{"Producer": p.As, "Consumer": c.As, "Admin": a.As} {
		var cl *kafka.Client
		require.True(t, as(&cl), "%s.As(**kafka.Client)", client)
		require.NotNil(t, cl, "%s.As(**kafka.Client)", client)
	}
	var cg *kafka.ConsumerGroup
	require.True(t, c.As(&cg), "Consumer.As(**kafka.ConsumerGroup) after Subscribe")
	require.NotNil(t, cg, "Consumer.As(**kafka.ConsumerGroup) after Subscribe")
}
