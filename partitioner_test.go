package kafkaclient_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// goldenKeys are the keys whose placement on 6 partitions
// goldenPartitioners give.
var goldenKeys = []string{"a", "b", "order-123"}

// goldenPartitioners are the partitions of goldenKeys among 6, measured with
// the Java-compatible, librdkafka and Sarama partitioners.
var goldenPartitioners = []struct {
	name string
	p    kafkaclient.Partitioner
	want [3]int32
}{
	{"murmur2", kafkaclient.PartitionerMurmur2, [3]int32{4, 2, 1}},
	{"crc32", kafkaclient.PartitionerCRC32, [3]int32{3, 5, 1}},
	{"fnv1a", kafkaclient.PartitionerFNV1a, [3]int32{0, 3, 0}},
}

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
	for _, c := range goldenPartitioners {
		t.Run(c.p.String(), func(t *testing.T) {
			for i, key := range goldenKeys {
				assert.Equal(t, c.want[i], kafkaclient.KeyPartition(c.p, []byte(key), 6), "%v(%q) on 6 partitions", c.p, key)
			}
		})
	}
	assert.Equal(t, int32(0), kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte("x"), 0), "no partitions: no panic")
}

// TestKeyPartitionGoldenVectors checks on a broker that keyed messages are
// delivered to the partition KeyPartition computes, the golden keys among
// them. That partition is computed here, over the topic's partition count,
// before any backend sees the message; so one run proves that every backend
// places keys like the Java client (murmur2) and librdkafka
// (murmur2_random, consistent_random, fnv1a_random).
func TestKeyPartitionGoldenVectors(t *testing.T) {
	cluster := kafkatest.NewCluster(t)
	for _, c := range goldenPartitioners {
		t.Run(fmt.Sprintf("keyed messages are delivered to KeyPartition's partition with %s", c.name), func(t *testing.T) {
			topic := cluster.CreateTopic(t, 6)
			cfg := cluster.ProducerConfig()
			cfg.Partitioner = c.p
			p, err := kafkaclient.NewProducer(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { kafkatest.CloseClient(t, p.Close) })
			var msgs []*kafkaclient.Message
			for i := range 60 {
				msgs = append(msgs, kafkaclient.NewMessage(topic, []byte(fmt.Sprintf("key-%d", i)), []byte("v")))
			}
			for _, key := range goldenKeys {
				msgs = append(msgs, kafkaclient.NewMessage(topic, []byte(key), []byte("v")))
			}
			require.NoError(t, p.ProduceSync(testCtx(t), msgs...))
			seen := map[int32]bool{}
			for _, m := range msgs {
				assert.Equal(t, kafkaclient.KeyPartition(c.p, m.Key, 6), m.Partition, "key %q", m.Key)
				seen[m.Partition] = true
			}
			assert.Len(t, seen, 6, "60 keys should cover all 6 partitions")
			for i, key := range goldenKeys {
				assert.Equal(t, c.want[i], msgs[60+i].Partition, "key %q", key)
			}
		})
	}
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
