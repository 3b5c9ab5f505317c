package backend

import (
	"log/slog"
	"time"
)

// Toggle is a three-way switch for features whose default depends on the
// backend: ToggleDefault (the zero value) lets the library choose, ToggleOn
// requires the feature (ErrUnsupported where the backend lacks it) and
// ToggleOff disables it.
type Toggle int8

// Toggle values.
const (
	ToggleDefault Toggle = iota
	ToggleOn
	ToggleOff
)

// Acks is how many replicas must acknowledge a produce before it counts as
// delivered.
type Acks int8

// Acks values. The zero value is AcksAll.
const (
	// AcksAll waits for every in-sync replica (acks=all, -1). Default.
	AcksAll Acks = iota
	// AcksLeader waits for the partition leader only (acks=1).
	AcksLeader
	// AcksNone does not wait for any acknowledgement (acks=0). Offsets of
	// delivered messages are then unknown.
	AcksNone
)

// String returns the value of acks: "all", "1" or "0".
func (a Acks) String() string { return enumName(a, "all", "1", "0") }

// enumName returns names[v], or "unknown" when v is out of its range.
func enumName[E ~int8](v E, names ...string) string {
	if v < 0 || int(v) >= len(names) {
		return "unknown"
	}
	return names[v]
}

// Compression is the codec used for produced batches.
type Compression int8

// Compression codecs. The zero value is CompressionNone on every backend.
const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionSnappy
	CompressionLZ4
	CompressionZstd
)

// String returns the codec's name as Kafka spells it in compression.type.
func (c Compression) String() string {
	return enumName(c, "none", "gzip", "snappy", "lz4", "zstd")
}

// Partitioner chooses the partition of a produced message. The root package
// computes it for keyed messages, so that every backend puts a key in the
// same partition.
type Partitioner int8

// Partitioners. The zero value is PartitionerMurmur2.
const (
	// PartitionerMurmur2 is the Java client's default:
	// toPositive(murmur2(key)) % partitions. franz-go's default, librdkafka's
	// murmur2_random.
	PartitionerMurmur2 Partitioner = iota
	// PartitionerCRC32 is librdkafka's default consistent_random:
	// crc32(key) % partitions.
	PartitionerCRC32
	// PartitionerFNV1a is Sarama's default: abs(fnv1a32(key)) % partitions.
	PartitionerFNV1a
	// PartitionerManual uses each message's Partition as given, like
	// franz-go's and Sarama's manual partitioners; a message with
	// PartitionAny is partitioned as with PartitionerMurmur2. With every
	// other partitioner the producer chooses the partition and
	// Message.Partition is only an output.
	PartitionerManual
)

// String returns the partitioner's librdkafka name ("manual" for
// PartitionerManual, which librdkafka does not have).
func (p Partitioner) String() string {
	return enumName(p, "murmur2_random", "consistent_random", "fnv1a_random", "manual")
}

// OffsetReset is what a consumer does when it has no committed offset for a
// partition, or its offset is out of range.
type OffsetReset int8

// OffsetReset values. The zero value is OffsetResetLatest, Kafka's default.
const (
	// OffsetResetLatest starts at the end of the partition. Default.
	OffsetResetLatest OffsetReset = iota
	// OffsetResetEarliest starts at the beginning of the partition.
	OffsetResetEarliest
	// OffsetResetNone fails instead of choosing an offset.
	OffsetResetNone
)

// IsolationLevel controls whether a consumer sees records of open and
// aborted transactions.
type IsolationLevel int8

// IsolationLevel values. The zero value is IsolationReadUncommitted,
// Kafka's default.
const (
	IsolationReadUncommitted IsolationLevel = iota
	IsolationReadCommitted
)

// GroupProtocol is group.protocol: who assigns a consumer group's
// partitions.
type GroupProtocol string

// Group protocols.
const (
	// GroupProtocolClassic: the members, through a leader (JoinGroup and
	// SyncGroup, with partition.assignment.strategy).
	GroupProtocolClassic GroupProtocol = "classic"
	// GroupProtocolConsumer: the broker (KIP-848, Kafka 4.0+), with
	// incremental revocations and no stop-the-world rebalance.
	GroupProtocolConsumer GroupProtocol = "consumer"
)

// Assignor is a partition assignment strategy for consumer groups.
type Assignor string

// Assignors, named as in partition.assignment.strategy.
const (
	AssignorRange             Assignor = "range"
	AssignorRoundRobin        Assignor = "roundrobin"
	AssignorSticky            Assignor = "sticky"
	AssignorCooperativeSticky Assignor = "cooperative-sticky"
)

// Cooperative reports whether the assignor uses incremental (cooperative)
// rebalancing.
func (a Assignor) Cooperative() bool { return a == AssignorCooperativeSticky }

// SecurityProtocol is security.protocol.
type SecurityProtocol string

