package kafkaclient

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Config types and enums, defined in package backend and re-exported here so
// that users need one import. Each field's doc states its default.
type (
	ClientConfig     = backend.ClientConfig
	ProducerConfig   = backend.ProducerConfig
	ConsumerConfig   = backend.ConsumerConfig
	AdminConfig      = backend.AdminConfig
	Security         = backend.Security
	SecurityProtocol = backend.SecurityProtocol
	SASLMechanism    = backend.SASLMechanism
	Toggle           = backend.Toggle
	Acks             = backend.Acks
	Compression      = backend.Compression
	Partitioner      = backend.Partitioner
	OffsetReset      = backend.OffsetReset
	IsolationLevel   = backend.IsolationLevel
	Assignor         = backend.Assignor
)

// Config enum values; see package backend for their docs.
const (
	ToggleDefault = backend.ToggleDefault
	ToggleOn      = backend.ToggleOn
	ToggleOff     = backend.ToggleOff

	AcksAll    = backend.AcksAll
	AcksLeader = backend.AcksLeader
	AcksNone   = backend.AcksNone

	CompressionNone   = backend.CompressionNone
	CompressionGzip   = backend.CompressionGzip
	CompressionSnappy = backend.CompressionSnappy
	CompressionLZ4    = backend.CompressionLZ4
	CompressionZstd   = backend.CompressionZstd

	PartitionerMurmur2 = backend.PartitionerMurmur2
	PartitionerCRC32   = backend.PartitionerCRC32
	PartitionerFNV1a   = backend.PartitionerFNV1a

	OffsetResetLatest   = backend.OffsetResetLatest
	OffsetResetEarliest = backend.OffsetResetEarliest
	OffsetResetNone     = backend.OffsetResetNone

	ReadUncommitted = backend.ReadUncommitted
	ReadCommitted   = backend.ReadCommitted

	AssignorRange             = backend.AssignorRange
	AssignorRoundRobin        = backend.AssignorRoundRobin
	AssignorSticky            = backend.AssignorSticky
	AssignorCooperativeSticky = backend.AssignorCooperativeSticky

	Plaintext     = backend.Plaintext
	SSL           = backend.SSL
	SASLPlaintext = backend.SASLPlaintext
	SASLSSL       = backend.SASLSSL

	SASLPlain       = backend.SASLPlain
	SASLScramSHA256 = backend.SASLScramSHA256
	SASLScramSHA512 = backend.SASLScramSHA512
)

// ConfigMap holds librdkafka-style settings, as in confluent-kafka-go:
// "bootstrap.servers", "acks", "linger.ms", ... Values may be strings, bools,
// or integers (JSON numbers too). Parse it with ParseProducerConfig,
// ParseConsumerConfig or ParseAdminConfig, or pass it to
// NewProducerFromMap and friends.
//
// Keys prefixed with a backend's name and a dot ("confluent.", "franz.",
// "segmentio.") are passed to that backend unchanged in
// ClientConfig.BackendOptions, where the backend validates them; keys for
// another backend than the one in use are ignored, so one map can serve
// every build.
type ConfigMap map[string]any

type clientKind uint8

const (
	kindProducer clientKind = 1 << iota
	kindConsumer
	kindAdmin
	kindAll = kindProducer | kindConsumer | kindAdmin
)

func (k clientKind) String() string {
	switch k {
	case kindProducer:
		return "producer"
	case kindConsumer:
		return "consumer"
	}
	return "admin"
}

// configTarget is what one parse writes into.
type configTarget struct {
	client *backend.ClientConfig
	prod   *backend.ProducerConfig
	cons   *backend.ConsumerConfig
}

type configKey struct {
	name  string
	kinds clientKind
	set   func(t configTarget, v configValue) error
}

