package kafkaclient

import (
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkaclient/kafkaclient/backend"
)

// kafkaNames are the codes whose kerr name is out of date against Apache
// Kafka's Errors enum, with Kafka's name. It mirrors kafkaRenames in
// internal/codegen.
var kafkaNames = map[int16]string{
	6: "NOT_LEADER_OR_FOLLOWER",
}

// TestProtocolCodesMatchKerr fails when the generated tables drift from kerr:
// run go generate ./... after updating franz-go.
func TestProtocolCodesMatchKerr(t *testing.T) {
	want := make(map[Code]*kerr.Error)
	for c := math.MinInt16; c <= math.MaxInt16; c++ {
		ke, ok := kerr.ErrorForCode(int16(c)).(*kerr.Error)
		if !ok || ke == nil || ke.Code != int16(c) {
			continue
		}
		want[Code(c)] = ke
	}
	if len(want) == 0 {
		t.Fatal("kerr lists no codes")
	}

	for code, ke := range want {
		name := ke.Message
		if n, ok := kafkaNames[ke.Code]; ok {
			name = n
		}
		if got := CodeName(code); got != name {
			t.Errorf("CodeName(%d) = %q, want %q", code, got, name)
		}
		if got := codeRetriable(code); got != ke.Retriable {
			t.Errorf("code %d (%s): retriable = %t, kerr says %t", code, name, got, ke.Retriable)
		}
	}

	seen := make(map[Code]bool)
	for _, ci := range protocolCodes {
		if seen[ci.code] {
			t.Errorf("protocolCodes lists code %d twice", ci.code)
		}
		seen[ci.code] = true
		if want[ci.code] == nil {
			t.Errorf("protocolCodes lists code %d (%s), which kerr does not", ci.code, ci.name)
		}
	}
	if len(protocolCodes) != len(want) {
		t.Errorf("protocolCodes has %d codes, kerr %d", len(protocolCodes), len(want))
	}
	for code := range kafkaNames {
		if want[Code(code)] == nil {
			t.Errorf("kafkaNames names code %d, which kerr does not list", code)
		}
	}
}

// TestClientCodesAreKnownToTheBackendPackage keeps backend.IsClientCode and
// the client-side code table in step.
func TestClientCodesAreKnownToTheBackendPackage(t *testing.T) {
	listed := 0
	for _, ci := range clientCodes {
		if ci.code == CodeNone {
			continue
		}
		listed++
		if !backend.IsClientCode(ci.code) {
			t.Errorf("backend.IsClientCode(%s) is false", ci.name)
		}
	}
	known := 0
	for c := math.MinInt16; c < -1; c++ {
		if backend.IsClientCode(Code(c)) {
			known++
		}
	}
	if known != listed {
		t.Errorf("backend.IsClientCode knows %d codes, the client-side table lists %d", known, listed)
	}
}
