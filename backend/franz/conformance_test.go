package franz_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/conformance"
)

// TestConformance runs the conformance suite (conformance.Run says when its
// faults/ and security/ cases run) with the As targets of the package doc.
func TestConformance(t *testing.T) {
	targets := func() []any { return []any{new(*kgo.Client), new(*kadm.Client)} }
	conformance.Run(t, conformance.Harness{
		Backend: franz.New(),
		As:      conformance.AsTargets{Producer: targets(), Consumer: targets(), Admin: targets()},
	})
}
