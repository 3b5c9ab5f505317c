package kafkaclient_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/examples/guide"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TestParseProducerConfigGuideKeys checks that the guide's production
// producer config, as package guide writes it out, parses to the settings
// the guide describes.
func TestParseProducerConfigGuideKeys(t *testing.T) {
	m := guide.ProductionProducerConfig("kafka-1:9092,kafka-2:9092,kafka-3:9092")
	before := maps.Clone(m)
	cfg, err := kafkaclient.ParseProducerConfig(m)
	require.NoError(t, err)
	assert.Equal(t, before, m, "the caller's map is not modified")
	assert.Equal(t, []string{"kafka-1:9092", "kafka-2:9092", "kafka-3:9092"}, cfg.BootstrapServers)
	assert.Equal(t, "order-service-producer", cfg.ClientID)
	assert.Equal(t, kafkaclient.AcksAll, cfg.Acks)
	assert.Equal(t, kafkaclient.ToggleOn, cfg.Idempotence)
	assert.Equal(t, 0, cfg.Retries, "max int retries means the default: retry until the delivery timeout")
	assert.Equal(t, 120*time.Second, cfg.DeliveryTimeout)
	assert.Equal(t, 5, cfg.MaxInFlight)
	assert.Equal(t, 65536, cfg.BatchSize)
	assert.Equal(t, 10*time.Millisecond, cfg.Linger)
	assert.Equal(t, 100000, cfg.MaxBufferedMessages)
	assert.Equal(t, int64(1048576*1024), cfg.MaxBufferedBytes)
	assert.Equal(t, kafkaclient.CompressionLZ4, cfg.Compression)
}

// TestParseConsumerConfigGuideKeys does the same for the guide's
// production consumer config, with read_committed added.
func TestParseConsumerConfigGuideKeys(t *testing.T) {
	m := guide.ProductionConsumerConfig("kafka-1:9092", "order-processors")
	m["isolation.level"] = "read_committed"
	cfg, err := kafkaclient.ParseConsumerConfig(m)
	require.NoError(t, err)
	assert.Equal(t, "order-processors", cfg.GroupID)
	assert.Equal(t, "order-processor-1", cfg.ClientID)
	assert.True(t, cfg.DisableAutoCommit)
	assert.Equal(t, kafkaclient.OffsetResetEarliest, cfg.AutoOffsetReset)
	assert.Equal(t, 45*time.Second, cfg.SessionTimeout)
	assert.Equal(t, 15*time.Second, cfg.HeartbeatInterval)
	assert.Equal(t, 300*time.Second, cfg.MaxPollInterval)
	assert.Equal(t, 1, cfg.FetchMinBytes)
	assert.Equal(t, 52428800, cfg.FetchMaxBytes)
	assert.Equal(t, 1048576, cfg.MaxPartitionFetchBytes)
	assert.Equal(t, []kafkaclient.Assignor{kafkaclient.AssignorCooperativeSticky}, cfg.Assignors)
	assert.Equal(t, kafkaclient.IsolationReadCommitted, cfg.IsolationLevel)
}

