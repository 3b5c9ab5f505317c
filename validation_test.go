package kafkaclient_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// Config validation and topic-name checks happen in this package before a
// backend sees the config or the call, so they are tested here once, on the
// in-memory mock backend (or on the embedded broker where a consumer or an
// admin must exist), rather than once per backend in the conformance suite.

// mockServers is a syntactically valid bootstrap address: nothing connects
// to it, the mock backend never dials and refused configs never open.
const mockServers = "127.0.0.1:9092"

// requireCode asserts that err is an *Error with sentinel's code, that
// errors.Is matches the sentinel, and that the message names the code.
func requireCode(t *testing.T, err error, sentinel *kafkaclient.Error, msgAndArgs ...any) *kafkaclient.Error {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke, "error %v (%T) is not a *kafkaclient.Error", err, err)
	require.Equal(t, kafkaclient.CodeName(sentinel.Code), kafkaclient.CodeName(ke.Code), append([]any{"error: %v; "}, err)...)
	require.ErrorIs(t, err, sentinel, msgAndArgs...)
	assert.Contains(t, err.Error(), kafkaclient.CodeName(sentinel.Code))
	return ke
}

// requireBadConfig asserts that err is a non-retriable BAD_CONFIG from the
// config step of backendName's client, naming key when key is set.
func requireBadConfig(t *testing.T, err error, backendName, key string) {
	t.Helper()
	ke := requireCode(t, err, kafkaclient.ErrBadConfig)
	assert.Equal(t, backendName, ke.Backend, "the error names the backend; error %v", err)
	assert.False(t, ke.Retriable(), "error %v", err)
	assert.False(t, kafkaclient.IsRetriable(err), "error %v", err)
	if key != "" {
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", key), "the error names the key")
	}
}

// requireUnsupported asserts that err is the typed ErrUnsupported, which is
// also the standard library's errors.ErrUnsupported.
func requireUnsupported(t *testing.T, err error) {
	t.Helper()
	requireCode(t, err, kafkaclient.ErrUnsupported)
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

// callErr runs fn, failing the test if it panics, and returns its error.
func callErr(t *testing.T, what string, fn func() error) error {
	t.Helper()
	var err error
	require.NotPanics(t, func() { err = fn() }, what)
	return err
}

// testCtx returns a context that ends after 30 seconds or with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openFromMapErr opens a client of kind ("producer", "consumer" or "admin")
// on b from m, plus bootstrap servers unless m sets them, and returns the
// error. It fails the test if the client opened, if a client came back
// with the error, or if the call panicked.
func openFromMapErr(t *testing.T, b kafkaclient.Backend, kind string, m kafkaclient.ConfigMap) error {
	t.Helper()
	full := maps.Clone(m)
	if _, ok := full["bootstrap.servers"]; !ok {
		full["bootstrap.servers"] = mockServers
	}
	opt := kafkaclient.WithBackend(b)
	opened, err := openErr(t, "open "+kind, func() (func(context.Context) error, error) {
		switch kind {
		case "producer":
			return closerOf(kafkaclient.NewProducerFromMap(full, opt))
		case "consumer":
			return closerOf(kafkaclient.NewConsumerFromMap(full, opt))
		case "admin":
			return closerOf(kafkaclient.NewAdminFromMap(full, opt))
		}
		t.Fatalf("unknown client kind %q", kind)
		return nil, nil
	})
	if err == nil {
		t.Fatalf("%s config %v opened a client", kind, m)
	}
	require.False(t, opened, "a client is returned with an error")
	return err
}

// openTypedErr opens a producer (for a ProducerConfig) or a consumer (for
// a ConsumerConfig) on b and returns the error, failing the test if the
// client opened or the call panicked.
func openTypedErr(t *testing.T, b kafkaclient.Backend, cfg any) error {
	t.Helper()
	opened, err := openErr(t, "open", func() (func(context.Context) error, error) {
		switch cfg := cfg.(type) {
		case kafkaclient.ProducerConfig:
			return closerOf(kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(b)))
		case kafkaclient.ConsumerConfig:
			return closerOf(kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(b)))
		}
		t.Fatalf("unknown config type %T", cfg)
		return nil, nil
	})
	if opened {
		t.Fatalf("config %+v opened a client", cfg)
	}
	return err
}

