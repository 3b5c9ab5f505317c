// Package backend is the contract between package kafkaclient and the Kafka
// client libraries it runs on.
//
// Most code should use package kafkaclient. This package is for authors of
// backends: the in-repo ones (franz, segmentio, confluent) and third-party
// ones. It holds the plain data types the root package re-exports, the small
// interfaces a backend implements, and helpers that keep adapters short. It
// imports nothing of this module.
//
// # Required and optional
//
// A backend implements [Backend], [Producer], [Consumer] and [Admin]: what
// every Kafka client has. Operations some clients lack are optional
// interfaces, found by type assertion as database/sql/driver does:
// [TransactionalProducer], [BatchProducer], [Assigner], [IncrementalAssigner],
// [Seeker], [Pauser], [GroupMember], [WatermarkCacher], [OffsetLister],
// [CommittedFetcher], [PartitionCreator], [ConfigManager], [GroupDeleter],
// [GroupOffsetsAlterer], [GroupOffsetsDeleter], [RecordsDeleter],
// [ACLManager], [ScramManager], [ShareGrouper], [ShareGroupDescriber] and
// [Aser]. A
// value that does not implement one makes the root return ErrUnsupported;
// an adapter never writes "not supported" code for an operation.
// [Capabilities] holds only what a config asks for (idempotence,
// read_committed, cooperative rebalancing, static membership); the root
// refuses such settings when the backend does not declare them.
//
// # What the root does, so a backend need not
//
// The root package validates configs and arguments; computes the partition
// of keyed messages (a backend only ever sees an explicit partition, or
// PartitionAny for a nil key); waits for a topic created a moment ago;
// bounds the messages and bytes waiting for delivery (Produce is never
// called past the limit); keeps Close's flush within its deadline; builds
// synchronous produce on top of Produce; tracks the assignment to refuse
// commits of unowned partitions; runs rebalance listeners on the polling
// goroutine; sorts admin results; turns every error into its Error type
// with a classification computed from the code; and makes every call after
// Close fail with CodeClosed.
//
// # Checklist for a backend
//
//   - Backend.Name is short and lowercase; it appears in every error and
//     names the prefix of the backend's own config keys ("name.key").
//   - Backend.Capabilities is truthful; the conformance suite checks each
//     claim, and that every missing optional interface yields
//     CodeUnsupported.
//   - Every config field is honoured or refused: New* returns an error with
//     CodeUnsupported naming the setting when the client cannot honour a
//     non-default value. Nothing is silently ignored.
//   - Defaults are the ones documented in ProducerConfig and ConsumerConfig,
//     not the client's own (acks=all, 5ms linger, no compression).
//   - Backend.Code maps the client's errors to Codes (Kafka protocol codes
//     where the client reports one), so errors compare equal across
//     backends; [NetworkCode] classifies TLS and connection errors.
//   - Produce reports every message it accepted exactly once, through
//     ProducerHooks.Delivered, including when the producer is closed before
//     delivery.
//   - Close honours its context: it returns by the deadline, and no
//     goroutine of the client is left once it has returned.
//   - Aser reaches the underlying client types; the backend's package doc
//     lists them under an "As" heading.
//   - The backend's package has a conformance test that calls
//     conformance.Run.
package backend

import "context"

// Backend opens producers, consumers and admins on one Kafka client library.
// Implementations must be safe for concurrent use.
type Backend interface {
	// Name is the backend's short name, e.g. "franz".
	Name() string
	// Capabilities lists the config-level features the backend provides.
	Capabilities() Capabilities
	// NewProducer opens a producer. The config has the root's defaults
	// applied and is validated; the backend refuses what it cannot honour.
	// It does no network I/O that could block: connections are made
	// lazily.
	NewProducer(cfg ProducerConfig, hooks ProducerHooks) (Producer, error)
	// NewConsumer opens a consumer, likewise.
	NewConsumer(cfg ConsumerConfig, hooks ConsumerHooks) (Consumer, error)
	// NewAdmin opens an admin client, likewise.
	NewAdmin(cfg AdminConfig) (Admin, error)
	// Code returns the Code of an error returned by one of this backend's
	// clients: the Kafka protocol code where there is one, otherwise the
	// closest client-side code, or CodeFailed. A CodeError anywhere in
	// err's chain takes precedence and need not be handled here; nor need
	// context errors.
	Code(err error) Code
}