func TestConfigErrors(t *testing.T) {
	base := func(kv ...any) kafkaclient.ConfigMap {
		m := kafkaclient.ConfigMap{"bootstrap.servers": "127.0.0.1:9092"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name     string
		m        kafkaclient.ConfigMap
		consumer bool
		code     kafkaclient.Code
		contains []string
	}{
		{"unknown key suggests the closest", base("linger", 5), false, kafkaclient.CodeBadConfig, []string{`"linger"`, `did you mean "linger.ms"`}},
		{"misspelled key", base("bootstrap.server", "x:1"), false, kafkaclient.CodeBadConfig, []string{`did you mean "bootstrap.servers"`}},
		{"misspelled group id", base("groupid", "g"), true, kafkaclient.CodeBadConfig, []string{`did you mean "group.id"`}},
		{"acks out of range", base("acks", 7), false, kafkaclient.CodeBadConfig, []string{`"acks"`, `"7"`}},
		{"negative linger", base("linger.ms", -5), false, kafkaclient.CodeBadConfig, []string{`"linger.ms"`, `"-5"`}},
		{"unknown compression", base("compression.type", "brotli"), false, kafkaclient.CodeBadConfig, []string{`"brotli"`, "zstd"}},
		{"non-numeric batch size", base("batch.size", "big"), false, kafkaclient.CodeBadConfig, []string{`"batch.size"`, "integer"}},
		{"bad boolean", base("enable.idempotence", "maybe"), false, kafkaclient.CodeBadConfig, []string{`"enable.idempotence"`}},
		{"consumer key on a producer", base("group.id", "g"), false, kafkaclient.CodeBadConfig, []string{`"group.id"`, "consumer setting"}},
		{"producer key on a consumer", base("acks", "all"), true, kafkaclient.CodeBadConfig, []string{`"acks"`, "producer setting"}},
		{"bad offset reset", base("auto.offset.reset", "sometime"), true, kafkaclient.CodeBadConfig, []string{`"auto.offset.reset"`}},
		{"bad assignor", base("partition.assignment.strategy", "magic"), true, kafkaclient.CodeBadConfig, []string{"partition.assignment.strategy"}},
		{"bad isolation level", base("isolation.level", "serializable"), true, kafkaclient.CodeBadConfig, []string{"isolation.level"}},
		{"fractional number", base("linger.ms", 1.5), false, kafkaclient.CodeBadConfig, []string{"whole number"}},
		{"unsupported value type", base("linger.ms", []int{1}), false, kafkaclient.CodeBadConfig, []string{"type"}},
		{"bad security protocol", base("security.protocol", "TLS"), false, kafkaclient.CodeBadConfig, []string{"security.protocol"}},
		{"bad sasl mechanism", base("sasl.mechanism", "GSSAPI"), false, kafkaclient.CodeBadConfig, []string{"sasl.mechanism"}},
		{"unknown backend option", base(kafkaclient.DefaultBackend().Name()+".no.such", "1"), false, kafkaclient.CodeBadConfig, []string{kafkaclient.DefaultBackend().Name() + ".no.such"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.consumer {
				_, err = kafkaclient.NewConsumerFromMap(c.m)
			} else {
				_, err = kafkaclient.NewProducerFromMap(c.m)
			}
			require.Error(t, err)
			var ke *kafkaclient.Error
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, kafkaclient.CodeName(c.code), kafkaclient.CodeName(ke.Code), "%v", err)
			for _, s := range c.contains {
				assert.Contains(t, err.Error(), s)
			}
			assert.Contains(t, err.Error(), "kafkaclient: ")
		})
	}
}

func TestTypedConfigValidation(t *testing.T) {
	servers := []string{"127.0.0.1:9092"}
	cases := []struct {
		name string
		cfg  kafkaclient.ProducerConfig
		code kafkaclient.Code
	}{
		{"no bootstrap servers", kafkaclient.ProducerConfig{}, kafkaclient.CodeBadConfig},
		{"bootstrap server without port", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"kafka"}}}, kafkaclient.CodeBadConfig},
		{"idempotence needs acks=all", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}, Idempotence: kafkaclient.ToggleOn, Acks: kafkaclient.AcksLeader}, kafkaclient.CodeBadConfig},
		{"transactions need idempotence", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}, TransactionalID: "t", Idempotence: kafkaclient.ToggleOff}, kafkaclient.CodeBadConfig},
		{"sasl needs a user", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers, Security: kafkaclient.Security{Protocol: kafkaclient.SecuritySASLPlaintext}}}, kafkaclient.CodeBadConfig},
		{"ssl file without ssl", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers, Security: kafkaclient.Security{CAFile: "/ca.pem"}}}, kafkaclient.CodeBadConfig},
		{"negative batch size", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}, BatchSize: -1}, kafkaclient.CodeBadConfig},
		{"invalid acks value", kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}, Acks: 7}, kafkaclient.CodeBadConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := kafkaclient.NewProducer(c.cfg)
			require.Error(t, err)
			assert.True(t, errors.Is(err, kafkaclient.ErrBadConfig), "%v", err)
		})
	}
}