// openErr calls open, failing the test if it panics, and returns its error
// and whether it returned a client, which it closes.
func openErr(t *testing.T, what string, open func() (func(context.Context) error, error)) (opened bool, err error) {
	t.Helper()
	var close func(context.Context) error
	err = callErr(t, what, func() error {
		var err error
		close, err = open()
		return err
	})
	if close != nil {
		kafkatest.CloseClient(t, close)
	}
	return close != nil, err
}

// closerOf passes on what a New function returned, with the client's Close
// in place of the client, nil when it returned none.
func closerOf[T any, C interface {
	*T
	Close(context.Context) error
}](c C, err error) (func(context.Context) error, error) {
	if c == nil {
		return nil, err
	}
	return c.Close, err
}

// refusedMap is a ConfigMap that opening a client of kind must refuse with
// BAD_CONFIG naming key (when set) and containing every string of contains
// and none of absent.
type refusedMap struct {
	kind     string
	m        kafkaclient.ConfigMap
	key      string
	contains []string
	absent   []string
}

// requireRefused opens r's client on b and requires that it is refused as r
// says.
func requireRefused(t *testing.T, b kafkaclient.Backend, r refusedMap) {
	t.Helper()
	err := openFromMapErr(t, b, r.kind, r.m)
	requireBadConfig(t, err, b.Name(), r.key)
	for _, s := range r.contains {
		assert.Contains(t, err.Error(), s)
	}
	for _, s := range r.absent {
		assert.NotContains(t, err.Error(), s)
	}
}

// eachValue returns one refusedMap per value of key.
func eachValue(kind, key string, values ...any) []refusedMap {
	out := make([]refusedMap, len(values))
	for i, v := range values {
		out[i] = refusedMap{kind: kind, m: kafkaclient.ConfigMap{key: v}, key: key}
	}
	return out
}

// eachKind returns one refusedMap per client kind for m, naming key.
func eachKind(m kafkaclient.ConfigMap, key string, kinds ...string) []refusedMap {
	out := make([]refusedMap, len(kinds))
	for i, kind := range kinds {
		out[i] = refusedMap{kind: kind, m: m, key: key}
	}
	return out
}

// suggests is a misspelled key of kind whose error must suggest want.
func suggests(kind, key, want string) refusedMap {
	return refusedMap{kind: kind, m: kafkaclient.ConfigMap{key: "x"}, key: key, contains: []string{fmt.Sprintf("did you mean %q", want)}}
}

// withValueInError additionally requires each value to appear in the error.
func withValueInError(rs []refusedMap) []refusedMap {
	for i := range rs {
		for _, v := range rs[i].m {
			rs[i].contains = append(rs[i].contains, fmt.Sprint(v))
		}
	}
	return rs
}

