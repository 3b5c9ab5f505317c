package franz_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite; its faults/ and security/
// cases run when KAFKA_FAULT_CLUSTER, or KAFKA_SASL_PLAINTEXT,
// KAFKA_SASL_SSL and KAFKA_CA_FILE, name a cluster of scripts/kafka.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: franz.New(), As: asTargets})
}

// asTargets checks the As targets of the package doc: **kgo.Client and
// **kadm.Client on every client (the consumer has subscribed, so its
// clients exist).
func asTargets(t *testing.T, p *kafkaclient.Producer, c *kafkaclient.Consumer, a *kafkaclient.Admin) {
	for client, as := range map[string]func(any) bool{"Producer": p.As, "Consumer": c.As, "Admin": a.As} {
		var cl *kgo.Client
		require.True(t, as(&cl), "%s.As(**kgo.Client)", client)
		require.NotNil(t, cl, "%s.As(**kgo.Client)", client)
	}
	for client, as := range map[string]func(any) bool{"Producer": p.As, "Consumer": c.As, "Admin": a.As} {
		var adm *kadm.Client
		require.True(t, as(&adm), "%s.As(**kadm.Client)", client)
		require.NotNil(t, adm, "%s.As(**kadm.Client)", client)
	}
}
