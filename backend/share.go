package backend

import (
	"context"
	"fmt"
	"time"
)

// AckKind is how a share-group record is acknowledged (KIP-932).
type AckKind int8

// Acknowledgement kinds, with Kafka's numbers.
const (
	// AckAccept: the record was processed; it is not delivered again.
	AckAccept AckKind = 1
	// AckRelease: the record goes back to the group to be delivered
	// again, to this member or another, its delivery count raised.
	AckRelease AckKind = 2
	// AckReject: the record cannot be processed; it is archived and not
	// delivered again.
	AckReject AckKind = 3
)

// String names the kind as Kafka does.
func (k AckKind) String() string {
	switch k {
	case AckAccept:
		return "accept"
	case AckRelease:
		return "release"
	case AckReject:
		return "reject"
	}
	return "unknown"
}

// ShareAckMode is share.acknowledgement.mode.
type ShareAckMode string

// Acknowledgement modes.
const (
	// ShareAckImplicit: a record not acknowledged by the next Poll,
	// Commit or Close is accepted then.
	ShareAckImplicit ShareAckMode = "implicit"
	// ShareAckExplicit: every record must be acknowledged before the next
	// Poll; Close releases the records still unacknowledged.
	ShareAckExplicit ShareAckMode = "explicit"
)

// DefaultMaxPollRecords is max.poll.records' default for share consumers.
const DefaultMaxPollRecords = 500

// ShareConsumerConfig configures a share-group consumer.
type ShareConsumerConfig struct {
	ClientConfig

	// GroupID is group.id, the share group. Required.
	GroupID string
	// AckMode is share.acknowledgement.mode. Default implicit.
	AckMode ShareAckMode
	// MaxPollRecords is max.poll.records: the most records one fetch
	// acquires. Default 500.
	MaxPollRecords int
	// RecordLimit is share.acquire.mode=record_limit (KIP-1206, Kafka
	// 4.2+): a fetch acquires at most MaxPollRecords records, splitting
	// batches. By default (batch_optimized) the broker acquires whole
	// batches, so that one member may take a batch of thousands while the
	// others wait: set it to spread a partition's records over members.
	RecordLimit bool
	// FetchMinBytes is fetch.min.bytes. Default 1.
	FetchMinBytes int
	// FetchMaxBytes is fetch.max.bytes. Default 52428800.
	FetchMaxBytes int
	// FetchMaxWait is fetch.wait.max.ms. Default 500ms.
	FetchMaxWait time.Duration
}

// ShareConsumerHooks are the root's callbacks into a share consumer.
type ShareConsumerHooks struct {
	// OnError receives errors that belong to no call: acknowledgements
	// sent with a fetch that the broker refused, a lost connection. It
	// must not block. The root always sets it.
	OnError func(err error)
}

// Acquired is one record a share consumer holds: the message, its
// DeliveryCount set, and the backend's handle to acknowledge it with.
type Acquired struct {
	Msg    *Message
	Handle any
}

// ShareGrouper is implemented by backends whose client can consume in a
// share group (KIP-932, Kafka 4.1+).
type ShareGrouper interface {
	NewShareConsumer(cfg ShareConsumerConfig, hooks ShareConsumerHooks) (ShareConsumer, error)
}

// ShareConsumer reads records of a share group. Poll is called from one
// goroutine at a time; Acknowledge from that goroutine too. Commit may
// run concurrently with Poll, and Close with everything (which then
// returns CodeClosed). The root tracks which records are held, refuses a
// second acknowledgement, and implements the acknowledgement mode: a
// backend only passes acknowledgements on.
type ShareConsumer interface {
	// Subscribe joins the share group for the topics, replacing an
	// earlier topic list. It returns once registered; joining happens in
	// the background.
	Subscribe(ctx context.Context, topics []string) error
	// Poll returns between 1 and max acquired records, waiting until one
	// is ready or ctx is done (then ctx's error and no records). Records
	// of the previous Poll have all been acknowledged by the root before
	// it is called.
	Poll(ctx context.Context, max int) ([]Acquired, error)
	// Acknowledge records how a record Poll returned was handled; it is
	// sent with the next fetch or Commit. It does no I/O.
	Acknowledge(handle any, kind AckKind)
	// Commit sends the acknowledgements not yet sent and waits for the
	// broker's answer or ctx's end. It returns the refusals (*AckError
	// each) the broker sent since the last Commit, this one's included.
	Commit(ctx context.Context) error
	// Close sends the acknowledgements not yet sent, releases the
	// records fetched and not returned, leaves the group and releases
	// every resource, by ctx's deadline.
	Close(ctx context.Context) error
}

// AckError is a partition's acknowledgements the broker refused, which
// ShareConsumer.Commit returns (joined with errors.Join when several
// partitions failed), so that the root names the partition.
type AckError struct {
	Topic     string
	Partition int32
	Err       error
}

// Error names the partition and says what the broker answered.
func (e *AckError) Error() string {
	return fmt.Sprintf("acknowledging records of %s[%d]: %v", e.Topic, e.Partition, e.Err)
}

// Unwrap returns the broker's error.
func (e *AckError) Unwrap() error { return e.Err }

// Share groups from the admin.
type (
	// ShareGroupDescriber is implemented by admins that can describe
	// share groups and their offsets.
	ShareGroupDescriber interface {
		// ListShareGroups lists the cluster's share groups.
		ListShareGroups(ctx context.Context) ([]GroupListing, error)
		// DescribeShareGroups describes the groups; a missing group has
		// Err set with CodeGroupIDNotFound.
		DescribeShareGroups(ctx context.Context, groups []string) ([]ShareGroupDescription, error)
		// ShareGroupOffsets returns the group's start offset of each
		// partition it has consumed: the first offset not yet accepted
		// or rejected by every member, and the lag up to the end.
		ShareGroupOffsets(ctx context.Context, group string) ([]ShareGroupOffset, error)
	}

	// ShareGroupDescription describes one share group.
	ShareGroupDescription struct {
		GroupID     string
		State       GroupState
		Coordinator int32
		Epoch       int32
		Members     []ShareMemberDescription
		// Err is set when this group could not be described.
		Err error
	}

	// ShareMemberDescription describes one member of a share group.
	ShareMemberDescription struct {
		MemberID   string
		ClientID   string
		Host       string
		Assignment []TopicPartition
	}

	// ShareGroupOffset is a share group's start offset in one partition.
	ShareGroupOffset struct {
		Topic     string
		Partition int32
		// StartOffset is the share-partition start offset: every record
		// before it is accepted, rejected or archived.
		StartOffset int64
		// Lag is the count of records from StartOffset not yet
		// acknowledged, where the broker reports it (Kafka 4.1+), or -1.
		Lag int64
		// Err is this partition's error.
		Err error
	}
)