func TestConfigMapRefusedOnEveryClient(t *testing.T) {
	groups := []struct {
		name string
		maps []refusedMap
	}{
		{"unknown keys are refused naming the key, for producers, consumers and admins", func() []refusedMap {
			var rs []refusedMap
			for _, key := range []string{"foo", "foo.bar.baz", "log.level", "max.request.size", "zzz.linger.ms", "bootstrap.servers.extra"} {
				rs = append(rs, eachKind(kafkaclient.ConfigMap{key: "1"}, key, "producer", "consumer", "admin")...)
			}
			return rs
		}()},
		{"misspelled keys are refused suggesting the right one", []refusedMap{
			suggests("producer", "lingr.ms", "linger.ms"),
			suggests("producer", "enable.idempotance", "enable.idempotence"),
			suggests("producer", "compresion.type", "compression.type"),
			suggests("producer", "Acks", "acks"),
			suggests("consumer", "group.idd", "group.id"),
			suggests("consumer", "auto.offset.rest", "auto.offset.reset"),
			suggests("consumer", "sesion.timeout.ms", "session.timeout.ms"),
			suggests("admin", "client.idd", "client.id"),
			suggests("admin", "security.protocl", "security.protocol"),
			suggests("admin", "sasl.pasword", "sasl.password"),
		}},
		{"a key of another kind of client is refused naming the key", []refusedMap{
			{kind: "producer", m: kafkaclient.ConfigMap{"session.timeout.ms": 10000}, key: "session.timeout.ms"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"acks": "all"}, key: "acks"},
			{kind: "admin", m: kafkaclient.ConfigMap{"linger.ms": 5}, key: "linger.ms"},
			{kind: "admin", m: kafkaclient.ConfigMap{"group.id": "g"}, key: "group.id"},
		}},
		{"acks out of range is refused", eachValue("producer", "acks", "7", 7, 2, "-2", "many", "")},
		{"a negative linger is refused", append(
			eachValue("producer", "linger.ms", -1, "-5", int64(-1000), float64(-1)),
			eachValue("producer", "queue.buffering.max.ms", -1, "-5", int64(-1000), float64(-1))...)},
		{"an unknown compression codec is refused naming the value", withValueInError(eachValue("producer", "compression.type", "brotli", "gzip2", "", 3))},
		{"a batch size below 1 is refused", eachValue("producer", "batch.size", 0, "0", -1, "-100", math.MinInt32)},
		{"a value that is not a whole number in range is refused", append(
			eachValue("consumer", "session.timeout.ms", "abc", "1.5", 1.5, "10s", "99999999999999999999", int64(math.MaxInt64)),
			eachValue("admin", "request.timeout.ms", "abc", true)...)},
		{"negative fetch sizes and a zero fetch.min.bytes are refused", []refusedMap{
			{kind: "consumer", m: kafkaclient.ConfigMap{"fetch.max.bytes": -1}, key: "fetch.max.bytes"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"fetch.min.bytes": "0"}, key: "fetch.min.bytes"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"max.partition.fetch.bytes": "-1"}, key: "max.partition.fetch.bytes"},
		}},
		{"a value of an unusable type is refused", eachValue("producer", "linger.ms", struct{}{}, map[string]int{"a": 1}, []int{1}, nil, 1.25, []byte("5"))},
		{"unknown enum values are refused naming the key", []refusedMap{
			{kind: "consumer", m: kafkaclient.ConfigMap{"group.id": "g", "auto.offset.reset": "oldest"}, key: "auto.offset.reset"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"group.id": "g", "isolation.level": "serializable"}, key: "isolation.level"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"group.id": "g", "partition.assignment.strategy": "range,magic"}, key: "partition.assignment.strategy"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"group.id": "g", "enable.auto.commit": "maybe"}, key: "enable.auto.commit"},
			{kind: "producer", m: kafkaclient.ConfigMap{"partitioner": "random"}, key: "partitioner"},
			{kind: "producer", m: kafkaclient.ConfigMap{"enable.idempotence": "perhaps"}, key: "enable.idempotence"},
		}},
		{"bad security settings are refused, never showing the password", []refusedMap{
			{kind: "producer", m: kafkaclient.ConfigMap{"security.protocol": "TLS"}, key: "security.protocol"},
			{kind: "consumer", m: kafkaclient.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI", "sasl.username": "u"}, key: "sasl.mechanism"},
			{kind: "admin", m: kafkaclient.ConfigMap{"security.protocol": "SASL_PLAINTEXT", "sasl.password": "pw-in-test"}, absent: []string{"pw-in-test"}},
			{kind: "admin", m: kafkaclient.ConfigMap{"sasl.username": "u", "sasl.password": "pw-in-test"}, absent: []string{"pw-in-test"}},
			{kind: "producer", m: kafkaclient.ConfigMap{"ssl.ca.location": "/nonexistent/ca.pem"}},
			{kind: "producer", m: kafkaclient.ConfigMap{"security.protocol": "SSL", "ssl.certificate.location": "/x/cert.pem"}},
			{kind: "producer", m: kafkaclient.ConfigMap{"security.protocol": "SSL", "ssl.ca.location": "/x/ca.pem", "ssl.ca.pem": "x"}},
			{kind: "consumer", m: kafkaclient.ConfigMap{"security.protocol": "SSL", "ssl.certificate.pem": "c", "ssl.key.location": "/k", "ssl.key.pem": "key-in-test"}, absent: []string{"key-in-test"}},
			{kind: "admin", m: kafkaclient.ConfigMap{"security.protocol": "SSL", "ssl.certificate.pem": "c"}},
			{kind: "admin", m: kafkaclient.ConfigMap{"security.protocol": "SSL", "ssl.key.password": "kpw-in-test"}, absent: []string{"kpw-in-test"}},
			{kind: "producer", m: kafkaclient.ConfigMap{"ssl.key.pem": "key-in-test", "ssl.certificate.pem": "c"}, absent: []string{"key-in-test"}},
		}},
		{"message.max.bytes outside 1000..1000000000 is refused", eachValue("producer", "message.max.bytes", 10, "999", 2_000_000_000, -1)},
	}
	b := kafkatest.NewMock()
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, r := range g.maps {
				t.Run(fmt.Sprintf("%s %v", r.kind, r.m), func(t *testing.T) { requireRefused(t, b, r) })
			}
		})
	}
}

