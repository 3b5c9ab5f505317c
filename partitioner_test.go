package kafkaclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kafkaclient/kafkaclient"
)

func TestMurmur2MatchesJavaClient(t *testing.T) {
	// Vectors from Kafka's UtilsTest.testMurmur2.
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		assert.Equal(t, want, kafkaclient.Murmur2([]byte(in)), "murmur2(%q)", in)
	}
}

func TestKeyPartition(t *testing.T) {
	// Placements measured with the Java-compatible, librdkafka and Sarama
	// partitioners on 6 partitions.
	cases := []struct {
		p    kafkaclient.Partitioner
		want [3]int32
	}{
		{kafkaclient.PartitionerMurmur2, [3]int32{4, 2, 1}},
		{kafkaclient.PartitionerCRC32, [3]int32{3, 5, 1}},
		{kafkaclient.PartitionerFNV1a, [3]int32{0, 3, 0}},
	}
	for _, c := range cases {
		t.Run(c.p.String(), func(t *testing.T) {
			for i, key := range []string{"a", "b", "order-123"} {
				assert.Equal(t, c.want[i], kafkaclient.KeyPartition(c.p, []byte(key), 6), "key %q", key)
			}
		})
	}
	assert.Equal(t, int32(0), kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte("x"), 0), "no partitions: no panic")
}

func FuzzKeyPartitionInRange(f *testing.F) {
	f.Add([]byte("order-123"), int32(6))
	f.Add([]byte{}, int32(1))
	f.Fuzz(func(t *testing.T, key []byte, n int32) {
		if n <= 0 {
			return
		}
		for _, p := range []kafkaclient.Partitioner{kafkaclient.PartitionerMurmur2, kafkaclient.PartitionerCRC32, kafkaclient.PartitionerFNV1a} {
			if got := kafkaclient.KeyPartition(p, key, n); got < 0 || got >= n {
				t.Fatalf("%v: partition %d out of [0,%d)", p, got, n)
			}
		}
	})
}
