package kafkaclient

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Config types and enums, defined in package backend and re-exported here so
// that users need one import. Each field's doc states its default.
type (
	ClientConfig   = backend.ClientConfig
	ProducerConfig = backend.ProducerConfig
	ConsumerConfig = backend.ConsumerConfig
	// ShareConsumerConfig configures a ShareConsumer.
	ShareConsumerConfig = backend.ShareConsumerConfig
	AdminConfig         = backend.AdminConfig
	Security            = backend.Security
	SecurityProtocol    = backend.SecurityProtocol
	SASLMechanism       = backend.SASLMechanism
	Toggle              = backend.Toggle
	Acks                = backend.Acks
	Compression         = backend.Compression
	Partitioner         = backend.Partitioner
	OffsetReset         = backend.OffsetReset
	IsolationLevel      = backend.IsolationLevel
	Assignor            = backend.Assignor
	GroupProtocol       = backend.GroupProtocol
	Token               = backend.Token
	TokenProvider       = backend.TokenProvider
	OAuth               = backend.OAuth
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
	PartitionerManual  = backend.PartitionerManual

	OffsetResetLatest   = backend.OffsetResetLatest
	OffsetResetEarliest = backend.OffsetResetEarliest
	OffsetResetNone     = backend.OffsetResetNone

	IsolationReadUncommitted = backend.IsolationReadUncommitted
	IsolationReadCommitted   = backend.IsolationReadCommitted

	AssignorRange             = backend.AssignorRange
	AssignorRoundRobin        = backend.AssignorRoundRobin
	AssignorSticky            = backend.AssignorSticky
	AssignorCooperativeSticky = backend.AssignorCooperativeSticky

	GroupProtocolClassic  = backend.GroupProtocolClassic
	GroupProtocolConsumer = backend.GroupProtocolConsumer

	SecurityPlaintext     = backend.SecurityPlaintext
	SecuritySSL           = backend.SecuritySSL
	SecuritySASLPlaintext = backend.SecuritySASLPlaintext
	SecuritySASLSSL       = backend.SecuritySASLSSL

	SASLPlain       = backend.SASLPlain
	SASLScramSHA256 = backend.SASLScramSHA256
	SASLScramSHA512 = backend.SASLScramSHA512
	SASLOAuthBearer = backend.SASLOAuthBearer
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
	kindShare
	kindAll = kindProducer | kindConsumer | kindAdmin | kindShare
)

func (k clientKind) String() string {
	switch k {
	case kindProducer:
		return "producer"
	case kindConsumer:
		return "consumer"
	case kindShare:
		return "share consumer"
	}
	return "admin"
}

// configTarget is what one parse writes into.
type configTarget struct {
	client *backend.ClientConfig
	prod   *backend.ProducerConfig
	cons   *backend.ConsumerConfig
	share  *backend.ShareConsumerConfig
}

type configKey struct {
	name  string
	kinds clientKind
	set   func(t configTarget, v configValue) error
}

// setter writes one key's value into a config.
type setter func(t configTarget, v configValue) error

// Setters for the common kinds of field; each takes the field's address in
// the target.
func setString(field func(configTarget) *string) setter {
	return func(t configTarget, v configValue) error { *field(t) = v.s; return nil }
}

func setMillis(lo int, field func(configTarget) *time.Duration) setter {
	return func(t configTarget, v configValue) (err error) { *field(t), err = v.millis(lo); return err }
}

func setInt(lo, hi int, field func(configTarget) *int) setter {
	return func(t configTarget, v configValue) (err error) { *field(t), err = v.intRange(lo, hi); return err }
}

// setEnum maps the value, case-insensitively, through values to the field.
func setEnum[T any](values map[string]T, field func(configTarget) *T) setter {
	names := make(map[string]string, len(values))
	for k := range values {
		names[k] = k
	}
	return func(t configTarget, v configValue) error {
		k, err := v.enum(names)
		if err == nil {
			*field(t) = values[k]
		}
		return err
	}
}