func TestTypedConfigRefused(t *testing.T) {
	servers := kafkaclient.ClientConfig{BootstrapServers: []string{mockServers}}
	producer := func(edit func(*kafkaclient.ProducerConfig)) any {
		cfg := kafkaclient.ProducerConfig{ClientConfig: servers}
		edit(&cfg)
		return cfg
	}
	consumer := func(edit func(*kafkaclient.ConsumerConfig)) any {
		cfg := kafkaclient.ConsumerConfig{ClientConfig: servers, GroupID: "group", AutoOffsetReset: kafkaclient.OffsetResetEarliest}
		edit(&cfg)
		return cfg
	}
	cases := []struct {
		name string
		cfg  any
	}{
		{"acks out of range", producer(func(c *kafkaclient.ProducerConfig) { c.Acks = kafkaclient.Acks(7) })},
		{"compression below range", producer(func(c *kafkaclient.ProducerConfig) { c.Compression = kafkaclient.Compression(-1) })},
		{"compression above range", producer(func(c *kafkaclient.ProducerConfig) { c.Compression = kafkaclient.Compression(42) })},
		{"negative batch size", producer(func(c *kafkaclient.ProducerConfig) { c.BatchSize = -1 })},
		{"partitioner out of range", producer(func(c *kafkaclient.ProducerConfig) { c.Partitioner = kafkaclient.Partitioner(9) })},
		{"idempotence toggle out of range", producer(func(c *kafkaclient.ProducerConfig) { c.Idempotence = kafkaclient.Toggle(9) })},
		{"negative max message bytes", producer(func(c *kafkaclient.ProducerConfig) { c.MaxMessageBytes = -1 })},
		{"negative delivery timeout", producer(func(c *kafkaclient.ProducerConfig) { c.DeliveryTimeout = -time.Second })},
		{"negative max in flight", producer(func(c *kafkaclient.ProducerConfig) { c.MaxInFlight = -1 })},
		{"negative request timeout", producer(func(c *kafkaclient.ProducerConfig) { c.RequestTimeout = -time.Second })},
		{"unknown security protocol", producer(func(c *kafkaclient.ProducerConfig) { c.Security.Protocol = "QUIC" })},
		{"bootstrap server without port", producer(func(c *kafkaclient.ProducerConfig) { c.BootstrapServers = []string{"localhost"} })},
		{"bootstrap server with port above 65535", producer(func(c *kafkaclient.ProducerConfig) { c.BootstrapServers = []string{"localhost:99999"} })},
		{"no bootstrap servers", producer(func(c *kafkaclient.ProducerConfig) { c.BootstrapServers = nil })},
		{"negative fetch max bytes", consumer(func(c *kafkaclient.ConsumerConfig) { c.FetchMaxBytes = -1 })},
		{"negative max partition fetch bytes", consumer(func(c *kafkaclient.ConsumerConfig) { c.MaxPartitionFetchBytes = -1 })},
		{"negative session timeout", consumer(func(c *kafkaclient.ConsumerConfig) { c.SessionTimeout = -time.Second })},
		{"heartbeat not below the session timeout", consumer(func(c *kafkaclient.ConsumerConfig) { c.HeartbeatInterval = time.Minute })},
		{"offset reset out of range", consumer(func(c *kafkaclient.ConsumerConfig) { c.AutoOffsetReset = kafkaclient.OffsetReset(9) })},
		{"isolation level out of range", consumer(func(c *kafkaclient.ConsumerConfig) { c.IsolationLevel = kafkaclient.IsolationLevel(9) })},
		{"unknown assignor", consumer(func(c *kafkaclient.ConsumerConfig) { c.Assignors = []kafkaclient.Assignor{"magic"} })},
	}
	b := kafkatest.NewMock()
	for _, c := range cases {
		t.Run(c.name+" is BAD_CONFIG", func(t *testing.T) {
			requireBadConfig(t, openTypedErr(t, b, c.cfg), b.Name(), "")
		})
	}
}

