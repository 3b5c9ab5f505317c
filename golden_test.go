package kafkaclient_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// The partition of a keyed message is computed here, by KeyPartition over
// the topic's partition count, before any backend sees the message; so one
// run proves that every backend places keys like the Java client (murmur2)
// and librdkafka (murmur2_random, consistent_random, fnv1a_random).
func TestKeyPartitionGoldenVectors(t *testing.T) {
	t.Run("Murmur2 matches Kafka's UtilsTest vectors", func(t *testing.T) {
		for key, want := range map[string]int32{"21": -973932308, "foobar": -790332482, "abc": 479470107} {
			assert.Equal(t, want, kafkaclient.Murmur2([]byte(key)), "murmur2(%q)", key)
		}
	})

	partitioners := []struct {
		name string
		p    kafkaclient.Partitioner
		want [3]int32 // partitions of "a", "b" and "order-123" among 6
	}{
		{"murmur2", kafkaclient.PartitionerMurmur2, [3]int32{4, 2, 1}},
		{"crc32", kafkaclient.PartitionerCRC32, [3]int32{3, 5, 1}},
		{"fnv1a", kafkaclient.PartitionerFNV1a, [3]int32{0, 3, 0}},
	}
	for _, c := range partitioners {
		t.Run(fmt.Sprintf("KeyPartition %s matches the reference clients on 6 partitions", c.name), func(t *testing.T) {
			for i, key := range []string{"a", "b", "order-123"} {
				assert.Equal(t, c.want[i], kafkaclient.KeyPartition(c.p, []byte(key), 6), "%v(%q) on 6 partitions", c.p, key)
			}
		})
	}

	cluster := kafkatest.NewCluster(t)
	for _, c := range partitioners {
		t.Run(fmt.Sprintf("keyed messages are delivered to KeyPartition's partition with %s", c.name), func(t *testing.T) {
			topic := cluster.CreateTopic(t, 6)
			cfg := cluster.ProducerConfig()
			cfg.Partitioner = c.p
			p, err := kafkaclient.NewProducer(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { closeClient(t, p.Close) })
			var msgs []*kafkaclient.Message
			for i := range 60 {
				msgs = append(msgs, kafkaclient.NewMessage(topic, []byte(fmt.Sprintf("key-%d", i)), []byte("v")))
			}
			msgs = append(msgs, kafkaclient.NewMessage(topic, []byte("a"), []byte("v")), kafkaclient.NewMessage(topic, []byte("order-123"), []byte("v")))
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			require.NoError(t, p.ProduceSync(ctx, msgs...))
			seen := map[int32]bool{}
			for _, m := range msgs {
				assert.Equal(t, kafkaclient.KeyPartition(c.p, m.Key, 6), m.Partition, "key %q", m.Key)
				seen[m.Partition] = true
			}
			assert.Len(t, seen, 6, "60 keys should cover all 6 partitions")
			assert.Equal(t, c.want[0], msgs[60].Partition, "key %q", "a")
			assert.Equal(t, c.want[2], msgs[61].Partition, "key %q", "order-123")
		})
	}
}
