package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

// configCases are the config cases whose outcome depends on the backend: the
// options it is given under its own prefix, and the settings it refuses or
// honours. Config parsing and validation, which happen before a backend sees
// the config, are tested once in the root package (config_test.go,
// validation_test.go).
var configCases = []Case{
	{
		Name: "config/backend_prefixed_keys",
		Doc:  "Keys prefixed with another backend's name are ignored, and unknown keys prefixed with this backend's name are refused.",
		Run: func(t *testing.T, e *Env) {
			other := "confluent"
			if e.Backend.Name() == other {
				other = "franz"
			}
			topic := e.Topic(t, 1)
			p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
				"bootstrap.servers":       e.Cluster.BootstrapServers(),
				other + ".no.such.option": "1",
			}, kafkaclient.WithBackend(e.Backend))
			require.NoError(t, err, "a key for another backend must be ignored")
			ProduceValues(t, p, topic, "v")
			closeWithin(t, p.Close)

			_, err = kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
				"bootstrap.servers": e.Cluster.BootstrapServers(),
				e.Backend.Name() + ".no.such.option.kafkaclient": "1",
			}, kafkaclient.WithBackend(e.Backend))
			require.Error(t, err, "an unknown option for this backend must be refused")
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
			assert.Contains(t, err.Error(), "no.such.option.kafkaclient")
		},
	},
	{
		Name: "config/production_profile_roundtrip",
		Doc:  "A producer opened from the production settings of Confluent's guide (acks=all, idempotence, lz4, ...) has them in its config and delivers a message.",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			m := kafkaclient.ConfigMap{
				"bootstrap.servers":                     strings.Join(e.Cluster.BootstrapServers(), ","),
				"client.id":                             "conformance-production",
				"acks":                                  "all",
				"enable.idempotence":                    true,
				"retries":                               2147483647,
				"delivery.timeout.ms":                   120000,
				"max.in.flight.requests.per.connection": 5,
				"batch.size":                            65536,
				"linger.ms":                             10,
				"queue.buffering.max.messages":          100000,
				"queue.buffering.max.kbytes":            1048576,
				"compression.type":                      "lz4",
			}
			p, err := kafkaclient.NewProducerFromMap(m, kafkaclient.WithBackend(e.Backend))
			if !e.Caps.Idempotence {
				RequireUnsupported(t, err)
				assert.Contains(t, err.Error(), "enable.idempotence")
				delete(m, "enable.idempotence")
				p, err = kafkaclient.NewProducerFromMap(m, kafkaclient.WithBackend(e.Backend))
			}
			require.NoError(t, err)
			t.Cleanup(func() { closeWithin(t, p.Close) })

			cfg := p.Config()
			assert.Equal(t, e.Cluster.BootstrapServers(), cfg.BootstrapServers)
			assert.Equal(t, "conformance-production", cfg.ClientID)
			assert.Equal(t, kafkaclient.AcksAll, cfg.Acks)
			if e.Caps.Idempotence {
				assert.Equal(t, kafkaclient.ToggleOn, cfg.Idempotence)
			}
			assert.Equal(t, 120*time.Second, cfg.DeliveryTimeout)
			assert.Equal(t, 5, cfg.MaxInFlight)
			assert.Equal(t, 65536, cfg.BatchSize)
			assert.Equal(t, 10*time.Millisecond, cfg.Linger)
			assert.Equal(t, 100000, cfg.MaxBufferedMessages)
			assert.Equal(t, int64(1048576)*1024, cfg.MaxBufferedBytes)
			assert.Equal(t, kafkaclient.CompressionLZ4, cfg.Compression)
			assert.GreaterOrEqual(t, cfg.Retries, 0, "retries=MaxInt32 keeps retrying")

			msg := kafkaclient.NewMessage(topic, []byte("k"), []byte("production"))
			msg.Headers = []kafkaclient.Header{{Key: "h", Value: []byte("v")}}
			Produce(t, p, msg)
			got := prodConsume(t, e, topic, 1, 1)[0]
			assert.Equal(t, []byte("k"), got.Key)
			assert.Equal(t, []byte("production"), got.Value)
			assert.Equal(t, msg.Headers, got.Headers)
			assert.Equal(t, msg.Offset, got.Offset)
		},
	},
}