func TestConsumerConfigValidation(t *testing.T) {
	servers := []string{"127.0.0.1:9092"}
	_, err := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{
		ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers},
		Assignors:    []kafkaclient.Assignor{kafkaclient.AssignorRange, kafkaclient.AssignorCooperativeSticky},
	})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig, "eager and cooperative assignors cannot mix")
	_, err = kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{
		ClientConfig:      kafkaclient.ClientConfig{BootstrapServers: servers},
		SessionTimeout:    time.Second,
		HeartbeatInterval: 2 * time.Second,
	})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig, "heartbeat must be below the session timeout")
}

func TestTypedConfigNotModified(t *testing.T) {
	servers := []string{"127.0.0.1:9092"}
	cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}}
	p, err := kafkaclient.NewProducer(cfg)
	require.NoError(t, err)
	defer p.Close(t.Context()) //nolint:errcheck // nothing was produced
	assert.Zero(t, cfg.Linger, "caller's struct keeps its zero values")
	eff := p.Config()
	assert.Equal(t, 5*time.Millisecond, eff.Linger)
	assert.Equal(t, kafkaclient.ToggleOn, eff.Idempotence, "idempotence defaults on where the backend has it")
	eff.BootstrapServers[0] = "changed:1"
	assert.Equal(t, "127.0.0.1:9092", servers[0], "the effective config does not share the caller's slice")
}

func TestConfigKeysListed(t *testing.T) {
	keys := kafkaclient.ConfigKeys()
	for _, k := range []string{"bootstrap.servers", "client.id", "acks", "enable.idempotence", "retries", "delivery.timeout.ms",
		"max.in.flight.requests.per.connection", "batch.size", "linger.ms", "queue.buffering.max.messages", "queue.buffering.max.kbytes",
		"compression.type", "group.id", "auto.offset.reset", "enable.auto.commit", "session.timeout.ms", "heartbeat.interval.ms",
		"max.poll.interval.ms", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes", "partition.assignment.strategy",
		"transactional.id", "isolation.level", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
		"ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
		"ssl.ca.pem", "ssl.certificate.pem", "ssl.key.pem"} {
		assert.Contains(t, keys, k)
	}
}

func TestProducerConfigMapRefused(t *testing.T) {
	cases := []struct {
		name     string
		m        kafkaclient.ConfigMap
		key      string // named in the error
		contains []string
		absent   []string
	}{
		{"unknown key linger suggests linger.ms", kafkaclient.ConfigMap{"linger": "5"}, "linger", []string{`did you mean "linger.ms"`}, nil},
		{"unknown key bootstrap.server suggests bootstrap.servers", kafkaclient.ConfigMap{"bootstrap.server": "5"}, "bootstrap.server", []string{`did you mean "bootstrap.servers"`}, nil},
		{"unknown key compresion.type suggests compression.type", kafkaclient.ConfigMap{"compresion.type": "5"}, "compresion.type", []string{`did you mean "compression.type"`}, nil},
		{"a key unlike any other gets no suggestion", kafkaclient.ConfigMap{"zzzzzzzzzz": "1"}, "zzzzzzzzzz", nil, []string{"did you mean"}},
		{"acks=7 as a string names the value", kafkaclient.ConfigMap{"acks": "7"}, "acks", []string{"7"}, nil},
		{"acks=7 as a number names the value", kafkaclient.ConfigMap{"acks": 7}, "acks", []string{"7"}, nil},
		{"compression.type=brotli names the value", kafkaclient.ConfigMap{"compression.type": "brotli"}, "compression.type", []string{"brotli"}, nil},
		{"negative linger.ms", kafkaclient.ConfigMap{"linger.ms": "-5"}, "linger.ms", nil, nil},
		{"negative batch.size", kafkaclient.ConfigMap{"batch.size": -1}, "batch.size", nil, nil},
		{"negative delivery.timeout.ms", kafkaclient.ConfigMap{"delivery.timeout.ms": "-1"}, "delivery.timeout.ms", nil, nil},
		{"negative queue.buffering.max.messages", kafkaclient.ConfigMap{"queue.buffering.max.messages": "-10"}, "queue.buffering.max.messages", nil, nil},
		{"linger.ms not a number", kafkaclient.ConfigMap{"linger.ms": "ten"}, "linger.ms", nil, nil},
		{"linger.ms fractional", kafkaclient.ConfigMap{"linger.ms": 1.5}, "linger.ms", nil, nil},
		{"linger.ms a bool", kafkaclient.ConfigMap{"linger.ms": true}, "linger.ms", nil, nil},
		{"linger.ms a slice of ints", kafkaclient.ConfigMap{"linger.ms": []int{1}}, "linger.ms", nil, nil},
		{"consumer key group.id on a producer", kafkaclient.ConfigMap{"group.id": "x"}, "group.id", []string{"consumer"}, nil},
		{"consumer key auto.offset.reset on a producer", kafkaclient.ConfigMap{"auto.offset.reset": "x"}, "auto.offset.reset", []string{"consumer"}, nil},
		{"consumer key enable.auto.commit on a producer", kafkaclient.ConfigMap{"enable.auto.commit": "x"}, "enable.auto.commit", []string{"consumer"}, nil},
		{"empty bootstrap.servers", kafkaclient.ConfigMap{"bootstrap.servers": ""}, "bootstrap.servers", nil, nil},
	}
	b := kafkatest.NewMock()
	for _, c := range cases {
		t.Run(c.name+" is BAD_CONFIG naming the key", func(t *testing.T) {
			requireRefused(t, b, refusedMap{kind: "producer", m: c.m, key: c.key, contains: c.contains, absent: c.absent})
		})
	}
}