// Security protocols. The zero value means PLAINTEXT.
const (
	SecurityPlaintext     SecurityProtocol = "PLAINTEXT"
	SecuritySSL           SecurityProtocol = "SSL"
	SecuritySASLPlaintext SecurityProtocol = "SASL_PLAINTEXT"
	SecuritySASLSSL       SecurityProtocol = "SASL_SSL"
)

// UsesTLS reports whether the protocol encrypts the connection.
func (p SecurityProtocol) UsesTLS() bool { return p == SecuritySSL || p == SecuritySASLSSL }

// UsesSASL reports whether the protocol authenticates with SASL.
func (p SecurityProtocol) UsesSASL() bool { return p == SecuritySASLPlaintext || p == SecuritySASLSSL }

// SASLMechanism is sasl.mechanism.
type SASLMechanism string

// SASL mechanisms.
const (
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
	SASLOAuthBearer SASLMechanism = "OAUTHBEARER"
)

// Security configures encryption and authentication. The zero value is
// PLAINTEXT with no authentication.
type Security struct {
	// Protocol is security.protocol. Default PLAINTEXT.
	Protocol SecurityProtocol
	// Mechanism is sasl.mechanism. Default PLAIN when Protocol uses SASL.
	Mechanism SASLMechanism
	// Username and Password are sasl.username and sasl.password, for PLAIN
	// and SCRAM.
	Username string
	Password string
	// TokenProvider supplies the tokens of SASL/OAUTHBEARER with the
	// "default" method. It has no ConfigMap key: set it on the typed
	// config. Clients built from this config hold it wrapped by
	// CachedTokens.
	TokenProvider TokenProvider
	// OAuth is the rest of SASL/OAUTHBEARER: the OIDC client-credentials
	// settings (sasl.oauthbearer.*).
	OAuth OAuth
	// CAFile is ssl.ca.location: PEM file of the CAs that sign the brokers'
	// certificates. Empty means the system roots.
	CAFile string
	// CertFile and KeyFile are ssl.certificate.location and
	// ssl.key.location: the client's certificate and key (PEM) for mutual TLS.
	CertFile string
	KeyFile  string
	// CAPEM, CertPEM and KeyPEM are ssl.ca.pem, ssl.certificate.pem and
	// ssl.key.pem: the same as CAFile, CertFile and KeyFile, given as PEM
	// text instead of a file. Each is exclusive with its file form.
	CAPEM   string
	CertPEM string
	KeyPEM  string
	// KeyPassword is ssl.key.password, for an encrypted key (KeyFile or
	// KeyPEM): PKCS#8 with PBES2 (PBKDF2, AES-CBC), or OpenSSL's older
	// encrypted PEM.
	KeyPassword string
	// SkipHostnameVerification turns off checking the broker's hostname
	// against its certificate
	// (ssl.endpoint.identification.algorithm=none). The certificate chain is
	// still verified. Default false: hostnames are verified.
	SkipHostnameVerification bool
}

// Redacted returns a copy safe to log: the password, the key password, the
// key given as PEM text and the OAuth client secret are replaced by
// "[redacted]" when set.
func (s Security) Redacted() Security {
	for _, secret := range []*string{&s.Password, &s.KeyPassword, &s.KeyPEM, &s.OAuth.ClientSecret} {
		if *secret != "" {
			*secret = "[redacted]"
		}
	}
	return s
}

// Defaults of the client settings, shared by every backend.
const (
	DefaultLinger                 = 5 * time.Millisecond
	DefaultBatchSize              = 1_000_000
	DefaultMaxMessageBytes        = 1_000_000
	DefaultDeliveryTimeout        = 120 * time.Second
	DefaultMaxInFlight            = 5
	DefaultMaxBufferedMessages    = 100_000
	DefaultMaxBufferedBytes       = 1 << 30
	DefaultRequestTimeout         = 30 * time.Second
	DefaultSessionTimeout         = 45 * time.Second
	DefaultHeartbeatInterval      = 3 * time.Second
	DefaultMaxPollInterval        = 300 * time.Second
	DefaultAutoCommitInterval     = 5 * time.Second
	DefaultFetchMinBytes          = 1
	DefaultFetchMaxBytes          = 52_428_800
	DefaultMaxPartitionFetchBytes = 1_048_576
	DefaultFetchMaxWait           = 500 * time.Millisecond
	DefaultTransactionTimeout     = 60 * time.Second
)

