package backend

import "time"

// PartitionAny asks for the partition to be chosen for the message: by the
// key's hash when the message has a key, spread over partitions otherwise.
const PartitionAny int32 = -1

// Special offsets, with the meaning Kafka gives them.
const (
	// OffsetBeginning is the earliest offset still in the log.
	OffsetBeginning int64 = -2
	// OffsetEnd is the offset the next produced message will get.
	OffsetEnd int64 = -1
	// OffsetStored is the group's committed offset, falling back to the
	// auto.offset.reset policy when the group has none.
	OffsetStored int64 = -1000
	// OffsetInvalid marks an offset that is not known (for example the
	// offset of a message whose delivery failed).
	OffsetInvalid int64 = -1001
)

// Header is one record header. Keys may repeat; order is kept.
type Header struct {
	Key   string
	Value []byte
}

// Message is one Kafka record, produced or consumed.
//
// For produce, Topic, Key, Value, Headers and optionally Partition and
// Timestamp are read; Partition and Offset are filled in when the message is
// delivered. For consume, every field is filled in.
type Message struct {
	// Topic the message belongs to. Required for produce.
	Topic string
	// Partition of the message. The producer chooses it (by the key's hash,
	// or spread for a nil key) and sets it on delivery: what a produced
	// message carries is ignored, so a Message literal without it is safe.
	// A producer with PartitionerManual uses it as given instead, where it
	// is a partition number or PartitionAny (partitioned by the key).
	Partition int32
	// Offset of the message in its partition, set after delivery and on
	// consumed messages; OffsetInvalid before.
	Offset int64
	// Key of the message. A nil key and an empty key are different: a nil
	// key is a null key on the wire and is spread over partitions, an empty
	// key is hashed like any other key.
	Key []byte
	// Value of the message. A nil value is a tombstone (null on the wire).
	Value []byte
	// Headers of the message, in order.
	Headers []Header
	// Timestamp of the message. Zero when producing means "now"; consumed
	// messages carry the broker's or producer's timestamp.
	Timestamp time.Time
	// LeaderEpoch is the partition leader epoch of a consumed message, or -1.
	LeaderEpoch int32
	// DeliveryCount is how many times a share group has delivered this
	// message, this time included: 1 on the first delivery, 2 after one
	// release or lock timeout. It is 0 on messages not read through a
	// share group.
	DeliveryCount int32
	// Opaque is for the caller: it is carried unchanged to the delivery
	// report and never sent to Kafka.
	Opaque any
}

// TopicPartition names a partition and, depending on use, an offset in it.
// When committing, Offset is the next offset to consume (the last processed
// offset plus one), as in every Kafka client.
type TopicPartition struct {
	Topic     string
	Partition int32
	Offset    int64
	// Metadata is optional commit metadata.
	Metadata string
	// LeaderEpoch is the leader epoch of Offset, or -1 when unknown.
	LeaderEpoch int32
}

// GroupMetadata identifies a consumer group member for
// SendOffsetsToTransaction, so that the transaction coordinator can fence
// zombie members.
type GroupMetadata struct {
	GroupID         string
	GenerationID    int32
	MemberID        string
	GroupInstanceID string
	// Handle is the backend's own form of this metadata, when its client
	// has one (confluent-kafka-go's *kafka.ConsumerGroupMetadata). A
	// producer of the same backend uses it as is; other producers use the
	// fields above.
	Handle any
}

// TopicSpec describes a topic to create.
type TopicSpec struct {
	// Name of the topic.
	Name string
	// Partitions is the number of partitions; 0 or -1 uses the broker's
	// num.partitions.
	Partitions int32
	// ReplicationFactor is the number of replicas; 0 or -1 uses the broker's
	// default.replication.factor.
	ReplicationFactor int16
	// Configs are topic configs such as retention.ms or cleanup.policy.
	Configs map[string]string
}

// TopicResult is the outcome for one topic of CreateTopics or DeleteTopics.
type TopicResult struct {
	Topic string
	// Err is nil on success.
	Err error
}

// PartitionInfo describes one partition of a topic.
type PartitionInfo struct {
	ID       int32
	Leader   int32
	Replicas []int32
	ISR      []int32
	// Offline replicas, if the broker reports them.
	Offline []int32
}

