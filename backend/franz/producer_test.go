package franz_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
)

// TestRetriesZeroMeansNoRetry has the broker answer the first produce
// request with NOT_LEADER_OR_FOLLOWER: with "retries": "0" the message
// fails at once, by default it is sent again and delivered.
func TestRetriesZeroMeansNoRetry(t *testing.T) {
	for _, tc := range []struct {
		retries   string
		delivered bool
	}{{"0", false}, {"", true}} {
		t.Run("retries="+tc.retries, func(t *testing.T) {
			cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
			require.NoError(t, err)
			defer cluster.Close()
			var refused atomic.Int32
			cluster.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
				if refused.Add(1) > 1 {
					return nil, nil, false
				}
				req := kreq.(*kmsg.ProduceRequest)
				resp := req.ResponseKind().(*kmsg.ProduceResponse)
				for _, rt := range req.Topics {
					st := kmsg.NewProduceResponseTopic()
					st.Topic, st.TopicID = rt.Topic, rt.TopicID
					for _, rp := range rt.Partitions {
						sp := kmsg.NewProduceResponseTopicPartition()
						sp.Partition = rp.Partition
						sp.ErrorCode = kerr.NotLeaderForPartition.Code
						st.Partitions = append(st.Partitions, sp)
					}
					resp.Topics = append(resp.Topics, st)
				}
				return resp, nil, true
			})

			cfg := kafkaclient.ConfigMap{"bootstrap.servers": cluster.ListenAddrs()[0], "enable.idempotence": "false"}
			if tc.retries != "" {
				cfg["retries"] = tc.retries
			}
			p, err := kafkaclient.NewProducerFromMap(cfg, kafkaclient.WithBackend(franz.New()))
			require.NoError(t, err)
			defer p.Close(context.Background()) //nolint:errcheck // test cleanup
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = p.ProduceSync(ctx, kafkaclient.NewMessage("t", nil, []byte("v")))
			if tc.delivered {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, kafkaclient.ErrNotLeaderOrFollower)
			}
			require.GreaterOrEqual(t, refused.Load(), int32(1), "the broker refused the first request")
		})
	}
}