// ClientConfig holds what producers, consumers and admins share. The zero
// value is valid apart from BootstrapServers, which is required.
type ClientConfig struct {
	// BootstrapServers is bootstrap.servers: "host:port" addresses used to
	// discover the cluster. Required.
	BootstrapServers []string
	// ClientID is client.id, sent to brokers and shown in group
	// descriptions. Default "kafkaclient".
	ClientID string
	// Security is encryption and authentication. Default PLAINTEXT.
	Security Security
	// RequestTimeout bounds one request to a broker (request.timeout.ms,
	// socket.timeout.ms). Default 30s.
	RequestTimeout time.Duration
	// Logger receives the client's logs. Default: discard.
	Logger *slog.Logger
	// BackendOptions are settings passed to the backend unchanged, keyed by
	// the backend's own name for them (librdkafka property names for
	// confluent). A backend rejects keys it does not know. They come from
	// config-map keys prefixed with the backend's name and a dot, such as
	// "confluent.socket.keepalive.enable".
	BackendOptions map[string]string
}

// ProducerConfig configures a producer. The zero value of every field means
// the default its doc names.
type ProducerConfig struct {
	ClientConfig

	// Acks is acks. Default AcksAll.
	Acks Acks
	// Idempotence is enable.idempotence. Default: on where the backend
	// supports it (it needs AcksAll). ToggleOn on a backend without it is
	// ErrUnsupported.
	Idempotence Toggle
	// Retries is retries: how many times a failed produce request is
	// retried. 0 means the default, retry until DeliveryTimeout; a negative
	// value disables retries.
	Retries int
	// DeliveryTimeout is delivery.timeout.ms: how long a message may wait,
	// retries included, before its delivery fails. Default 120s.
	DeliveryTimeout time.Duration
	// MaxInFlight is max.in.flight.requests.per.connection. Default 5.
	MaxInFlight int
	// BatchSize is batch.size: the most bytes in one partition's batch.
	// Default 1000000.
	BatchSize int
	// Linger is linger.ms: how long to wait for more messages before
	// sending a batch. 0 means the default, 5ms; a negative value sends at
	// once.
	Linger time.Duration
	// MaxBufferedMessages is queue.buffering.max.messages: how many
	// messages may wait for delivery before Produce blocks. Default 100000.
	MaxBufferedMessages int
	// MaxBufferedBytes is queue.buffering.max.kbytes in bytes. Default 1 GiB.
	MaxBufferedBytes int64
	// MaxMessageBytes is message.max.bytes: the largest message the
	// producer sends; larger ones fail at once with MESSAGE_TOO_LARGE.
	// Default 1000000.
	MaxMessageBytes int
	// Compression is compression.type. Default CompressionNone.
	Compression Compression
	// Partitioner is partitioner: the key hash, or PartitionerManual to
	// honour Message.Partition. Default murmur2, like the Java client.
	Partitioner Partitioner
	// TransactionalID is transactional.id. Setting it makes the producer
	// transactional (and idempotent).
	TransactionalID string
	// TransactionTimeout is transaction.timeout.ms. Default 60s.
	TransactionTimeout time.Duration
}

// ConsumerConfig configures a consumer. The zero value of every field means
// the default its doc names.
type ConsumerConfig struct {
	ClientConfig

	// GroupID is group.id. Required for Subscribe and for committing.
	GroupID string
	// GroupInstanceID is group.instance.id, for static membership.
	GroupInstanceID string
	// AutoOffsetReset is auto.offset.reset. Default latest.
	AutoOffsetReset OffsetReset
	// DisableAutoCommit is enable.auto.commit=false. By default offsets of
	// messages returned by Poll are committed every AutoCommitInterval and
	// on Close.
	DisableAutoCommit bool
	// AutoCommitInterval is auto.commit.interval.ms. Default 5s.
	AutoCommitInterval time.Duration
	// SessionTimeout is session.timeout.ms. Default 45s.
	SessionTimeout time.Duration
	// HeartbeatInterval is heartbeat.interval.ms. Default 3s.
	HeartbeatInterval time.Duration
	// MaxPollInterval is max.poll.interval.ms, the rebalance timeout.
	// Default 300s.
	MaxPollInterval time.Duration
	// FetchMinBytes is fetch.min.bytes. Default 1.
	FetchMinBytes int
	// FetchMaxBytes is fetch.max.bytes. Default 52428800.
	FetchMaxBytes int
	// MaxPartitionFetchBytes is max.partition.fetch.bytes. Default 1048576.
	MaxPartitionFetchBytes int
	// FetchMaxWait is fetch.wait.max.ms. Default 500ms.
	FetchMaxWait time.Duration
	// Assignors is partition.assignment.strategy, in preference order.
	// Default [range], which every backend supports; none under
	// group.protocol=consumer, where the broker assigns.
	Assignors []Assignor
	// GroupProtocol is group.protocol. Default classic.
	GroupProtocol GroupProtocol
	// GroupRemoteAssignor is group.remote.assignor: the broker's assignor
	// under group.protocol=consumer, "uniform" or "range"; empty for the
	// broker's default.
	GroupRemoteAssignor string
	// IsolationLevel is isolation.level. Default read_uncommitted.
	IsolationLevel IsolationLevel
}

// AdminConfig configures an admin client.
type AdminConfig struct {
	ClientConfig
}
