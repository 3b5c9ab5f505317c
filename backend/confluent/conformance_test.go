//go:build cgo

package confluent_test

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend/confluent"
	"github.com/kafkaclient/kafkaclient/conformance"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Backend: confluent.New()})
}