// configKeys lists every key the library understands. Aliases used by
// librdkafka or the Java client map to the same fields.
var configKeys = func() map[string]configKey {
	keys := []configKey{
		// Common.
		{"bootstrap.servers", kindAll, func(t configTarget, v configValue) error {
			list, err := v.list()
			t.client.BootstrapServers = list
			return err
		}},
		{"client.id", kindAll, func(t configTarget, v configValue) error {
			t.client.ClientID = v.s
			return nil
		}},
		{"request.timeout.ms", kindAll, func(t configTarget, v configValue) error {
			d, err := v.millis(1)
			t.client.RequestTimeout = d
			return err
		}},
		{"security.protocol", kindAll, func(t configTarget, v configValue) error {
			p, err := v.enum(map[string]string{"plaintext": "PLAINTEXT", "ssl": "SSL", "sasl_plaintext": "SASL_PLAINTEXT", "sasl_ssl": "SASL_SSL"})
			t.client.Security.Protocol = backend.SecurityProtocol(p)
			return err
		}},
		{"sasl.mechanism", kindAll, setMechanism},
		{"sasl.mechanisms", kindAll, setMechanism},
		{"sasl.username", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.Username = v.s
			return nil
		}},
		{"sasl.password", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.Password = v.s
			return nil
		}},
		{"ssl.ca.location", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.CAFile = v.s
			return nil
		}},
		{"ssl.certificate.location", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.CertFile = v.s
			return nil
		}},
		{"ssl.key.location", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.KeyFile = v.s
			return nil
		}},
		{"ssl.key.password", kindAll, func(t configTarget, v configValue) error {
			t.client.Security.KeyPassword = v.s
			return nil
		}},
		{"ssl.endpoint.identification.algorithm", kindAll, func(t configTarget, v configValue) error {
			a, err := v.enum(map[string]string{"https": "https", "none": "none", "": "none"})
			t.client.Security.SkipHostnameVerification = a == "none"
			return err
		}},

		// Producer.
		{"acks", kindProducer, setAcks},
		{"request.required.acks", kindProducer, setAcks},
		{"enable.idempotence", kindProducer, func(t configTarget, v configValue) error {
			b, err := v.bool()
			t.prod.Idempotence = backend.ToggleOff
			if b {
				t.prod.Idempotence = backend.ToggleOn
			}
			return err
		}},
		{"retries", kindProducer, setRetries},
		{"message.send.max.retries", kindProducer, setRetries},
		{"delivery.timeout.ms", kindProducer, setDeliveryTimeout},
		{"message.timeout.ms", kindProducer, setDeliveryTimeout},
		{"max.in.flight.requests.per.connection", kindProducer, setMaxInFlight},
		{"max.in.flight", kindProducer, setMaxInFlight},
		{"batch.size", kindProducer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.prod.BatchSize = n
			return err
		}},
		{"linger.ms", kindProducer, setLinger},
		{"queue.buffering.max.ms", kindProducer, setLinger},
		{"queue.buffering.max.messages", kindProducer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.prod.MaxBufferedMessages = n
			return err
		}},
		{"queue.buffering.max.kbytes", kindProducer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.prod.MaxBufferedBytes = int64(n) * 1024
			return err
		}},
		{"message.max.bytes", kindProducer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1000, 1_000_000_000)
			t.prod.MaxMessageBytes = n
			return err
		}},
		{"compression.type", kindProducer, setCompression},
		{"compression.codec", kindProducer, setCompression},
		{"partitioner", kindProducer, func(t configTarget, v configValue) error {
			p, err := v.enum(map[string]string{
				"murmur2": "murmur2", "murmur2_random": "murmur2",
				"consistent": "crc32", "consistent_random": "crc32", "crc32": "crc32",
				"fnv1a": "fnv1a", "fnv1a_random": "fnv1a",
			})
			switch p {
			case "crc32":
				t.prod.Partitioner = backend.PartitionerCRC32
			case "fnv1a":
				t.prod.Partitioner = backend.PartitionerFNV1a
			default:
				t.prod.Partitioner = backend.PartitionerMurmur2
			}
			return err
		}},
		{"transactional.id", kindProducer, func(t configTarget, v configValue) error {
			t.prod.TransactionalID = v.s
			return nil
		}},
		{"transaction.timeout.ms", kindProducer, func(t configTarget, v configValue) error {
			d, err := v.millis(1000)
			t.prod.TransactionTimeout = d
			return err
		}},

		// Consumer.
		{"group.id", kindConsumer, func(t configTarget, v configValue) error {
			t.cons.GroupID = v.s
			return nil
		}},
		{"group.instance.id", kindConsumer, func(t configTarget, v configValue) error {
			t.cons.GroupInstanceID = v.s
			return nil
		}},
		{"auto.offset.reset", kindConsumer, func(t configTarget, v configValue) error {
			r, err := v.enum(map[string]string{
				"earliest": "earliest", "smallest": "earliest", "beginning": "earliest",
				"latest": "latest", "largest": "latest", "end": "latest",
				"none": "none", "error": "none",
			})
			switch r {
			case "earliest":
				t.cons.AutoOffsetReset = backend.OffsetResetEarliest
			case "none":
				t.cons.AutoOffsetReset = backend.OffsetResetNone
			default:
				t.cons.AutoOffsetReset = backend.OffsetResetLatest
			}
			return err
		}},
		{"enable.auto.commit", kindConsumer, func(t configTarget, v configValue) error {
			b, err := v.bool()
			t.cons.DisableAutoCommit = !b
			return err
		}},
		{"auto.commit.interval.ms", kindConsumer, func(t configTarget, v configValue) error {
			d, err := v.millis(1)
			t.cons.AutoCommitInterval = d
			return err
		}},
		{"session.timeout.ms", kindConsumer, func(t configTarget, v configValue) error {
			d, err := v.millis(1)
			t.cons.SessionTimeout = d
			return err
		}},
		{"heartbeat.interval.ms", kindConsumer, func(t configTarget, v configValue) error {
			d, err := v.millis(1)
			t.cons.HeartbeatInterval = d
			return err
		}},
		{"max.poll.interval.ms", kindConsumer, func(t configTarget, v configValue) error {
			d, err := v.millis(1)
			t.cons.MaxPollInterval = d
			return err
		}},
		{"fetch.min.bytes", kindConsumer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.cons.FetchMinBytes = n
			return err
		}},
		{"fetch.max.bytes", kindConsumer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.cons.FetchMaxBytes = n
			return err
		}},
		{"max.partition.fetch.bytes", kindConsumer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.cons.MaxPartitionFetchBytes = n
			return err
		}},
		{"fetch.wait.max.ms", kindConsumer, setFetchWait},
		{"fetch.max.wait.ms", kindConsumer, setFetchWait},
		{"partition.assignment.strategy", kindConsumer, func(t configTarget, v configValue) error {
			list, err := v.list()
			if err != nil {
				return err
			}
			t.cons.Assignors = t.cons.Assignors[:0]
			for _, s := range list {
				a := backend.Assignor(strings.ToLower(s))
				switch a {
				case backend.AssignorRange, backend.AssignorRoundRobin, backend.AssignorSticky, backend.AssignorCooperativeSticky:
				default:
					return v.bad("want a comma-separated list of range, roundrobin, sticky, cooperative-sticky")
				}
				t.cons.Assignors = append(t.cons.Assignors, a)
			}
			return nil
		}},
		{"isolation.level", kindConsumer, func(t configTarget, v configValue) error {
			l, err := v.enum(map[string]string{"read_committed": "rc", "read_uncommitted": "ru"})
			t.cons.IsolationLevel = backend.ReadUncommitted
			if l == "rc" {
				t.cons.IsolationLevel = backend.ReadCommitted
			}
			return err
		}},
	}
	m := make(map[string]configKey, len(keys))
	for _, k := range keys {
		m[k.name] = k
	}
	return m
}()

