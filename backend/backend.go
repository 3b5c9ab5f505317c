// Package backend is the contract between package kafkaclient and the Kafka
// client libraries it runs on.
//
// Most code should use package kafkaclient. This package is for authors of
// backends: the in-repo ones (franz, segmentio, confluent) and third-party
// ones. It holds the plain data types the root package re-exports and the
// small interfaces a backend implements. It imports nothing of this module.
//
// # What the root does, so a backend need not
//
// The root package validates configs and arguments, computes the partition of
// keyed messages (a backend only ever sees an explicit partition, or
// PartitionAny for a nil key), builds synchronous produce on top of Produce,
// tracks the assignment to refuse commits of unowned partitions, runs
// rebalance listeners on the polling goroutine, turns every error into its
// Error type with a classification computed from the code, and makes every
// call after Close fail with CodeClosed.
//
// # Checklist for a backend
//
//   - Backend.Name is short and lowercase; it appears in every error.
//   - Backend.Capabilities is truthful; the conformance suite checks each
//     claim, and that every missing capability yields CodeUnsupported.
//   - Every config field is honoured or refused: New* returns an error with
//     CodeUnsupported naming the setting when the client cannot honour a
//     non-default value. Nothing is silently ignored.
//   - Defaults are the ones documented in ProducerConfig and ConsumerConfig,
//     not the client's own (acks=all, 5ms linger, no compression, murmur2).
//   - Backend.Code maps the client's errors to Codes (Kafka protocol codes
//     where the client reports one), so errors compare equal across backends.
//   - Produce calls the DeliveryFunc exactly once for every message it
//     accepted, including when the producer is closed before delivery.
//   - Close honours its context: it returns by the deadline, and no
//     goroutine of the client is left once it has returned.
//   - As reaches the underlying client types; the backend's package doc lists
//     them under an "As" heading.
//   - The backend's package has a conformance test that calls
//     conformance.Run.
package backend

import "context"

// Backend opens producers, consumers and admins on one Kafka client library.
// Implementations must be safe for concurrent use.
type Backend interface {
	// Name is the backend's short name, e.g. "franz".
	Name() string
	// Capabilities lists the optional features the backend provides.
	Capabilities() Capabilities
	// NewProducer opens a producer. The config has the root's defaults
	// applied and is validated; the backend refuses what it cannot honour.
	NewProducer(cfg ProducerConfig, hooks ProducerHooks) (Producer, error)
	// NewConsumer opens a consumer, likewise.
	NewConsumer(cfg ConsumerConfig, hooks ConsumerHooks) (Consumer, error)
	// NewAdmin opens an admin client, likewise.
	NewAdmin(cfg AdminConfig) (Admin, error)
	// Code returns the Code of an error returned by one of this backend's
	// clients: the Kafka protocol code where there is one, otherwise the
	// closest client-side code, or CodeFailed. A CodeError anywhere in
	// err's chain takes precedence and need not be handled here.
	Code(err error) Code
}

// DeliveryFunc receives the outcome of one produced message: err is nil when
// the message was written, and msg then has Partition, Offset and Timestamp
// set. It is called from a backend goroutine and must not block for long.
type DeliveryFunc func(msg *Message, err error)

// ProducerHooks are the root's callbacks into a producer.
type ProducerHooks struct {
	// OnError receives client-level errors that belong to no single
	// message: all brokers down, a fatal idempotence error, an
	// authentication failure. It must not block. It may be nil.
	OnError func(err error)
}

// Producer sends messages. Methods may be called concurrently.
type Producer interface {
	// Produce hands msg to the client and returns once it is buffered.
	// msg.Partition is a partition number, or PartitionAny for a message
	// with a nil key (spread it over partitions). While the buffer is
	// full Produce waits until ctx is done and then returns ctx's error;
	// it must not drop the message silently. When Produce returns nil,
	// report is called exactly once, later, from any goroutine. When it
	// returns an error, report is not called.
	Produce(ctx context.Context, msg *Message, report DeliveryFunc) error
	// PartitionCount returns the number of partitions of topic, from the
	// client's metadata. An unknown topic is an error with
	// CodeUnknownTopicOrPartition.
	PartitionCount(ctx context.Context, topic string) (int32, error)
	// Flush waits until every buffered message has been reported, or ctx
	// is done.
	Flush(ctx context.Context) error
	// Close flushes within ctx, fails what is left with CodeClosed (each
	// report still called once), and releases every resource before it
	// returns.
	Close(ctx context.Context) error
	// As sets target to an underlying client value if its type matches.
	As(target any) bool
}

// TransactionalProducer is implemented by producers that support
// transactions (Capabilities.Transactions). The root calls these only on a
// producer opened with a TransactionalID.
type TransactionalProducer interface {
	Producer
	InitTransactions(ctx context.Context) error
	BeginTransaction() error
	SendOffsetsToTransaction(ctx context.Context, offsets []TopicPartition, group GroupMetadata) error
	CommitTransaction(ctx context.Context) error
	AbortTransaction(ctx context.Context) error
}