// DeliveryFunc receives the outcome of one produced message: err is nil when
// the message was written, and msg then has Partition, Offset and Timestamp
// set. It is called from a backend goroutine and must not block for long.
type DeliveryFunc func(msg *Message, err error)

// ProducerHooks are the root's callbacks into a producer.
type ProducerHooks struct {
	// Delivered receives the outcome of every message Produce accepted,
	// once, with the token Produce was given: err is nil when the message
	// was written, and msg then has Partition, Offset and Timestamp set.
	// It may be called from any goroutine, also before Produce returns,
	// and must not be called after Close has returned. It is never nil.
	Delivered func(msg *Message, token any, err error)
	// OnError receives client-level errors that belong to no single
	// message: all brokers down, a fatal idempotence error, an
	// authentication failure. It must not block. The root always sets it.
	OnError func(err error)
}

// Producer sends messages. Every method may be called concurrently with
// every other, Close included.
type Producer interface {
	// Produce hands msg to the client and returns once it is buffered;
	// Delivered is then called exactly once for it, with token.
	// msg.Partition is a partition number, or PartitionAny for a message
	// with a nil key (spread it over partitions). The root has reserved
	// room for msg in its buffer limit, so the client's own limit is never
	// the one that blocks; if it is reached all the same, Produce returns
	// an error with CodeQueueFull, and the root waits and retries.
	// Retrying failed sends until the message's delivery timeout is the
	// client's job; a client whose retries end after a count, not a time,
	// uses Resender. The root has checked once that msg's topic exists
	// (waiting for one just created), so a client need not wait for
	// UNKNOWN_TOPIC_OR_PARTITION to pass. When Produce returns an error,
	// Delivered is not called for msg. Cancelling ctx only abandons a
	// Produce still waiting to buffer msg.
	Produce(ctx context.Context, msg *Message, token any) error
	// PartitionCount returns the number of partitions of topic, from the
	// client's metadata, asking the cluster when it has none. An unknown
	// topic is an error with CodeUnknownTopicOrPartition; the root retries
	// that while the topic may still be being created. It returns when ctx
	// ends.
	PartitionCount(ctx context.Context, topic string) (int32, error)
	// Flush sends buffered messages without waiting for linger.ms and
	// waits until every message accepted before the call has been
	// reported, or ctx is done (then it returns ctx's error; the messages
	// stay buffered).
	Flush(ctx context.Context) error
	// Close fails every message still buffered or in flight with
	// CodeClosed (each still reported once; the root has already flushed
	// what it could) and releases every resource before it returns, by
	// ctx's deadline. Produce and Flush calls running concurrently return
	// CodeClosed. The root calls it once.
	Close(ctx context.Context) error
}

// BatchProducer is implemented by producers whose client takes many
// messages in one call more cheaply than one at a time (kafka-go's
// WriteMessages). Without it the root calls Produce for each message.
type BatchProducer interface {
	// ProduceBatch is Produce for each of msgs, in order, all with token.
	// It returns how many messages, from the first, it accepted: each of
	// those is reported once; err says why the next one was not. The
	// root has checked every message and reserved buffer room for all.
	ProduceBatch(ctx context.Context, msgs []*Message, token any) (accepted int, err error)
}

// TransactionalProducer is implemented by producers that support
// transactions. The root calls these only on a producer opened with a
// TransactionalID, one at a time, and not concurrently with Close unless
// Close's context ended while one was still running.
// Errors the broker answers are returned as they are: the root classifies
// them (abortable, fatal) and the caller retries or aborts.
type TransactionalProducer interface {
	Producer
	// InitTransactions registers the transactional id, fencing older
	// producers, waiting until done or ctx ends.
	InitTransactions(ctx context.Context) error
	// BeginTransaction starts a transaction locally; it does no I/O.
	BeginTransaction() error
	// SendOffsetsToTransaction adds the group's offsets to the open
	// transaction.
	SendOffsetsToTransaction(ctx context.Context, offsets []TopicPartition, group GroupMetadata) error
	// CommitTransaction flushes and commits the open transaction.
	CommitTransaction(ctx context.Context) error
	// AbortTransaction drops the buffered messages and aborts the open
	// transaction.
	AbortTransaction(ctx context.Context) error
}

// Aser is implemented by producers, consumers and admins that expose their
// underlying client: As sets target to it if target's type matches, and
// reports whether it did. Without it, the root's As reports false.
type Aser interface {
	As(target any) bool
}