func setMechanism(t configTarget, v configValue) error {
	m, err := v.enum(map[string]string{"plain": "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512"})
	t.client.Security.Mechanism = backend.SASLMechanism(m)
	return err
}

func setAcks(t configTarget, v configValue) error {
	a, err := v.enum(map[string]string{"all": "all", "-1": "all", "1": "1", "0": "0"})
	switch a {
	case "1":
		t.prod.Acks = backend.AcksLeader
	case "0":
		t.prod.Acks = backend.AcksNone
	default:
		t.prod.Acks = backend.AcksAll
	}
	if err != nil {
		return v.bad("want all, -1, 1 or 0")
	}
	return nil
}

func setRetries(t configTarget, v configValue) error {
	n, err := v.intRange(0, math.MaxInt32)
	t.prod.Retries = n
	if n == 0 {
		t.prod.Retries = -1
	}
	if n == math.MaxInt32 {
		t.prod.Retries = 0 // "retry forever" is the default: until the delivery timeout
	}
	return err
}

func setDeliveryTimeout(t configTarget, v configValue) error {
	d, err := v.millis(1)
	t.prod.DeliveryTimeout = d
	return err
}

func setMaxInFlight(t configTarget, v configValue) error {
	n, err := v.intRange(1, 1_000_000)
	t.prod.MaxInFlight = n
	return err
}