// configKeys lists every key the library understands. Aliases used by
// librdkafka or the Java client map to the same fields.
var configKeys = func() map[string]configKey {
	client := func(t configTarget) *backend.ClientConfig { return t.client }
	security := func(t configTarget) *backend.Security { return &t.client.Security }
	prod := func(t configTarget) *backend.ProducerConfig { return t.prod }
	cons := func(t configTarget) *backend.ConsumerConfig { return t.cons }
	mechanism := setEnum(map[string]backend.SASLMechanism{"plain": backend.SASLPlain, "scram-sha-256": backend.SASLScramSHA256, "scram-sha-512": backend.SASLScramSHA512, "oauthbearer": backend.SASLOAuthBearer},
		func(t configTarget) *backend.SASLMechanism { return &security(t).Mechanism })
	acks := setEnum(map[string]backend.Acks{"all": backend.AcksAll, "-1": backend.AcksAll, "1": backend.AcksLeader, "0": backend.AcksNone},
		func(t configTarget) *backend.Acks { return &prod(t).Acks })
	deliveryTimeout := setMillis(1, func(t configTarget) *time.Duration { return &prod(t).DeliveryTimeout })
	maxInFlight := setInt(1, 1_000_000, func(t configTarget) *int { return &prod(t).MaxInFlight })
	compression := setEnum(map[string]backend.Compression{"none": backend.CompressionNone, "gzip": backend.CompressionGzip, "snappy": backend.CompressionSnappy, "lz4": backend.CompressionLZ4, "zstd": backend.CompressionZstd},
		func(t configTarget) *backend.Compression { return &prod(t).Compression })
	// Keys of both consumers write to the one being parsed.
	fetchWait := setMillis(0, func(t configTarget) *time.Duration {
		if t.share != nil {
			return &t.share.FetchMaxWait
		}
		return &cons(t).FetchMaxWait
	})
	fetchBytes := func(min bool) setter {
		return setInt(1, math.MaxInt32, func(t configTarget) *int {
			switch {
			case t.share != nil && min:
				return &t.share.FetchMinBytes
			case t.share != nil:
				return &t.share.FetchMaxBytes
			case min:
				return &cons(t).FetchMinBytes
			}
			return &cons(t).FetchMaxBytes
		})
	}
	consumers := kindConsumer | kindShare
	keys := []configKey{
		// Common.
		{"bootstrap.servers", kindAll, func(t configTarget, v configValue) (err error) {
			t.client.BootstrapServers, err = v.list()
			return err
		}},
		{"client.id", kindAll, setString(func(t configTarget) *string { return &client(t).ClientID })},
		{"request.timeout.ms", kindAll, setMillis(1, func(t configTarget) *time.Duration { return &client(t).RequestTimeout })},
		{"security.protocol", kindAll, setEnum(map[string]backend.SecurityProtocol{
			"plaintext": backend.SecurityPlaintext, "ssl": backend.SecuritySSL, "sasl_plaintext": backend.SecuritySASLPlaintext, "sasl_ssl": backend.SecuritySASLSSL,
		}, func(t configTarget) *backend.SecurityProtocol { return &security(t).Protocol })},
		{"sasl.mechanism", kindAll, mechanism},
		{"sasl.mechanisms", kindAll, mechanism},
		{"sasl.username", kindAll, setString(func(t configTarget) *string { return &security(t).Username })},
		{"sasl.password", kindAll, setString(func(t configTarget) *string { return &security(t).Password })},
		{"sasl.oauthbearer.method", kindAll, setEnum(map[string]string{"default": "default", "oidc": "oidc"}, func(t configTarget) *string { return &security(t).OAuth.Method })},
		{"sasl.oauthbearer.token.endpoint.url", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.TokenURL })},
		{"sasl.oauthbearer.client.id", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.ClientID })},
		{"sasl.oauthbearer.client.secret", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.ClientSecret })},
		{"sasl.oauthbearer.scope", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.Scope })},
		{"sasl.oauthbearer.extensions", kindAll, func(t configTarget, v configValue) (err error) {
			security(t).OAuth.Extensions, err = v.pairs()
			return err
		}},
		{"https.ca.location", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.CAFile })},
		{"https.ca.pem", kindAll, setString(func(t configTarget) *string { return &security(t).OAuth.CAPEM })},
		{"ssl.ca.location", kindAll, setString(func(t configTarget) *string { return &security(t).CAFile })},
		{"ssl.certificate.location", kindAll, setString(func(t configTarget) *string { return &security(t).CertFile })},
		{"ssl.key.location", kindAll, setString(func(t configTarget) *string { return &security(t).KeyFile })},
		{"ssl.key.password", kindAll, setString(func(t configTarget) *string { return &security(t).KeyPassword })},
		{"ssl.ca.pem", kindAll, setString(func(t configTarget) *string { return &security(t).CAPEM })},
		{"ssl.certificate.pem", kindAll, setString(func(t configTarget) *string { return &security(t).CertPEM })},
		{"ssl.key.pem", kindAll, setString(func(t configTarget) *string { return &security(t).KeyPEM })},
		{"ssl.endpoint.identification.algorithm", kindAll, setEnum(map[string]bool{"https": false, "none": true, "": true},
			func(t configTarget) *bool { return &security(t).SkipHostnameVerification })},

		// Producer.
		{"acks", kindProducer, acks},
		{"request.required.acks", kindProducer, acks},
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
		{"delivery.timeout.ms", kindProducer, deliveryTimeout},
		{"message.timeout.ms", kindProducer, deliveryTimeout},
		{"max.in.flight.requests.per.connection", kindProducer, maxInFlight},
		{"max.in.flight", kindProducer, maxInFlight},
		{"batch.size", kindProducer, setInt(1, math.MaxInt32, func(t configTarget) *int { return &prod(t).BatchSize })},
		{"linger.ms", kindProducer, setLinger},
		{"queue.buffering.max.ms", kindProducer, setLinger},
		{"queue.buffering.max.messages", kindProducer, setInt(1, math.MaxInt32, func(t configTarget) *int { return &prod(t).MaxBufferedMessages })},
		{"queue.buffering.max.kbytes", kindProducer, func(t configTarget, v configValue) error {
			n, err := v.intRange(1, math.MaxInt32)
			t.prod.MaxBufferedBytes = int64(n) * 1024
			return err
		}},
		{"message.max.bytes", kindProducer, setInt(1000, 1_000_000_000, func(t configTarget) *int { return &prod(t).MaxMessageBytes })},
		{"compression.type", kindProducer, compression},
		{"compression.codec", kindProducer, compression},
		{"partitioner", kindProducer, setEnum(map[string]backend.Partitioner{
			"murmur2": backend.PartitionerMurmur2, "murmur2_random": backend.PartitionerMurmur2,
			"consistent": backend.PartitionerCRC32, "consistent_random": backend.PartitionerCRC32, "crc32": backend.PartitionerCRC32,
			"fnv1a": backend.PartitionerFNV1a, "fnv1a_random": backend.PartitionerFNV1a,
			"manual": backend.PartitionerManual,
		}, func(t configTarget) *backend.Partitioner { return &prod(t).Partitioner })},
		{"transactional.id", kindProducer, setString(func(t configTarget) *string { return &prod(t).TransactionalID })},
		{"transaction.timeout.ms", kindProducer, setMillis(1000, func(t configTarget) *time.Duration { return &prod(t).TransactionTimeout })},

		// Consumer.
		{"group.id", consumers, setString(func(t configTarget) *string {
			if t.share != nil {
				return &t.share.GroupID
			}
			return &cons(t).GroupID
		})},
		{"group.instance.id", kindConsumer, setString(func(t configTarget) *string { return &cons(t).GroupInstanceID })},
		{"auto.offset.reset", kindConsumer, setEnum(map[string]backend.OffsetReset{
			"earliest": backend.OffsetResetEarliest, "smallest": backend.OffsetResetEarliest, "beginning": backend.OffsetResetEarliest,
			"latest": backend.OffsetResetLatest, "largest": backend.OffsetResetLatest, "end": backend.OffsetResetLatest,
			"none": backend.OffsetResetNone, "error": backend.OffsetResetNone,
		}, func(t configTarget) *backend.OffsetReset { return &cons(t).AutoOffsetReset })},
		{"enable.auto.commit", kindConsumer, func(t configTarget, v configValue) error {
			b, err := v.bool()
			t.cons.DisableAutoCommit = !b
			return err
		}},
		{"auto.commit.interval.ms", kindConsumer, setMillis(1, func(t configTarget) *time.Duration { return &cons(t).AutoCommitInterval })},
		{"session.timeout.ms", kindConsumer, setMillis(1, func(t configTarget) *time.Duration { return &cons(t).SessionTimeout })},
		{"heartbeat.interval.ms", kindConsumer, setMillis(1, func(t configTarget) *time.Duration { return &cons(t).HeartbeatInterval })},
		{"max.poll.interval.ms", kindConsumer, setMillis(1, func(t configTarget) *time.Duration { return &cons(t).MaxPollInterval })},
		{"fetch.min.bytes", consumers, fetchBytes(true)},
		{"fetch.max.bytes", consumers, fetchBytes(false)},
		{"max.partition.fetch.bytes", kindConsumer, setInt(1, math.MaxInt32, func(t configTarget) *int { return &cons(t).MaxPartitionFetchBytes })},
		{"fetch.wait.max.ms", consumers, fetchWait},
		{"fetch.max.wait.ms", consumers, fetchWait},
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
		{"group.protocol", kindConsumer, setEnum(map[string]backend.GroupProtocol{
			"classic": backend.GroupProtocolClassic, "consumer": backend.GroupProtocolConsumer,
		}, func(t configTarget) *backend.GroupProtocol { return &cons(t).GroupProtocol })},
		{"group.remote.assignor", kindConsumer, setString(func(t configTarget) *string { return &cons(t).GroupRemoteAssignor })},
		{"isolation.level", kindConsumer, setEnum(map[string]backend.IsolationLevel{
			"read_committed": backend.IsolationReadCommitted, "read_uncommitted": backend.IsolationReadUncommitted,
		}, func(t configTarget) *backend.IsolationLevel { return &cons(t).IsolationLevel })},

		// Share consumer.
		{"share.acknowledgement.mode", kindShare, setEnum(map[string]backend.ShareAckMode{
			"implicit": backend.ShareAckImplicit, "explicit": backend.ShareAckExplicit,
		}, func(t configTarget) *backend.ShareAckMode { return &t.share.AckMode })},
		{"share.acquire.mode", kindShare, setEnum(map[string]bool{"batch_optimized": false, "record_limit": true},
			func(t configTarget) *bool { return &t.share.RecordLimit })},
		{"max.poll.records", kindShare, setInt(1, math.MaxInt32, func(t configTarget) *int { return &t.share.MaxPollRecords })},
	}
	m := make(map[string]configKey, len(keys))
	for _, k := range keys {
		m[k.name] = k
	}
	return m
}()

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