func TestParseConsumerConfigRefusesProducerKey(t *testing.T) {
	_, err := kafkaclient.ParseConsumerConfig(kafkaclient.ConfigMap{"linger.ms": 5})
	require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
	assert.Contains(t, err.Error(), "linger.ms")
}

func TestParseAcks(t *testing.T) {
	cases := []struct {
		value any
		want  kafkaclient.Acks
		name  string
	}{
		{"all", kafkaclient.AcksAll, "AcksAll"}, {"-1", kafkaclient.AcksAll, "AcksAll"}, {-1, kafkaclient.AcksAll, "AcksAll"},
		{"1", kafkaclient.AcksLeader, "AcksLeader"}, {1, kafkaclient.AcksLeader, "AcksLeader"},
		{"0", kafkaclient.AcksNone, "AcksNone"}, {0, kafkaclient.AcksNone, "AcksNone"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("acks=%#v parses to %s", c.value, c.name), func(t *testing.T) {
			cfg, err := kafkaclient.ParseProducerConfig(kafkaclient.ConfigMap{"acks": c.value})
			require.NoError(t, err)
			assert.Equal(t, c.want, cfg.Acks)
		})
	}
}

func TestBootstrapServersRequiredAndValid(t *testing.T) {
	b := kafkatest.NewMock()
	for _, servers := range [][]string{nil, {}, {"localhost"}, {"localhost:0"}, {"localhost:99999"}, {":9092"}, {"localhost:x"}} {
		t.Run(fmt.Sprintf("%#v is BAD_CONFIG and opens nothing", servers), func(t *testing.T) {
			cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}}
			p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(b))
			require.Nil(t, p)
			requireBadConfig(t, err, b.Name(), "")
		})
	}
}