func setLinger(t configTarget, v configValue) error {
	d, err := v.millis(0)
	t.prod.Linger = d
	if d == 0 {
		t.prod.Linger = -1
	}
	return err
}

func setCompression(t configTarget, v configValue) error {
	c, err := v.enum(map[string]string{"none": "none", "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"})
	switch c {
	case "gzip":
		t.prod.Compression = backend.CompressionGzip
	case "snappy":
		t.prod.Compression = backend.CompressionSnappy
	case "lz4":
		t.prod.Compression = backend.CompressionLZ4
	case "zstd":
		t.prod.Compression = backend.CompressionZstd
	default:
		t.prod.Compression = backend.CompressionNone
	}
	return err
}

func setFetchWait(t configTarget, v configValue) error {
	d, err := v.millis(0)
	t.cons.FetchMaxWait = d
	return err
}

// configValue is one key's value, normalised to a string.
type configValue struct {
	key string
	s   string
	raw any
}

func (v configValue) bad(want string) error {
	return newError("config", CodeBadConfig, "config key %q has invalid value %q: %s", v.key, v.s, want)
}

func (v configValue) intRange(lo, hi int) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	if err != nil {
		return 0, v.bad("want an integer")
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, v.bad(fmt.Sprintf("want an integer from %d to %d", lo, hi))
	}
	return int(n), nil
}

func (v configValue) millis(lo int) (time.Duration, error) {
	n, err := v.intRange(lo, math.MaxInt32)
	return time.Duration(n) * time.Millisecond, err
}

func (v configValue) bool() (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v.s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, v.bad("want true or false")
}

func (v configValue) enum(values map[string]string) (string, error) {
	if out, ok := values[strings.ToLower(strings.TrimSpace(v.s))]; ok {
		return out, nil
	}
	want := slices.Sorted(maps.Keys(values))
	want = slices.DeleteFunc(want, func(s string) bool { return s == "" })
	return "", v.bad("want one of " + strings.Join(want, ", "))
}

