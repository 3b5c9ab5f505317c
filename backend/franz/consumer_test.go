package franz

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/backend"
)

// TestPollNeverReturnsNothing drops a whole fetch between buffering and
// returning it, as a revocation does, and requires Poll to fetch again
// rather than return no messages and no error, which the backend contract
// forbids.
func TestPollNeverReturnsNothing(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	require.NoError(t, err)
	defer cluster.Close()
	cfg := backend.ConsumerConfig{
		ClientConfig:           backend.ClientConfig{BootstrapServers: cluster.ListenAddrs(), ClientID: "test", RequestTimeout: 10 * time.Second},
		FetchMinBytes:          backend.DefaultFetchMinBytes,
		FetchMaxBytes:          backend.DefaultFetchMaxBytes,
		MaxPartitionFetchBytes: backend.DefaultMaxPartitionFetchBytes,
		FetchMaxWait:           100 * time.Millisecond,
	}
	bc, err := franzBackend{}.NewConsumer(cfg, backend.ConsumerHooks{OnError: func(err error) { t.Logf("client error: %v", err) }})
	require.NoError(t, err)
	c := bc.(*consumer)
	defer c.Close(context.Background()) //nolint:errcheck // test cleanup

	pr, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	require.NoError(t, err)
	defer pr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, pr.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("dropped")}).FirstErr())
	require.NoError(t, c.Assign(ctx, []backend.TopicPartition{{Topic: "t", Partition: 0, Offset: backend.OffsetBeginning}}))

	drops := 0
	defer func(hook func(*consumer)) { testHookFetched = hook }(testHookFetched)
	testHookFetched = func(c *consumer) {
		if drops == 0 {
			drops++
			c.dropBuffered(map[string][]int32{"t": {0}})
			// What comes next is fetched by the retry.
			require.NoError(t, pr.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("kept")}).FirstErr())
		}
	}

	msgs, err := c.Poll(ctx, 10)
	require.NoError(t, err)
	require.NotEmpty(t, msgs, "Poll returned no messages and no error")
	require.Equal(t, "kept", string(msgs[0].Value))
	require.Equal(t, 1, drops)
}
