//go:build cgo

package confluent

import (
	"testing"

	"github.com/kafkaclient/kafkaclient/backend"
)

// TestGroupMetadataLayout fails when confluent-kafka-go or librdkafka change
// the layout of kafka.ConsumerGroupMetadata that groupmeta.go reads and
// writes: GroupMetadata would then lose the member id and generation, and
// offsets sent to a transaction from another backend's consumer would no
// longer be fenced by generation.
func TestGroupMetadataLayout(t *testing.T) {
	if !cgmdUsable() {
		t.Fatal("kafka.ConsumerGroupMetadata no longer has the CGMDv2 layout; update groupmeta.go")
	}
	for _, g := range []backend.GroupMetadata{
		{GroupID: "orders", GenerationID: 7, MemberID: "m-1"},
		{GroupID: "orders", GenerationID: -1},
		{GroupID: "g", GenerationID: 1 << 30, MemberID: "member", GroupInstanceID: "instance-3"},
	} {
		md, err := toConsumerGroupMetadata(g)
		if err != nil {
			t.Fatal(err)
		}
		if got := fromConsumerGroupMetadata(md, backend.GroupMetadata{GroupID: "unused"}); got != g {
			t.Errorf("round trip of %+v gave %+v", g, got)
		}
	}
}