// RebalanceKind says what happened to a consumer's assignment.
type RebalanceKind int8

// Rebalance kinds.
const (
	// RebalanceAssigned: partitions were added to the assignment.
	// Consumption of them starts after the hook returns.
	RebalanceAssigned RebalanceKind = iota + 1
	// RebalanceRevoked: partitions are being taken away in an orderly
	// rebalance; committing their offsets in the hook still works.
	RebalanceRevoked
	// RebalanceLost: partitions were lost (session expired, fenced);
	// another member may already own them, so commits would fail.
	RebalanceLost
)

// String names the kind.
func (k RebalanceKind) String() string {
	switch k {
	case RebalanceAssigned:
		return "assigned"
	case RebalanceRevoked:
		return "revoked"
	case RebalanceLost:
		return "lost"
	}
	return "unknown"
}

// ConsumerHooks are the root's callbacks into a consumer.
type ConsumerHooks struct {
	// Rebalance reports a change of the group assignment. The backend
	// calls it for every change, so the root can track the assignment and
	// run the user's listener. inPoll tells the root where it is called
	// from: true when the backend calls it on the goroutine running
	// Consumer.Poll or Close (librdkafka's model); false when it calls it
	// from a client goroutine (franz-go's model), in which case it blocks
	// until the user's listener has run inside the user's next Poll, or
	// ctx ends, or the consumer closes. The backend applies the change
	// after Rebalance returns.
	Rebalance func(ctx context.Context, kind RebalanceKind, partitions []TopicPartition, inPoll bool) error
	// OnError receives client-level errors that belong to no single call.
	// It must not block. The root always sets it.
	OnError func(err error)
}

// Consumer reads messages. Poll is called from one goroutine at a time; the
// other methods may be called concurrently with it, and Close with all of
// them (they then return CodeClosed).
type Consumer interface {
	// Subscribe joins the consumer group (ConsumerConfig.GroupID) for the
	// topics; subscribing again replaces the topic list. It returns once
	// the subscription is registered, not once partitions are assigned:
	// joining happens in the background or inside Poll, and the client
	// retries it. ctx bounds the registration only.
	Subscribe(ctx context.Context, topics []string) error
	// Poll returns between 1 and max messages, waiting until at least one
	// is ready or ctx is done (then it returns ctx's error and no
	// messages). It never returns no messages and no error. A message
	// returned by Poll counts as consumed for auto-commit. The client
	// retries fetches; Poll returns an error only for what the caller must
	// know (offset out of range with auto.offset.reset=none, a fatal
	// error).
	Poll(ctx context.Context, max int) ([]*Message, error)
	// Commit synchronously commits offsets (each the next offset to read)
	// for the group, waiting for the broker's answer or ctx's end. It is
	// not retried: the root returns the error, which says whether a retry
	// may succeed. A commit still running when ctx ends may complete.
	Commit(ctx context.Context, offsets []TopicPartition) error
	// Close leaves the group (after committing consumed offsets when
	// auto-commit is on; rebalance hooks run for the revoked partitions)
	// and releases every resource, by ctx's deadline.
	Close(ctx context.Context) error
}

// Assigner is implemented by consumers that can consume partitions without
// group management.
type Assigner interface {
	// Assign consumes exactly these partitions, replacing any earlier
	// assignment, starting at each TopicPartition's Offset: an offset,
	// OffsetBeginning or OffsetEnd (the root has resolved OffsetStored to
	// the group's committed offset or auto.offset.reset). ctx bounds the
	// offset look-ups it may need.
	Assign(ctx context.Context, partitions []TopicPartition) error
}

// Seeker is implemented by consumers that can move the position of an
// assigned partition.
type Seeker interface {
	// Seek makes the next Poll of tp's partition start at tp.Offset (an
	// offset, OffsetBeginning or OffsetEnd), dropping messages of it
	// fetched and not yet returned. ctx bounds the offset look-up a
	// special offset needs.
	Seek(ctx context.Context, tp TopicPartition) error
}

// Pauser is implemented by consumers that can stop and restart fetching
// assigned partitions. Neither call does I/O; messages of a paused
// partition fetched and not yet returned are dropped and fetched again
// after Resume.
type Pauser interface {
	Pause(partitions []TopicPartition) error
	Resume(partitions []TopicPartition) error
}

