package segmentio_test

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend/segmentio"
	"github.com/kafkaclient/kafkaclient/conformance"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: segmentio.New()})
}