// TopicDescription describes one topic.
type TopicDescription struct {
	Name       string
	Internal   bool
	Partitions []PartitionInfo
	// Err is set when this topic could not be described (for example it
	// does not exist); the other topics' descriptions are still valid.
	Err error
}

// BrokerInfo describes one broker.
type BrokerInfo struct {
	ID   int32
	Host string
	Port int32
	Rack string
}

// ClusterDescription describes the cluster.
type ClusterDescription struct {
	ClusterID    string
	ControllerID int32
	Brokers      []BrokerInfo
}

// GroupState is the state of a consumer group as the broker reports it:
// "Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead",
// or "Unknown".
type GroupState string

// Consumer group states.
const (
	GroupStateUnknown             GroupState = "Unknown"
	GroupStateStable              GroupState = "Stable"
	GroupStateEmpty               GroupState = "Empty"
	GroupStatePreparingRebalance  GroupState = "PreparingRebalance"
	GroupStateCompletingRebalance GroupState = "CompletingRebalance"
	GroupStateDead                GroupState = "Dead"
)

// GroupListing is one entry of ListConsumerGroups.
type GroupListing struct {
	GroupID      string
	State        GroupState
	ProtocolType string
}

// MemberDescription describes one member of a consumer group.
type MemberDescription struct {
	MemberID        string
	GroupInstanceID string
	ClientID        string
	Host            string
	Assignment      []TopicPartition
}

// GroupDescription describes one consumer group.
type GroupDescription struct {
	GroupID     string
	State       GroupState
	Protocol    string // the assignor in use, e.g. "range"
	Coordinator int32
	Members     []MemberDescription
	// Err is set when this group could not be described.
	Err error
}

// Capabilities lists the config-level features a backend provides: the
// settings it can honour. The root refuses a config that asks for one the
// backend lacks with CodeUnsupported naming the setting. Operations some
// clients lack (transactions, manual assignment, seek, pause) are not listed
// here: they are optional interfaces, see package doc.
type Capabilities struct {
	// Idempotence: enable.idempotence=true.
	Idempotence bool
	// ReadCommitted: isolation.level=read_committed that never returns
	// aborted records.
	ReadCommitted bool
	// CooperativeRebalance: partition.assignment.strategy=cooperative-sticky.
	CooperativeRebalance bool
	// StaticMembership: group.instance.id.
	StaticMembership bool
	// ConsumerGroupProtocol: group.protocol=consumer (KIP-848).
	ConsumerGroupProtocol bool
	// NoSnappy: the client lacks snappy compression, so it can neither
	// produce with compression.type=snappy nor read records compressed
	// with it. (A negative, so that the zero value keeps what it meant
	// before it was added.)
	NoSnappy bool
}

// AllCapabilities declares every config-level capability.
var AllCapabilities = Capabilities{Idempotence: true, ReadCommitted: true, CooperativeRebalance: true, StaticMembership: true, ConsumerGroupProtocol: true}

// The queries of an OffsetRequest other than a timestamp.
const (
	// OffsetQueryLatest asks for the high watermark: the offset the next
	// message will get.
	OffsetQueryLatest int64 = -1
	// OffsetQueryEarliest asks for the log start offset.
	OffsetQueryEarliest int64 = -2
	// OffsetQueryMaxTimestamp asks for the offset of the message with the
	// largest timestamp (KIP-734, Kafka 3.0+).
	OffsetQueryMaxTimestamp int64 = -3
)

// OffsetRequest asks for one offset of a partition: Query is
// OffsetQueryLatest, OffsetQueryEarliest, OffsetQueryMaxTimestamp, or a
// timestamp in Unix milliseconds (the first message at or after it).
type OffsetRequest struct {
	Topic     string
	Partition int32
	Query     int64
}

// ListedOffset answers an OffsetRequest.
type ListedOffset struct {
	Topic     string
	Partition int32
	// Offset is the offset found; for a timestamp with no message at or
	// after it, OffsetEnd.
	Offset int64
	// Timestamp is the timestamp of the message at Offset, for
	// OffsetQueryMaxTimestamp and timestamp queries, where the client
	// reports it (kafka-go does not); zero otherwise.
	Timestamp time.Time
	// LeaderEpoch is the leader epoch of Offset, or -1 when unknown.
	LeaderEpoch int32
	// Err is the partition's error (an unknown topic or partition, say).
	Err error
}