func TestConfigMapValueForms(t *testing.T) {
	servers := []string{"127.0.0.1:9092", "127.0.0.2:9093"}
	forms := []struct {
		name string
		m    kafkaclient.ConfigMap
	}{
		{"strings", kafkaclient.ConfigMap{"bootstrap.servers": strings.Join(servers, ","), "linger.ms": "20", "enable.idempotence": "false", "batch.size": "1000"}},
		{"typed values and a []string list", kafkaclient.ConfigMap{"bootstrap.servers": servers, "linger.ms": 20, "enable.idempotence": false, "batch.size": int64(1000)}},
		{"spaced list, whole float64, upper-case bool, int32", kafkaclient.ConfigMap{"bootstrap.servers": strings.Join(servers, " , "), "linger.ms": float64(20), "enable.idempotence": "FALSE", "batch.size": int32(1000)}},
	}
	for _, f := range forms {
		t.Run(f.name+" parse to the same config", func(t *testing.T) {
			cfg, err := kafkaclient.ParseProducerConfig(f.m)
			require.NoError(t, err)
			assert.Equal(t, servers, cfg.BootstrapServers)
			assert.Equal(t, 20*time.Millisecond, cfg.Linger)
			assert.Equal(t, kafkaclient.ToggleOff, cfg.Idempotence)
			assert.Equal(t, 1000, cfg.BatchSize)
		})
	}
	t.Run("linger.ms=0 means send at once, not the default", func(t *testing.T) {
		p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{"bootstrap.servers": servers, "linger.ms": 0}, kafkaclient.WithBackend(kafkatest.NewMock()))
		require.NoError(t, err)
		kafkatest.CloseClient(t, p.Close)
		assert.Equal(t, time.Duration(0), p.Config().Linger)
	})
}

// cloneConfigMap copies m deeply enough to detect changes to slices in it.
func cloneConfigMap(m kafkaclient.ConfigMap) kafkaclient.ConfigMap {
	out := make(kafkaclient.ConfigMap, len(m))
	for k, v := range m {
		if ss, ok := v.([]string); ok {
			v = slices.Clone(ss)
		}
		out[k] = v
	}
	return out
}

func TestConfigMapNotModified(t *testing.T) {
	servers := []string{"127.0.0.1:9092"}
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
	want := cloneConfigMap(m)

	t.Run("parsing leaves the map unchanged and shares no slice with it", func(t *testing.T) {
		cfg, err := kafkaclient.ParseProducerConfig(m)
		require.NoError(t, err)
		assert.Equal(t, want, m)
		cfg.BootstrapServers[0] = "mutated:1"
		assert.Equal(t, want, m, "the parsed config shares a slice with the map")
	})

	t.Run("opening a producer that delivers leaves the map unchanged", func(t *testing.T) {
		opened := maps.Clone(m)
		for k := range opened {
			if strings.HasSuffix(k, ".x") {
				delete(opened, k)
			}
		}
		wantOpened := cloneConfigMap(opened)
		b := kafkatest.NewMock()
		p, err := kafkaclient.NewProducerFromMap(opened, kafkaclient.WithBackend(b))
		require.NoError(t, err)
		require.NoError(t, p.ProduceSync(t.Context(), kafkaclient.NewMessage("topic", nil, []byte("v"))))
		kafkatest.CloseClient(t, p.Close)
		assert.Equal(t, wantOpened, opened)
		assert.Len(t, b.Messages(), 1)
	})

	t.Run("a refused map is left unchanged", func(t *testing.T) {
		bad := kafkaclient.ConfigMap{"bootstrap.servers": servers, "linger.ms": "x", "acks": 7}
		wantBad := cloneConfigMap(bad)
		_, err := kafkaclient.NewProducerFromMap(bad, kafkaclient.WithBackend(kafkatest.NewMock()))
		require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
		assert.Equal(t, wantBad, bad)
		assert.Equal(t, []string{"127.0.0.1:9092"}, servers)
	})
}

// idempotentMock is the mock backend declaring idempotence, so that the
// default that depends on it can be tested both ways.
type idempotentMock struct{ *kafkatest.Mock }

func (idempotentMock) Capabilities() backend.Capabilities {
	return backend.Capabilities{Idempotence: true}
}

// snappylessMock is the mock backend declaring no snappy, like the
// confluent backend on windows.
type snappylessMock struct{ *kafkatest.Mock }

func (snappylessMock) Capabilities() backend.Capabilities {
	return backend.Capabilities{NoSnappy: true}
}