// GroupMember is implemented by consumers that can report their group
// identity, for SendOffsetsToTransaction.
type GroupMember interface {
	// GroupMetadata returns the member's current identity; it does no
	// I/O.
	GroupMetadata() (GroupMetadata, error)
}

// Admin manages topics and inspects groups and the cluster. Methods may be
// called concurrently, and return when ctx ends. Per-item results (one topic
// of several) carry their own Err; the call's error is for failures of the
// whole request. The root orders results: a backend may return them in any
// order. Nothing is retried beyond the client's own request retries.
type Admin interface {
	// CreateTopics creates the topics; Partitions and ReplicationFactor are
	// positive or -1 for the broker's default.
	CreateTopics(ctx context.Context, topics []TopicSpec) ([]TopicResult, error)
	// DeleteTopics deletes the topics.
	DeleteTopics(ctx context.Context, topics []string) ([]TopicResult, error)
	// DescribeTopics describes the topics, or every non-internal topic when
	// topics is empty. A missing topic has Err set with
	// CodeUnknownTopicOrPartition; it is not an error of the call.
	DescribeTopics(ctx context.Context, topics []string) ([]TopicDescription, error)
	// DescribeCluster describes the cluster and its brokers.
	DescribeCluster(ctx context.Context) (ClusterDescription, error)
	// ListConsumerGroups lists the groups, with their state where the
	// client has it; the root describes those listed with
	// GroupStateUnknown for theirs.
	ListConsumerGroups(ctx context.Context) ([]GroupListing, error)
	// DescribeConsumerGroups describes the groups; a missing group has Err
	// set with CodeGroupIDNotFound.
	DescribeConsumerGroups(ctx context.Context, groups []string) ([]GroupDescription, error)
	// ListConsumerGroupOffsets returns the group's committed offsets.
	ListConsumerGroupOffsets(ctx context.Context, group string) ([]TopicPartition, error)
	// Close releases the client by ctx's deadline. The root calls it once,
	// after the calls in flight have returned, or when ctx has ended while
	// some still run (they then fail).
	Close(ctx context.Context) error
}

// PartitionCreator is implemented by admins that can add partitions.
type PartitionCreator interface {
	// CreatePartitions raises topic's partition count to total.
	CreatePartitions(ctx context.Context, topic string, total int32) error
}

// GroupDeleter is implemented by admins that can delete consumer groups.
type GroupDeleter interface {
	// DeleteConsumerGroups deletes the (empty) groups.
	DeleteConsumerGroups(ctx context.Context, groups []string) error
}

// OffsetLister is implemented by admins and consumers that can look up
// partitions' offsets (the ListOffsets request).
type OffsetLister interface {
	// ListOffsets answers each request, in any order; a partition's error
	// is in its ListedOffset.Err. The leaders are asked directly, with
	// read_uncommitted isolation for an admin and the consumer's
	// isolation.level for a consumer.
	ListOffsets(ctx context.Context, reqs []OffsetRequest) ([]ListedOffset, error)
}

// CommittedFetcher is implemented by consumers that can read their
// group's committed offsets.
type CommittedFetcher interface {
	// Committed returns the group's committed offset of each partition,
	// OffsetInvalid for one with none.
	Committed(ctx context.Context, partitions []TopicPartition) ([]TopicPartition, error)
}

// GroupOffsetsAlterer is implemented by admins that can set a consumer
// group's committed offsets from outside the group.
type GroupOffsetsAlterer interface {
	// AlterConsumerGroupOffsets commits offsets for group (the root has
	// checked that it has no members). A partition's failure is an error
	// naming it.
	AlterConsumerGroupOffsets(ctx context.Context, group string, offsets []TopicPartition) error
}

// GroupOffsetsDeleter is implemented by admins that can delete a consumer
// group's committed offsets (OffsetDelete, Kafka 2.4+).
type GroupOffsetsDeleter interface {
	// DeleteConsumerGroupOffsets deletes group's committed offsets of the
	// partitions. A partition's failure is an error naming it.
	DeleteConsumerGroupOffsets(ctx context.Context, group string, partitions []TopicPartition) error
}

// RecordsDeleter is implemented by admins that can delete records
// (DeleteRecords).
type RecordsDeleter interface {
	// DeleteRecords deletes the records of each partition before its
	// Offset (OffsetEnd: up to the high watermark) and answers each
	// partition's new log start offset, in any order, a partition's
	// failure in its Err.
	DeleteRecords(ctx context.Context, before []TopicPartition) ([]ListedOffset, error)
}
