package conformance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

var configCases = []Case{
	{
		Name: "config/unknown_key_suggests",
		Doc:  "An unknown config key is BAD_CONFIG naming the key and suggesting the closest known one.",
		Run: func(t *testing.T, e *Env) {
			for key, want := range map[string]string{"linger": "linger.ms", "bootstrap.server": "bootstrap.servers", "compresion.type": "compression.type"} {
				err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{key: "5"})
				cfgRequireBadConfig(t, e, err, key)
				assert.Contains(t, err.Error(), fmt.Sprintf("did you mean %q", want), "key %q", key)
			}
			err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{"zzzzzzzzzz": "1"})
			cfgRequireBadConfig(t, e, err, "zzzzzzzzzz")
			assert.NotContains(t, err.Error(), "did you mean", "no suggestion for a key unlike any other")
		},
	},
	{
		Name: "config/bad_acks",
		Doc:  "acks=7 is BAD_CONFIG naming the key and the value.",
		Run: func(t *testing.T, e *Env) {
			for _, v := range []any{"7", 7} {
				err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{"acks": v})
				cfgRequireBadConfig(t, e, err, "acks")
				assert.Contains(t, err.Error(), "7")
			}
			for _, v := range []any{"all", "-1", "1", "0", -1, 1, 0} {
				cfg, err := kafkaclient.ParseProducerConfig(kafkaclient.ConfigMap{"acks": v})
				require.NoError(t, err, "acks=%v", v)
				want := map[string]kafkaclient.Acks{"all": kafkaclient.AcksAll, "-1": kafkaclient.AcksAll, "1": kafkaclient.AcksLeader, "0": kafkaclient.AcksNone}[fmt.Sprint(v)]
				assert.Equal(t, want, cfg.Acks, "acks=%v", v)
			}
		},
	},
	{
		Name: "config/bad_compression",
		Doc:  "compression.type=brotli is BAD_CONFIG naming the key and the value.",
		Run: func(t *testing.T, e *Env) {
			err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{"compression.type": "brotli"})
			cfgRequireBadConfig(t, e, err, "compression.type")
			assert.Contains(t, err.Error(), "brotli")
			// A typed config with an out-of-range codec is refused too.
			cfg := e.Cluster.ProducerConfig()
			cfg.Compression = kafkaclient.Compression(42)
			_, err = kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
		},
	},
	{
		Name: "config/negative_values",
		Doc:  "Negative durations and sizes (linger.ms=-5, batch.size=-1, delivery.timeout.ms=-1) are BAD_CONFIG naming the key.",
		Run: func(t *testing.T, e *Env) {
			for key, v := range map[string]any{"linger.ms": "-5", "batch.size": -1, "delivery.timeout.ms": "-1", "queue.buffering.max.messages": "-10"} {
				err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{key: v})
				cfgRequireBadConfig(t, e, err, key)
			}
			for _, v := range []any{"ten", 1.5, true, []int{1}} {
				err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{"linger.ms": v})
				cfgRequireBadConfig(t, e, err, "linger.ms")
			}
		},
	},
	{
		Name: "config/consumer_key_on_producer",
		Doc:  "A consumer-only key (group.id) in a producer's ConfigMap is BAD_CONFIG naming the key.",
		Run: func(t *testing.T, e *Env) {
			for _, key := range []string{"group.id", "auto.offset.reset", "enable.auto.commit"} {
				err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{key: "x"})
				cfgRequireBadConfig(t, e, err, key)
				assert.Contains(t, err.Error(), "consumer", "key %q", key)
			}
			_, err := kafkaclient.ParseConsumerConfig(kafkaclient.ConfigMap{"linger.ms": 5})
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
			assert.Contains(t, err.Error(), "linger.ms")
		},
	},
	{
		Name: "config/value_types",
		Doc:  "ConfigMap values may be strings, bools, integers, whole float64s (JSON numbers) and []string for lists, and parse to the same config.",
		Run: func(t *testing.T, e *Env) {
			servers := e.Cluster.BootstrapServers()
			forms := []kafkaclient.ConfigMap{
				{"bootstrap.servers": strings.Join(servers, ","), "linger.ms": "20", "enable.idempotence": "false", "batch.size": "1000"},
				{"bootstrap.servers": servers, "linger.ms": 20, "enable.idempotence": false, "batch.size": int64(1000)},
				{"bootstrap.servers": strings.Join(servers, " , "), "linger.ms": float64(20), "enable.idempotence": "FALSE", "batch.size": int32(1000)},
			}
			for i, m := range forms {
				cfg, err := kafkaclient.ParseProducerConfig(m)
				require.NoError(t, err, "form %d", i)
				assert.Equal(t, servers, cfg.BootstrapServers, "form %d", i)
				assert.Equal(t, 20*time.Millisecond, cfg.Linger, "form %d", i)
				assert.Equal(t, kafkaclient.ToggleOff, cfg.Idempotence, "form %d", i)
				assert.Equal(t, 1000, cfg.BatchSize, "form %d", i)
			}
			// linger.ms=0 means "send at once", not "the default".
			p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": servers, "linger.ms": 0}, kafkaclient.WithBackend(e.Backend))
			require.NoError(t, err)
			closeWithin(t, p.Close)
			assert.Equal(t, time.Duration(0), p.Config().Linger)
		},
	},
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
	{
		Name: "config/configmap_not_modified",
		Doc:  "Parsing a ConfigMap, successfully or not, leaves the caller's map and the slices in it unchanged.",
		Run: func(t *testing.T, e *Env) {
			servers := e.Cluster.BootstrapServers()
			m := kafkaclient.ConfigMap{
				"bootstrap.servers":  servers,
				"linger.ms":          20,
				"acks":               "1",
				"enable.idempotence": false,
				"compression.type":   "GZIP",
				"client.id":          "  spaced  ",
				"confluent.x":        "y",
				"franz.x":            "y",
				"segmentio.x":        "y",
			}
			want := cfgCloneMap(m)
			cfg, err := kafkaclient.ParseProducerConfig(m)
			require.NoError(t, err)
			assert.Equal(t, want, m)
			cfg.BootstrapServers[0] = "mutated:1"
			assert.Equal(t, want, m, "the parsed config shares a slice with the map")

			for k := range m {
				if strings.Contains(k, ".x") {
					delete(m, k)
					delete(want, k)
				}
			}
			topic := e.Topic(t, 1)
			p, err := kafkaclient.NewProducerFromMap(m, kafkaclient.WithBackend(e.Backend))
			require.NoError(t, err)
			ProduceValues(t, p, topic, "v")
			closeWithin(t, p.Close)
			assert.Equal(t, want, m)

			bad := kafkaclient.ConfigMap{"bootstrap.servers": servers, "linger.ms": "x", "acks": 7}
			wantBad := cfgCloneMap(bad)
			_, err = kafkaclient.NewProducerFromMap(bad, kafkaclient.WithBackend(e.Backend))
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
			assert.Equal(t, wantBad, bad)
			assert.Equal(t, e.Cluster.BootstrapServers(), servers)
		},
	},
	{
		Name: "config/typed_config_not_modified",
		Doc:  "NewProducer does not modify the config it is given or keep its slices, and Producer.Config shows the documented defaults.",
		Run: func(t *testing.T, e *Env) {
			cfg := e.Cluster.ProducerConfig()
			cfg.BootstrapServers = append(cfg.BootstrapServers, cfg.BootstrapServers...) // duplicates are allowed
			cfg.BackendOptions = nil
			before := cfg
			servers := slices.Clone(cfg.BootstrapServers)
			p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
			require.NoError(t, err)
			t.Cleanup(func() { closeWithin(t, p.Close) })

			assert.Equal(t, servers, cfg.BootstrapServers, "BootstrapServers elements changed")
			assert.Equal(t, before.Linger, cfg.Linger)
			assert.Equal(t, time.Duration(0), cfg.Linger)
			assert.Equal(t, "", cfg.ClientID)
			assert.Equal(t, kafkaclient.ToggleDefault, cfg.Idempotence)
			assert.Zero(t, cfg.MaxMessageBytes)

			got := p.Config()
			assert.Equal(t, 5*time.Millisecond, got.Linger)
			assert.Equal(t, kafkaclient.AcksAll, got.Acks)
			assert.Equal(t, kafkaclient.CompressionNone, got.Compression)
			assert.Equal(t, kafkaclient.PartitionerMurmur2, got.Partitioner)
			assert.Equal(t, 1_000_000, got.MaxMessageBytes)
			assert.Equal(t, 120*time.Second, got.DeliveryTimeout)
			assert.Equal(t, 5, got.MaxInFlight)
			assert.Equal(t, 100_000, got.MaxBufferedMessages)
			assert.Equal(t, 30*time.Second, got.RequestTimeout)
			assert.NotEmpty(t, got.ClientID)
			if e.Caps.Idempotence {
				assert.Equal(t, kafkaclient.ToggleOn, got.Idempotence, "idempotence is on by default where supported")
			} else {
				assert.Equal(t, kafkaclient.ToggleOff, got.Idempotence)
			}

			// The producer keeps its own copy of the slice.
			cfg.BootstrapServers[0] = "mutated:1"
			assert.Equal(t, servers, p.Config().BootstrapServers)
			got.BootstrapServers[0] = "mutated:2"
			assert.Equal(t, servers, p.Config().BootstrapServers, "Config returns a slice the producer still uses")

			topic := e.Topic(t, 1)
			ProduceValues(t, p, topic, "still works")
		},
	},
	{
		Name: "config/bootstrap_servers_required_and_valid",
		Doc:  "A producer without bootstrap servers, or with one that is not host:port, is BAD_CONFIG.",
		Run: func(t *testing.T, e *Env) {
			for _, servers := range [][]string{nil, {}, {"localhost"}, {"localhost:0"}, {"localhost:99999"}, {":9092"}, {"localhost:x"}} {
				cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}}
				p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
				require.Nil(t, p, "servers %q", servers)
				cfgRequireBadConfig(t, e, err, "")
			}
			err := cfgOpenProducerErr(t, e, kafkaclient.ConfigMap{"bootstrap.servers": ""})
			cfgRequireBadConfig(t, e, err, "bootstrap.servers")
		},
	},
}

