package kafkaclient_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

func TestParseShareConsumerConfig(t *testing.T) {
	cfg, err := kafkaclient.ParseShareConsumerConfig(kafkaclient.ConfigMap{
		"bootstrap.servers":          "k1:9092",
		"group.id":                   "jobs",
		"share.acknowledgement.mode": "explicit",
		"max.poll.records":           50,
		"fetch.min.bytes":            10,
		"fetch.max.bytes":            1000,
		"fetch.wait.max.ms":          250,
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"k1:9092"}, cfg.BootstrapServers)
	assert.Equal(t, "jobs", cfg.GroupID)
	assert.Equal(t, kafkaclient.ShareAckExplicit, cfg.AckMode)
	assert.Equal(t, 50, cfg.MaxPollRecords)
	assert.Equal(t, 10, cfg.FetchMinBytes)
	assert.Equal(t, 1000, cfg.FetchMaxBytes)
	assert.Equal(t, 250*time.Millisecond, cfg.FetchMaxWait)

	// The keys the two consumers share still reach a Consumer's config.
	cc, err := kafkaclient.ParseConsumerConfig(kafkaclient.ConfigMap{"group.id": "g", "fetch.min.bytes": 7, "fetch.max.wait.ms": 9})
	require.NoError(t, err)
	assert.Equal(t, "g", cc.GroupID)
	assert.Equal(t, 7, cc.FetchMinBytes)
	assert.Equal(t, 9*time.Millisecond, cc.FetchMaxWait)
}

func TestShareConsumerConfigRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		m    kafkaclient.ConfigMap
		want []string
	}{
		{"a classic consumer key", kafkaclient.ConfigMap{"group.id": "g", "enable.auto.commit": false}, []string{`"enable.auto.commit" is a consumer setting`, "share consumer"}},
		{"a producer key", kafkaclient.ConfigMap{"group.id": "g", "linger.ms": 5}, []string{`"linger.ms" is a producer setting`}},
		{"an unknown mode", kafkaclient.ConfigMap{"group.id": "g", "share.acknowledgement.mode": "auto"}, []string{"share.acknowledgement.mode", "explicit, implicit"}},
		{"max.poll.records 0", kafkaclient.ConfigMap{"group.id": "g", "max.poll.records": 0}, []string{"max.poll.records"}},
		{"no group.id", kafkaclient.ConfigMap{"bootstrap.servers": "k:9092"}, []string{"group.id is required"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := kafkaclient.NewShareConsumerFromMap(c.m, kafkaclient.WithBackend(franz.New()))
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := kafkaclient.ParseConsumerConfig(kafkaclient.ConfigMap{"share.acknowledgement.mode": "explicit"})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	assert.Contains(t, err.Error(), `"share.acknowledgement.mode" is a share consumer setting; it has no effect on a consumer`)
}

func TestShareConsumerDefaults(t *testing.T) {
	c, err := kafkaclient.NewShareConsumer(kafkaclient.ShareConsumerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"k:9092"}}, GroupID: "g"}, kafkaclient.WithBackend(franz.New()))
	require.NoError(t, err)
	defer kafkatest.CloseClient(t, c.Close)
	cfg := c.Config()
	assert.Equal(t, kafkaclient.ShareAckImplicit, cfg.AckMode)
	assert.Equal(t, 500, cfg.MaxPollRecords)
	assert.Equal(t, 500*time.Millisecond, cfg.FetchMaxWait)
	assert.Equal(t, 1, cfg.FetchMinBytes)
	assert.Equal(t, "franz", c.Backend())
	assert.Equal(t, `kafkaclient.ShareConsumer{backend: franz, group: "g"}`, c.String())
}

func TestShareConsumerUnsupportedBackend(t *testing.T) {
	_, err := kafkaclient.NewShareConsumer(kafkaclient.ShareConsumerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"k:9092"}}, GroupID: "g"}, kafkaclient.WithBackend(kafkatest.NewMock()))
	require.ErrorIs(t, err, kafkaclient.ErrUnsupported)
	assert.Contains(t, err.Error(), "share groups (KIP-932) are not supported by the mock backend")
}

func TestGroupResource(t *testing.T) {
	assert.Equal(t, kafkaclient.ConfigResource{Type: kafkaclient.ConfigResourceGroup, Name: "g"}, kafkaclient.GroupResource("g"))
}
