package backend

import (
	"fmt"
	"testing"
)

// TestEnumNamesAreTheirConfigValues checks that each config enum prints as
// the value its config key takes, and that a value out of range prints as
// "unknown" instead of panicking.
func TestEnumNamesAreTheirConfigValues(t *testing.T) {
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{AcksAll, "all"}, {AcksLeader, "1"}, {AcksNone, "0"}, {Acks(3), "unknown"}, {Acks(-1), "unknown"},
		{CompressionNone, "none"}, {CompressionGzip, "gzip"}, {CompressionSnappy, "snappy"},
		{CompressionLZ4, "lz4"}, {CompressionZstd, "zstd"}, {Compression(5), "unknown"},
		{PartitionerMurmur2, "murmur2_random"}, {PartitionerCRC32, "consistent_random"},
		{PartitionerFNV1a, "fnv1a_random"}, {PartitionerManual, "manual"}, {Partitioner(-2), "unknown"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T(%d).String() = %q, want %q", c.v, c.v, got, c.want)
		}
	}
}