// cfgOpenProducerErr opens a producer from m plus the cluster's bootstrap
// servers (unless m sets them) and returns the error, failing if it opened.
func cfgOpenProducerErr(t *testing.T, e *Env, m kafkaclient.ConfigMap) error {
	t.Helper()
	full := maps.Clone(m)
	if _, ok := full["bootstrap.servers"]; !ok {
		full["bootstrap.servers"] = strings.Join(e.Cluster.BootstrapServers(), ",")
	}
	p, err := kafkaclient.NewProducerFromMap(full, kafkaclient.WithBackend(e.Backend))
	if err == nil {
		closeWithin(t, p.Close)
		t.Fatalf("config %v opened a producer", m)
	}
	require.Nil(t, p)
	return err
}

// cfgRequireBadConfig asserts that err is BAD_CONFIG from the config step,
// naming key (when not empty) and the backend.
func cfgRequireBadConfig(t *testing.T, e *Env, err error, key string) {
	t.Helper()
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	ke := RequireCode(t, err, kafkaclient.CodeBadConfig)
	assert.Equal(t, e.Backend.Name(), ke.Backend, "error %v", err)
	assert.False(t, ke.Retriable())
	if key != "" {
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", key), "the error names the key")
	}
}

// cfgCloneMap copies m deeply enough to detect changes to slices in it.
func cfgCloneMap(m kafkaclient.ConfigMap) kafkaclient.ConfigMap {
	out := make(kafkaclient.ConfigMap, len(m))
	for k, v := range m {
		if ss, ok := v.([]string); ok {
			v = slices.Clone(ss)
		}
		out[k] = v
	}
	return out
}
