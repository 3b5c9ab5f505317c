package kafkaclient

import (
	"hash/crc32"
	"hash/fnv"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Murmur2 is the 32-bit murmur2 hash as the Java client computes it for
// keyed partitioning (seed 0x9747b28c).
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := n &^ 3
	switch n & 3 {
	case 3:
		h ^= uint32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[tail])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// KeyPartition returns the partition of key among partitions, with the
// partitioner's hash (murmur2 for PartitionerManual). It is what Produce
// uses for a message with a non-nil key, so callers can predict placement.
// partitions must be positive.
func KeyPartition(p Partitioner, key []byte, partitions int32) int32 {
	if partitions <= 0 {
		return 0
	}
	switch p {
	case backend.PartitionerCRC32:
		return int32(crc32.ChecksumIEEE(key) % uint32(partitions))
	case backend.PartitionerFNV1a:
		h := fnv.New32a()
		h.Write(key)
		part := int32(h.Sum32()) % partitions
		if part < 0 {
			part = -part
		}
		return part
	default:
		return (Murmur2(key) & 0x7fffffff) % partitions
	}
}