// badTopicNames are topic names Kafka refuses, each with why.
var badTopicNames = []struct{ why, name string }{
	{"empty", ""},
	{"dot", "."},
	{"dot dot", ".."},
	{"250 characters", strings.Repeat("a", 250)},
	{"space", "has space"},
	{"slash", "a/b"},
	{"non-ASCII letter", "tópico"},
	{"NUL", "a\x00b"},
	{"semicolon", "semi;colon"},
	{"tab", "tab\t"},
}

func TestInvalidTopicNames(t *testing.T) {
	cluster := kafkatest.NewCluster(t)
	valid := cluster.CreateTopic(t, 1)
	consumer := func(t *testing.T, group string) *kafkaclient.Consumer {
		c, err := kafkaclient.NewConsumer(cluster.ConsumerConfig(group))
		require.NoError(t, err)
		t.Cleanup(func() { kafkatest.CloseClient(t, c.Close) })
		return c
	}
	admin := func(t *testing.T) *kafkaclient.Admin {
		a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
		require.NoError(t, err)
		t.Cleanup(func() { kafkatest.CloseClient(t, a.Close) })
		return a
	}

	t.Run("produce and produce sync are refused at once, report nothing, and the producer still delivers", func(t *testing.T) {
		p, mock := kafkatest.NewMockProducer(t)
		var reports atomic.Int32
		for _, bad := range badTopicNames {
			t.Run(bad.why, func(t *testing.T) {
				for _, key := range [][]byte{nil, []byte("k")} {
					err := callErr(t, "produce", func() error {
						return p.Produce(testCtx(t), kafkaclient.NewMessage(bad.name, key, []byte("v")), func(*kafkaclient.Message, error) { reports.Add(1) })
					})
					requireCode(t, err, kafkaclient.ErrInvalidTopicException, "topic %q, key %q", bad.name, key)
					err = callErr(t, "produce sync", func() error { return p.ProduceSync(testCtx(t), kafkaclient.NewMessage(bad.name, key, []byte("v"))) })
					requireCode(t, err, kafkaclient.ErrInvalidTopicException, "topic %q, key %q", bad.name, key)
				}
			})
		}
		m := kafkaclient.NewMessage("valid", []byte("still"), []byte("usable"))
		require.NoError(t, callErr(t, "produce sync", func() error { return p.ProduceSync(testCtx(t), m) }), "the producer still delivers")
		assert.GreaterOrEqual(t, m.Offset, int64(0))
		assert.Zero(t, reports.Load(), "delivery reports for refused messages")
		assert.Len(t, mock.Messages(), 1, "only the valid message reached the backend")
	})

	t.Run("subscribe is refused, alone or next to a valid topic, and leaves no subscription", func(t *testing.T) {
		c := consumer(t, kafkatest.UniqueName(t, "group"))
		for _, bad := range badTopicNames {
			t.Run(bad.why, func(t *testing.T) {
				err := callErr(t, "subscribe", func() error { return c.Subscribe(testCtx(t), []string{bad.name}, nil) })
				requireCode(t, err, kafkaclient.ErrInvalidTopicException, "topic %q", bad.name)
				err = callErr(t, "subscribe", func() error { return c.Subscribe(testCtx(t), []string{valid, bad.name}, nil) })
				requireCode(t, err, kafkaclient.ErrInvalidTopicException, "a valid topic next to %q", bad.name)
			})
		}
		_, err := c.Poll(testCtx(t))
		requireCode(t, err, kafkaclient.ErrState, "a refused Subscribe leaves no subscription")
	})

	t.Run("assign is refused (UNSUPPORTED without manual assignment) and leaves no assignment", func(t *testing.T) {
		c := consumer(t, "")
		for _, bad := range badTopicNames {
			t.Run(bad.why, func(t *testing.T) {
				err := callErr(t, "assign", func() error {
					return c.Assign(testCtx(t), []kafkaclient.TopicPartition{{Topic: bad.name, Partition: 0, Offset: kafkaclient.OffsetBeginning}})
				})
				if !c.Capabilities().ManualAssign {
					requireUnsupported(t, err)
					return
				}
				requireCode(t, err, kafkaclient.ErrInvalidTopicException, "topic %q", bad.name)
			})
		}
		_, err := c.Poll(testCtx(t))
		requireCode(t, err, kafkaclient.ErrState, "a refused Assign leaves no assignment")
	})

	// Each call names the topic; every call of a group is refused for each
	// bad name, and the admin then still works.
	type adminCall struct {
		op   string
		call func(ctx context.Context, a *kafkaclient.Admin, topic string) error
	}
	adminGroups := []struct {
		name  string
		calls []adminCall
	}{
		{"create topics is refused for the whole call and the admin still works", []adminCall{
			{"create topics", func(ctx context.Context, a *kafkaclient.Admin, topic string) error {
				_, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1})
				return err
			}},
		}},
		{"delete topics is refused and the admin still works", []adminCall{
			{"delete topics", func(ctx context.Context, a *kafkaclient.Admin, topic string) error {
				_, err := a.DeleteTopics(ctx, topic)
				return err
			}},
		}},
		{"describe topics, describe configs and create partitions are refused and the admin still works", []adminCall{
			{"describe topics", func(ctx context.Context, a *kafkaclient.Admin, topic string) error {
				_, err := a.DescribeTopics(ctx, topic)
				return err
			}},
			{"describe configs", func(ctx context.Context, a *kafkaclient.Admin, topic string) error {
				_, err := a.DescribeTopicConfigs(ctx, topic)
				return err
			}},
			{"create partitions", func(ctx context.Context, a *kafkaclient.Admin, topic string) error {
				return a.CreatePartitions(ctx, topic, 3)
			}},
		}},
	}
	for _, g := range adminGroups {
		t.Run(g.name, func(t *testing.T) {
			a := admin(t)
			for _, bad := range badTopicNames {
				t.Run(bad.why, func(t *testing.T) {
					for _, c := range g.calls {
						err := callErr(t, c.op, func() error { return c.call(testCtx(t), a, bad.name) })
						requireCode(t, err, kafkaclient.ErrInvalidTopicException, "%s, topic %q", c.op, bad.name)
					}
				})
			}
			_, err := a.DescribeCluster(testCtx(t))
			require.NoError(t, err, "the admin still works")
		})
	}
}

