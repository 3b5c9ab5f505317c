package conformance

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/examples/guide"
)

// configCases are the config cases whose outcome depends on the backend: the
// options it is given under its own prefix, and the settings it refuses or
// honours. Config parsing and validation, which happen before a backend sees
// the config, are tested once in the root package (config_test.go,
// validation_test.go). The production profile is the one package guide
// writes out from Confluent's guide, so that the two cannot drift apart.
var configCases = []Case{
	{
		Name: "config/group_protocol_consumer",
		Doc:  "group.protocol=consumer (KIP-848) opens a consumer where the backend declares it, and is UNSUPPORTED where not.",
		Run: func(t *testing.T, e *Env) {
			c, err := kafkaclient.NewConsumerFromMap(kafkaclient.ConfigMap{
				"bootstrap.servers": e.Cluster.BootstrapServers(), "group.id": e.Group(t), "group.protocol": "consumer",
			}, kafkaclient.WithBackend(e.Backend))
			if !e.Caps.ConsumerGroupProtocol {
				RequireUnsupported(t, err)
				assert.Contains(t, err.Error(), "group.protocol=consumer")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, kafkaclient.GroupProtocolConsumer, c.Config().GroupProtocol)
			assert.True(t, c.Capabilities().ConsumerGroupProtocol)
			closeWithin(t, c.Close)
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
			m := guide.ProductionProducerConfig(strings.Join(e.Cluster.BootstrapServers(), ","))
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
			assert.Equal(t, "order-service-producer", cfg.ClientID)
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

// asCases check what a backend exposes beyond the common API: its own
// client types, reached with As.
var asCases = []Case{
	{
		Name: "as/targets",
		Doc:  "As with a target of an unrelated type is false, without panic, on a producer, a consumer (before and after Subscribe) and an admin; the backend's documented targets are reached (Harness.As).",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			c := e.Consumer(t, e.Group(t), nil)
			a := e.Admin(t)
			unrelated := func(t *testing.T, client string, as func(any) bool) {
				t.Helper()
				for _, target := range []any{new(*int), new(int), new(*struct{}), new(*kafkaclient.Producer)} {
					var ok bool
					require.NotPanics(t, func() { ok = as(target) }, "%s.As(%T)", client, target)
					require.False(t, ok, "%s.As(%T)", client, target)
				}
			}
			unrelated(t, "Producer", p.As)
			unrelated(t, "Consumer", c.As)
			// Subscribed, and a member of the group: a consumer closed in
			// the middle of its first join may wait for the rebalance.
			ProduceValues(t, p, topic, "v")
			require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
			PollN(t, c, 1)
			unrelated(t, "Consumer", c.As)
			unrelated(t, "Admin", a.As)
			if len(e.as.Producer)+len(e.as.Consumer)+len(e.as.Admin) == 0 {
				t.Log("Harness.As is empty: the backend's own targets are not checked")
			}
			for client, c := range map[string]struct {
				as      func(any) bool
				targets []any
			}{"Producer": {p.As, e.as.Producer}, "Consumer": {c.As, e.as.Consumer}, "Admin": {a.As, e.as.Admin}} {
				for _, target := range c.targets {
					require.True(t, c.as(target), "%s.As(%T)", client, target)
					require.False(t, reflect.ValueOf(target).Elem().IsNil(), "%s.As(%T) set a nil value", client, target)
				}
			}
		},
	},
}