func setLinger(t configTarget, v configValue) error {
	d, err := v.millis(0)
	t.prod.Linger = d
	if d == 0 {
		t.prod.Linger = -1
	}
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

// pairs parses "key=value,key=value" (librdkafka's form of
// sasl.oauthbearer.extensions).
func (v configValue) pairs() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(v.s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, v.bad("want key=value pairs separated by commas")
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
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

// moduleBackends are the backends this module ships. Their config-key
// prefixes are known in every build, whichever backend it links, so that one
// ConfigMap serves every build; other backends' prefixes are known once
// their package registers its name (backend.Register).
var moduleBackends = []string{"franz", "segmentio", "confluent"}

// isBackendPrefix reports whether prefix names a backend, so that keys
// under it are backend options rather than unknown keys.
func isBackendPrefix(prefix string) bool {
	return slices.Contains(moduleBackends, prefix) || slices.Contains(backend.Registered(), prefix)
}

func parseConfig(m ConfigMap, kind clientKind, backendName string, t configTarget) error {
	keys := slices.Sorted(maps.Keys(m)) // deterministic: the first bad key is always the same one
	for _, key := range keys {
		if prefix, rest, ok := strings.Cut(key, "."); ok && (prefix == backendName || isBackendPrefix(prefix)) {
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
	switch {
	case k&kindProducer != 0:
		return "producer"
	case k&kindConsumer != 0:
		return "consumer"
	}
	return "share consumer"
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

// ParseShareConsumerConfig parses librdkafka-style keys into a
// ShareConsumerConfig, with the same rules as ParseProducerConfig. Keys of
// the classic consumer that a share group has no use for (offsets, commits,
// assignors) are errors.
func ParseShareConsumerConfig(m ConfigMap) (ShareConsumerConfig, error) {
	return parseShareConsumerConfig(m, defaultBackendName())
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

func parseShareConsumerConfig(m ConfigMap, backendName string) (ShareConsumerConfig, error) {
	var cfg ShareConsumerConfig
	err := parseConfig(m, kindShare, backendName, configTarget{client: &cfg.ClientConfig, share: &cfg})
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

// cloneClient returns c with its own copies of the slices and maps, so that
// neither the caller's config nor a client's can change the other.
func cloneClient(c backend.ClientConfig) backend.ClientConfig {
	c.BootstrapServers = slices.Clone(c.BootstrapServers)
	c.BackendOptions = maps.Clone(c.BackendOptions)
	c.Security.OAuth.Extensions = maps.Clone(c.Security.OAuth.Extensions)
	return c
}

// effectiveClient returns a client's effective settings for its Config: a
// copy, without the token provider of the OIDC flow, which is the client's
// own (built from the settings), so that the config opens a client again.
func effectiveClient(c backend.ClientConfig) backend.ClientConfig {
	c = cloneClient(c)
	if c.Security.OAuth.Method == "oidc" {
		c.Security.TokenProvider = nil
	}
	return c
}

// prepareClient clones the shared settings, applies defaults and validates.
// Bootstrap servers reach the backend without surrounding spaces.
func prepareClient(c backend.ClientConfig) (backend.ClientConfig, error) {
	c = cloneClient(c)
	if len(c.BootstrapServers) == 0 {
		return c, configErr("bootstrap.servers is required: set ClientConfig.BootstrapServers to the brokers' host:port addresses")
	}
	for i, s := range c.BootstrapServers {
		c.BootstrapServers[i] = strings.TrimSpace(s)
		host, port, ok := strings.Cut(c.BootstrapServers[i], ":")
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
		s.Protocol = backend.SecurityPlaintext
	case backend.SecurityPlaintext, backend.SecuritySSL, backend.SecuritySASLPlaintext, backend.SecuritySASLSSL:
	default:
		return c, configErr("security.protocol %q is invalid: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", s.Protocol)
	}
	oauthSet := s.TokenProvider != nil || s.OAuth.Method != "" || oidcSet(s.OAuth)
	if s.Protocol.UsesSASL() {
		switch s.Mechanism {
		case "":
			s.Mechanism = backend.SASLPlain
		case backend.SASLPlain, backend.SASLScramSHA256, backend.SASLScramSHA512, backend.SASLOAuthBearer:
		default:
			return c, configErr("sasl.mechanism %q is invalid: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER", s.Mechanism)
		}
		if s.Mechanism == backend.SASLOAuthBearer {
			if err := prepareOAuth(s); err != nil {
				return c, err
			}
		} else if s.Username == "" {
			return c, configErr("security.protocol %s needs sasl.username and sasl.password", s.Protocol)
		} else if oauthSet {
			return c, configErr("sasl.oauthbearer.* settings and a TokenProvider need sasl.mechanism OAUTHBEARER, got %s", s.Mechanism)
		}
	} else if s.Mechanism != "" || s.Username != "" || s.Password != "" || oauthSet {
		return c, configErr("sasl.* settings need security.protocol SASL_PLAINTEXT or SASL_SSL, got %s", s.Protocol)
	}
	if !s.Protocol.UsesTLS() && s.CAFile+s.CertFile+s.KeyFile+s.CAPEM+s.CertPEM+s.KeyPEM+s.KeyPassword != "" {
		return c, configErr("ssl.* settings need security.protocol SSL or SASL_SSL, got %s", s.Protocol)
	}
	for _, p := range []struct{ name, file, text string }{{"ssl.ca", s.CAFile, s.CAPEM}, {"ssl.certificate", s.CertFile, s.CertPEM}, {"ssl.key", s.KeyFile, s.KeyPEM}} {
		if p.file != "" && p.text != "" {
			return c, configErr("%s.location and %s.pem are both set: give one", p.name, p.name)
		}
	}
	if (s.CertFile+s.CertPEM == "") != (s.KeyFile+s.KeyPEM == "") {
		return c, configErr("ssl.certificate (.location or .pem) and ssl.key (.location or .pem) must be set together")
	}
	if s.KeyPassword != "" && s.KeyFile+s.KeyPEM == "" {
		return c, configErr("ssl.key.password is set without a key (ssl.key.location or ssl.key.pem)")
	}
	return c, nil
}

// prepareOAuth checks the OAUTHBEARER settings of s and replaces its
// TokenProvider by a cached one (backend.CachedTokens) of the client's own:
// the application's, or the OIDC client-credentials flow's.
func prepareOAuth(s *backend.Security) error {
	o := &s.OAuth
	if s.Username != "" || s.Password != "" {
		return configErr("sasl.username and sasl.password are not used by sasl.mechanism OAUTHBEARER: remove them")
	}
	switch o.Method {
	case "", "default":
		o.Method = "default"
		if oidcSet(*o) {
			return configErr("sasl.oauthbearer.token.endpoint.url, .client.id, .client.secret, .scope, .extensions and https.ca.* need sasl.oauthbearer.method=oidc")
		}
		if s.TokenProvider == nil {
			return configErr("sasl.mechanism OAUTHBEARER needs a token: set Security.TokenProvider, or sasl.oauthbearer.method=oidc with sasl.oauthbearer.token.endpoint.url, .client.id and .client.secret")
		}
	case "oidc":
		if s.TokenProvider != nil {
			return configErr("sasl.oauthbearer.method=oidc and Security.TokenProvider are both set: give one")
		}
		if o.TokenURL == "" || o.ClientID == "" || o.ClientSecret == "" {
			return configErr("sasl.oauthbearer.method=oidc needs sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret")
		}
		if o.CAFile != "" && o.CAPEM != "" {
			return configErr("https.ca.location and https.ca.pem are both set: give one")
		}
		if err := backend.CheckExtensions(o.Extensions); err != nil {
			return configErr("sasl.oauthbearer.extensions: %v", err)
		}
		p, err := backend.OIDCTokenProvider(*o)
		if err != nil {
			return configErr("%v", err)
		}
		s.TokenProvider = p
	default:
		return configErr("sasl.oauthbearer.method %q is invalid: want default or oidc", o.Method)
	}
	s.TokenProvider = backend.CachedTokens(s.TokenProvider)
	return nil
}

// oidcSet reports whether any setting of the OIDC flow is set.
func oidcSet(o backend.OAuth) bool {
	return o.TokenURL != "" || o.ClientID != "" || o.ClientSecret != "" || o.Scope != "" || len(o.Extensions) > 0 || o.CAFile != "" || o.CAPEM != ""
}

// prepareProducer applies defaults and validates a producer config, past
// its ClientConfig, for a backend with the given capabilities. The result
// holds only concrete values: Idempotence is ToggleOn or ToggleOff, Linger
// is >= 0.
func prepareProducer(cfg ProducerConfig, caps backend.Capabilities, backendName string) (ProducerConfig, error) {
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
	// Defaults, then ranges, in a fixed order: the same config always
	// reports the same error.
	if err := cmp.Or(
		defaulted("delivery.timeout.ms", &cfg.DeliveryTimeout, backend.DefaultDeliveryTimeout),
		defaulted("max.in.flight.requests.per.connection", &cfg.MaxInFlight, backend.DefaultMaxInFlight),
		defaulted("batch.size", &cfg.BatchSize, backend.DefaultBatchSize),
		defaulted("queue.buffering.max.messages", &cfg.MaxBufferedMessages, backend.DefaultMaxBufferedMessages),
		defaulted("queue.buffering.max.kbytes", &cfg.MaxBufferedBytes, backend.DefaultMaxBufferedBytes),
		defaulted("message.max.bytes", &cfg.MaxMessageBytes, backend.DefaultMaxMessageBytes),
		defaulted("transaction.timeout.ms", &cfg.TransactionTimeout, backend.DefaultTransactionTimeout),
	); err != nil {
		return cfg, err
	}
	switch cfg.Compression {
	case backend.CompressionNone, backend.CompressionGzip, backend.CompressionSnappy, backend.CompressionLZ4, backend.CompressionZstd:
	default:
		return cfg, configErr("compression.type value %d is invalid", cfg.Compression)
	}
	if cfg.Compression == backend.CompressionSnappy && caps.NoSnappy {
		return cfg, unsupportedConfig("compression.type=snappy", backendName)
	}
	switch cfg.Partitioner {
	case backend.PartitionerMurmur2, backend.PartitionerCRC32, backend.PartitionerFNV1a, backend.PartitionerManual:
	default:
		return cfg, configErr("partitioner value %d is invalid", cfg.Partitioner)
	}
	transactional := cfg.TransactionalID != ""
	switch cfg.Idempotence {
	case backend.ToggleDefault:
		// On where the backend has it and the rest of the config allows
		// it: a default steps aside, it never makes a config fail.
		cfg.Idempotence = backend.ToggleOff
		if caps.Idempotence && cfg.Acks == backend.AcksAll && cfg.MaxInFlight <= 5 && cfg.Retries >= 0 {
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
		// Transactions need an idempotent producer; whether the backend
		// has the transaction calls is known once its producer is open:
		// NewProducer checks it.
		if !caps.Idempotence {
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

// prepareConsumer applies defaults and validates a consumer config, past
// its ClientConfig, for a backend with the given capabilities.
func prepareConsumer(cfg ConsumerConfig, caps backend.Capabilities, backendName string) (ConsumerConfig, error) {
	cfg.Assignors = slices.Clone(cfg.Assignors)
	switch cfg.GroupProtocol {
	case "", backend.GroupProtocolClassic:
		cfg.GroupProtocol = backend.GroupProtocolClassic
		if cfg.GroupRemoteAssignor != "" {
			return cfg, configErr("group.remote.assignor needs group.protocol=consumer")
		}
	case backend.GroupProtocolConsumer:
		if !caps.ConsumerGroupProtocol {
			return cfg, unsupportedConfig("group.protocol=consumer", backendName)
		}
		// The broker decides these under the consumer protocol.
		for _, k := range []struct {
			key string
			set bool
		}{{"heartbeat.interval.ms", cfg.HeartbeatInterval != 0}, {"partition.assignment.strategy", len(cfg.Assignors) > 0}, {"session.timeout.ms", cfg.SessionTimeout != 0}} {
			if k.set {
				return cfg, configErr("%s is a setting of group.protocol=classic: with group.protocol=consumer the broker's group config decides it (the assignor: group.remote.assignor)", k.key)
			}
		}
		switch cfg.GroupRemoteAssignor {
		case "", "uniform", "range":
		default:
			return cfg, configErr("group.remote.assignor %q is invalid: want uniform or range", cfg.GroupRemoteAssignor)
		}
	default:
		return cfg, configErr("group.protocol %q is invalid: want classic or consumer", cfg.GroupProtocol)
	}
	if len(cfg.Assignors) == 0 && cfg.GroupProtocol == backend.GroupProtocolClassic {
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
	case backend.IsolationReadUncommitted:
	case backend.IsolationReadCommitted:
		if !caps.ReadCommitted {
			return cfg, unsupportedConfig("isolation.level=read_committed", backendName)
		}
	default:
		return cfg, configErr("isolation.level value %d is invalid", cfg.IsolationLevel)
	}
	if err := cmp.Or(
		defaulted("auto.commit.interval.ms", &cfg.AutoCommitInterval, backend.DefaultAutoCommitInterval),
		defaulted("session.timeout.ms", &cfg.SessionTimeout, backend.DefaultSessionTimeout),
		defaulted("heartbeat.interval.ms", &cfg.HeartbeatInterval, backend.DefaultHeartbeatInterval),
		defaulted("max.poll.interval.ms", &cfg.MaxPollInterval, backend.DefaultMaxPollInterval),
		defaulted("fetch.wait.max.ms", &cfg.FetchMaxWait, backend.DefaultFetchMaxWait),
		defaulted("fetch.min.bytes", &cfg.FetchMinBytes, backend.DefaultFetchMinBytes),
		defaulted("fetch.max.bytes", &cfg.FetchMaxBytes, backend.DefaultFetchMaxBytes),
		defaulted("max.partition.fetch.bytes", &cfg.MaxPartitionFetchBytes, backend.DefaultMaxPartitionFetchBytes),
	); err != nil {
		return cfg, err
	}
	if cfg.HeartbeatInterval >= cfg.SessionTimeout {
		return cfg, configErr("heartbeat.interval.ms (%v) must be lower than session.timeout.ms (%v)", cfg.HeartbeatInterval, cfg.SessionTimeout)
	}
	return cfg, nil
}

// prepareShareConsumer applies defaults and validates a share consumer
// config, past its ClientConfig.
func prepareShareConsumer(cfg ShareConsumerConfig, _ backend.Capabilities, _ string) (ShareConsumerConfig, error) {
	if cfg.GroupID == "" {
		return cfg, configErr("group.id is required: a share consumer reads in a share group")
	}
	switch cfg.AckMode {
	case "":
		cfg.AckMode = backend.ShareAckImplicit
	case backend.ShareAckImplicit, backend.ShareAckExplicit:
	default:
		return cfg, configErr("share.acknowledgement.mode %q is invalid: want implicit or explicit", cfg.AckMode)
	}
	err := cmp.Or(
		defaulted("max.poll.records", &cfg.MaxPollRecords, backend.DefaultMaxPollRecords),
		defaulted("fetch.wait.max.ms", &cfg.FetchMaxWait, backend.DefaultFetchMaxWait),
		defaulted("fetch.min.bytes", &cfg.FetchMinBytes, backend.DefaultFetchMinBytes),
		defaulted("fetch.max.bytes", &cfg.FetchMaxBytes, backend.DefaultFetchMaxBytes),
	)
	return cfg, err
}

// defaulted sets *v to def when it is zero, and refuses a negative value
// naming key.
func defaulted[T int | int64 | time.Duration](key string, v *T, def T) error {
	if *v == 0 {
		*v = def
	}
	if *v < 0 {
		return configErr("%s must be positive, got %v", key, *v)
	}
	return nil
}

func unsupportedConfig(setting, backendName string) error {
	return newError("config", CodeUnsupported, "%s is not supported by the %s backend; remove it or build with a backend that supports it", setting, backendName)
}

// sortedTopicPartitions sorts tps by topic, then partition.
func sortedTopicPartitions(tps []backend.TopicPartition) []backend.TopicPartition {
	slices.SortFunc(tps, func(a, b backend.TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return tps
}