// RebalanceKind says what happened to a consumer's assignment.
type RebalanceKind int8

// Rebalance kinds.
const (
	// Assigned: partitions were added to the assignment. Consumption of
	// them starts after the hook returns.
	Assigned RebalanceKind = iota + 1
	// Revoked: partitions are being taken away in an orderly rebalance;
	// committing their offsets in the hook still works.
	Revoked
	// Lost: partitions were lost (session expired, fenced); another member
	// may already own them, so commits would fail.
	Lost
)

// String names the kind.
func (k RebalanceKind) String() string {
	switch k {
	case Assigned:
		return "assigned"
	case Revoked:
		return "revoked"
	case Lost:
		return "lost"
	}
	return "unknown"
}

// ConsumerHooks are the root's callbacks into a consumer.
type ConsumerHooks struct {
	// Rebalance reports a change of the group assignment. The backend
	// calls it for every change, whether or not the user registered a
	// listener, so the root can track the assignment. inPoll tells the
	// root where it is called from: true when the backend calls it on the
	// goroutine running Consumer.Poll (librdkafka's model); false when it
	// calls it from a client goroutine (franz-go's model), in which case
	// it blocks until the user's listener has run inside the user's next
	// Poll, or ctx ends, or the consumer closes. The backend applies the
	// assignment change after Rebalance returns.
	Rebalance func(ctx context.Context, kind RebalanceKind, partitions []TopicPartition, inPoll bool) error
	// OnError receives client-level errors that belong to no single call.
	// It must not block. It may be nil.
	OnError func(err error)
}

// Consumer reads messages. Poll is called from one goroutine at a time; the
// other methods may be called concurrently with it unless noted.
type Consumer interface {
	// Subscribe joins the consumer group (ConsumerConfig.GroupID) for the
	// topics. Subscribing again replaces the topic list.
	Subscribe(topics []string) error
	// Assign consumes exactly these partitions, without group management,
	// starting at each TopicPartition's Offset (OffsetStored uses the
	// group's committed offset when GroupID is set, else auto.offset.reset).
	// Requires Capabilities.ManualAssign.
	Assign(partitions []TopicPartition) error
	// Poll returns between 1 and max messages, waiting until at least one
	// is ready or ctx is done (then it returns ctx's error and no
	// messages). A message returned by Poll counts as consumed for
	// auto-commit.
	Poll(ctx context.Context, max int) ([]*Message, error)
	// Commit synchronously commits offsets (next offset to read) for the
	// group.
	Commit(ctx context.Context, offsets []TopicPartition) error
	// Seek makes the next Poll of the partition start at its Offset.
	// Requires Capabilities.Seek.
	Seek(ctx context.Context, tp TopicPartition) error
	// Pause stops fetching the partitions; Resume starts again. Requires
	// Capabilities.PauseResume.
	Pause(partitions []TopicPartition) error
	Resume(partitions []TopicPartition) error
	// GroupMetadata returns the member's current group identity, for
	// SendOffsetsToTransaction.
	GroupMetadata() (GroupMetadata, error)
	// Close leaves the group (after committing consumed offsets when
	// auto-commit is on) and releases every resource, within ctx.
	Close(ctx context.Context) error
	// As sets target to an underlying client value if its type matches.
	As(target any) bool
}

// Admin manages topics and inspects groups and the cluster. Methods may be
// called concurrently. Every result slice is in the order of the request.
type Admin interface {
	CreateTopics(ctx context.Context, topics []TopicSpec) ([]TopicResult, error)
	DeleteTopics(ctx context.Context, topics []string) ([]TopicResult, error)
	// CreatePartitions raises topic's partition count to total.
	CreatePartitions(ctx context.Context, topic string, total int32) error
	// DescribeTopics describes the topics, or every non-internal topic when
	// topics is empty. A missing topic has Err set with
	// CodeUnknownTopicOrPartition; it is not an error of the call.
	DescribeTopics(ctx context.Context, topics []string) ([]TopicDescription, error)
	// DescribeTopicConfigs returns the topic's effective configs.
	DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error)
	DescribeCluster(ctx context.Context) (ClusterDescription, error)
	ListConsumerGroups(ctx context.Context) ([]GroupListing, error)
	DescribeConsumerGroups(ctx context.Context, groups []string) ([]GroupDescription, error)
	// ListConsumerGroupOffsets returns the group's committed offsets, sorted
	// by topic and partition.
	ListConsumerGroupOffsets(ctx context.Context, group string) ([]TopicPartition, error)
	DeleteConsumerGroups(ctx context.Context, groups []string) error
	Close(ctx context.Context) error
	As(target any) bool
}