func (v configValue) list() ([]string, error) {
	var out []string
	if ss, ok := v.raw.([]string); ok {
		out = slices.Clone(ss)
	} else {
		for _, s := range strings.Split(v.s, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		return nil, v.bad("want a comma-separated list")
	}
	return out, nil
}

func stringify(key string, raw any) (configValue, error) {
	v := configValue{key: key, raw: raw}
	switch x := raw.(type) {
	case string:
		v.s = x
	case bool:
		v.s = strconv.FormatBool(x)
	case int:
		v.s = strconv.Itoa(x)
	case int32:
		v.s = strconv.FormatInt(int64(x), 10)
	case int64:
		v.s = strconv.FormatInt(x, 10)
	case uint:
		v.s = strconv.FormatUint(uint64(x), 10)
	case float64:
		if x != math.Trunc(x) {
			return v, newError("config", CodeBadConfig, "config key %q has invalid value %v: want a whole number", key, x)
		}
		v.s = strconv.FormatFloat(x, 'f', 0, 64)
	case []string:
		v.s = strings.Join(x, ",")
	case fmt.Stringer:
		v.s = x.String()
	default:
		return v, newError("config", CodeBadConfig, "config key %q has a value of type %T: want a string, bool or integer", key, raw)
	}
	return v, nil
}

// backendPrefixes are the in-repo backends' names. A key prefixed with one
// of them that is not the backend in use is ignored.
var backendPrefixes = []string{"franz", "segmentio", "confluent"}

func parseConfig(m ConfigMap, kind clientKind, backendName string, t configTarget) error {
	keys := slices.Sorted(maps.Keys(m)) // deterministic: the first bad key is always the same one
	for _, key := range keys {
		if prefix, rest, ok := strings.Cut(key, "."); ok && (prefix == backendName || slices.Contains(backendPrefixes, prefix)) {
			if prefix != backendName {
				continue
			}
			v, err := stringify(key, m[key])
			if err != nil {
				return err
			}
			if t.client.BackendOptions == nil {
				t.client.BackendOptions = map[string]string{}
			}
			t.client.BackendOptions[rest] = v.s
			continue
		}
		ck, ok := configKeys[key]
		if !ok {
			msg := fmt.Sprintf("config key %q is unknown", key)
			if s := suggestKey(key); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return newError("config", CodeBadConfig, "%s", msg)
		}
		if ck.kinds&kind == 0 {
			return newError("config", CodeBadConfig, "config key %q is a %s setting; it has no effect on a %s, remove it", key, otherKind(ck.kinds), kind)
		}
		v, err := stringify(key, m[key])
		if err != nil {
			return err
		}
		if err := ck.set(t, v); err != nil {
			return err
		}
	}
	return nil
}

func otherKind(k clientKind) string {
	if k&kindProducer != 0 {
		return "producer"
	}
	return "consumer"
}

// suggestKey returns the known key closest to key, if one is close enough.
func suggestKey(key string) string {
	best, bestDist := "", math.MaxInt
	names := slices.Sorted(maps.Keys(configKeys))
	for _, name := range names {
		if d := editDistance(strings.ToLower(key), name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if bestDist <= max(2, len(key)/3) {
		return best
	}
	// A bare suffix such as "linger" for "linger.ms".
	for _, name := range names {
		if strings.HasPrefix(name, strings.ToLower(key)+".") {
			return name
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ParseProducerConfig parses librdkafka-style keys into a ProducerConfig.
// Unknown keys, consumer-only keys and bad values are errors with
// CodeBadConfig naming the key. Backend-prefixed keys are kept in
// BackendOptions for the default backend only; to target another backend,
// pass the map to [NewProducerFromMap] with [WithBackend].
func ParseProducerConfig(m ConfigMap) (ProducerConfig, error) {
	return parseProducerConfig(m, defaultBackendName())
}

// ParseConsumerConfig parses librdkafka-style keys into a ConsumerConfig,
// with the same rules as ParseProducerConfig.
func ParseConsumerConfig(m ConfigMap) (ConsumerConfig, error) {
	return parseConsumerConfig(m, defaultBackendName())
}

// ParseAdminConfig parses librdkafka-style keys into an AdminConfig, with
// the same rules as ParseProducerConfig. Producer- and consumer-only keys
// are errors.
func ParseAdminConfig(m ConfigMap) (AdminConfig, error) {
	return parseAdminConfig(m, defaultBackendName())
}

func parseProducerConfig(m ConfigMap, backendName string) (ProducerConfig, error) {
	var cfg ProducerConfig
	err := parseConfig(m, kindProducer, backendName, configTarget{client: &cfg.ClientConfig, prod: &cfg})
	return cfg, err
}

func parseConsumerConfig(m ConfigMap, backendName string) (ConsumerConfig, error) {
	var cfg ConsumerConfig
	err := parseConfig(m, kindConsumer, backendName, configTarget{client: &cfg.ClientConfig, cons: &cfg})
	return cfg, err
}

func parseAdminConfig(m ConfigMap, backendName string) (AdminConfig, error) {
	var cfg AdminConfig
	err := parseConfig(m, kindAdmin, backendName, configTarget{client: &cfg.ClientConfig})
	return cfg, err
}

// ConfigKeys returns every config key the library understands, sorted.
func ConfigKeys() []string { return slices.Sorted(maps.Keys(configKeys)) }

func configErr(format string, args ...any) error {
	return newError("config", CodeBadConfig, format, args...)
}

// prepareClient clones the shared settings, applies defaults and validates.
func prepareClient(c backend.ClientConfig) (backend.ClientConfig, error) {
	c.BootstrapServers = slices.Clone(c.BootstrapServers)
	c.BackendOptions = maps.Clone(c.BackendOptions)
	if len(c.BootstrapServers) == 0 {
		return c, configErr("bootstrap.servers is required: set ClientConfig.BootstrapServers to the brokers' host:port addresses")
	}
	for _, s := range c.BootstrapServers {
		host, port, ok := strings.Cut(strings.TrimSpace(s), ":")
		if !ok || host == "" {
			return c, configErr("bootstrap server %q is not host:port", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return c, configErr("bootstrap server %q has an invalid port", s)
		}
	}
	if c.ClientID == "" {
		c.ClientID = "kafkaclient"
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = backend.DefaultRequestTimeout
	}
	if c.RequestTimeout < 0 {
		return c, configErr("request.timeout.ms must be positive, got %v", c.RequestTimeout)
	}
	s := &c.Security
	switch s.Protocol {
	case "":
		s.Protocol = backend.Plaintext
	case backend.Plaintext, backend.SSL, backend.SASLPlaintext, backend.SASLSSL:
	default:
		return c, configErr("security.protocol %q is invalid: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", s.Protocol)
	}
	if s.Protocol.UsesSASL() {
		switch s.Mechanism {
		case "":
			s.Mechanism = backend.SASLPlain
		case backend.SASLPlain, backend.SASLScramSHA256, backend.SASLScramSHA512:
		default:
			return c, configErr("sasl.mechanism %q is invalid: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
		}
		if s.Username == "" {
			return c, configErr("security.protocol %s needs sasl.username and sasl.password", s.Protocol)
		}
	} else if s.Mechanism != "" || s.Username != "" || s.Password != "" {
		return c, configErr("sasl.* settings need security.protocol SASL_PLAINTEXT or SASL_SSL, got %s", s.Protocol)
	}
	if !s.Protocol.UsesTLS() && (s.CAFile != "" || s.CertFile != "" || s.KeyFile != "") {
		return c, configErr("ssl.* settings need security.protocol SSL or SASL_SSL, got %s", s.Protocol)
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return c, configErr("ssl.certificate.location and ssl.key.location must be set together")
	}
	return c, nil
}

// prepareProducer applies defaults and validates a producer config for a
// backend with the given capabilities. The result holds only concrete
// values: Idempotence is ToggleOn or ToggleOff, Linger is >= 0.
func prepareProducer(cfg ProducerConfig, caps backend.Capabilities, backendName string) (ProducerConfig, error) {
	var err error
	if cfg.ClientConfig, err = prepareClient(cfg.ClientConfig); err != nil {
		return cfg, err
	}
	switch cfg.Acks {
	case backend.AcksAll, backend.AcksLeader, backend.AcksNone:
	default:
		return cfg, configErr("acks value %d is invalid: use AcksAll, AcksLeader or AcksNone", cfg.Acks)
	}
	switch {
	case cfg.Linger == 0:
		cfg.Linger = backend.DefaultLinger
	case cfg.Linger < 0:
		cfg.Linger = 0
	}
	if cfg.DeliveryTimeout == 0 {
		cfg.DeliveryTimeout = backend.DefaultDeliveryTimeout
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = backend.DefaultMaxInFlight
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = backend.DefaultBatchSize
	}
	if cfg.MaxBufferedMessages == 0 {
		cfg.MaxBufferedMessages = backend.DefaultMaxBufferedMessages
	}
	if cfg.MaxBufferedBytes == 0 {
		cfg.MaxBufferedBytes = backend.DefaultMaxBufferedBytes
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = backend.DefaultMaxMessageBytes
	}
	if cfg.TransactionTimeout == 0 {
		cfg.TransactionTimeout = backend.DefaultTransactionTimeout
	}
	for name, v := range map[string]int64{
		"delivery.timeout.ms": int64(cfg.DeliveryTimeout), "max.in.flight.requests.per.connection": int64(cfg.MaxInFlight),
		"batch.size": int64(cfg.BatchSize), "queue.buffering.max.messages": int64(cfg.MaxBufferedMessages),
		"queue.buffering.max.kbytes": cfg.MaxBufferedBytes, "message.max.bytes": int64(cfg.MaxMessageBytes),
		"transaction.timeout.ms": int64(cfg.TransactionTimeout),
	} {
		if v < 0 {
			return cfg, configErr("%s must be positive, got %d", name, v)
		}
	}
	switch cfg.Compression {
	case backend.CompressionNone, backend.CompressionGzip, backend.CompressionSnappy, backend.CompressionLZ4, backend.CompressionZstd:
	default:
		return cfg, configErr("compression.type value %d is invalid", cfg.Compression)
	}
	switch cfg.Partitioner {
	case backend.PartitionerMurmur2, backend.PartitionerCRC32, backend.PartitionerFNV1a:
	default:
		return cfg, configErr("partitioner value %d is invalid", cfg.Partitioner)
	}
	transactional := cfg.TransactionalID != ""
	switch cfg.Idempotence {
	case backend.ToggleDefault:
		cfg.Idempotence = backend.ToggleOff
		if caps.Idempotence && cfg.Acks == backend.AcksAll && cfg.MaxInFlight <= 5 {
			cfg.Idempotence = backend.ToggleOn
		}
	case backend.ToggleOn:
		if !caps.Idempotence {
			return cfg, unsupportedConfig("enable.idempotence=true", backendName)
		}
	case backend.ToggleOff:
	default:
		return cfg, configErr("enable.idempotence value %d is invalid", cfg.Idempotence)
	}
	if transactional {
		if !caps.Transactions {
			return cfg, unsupportedConfig("transactional.id", backendName)
		}
		if cfg.Idempotence == backend.ToggleOff {
			return cfg, configErr("transactional.id requires enable.idempotence=true; remove enable.idempotence=false")
		}
		cfg.Idempotence = backend.ToggleOn
	}
	if cfg.Idempotence == backend.ToggleOn {
		if cfg.Acks != backend.AcksAll {
			return cfg, configErr("enable.idempotence=true requires acks=all")
		}
		if cfg.MaxInFlight > 5 {
			return cfg, configErr("enable.idempotence=true requires max.in.flight.requests.per.connection <= 5, got %d", cfg.MaxInFlight)
		}
		if cfg.Retries < 0 {
			return cfg, configErr("enable.idempotence=true requires retries > 0")
		}
	}
	return cfg, nil
}

func prepareConsumer(cfg ConsumerConfig, caps backend.Capabilities, backendName string) (ConsumerConfig, error) {
	var err error
	if cfg.ClientConfig, err = prepareClient(cfg.ClientConfig); err != nil {
		return cfg, err
	}
	cfg.Assignors = slices.Clone(cfg.Assignors)
	if len(cfg.Assignors) == 0 {
		cfg.Assignors = []backend.Assignor{backend.AssignorRange}
	}
	coop := 0
	for _, a := range cfg.Assignors {
		switch a {
		case backend.AssignorRange, backend.AssignorRoundRobin, backend.AssignorSticky:
		case backend.AssignorCooperativeSticky:
			coop++
			if !caps.CooperativeRebalance {
				return cfg, unsupportedConfig("partition.assignment.strategy=cooperative-sticky", backendName)
			}
		default:
			return cfg, configErr("partition.assignment.strategy %q is invalid: want range, roundrobin, sticky or cooperative-sticky", a)
		}
	}
	if coop > 0 && coop < len(cfg.Assignors) {
		return cfg, configErr("partition.assignment.strategy cannot mix cooperative-sticky with eager assignors %v", cfg.Assignors)
	}
	if cfg.GroupInstanceID != "" {
		if !caps.StaticMembership {
			return cfg, unsupportedConfig("group.instance.id", backendName)
		}
		if cfg.GroupID == "" {
			return cfg, configErr("group.instance.id requires group.id")
		}
	}
	switch cfg.AutoOffsetReset {
	case backend.OffsetResetLatest, backend.OffsetResetEarliest, backend.OffsetResetNone:
	default:
		return cfg, configErr("auto.offset.reset value %d is invalid", cfg.AutoOffsetReset)
	}
	switch cfg.IsolationLevel {
	case backend.ReadUncommitted:
	case backend.ReadCommitted:
		if !caps.ReadCommitted {
			return cfg, unsupportedConfig("isolation.level=read_committed", backendName)
		}
	default:
		return cfg, configErr("isolation.level value %d is invalid", cfg.IsolationLevel)
	}
	defaults := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"auto.commit.interval.ms", &cfg.AutoCommitInterval, backend.DefaultAutoCommitInterval},
		{"session.timeout.ms", &cfg.SessionTimeout, backend.DefaultSessionTimeout},
		{"heartbeat.interval.ms", &cfg.HeartbeatInterval, backend.DefaultHeartbeatInterval},
		{"max.poll.interval.ms", &cfg.MaxPollInterval, backend.DefaultMaxPollInterval},
		{"fetch.wait.max.ms", &cfg.FetchMaxWait, backend.DefaultFetchMaxWait},
	}
	for _, d := range defaults {
		if *d.d == 0 {
			*d.d = d.def
		}
		if *d.d < 0 {
			return cfg, configErr("%s must be positive, got %v", d.name, *d.d)
		}
	}
	ints := []struct {
		name string
		n    *int
		def  int
	}{
		{"fetch.min.bytes", &cfg.FetchMinBytes, backend.DefaultFetchMinBytes},
		{"fetch.max.bytes", &cfg.FetchMaxBytes, backend.DefaultFetchMaxBytes},
		{"max.partition.fetch.bytes", &cfg.MaxPartitionFetchBytes, backend.DefaultMaxPartitionFetchBytes},
	}
	for _, d := range ints {
		if *d.n == 0 {
			*d.n = d.def
		}
		if *d.n < 0 {
			return cfg, configErr("%s must be positive, got %d", d.name, *d.n)
		}
	}
	if cfg.HeartbeatInterval >= cfg.SessionTimeout {
		return cfg, configErr("heartbeat.interval.ms (%v) must be lower than session.timeout.ms (%v)", cfg.HeartbeatInterval, cfg.SessionTimeout)
	}
	return cfg, nil
}

func unsupportedConfig(setting, backendName string) error {
	return newError("config", CodeUnsupported, "%s is not supported by the %s backend; remove it or build with a backend that supports it", setting, backendName)
}

// sortedTopicPartitions sorts tps by topic, then partition.
func sortedTopicPartitions(tps []backend.TopicPartition) []backend.TopicPartition {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	return tps
}
