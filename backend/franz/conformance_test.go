package franz_test

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/conformance"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: franz.New()})
}