func TestSnappyWithoutTheCapabilityIsUnsupported(t *testing.T) {
	cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"127.0.0.1:9092"}}, Compression: kafkaclient.CompressionSnappy}
	_, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(snappylessMock{kafkatest.NewMock()}))
	require.ErrorIs(t, err, kafkaclient.ErrUnsupported)
	assert.Contains(t, err.Error(), "compression.type=snappy")
	for _, c := range []kafkaclient.Compression{kafkaclient.CompressionNone, kafkaclient.CompressionGzip, kafkaclient.CompressionLZ4, kafkaclient.CompressionZstd} {
		cfg.Compression = c
		p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(snappylessMock{kafkatest.NewMock()}))
		require.NoError(t, err, "compression %v", c)
		require.NoError(t, p.Close(t.Context()))
	}
	cfg.Compression = kafkaclient.CompressionSnappy
	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(kafkatest.NewMock()))
	require.NoError(t, err, "a backend with snappy")
	assert.True(t, p.Capabilities().Snappy)
	require.NoError(t, p.Close(t.Context()))
}

func TestNewProducerCopiesConfigAndAppliesDefaults(t *testing.T) {
	cases := []struct {
		name        string
		backend     kafkaclient.Backend
		idempotence kafkaclient.Toggle
	}{
		{"a backend without idempotence defaults it off", kafkatest.NewMock(), kafkaclient.ToggleOff},
		{"a backend with idempotence defaults it on", idempotentMock{kafkatest.NewMock()}, kafkaclient.ToggleOn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servers := []string{"127.0.0.1:9092", "127.0.0.1:9092"} // duplicates are allowed
			cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: servers}}
			before := cfg
			want := slices.Clone(servers)
			p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(c.backend))
			require.NoError(t, err)
			t.Cleanup(func() { kafkatest.CloseClient(t, p.Close) })

			// The caller's config is not modified.
			assert.Equal(t, want, cfg.BootstrapServers, "BootstrapServers elements changed")
			assert.Equal(t, before.Linger, cfg.Linger)
			assert.Equal(t, time.Duration(0), cfg.Linger)
			assert.Equal(t, "", cfg.ClientID)
			assert.Equal(t, kafkaclient.ToggleDefault, cfg.Idempotence)
			assert.Zero(t, cfg.MaxMessageBytes)

			// Config shows the documented defaults.
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
			assert.Equal(t, c.idempotence, got.Idempotence)

			// The producer keeps its own copy of the slice.
			cfg.BootstrapServers[0] = "mutated:1"
			assert.Equal(t, want, p.Config().BootstrapServers)
			got.BootstrapServers[0] = "mutated:2"
			assert.Equal(t, want, p.Config().BootstrapServers, "Config returns a slice the producer still uses")

			m := kafkaclient.NewMessage("topic", nil, []byte("still works"))
			require.NoError(t, p.ProduceSync(t.Context(), m))
			assert.GreaterOrEqual(t, m.Offset, int64(0))
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("linger.ms", "5")
	f.Add("acks", "all")
	f.Add("compression.type", "zstd")
	f.Add("bootstrap.servers", "a:1,b:2")
	f.Add("partition.assignment.strategy", "range,roundrobin")
	f.Fuzz(func(t *testing.T, key, value string) {
		m := kafkaclient.ConfigMap{"bootstrap.servers": "127.0.0.1:9092", key: value}
		_, perr := kafkaclient.ParseProducerConfig(m)
		_, cerr := kafkaclient.ParseConsumerConfig(m)
		for _, err := range []error{perr, cerr} {
			if err == nil {
				continue
			}
			var ke *kafkaclient.Error
			if !errors.As(err, &ke) || ke.Code != kafkaclient.CodeBadConfig {
				t.Fatalf("config error %v is not a BAD_CONFIG *Error", err)
			}
		}
	})
}

// TestBootstrapServersReachTheBackendTrimmed checks that spaces around a
// bootstrap server given in a ClientConfig, which validation accepts, are
// removed before any backend dials it.
func TestBootstrapServersReachTheBackendTrimmed(t *testing.T) {
	cfg := kafkaclient.ProducerConfig{ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{" h1:9092", "h2:9093\t"}}}
	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(kafkatest.NewMock()))
	require.NoError(t, err)
	defer p.Close(t.Context()) //nolint:errcheck // nothing produced
	assert.Equal(t, []string{"h1:9092", "h2:9093"}, p.Config().BootstrapServers)
}
