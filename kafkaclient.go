// Package kafkaclient is one Kafka Producer, Consumer and Admin API over three
// interchangeable client libraries.
//
// Code written against this package never names a Kafka client. The program
// that links it picks one with a build tag, and every backend behaves the
// same: the same key goes to the same partition, the same config keys are
// accepted, the same error codes come back, and what a backend cannot do
// fails with ErrUnsupported instead of doing something else.
//
// # Backends
//
//	build tag                 backend                                      cgo
//	(none)                    franz: github.com/twmb/franz-go             no
//	kafkaclient_segmentio     segmentio: github.com/segmentio/kafka-go    no
//	kafkaclient_confluent     confluent: confluent-kafka-go/v2 (librdkafka) yes
//	kafkaclient_sarama        sarama: github.com/IBM/sarama               no
//
// A backend can also be chosen per client with [WithBackend]; one binary may
// hold all four.
//
// # Config
//
// Configs are typed structs ([ProducerConfig], [ConsumerConfig],
// [AdminConfig]) whose zero values mean the documented defaults: acks=all,
// idempotence where the backend has it, 5ms linger, no compression, murmur2
// key partitioning like the Java client. A [ConfigMap] with the
// librdkafka-style keys of confluent-kafka-go ("bootstrap.servers",
// "linger.ms", "group.id", ...) parses into them; an unknown key is an error
// that suggests the closest known one. Configs are never modified.
//
// The producer chooses the partition of every message: by the key's hash,
// or spread over partitions for a nil key. Message.Partition is then only
// an output, so a Message literal is safe; with partitioner=manual
// ([PartitionerManual]) the producer uses each message's Partition as
// given.
//
// # Errors
//
// Every error is an [*Error] carrying the operation, the topic and
// partition, a stable [Code] (a Kafka protocol code or a client-side code),
// the backend's name and the client's original error. Test codes with
// errors.Is and the Err* sentinels, classify with [IsRetriable], [IsFatal],
// [IsAbortable] and [IsTimeout]: the answer depends on the code alone, so it
// is the same on every backend.
//
// # As
//
// Producer, Consumer and Admin have an As method that reaches the underlying
// client, for what this API does not cover. Each backend package lists the
// types it supports.
package kafkaclient

import (
	"github.com/kafkaclient/kafkaclient/backend"
)

// Data types, defined in package backend and re-exported here.
type (
	Message            = backend.Message
	Header             = backend.Header
	TopicPartition     = backend.TopicPartition
	GroupMetadata      = backend.GroupMetadata
	TopicSpec          = backend.TopicSpec
	TopicResult        = backend.TopicResult
	TopicDescription   = backend.TopicDescription
	PartitionInfo      = backend.PartitionInfo
	BrokerInfo         = backend.BrokerInfo
	ClusterDescription = backend.ClusterDescription
	GroupState         = backend.GroupState
	GroupListing       = backend.GroupListing
	GroupDescription   = backend.GroupDescription
	MemberDescription  = backend.MemberDescription
	// Backend is what a client library adapter implements; see package
	// backend.
	Backend = backend.Backend
)

// Partition and offset constants; see package backend.
const (
	PartitionAny    = backend.PartitionAny
	OffsetBeginning = backend.OffsetBeginning
	OffsetEnd       = backend.OffsetEnd
	OffsetStored    = backend.OffsetStored
	OffsetInvalid   = backend.OffsetInvalid
)

// Consumer group states; see package backend.
const (
	GroupStateUnknown             = backend.GroupStateUnknown
	GroupStateStable              = backend.GroupStateStable
	GroupStateEmpty               = backend.GroupStateEmpty
	GroupStatePreparingRebalance  = backend.GroupStatePreparingRebalance
	GroupStateCompletingRebalance = backend.GroupStateCompletingRebalance
	GroupStateDead                = backend.GroupStateDead
)

// Capabilities lists what a client's backend can do. A call or setting
// that needs a capability the backend lacks fails with ErrUnsupported.
//
// The config-level fields come from the backend; the others from the
// operations the client has, so a Producer's Capabilities reports its own
// (Transactions) and a Consumer's its own (ManualAssign, Seek, PauseResume):
// the other side's fields are false.
type Capabilities struct {
	// Transactions: transactional.id and the Producer's transaction calls.
	Transactions bool
	// Idempotence: enable.idempotence=true.
	Idempotence bool
	// ReadCommitted: isolation.level=read_committed.
	ReadCommitted bool
	// CooperativeRebalance: partition.assignment.strategy=cooperative-sticky.
	CooperativeRebalance bool
	// StaticMembership: group.instance.id.
	StaticMembership bool
	// ConsumerGroupProtocol: group.protocol=consumer (KIP-848; the broker
	// must serve it too, Kafka 4.0+).
	ConsumerGroupProtocol bool
	// Snappy: compression.type=snappy, and reading records that another
	// producer compressed with it. confluent-kafka-go's windows build of
	// librdkafka leaves snappy out.
	Snappy bool
	// ShareGroups: NewShareConsumer (KIP-932; the broker must serve it
	// too, Kafka 4.1+ with the share.version feature).
	ShareGroups bool
	// ManualAssign: Consumer.Assign.
	ManualAssign bool
	// Seek: Consumer.Seek.
	Seek bool
	// PauseResume: Consumer.Pause and Consumer.Resume.
	PauseResume bool
}