// TestProducerCheck checks that Check refuses what Produce refuses, with
// the same codes, sends nothing and changes nothing.
func TestProducerCheck(t *testing.T) {
	p, mock := kafkatest.NewMockProducer(t)
	ok := kafkaclient.NewMessage("t", []byte("k"), []byte("v"))
	ok.Partition = 7 // the partitioner decides: ignored, as by Produce
	require.NoError(t, p.Check(ok, kafkaclient.NewMessage("u", nil, nil)))
	assert.Equal(t, int32(7), ok.Partition, "Check changes nothing")
	big := kafkaclient.NewMessage("t", nil, make([]byte, p.Config().MaxMessageBytes+1))
	for _, c := range []struct {
		name string
		msgs []*kafkaclient.Message
		code kafkaclient.Code
	}{
		{"nil message", []*kafkaclient.Message{ok, nil}, kafkaclient.CodeInvalidArg},
		{"bad topic", []*kafkaclient.Message{kafkaclient.NewMessage("bad topic", nil, nil)}, kafkaclient.CodeInvalidTopicException},
		{"too large", []*kafkaclient.Message{ok, big}, kafkaclient.CodeMessageTooLarge},
		{"bad timestamp", []*kafkaclient.Message{{Topic: "t", Timestamp: time.Unix(-5, 0)}}, kafkaclient.CodeInvalidArg},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := p.Check(c.msgs...)
			require.Equal(t, c.code, kafkaclient.CodeOf(err), "%v", err)
			perr := p.Produce(t.Context(), c.msgs[len(c.msgs)-1], nil)
			assert.Equal(t, c.code, kafkaclient.CodeOf(perr), "Produce agrees: %v", perr)
		})
	}
	assert.Empty(t, mock.Messages(), "Check sends nothing")
}