// capabilitiesOf combines b's config-level capabilities with the optional
// interfaces client implements.
func capabilitiesOf(b backend.Backend, client any) Capabilities {
	bc := b.Capabilities()
	_, txn := client.(backend.TransactionalProducer)
	_, assign := client.(backend.Assigner)
	_, share := b.(backend.ShareGrouper)
	_, seek := client.(backend.Seeker)
	_, pause := client.(backend.Pauser)
	return Capabilities{
		Transactions:          txn,
		Idempotence:           bc.Idempotence,
		ReadCommitted:         bc.ReadCommitted,
		CooperativeRebalance:  bc.CooperativeRebalance,
		StaticMembership:      bc.StaticMembership,
		ConsumerGroupProtocol: bc.ConsumerGroupProtocol,
		Snappy:                !bc.NoSnappy,
		ShareGroups:           share,
		ManualAssign:          assign,
		Seek:                  seek,
		PauseResume:           pause,
	}
}

// optional returns client as T, the optional interface (see package
// backend) that an operation needs, or an ErrUnsupported *Error naming what
// the backend lacks.
func optional[T any](b backend.Backend, client any, op, what string) (T, error) {
	t, ok := client.(T)
	if !ok {
		e := newError(op, CodeUnsupported, "%s is not supported by the %s backend", what, b.Name())
		e.Backend = b.Name()
		return t, e
	}
	return t, nil
}

// prepare applies the defaults to cfg and validates it for the backend opts
// select, its ClientConfig (which client returns) first, then the rest with
// prep: the shared start of NewProducer and friends.
func prepare[C any](cfg C, opts []Option, client func(*C) *ClientConfig, prep func(C, backend.Capabilities, string) (C, error)) (C, backend.Backend, error) {
	o := applyOptions(opts)
	cc := client(&cfg)
	if o.tokens != nil {
		cc.Security.TokenProvider = o.tokens
	}
	var err error
	if *cc, err = prepareClient(*cc); err == nil && prep != nil {
		cfg, err = prep(cfg, o.backend.Capabilities(), o.backend.Name())
	}
	return cfg, o.backend, withBackend(err, o.backend)
}

// fromMap parses m for the backend opts select and opens a client with
// open: the shared body of NewProducerFromMap and friends.
func fromMap[C, T any](m ConfigMap, opts []Option, parse func(ConfigMap, string) (C, error), open func(C, ...Option) (T, error)) (T, error) {
	o := applyOptions(opts)
	cfg, err := parse(m, o.backend.Name())
	if err != nil {
		var zero T
		return zero, withBackend(err, o.backend)
	}
	return open(cfg, append(opts, WithBackend(o.backend))...)
}

// as implements As for a backend client: false unless it is a
// backend.Aser.
func as(client, target any) bool {
	a, ok := client.(backend.Aser)
	return ok && a.As(target)
}

// Option changes how a client is opened.
type Option func(*options)

type options struct {
	backend   backend.Backend
	tokens    TokenProvider
	observers []any
}

// WithBackend opens the client on b instead of the backend the build tags
// selected.
func WithBackend(b Backend) Option {
	return func(o *options) { o.backend = b }
}

// WithTokenProvider authenticates the client with SASL/OAUTHBEARER tokens
// from p (sasl.mechanism=OAUTHBEARER, sasl.oauthbearer.method=default): the
// same as setting Security.TokenProvider, for a client opened from a
// ConfigMap. See TokenProvider for when p is called.
func WithTokenProvider(p TokenProvider) Option {
	return func(o *options) { o.tokens = p }
}

func applyOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.backend == nil {
		o.backend = DefaultBackend()
	}
	return o
}

// DefaultBackend returns the backend selected by the build tags: franz
// without a tag, segmentio with kafkaclient_segmentio, confluent with
// kafkaclient_confluent, sarama with kafkaclient_sarama.
func DefaultBackend() Backend { return defaultBackend() }

func defaultBackendName() string { return DefaultBackend().Name() }

// NewMessage returns a message for topic with PartitionAny, so the producer
// chooses the partition from the key.
func NewMessage(topic string, key, value []byte) *Message {
	return &Message{Topic: topic, Partition: PartitionAny, Offset: OffsetInvalid, Key: key, Value: value, LeaderEpoch: -1}
}
