package kafkaclient

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// ResetTarget is where ResetConsumerGroupOffsets moves a group: see
// ResetToEarliest, ResetToLatest, ResetToTime and ResetToOffset.
type ResetTarget struct {
	query  int64 // an OffsetQuery*, a time in Unix ms, or -100 for offset
	offset int64
}

const resetToOffset = -100

// ResetToEarliest moves each partition to its log start: everything is
// read again.
func ResetToEarliest() ResetTarget { return ResetTarget{query: OffsetQueryEarliest} }

// ResetToLatest moves each partition to its end: only new messages are
// read.
func ResetToLatest() ResetTarget { return ResetTarget{query: OffsetQueryLatest} }

// ResetToTime moves each partition to its first message at or after t (its
// end when it has none).
func ResetToTime(t time.Time) ResetTarget {
	return ResetTarget{query: max(0, OffsetQueryTime(t))}
}

// ResetToOffset moves each partition to offset (0 or more), or to its end
// when offset is past it.
func ResetToOffset(offset int64) ResetTarget {
	return ResetTarget{query: resetToOffset, offset: offset}
}

// requireEmptyGroup fails unless group has no members: offsets set from
// outside would be overwritten by, or confuse, running members.
func (a *Admin) requireEmptyGroup(op string, ctx context.Context, group string) error {
	if group == "" {
		return newError(op, CodeInvalidArg, "group id is empty")
	}
	ds, err := a.DescribeConsumerGroups(ctx, group)
	if err != nil {
		return err
	}
	if d := ds[0]; d.Err == nil && len(d.Members) > 0 {
		e := newError(op, CodeNonEmptyGroup, "group %q has %d member(s): stop its consumers before changing its offsets", group, len(d.Members))
		e.Backend = a.b.Name()
		return e
	} else if d.Err != nil && !errors.Is(d.Err, ErrGroupIDNotFound) {
		return d.Err
	}
	return nil
}

// AlterConsumerGroupOffsets sets group's committed offsets of the
// partitions (each Offset the next one to read, 0 or more). The group must
// have no members: a group that is consuming is refused with
// NON_EMPTY_GROUP and nothing changes.
func (a *Admin) AlterConsumerGroupOffsets(ctx context.Context, group string, offsets ...TopicPartition) error {
	const op = "alter group offsets"
	for _, o := range offsets {
		if err := validTopic(o.Topic); err != nil {
			err.Op = op
			return err
		}
		if o.Partition < 0 || o.Offset < 0 {
			e := newError(op, CodeInvalidArg, "partition %d, offset %d is invalid: want 0 or more for both", o.Partition, o.Offset)
			e.Topic, e.Partition = o.Topic, o.Partition
			return e
		}
	}
	ga, err := optional[backend.GroupOffsetsAlterer](a.b, a.ba, op, "altering group offsets")
	if err != nil {
		return err
	}
	if err := a.requireEmptyGroup(op, ctx, group); err != nil {
		return err
	}
	if len(offsets) == 0 {
		return nil
	}
	return a.do(op, ctx, func() error { return ga.AlterConsumerGroupOffsets(ctx, group, slices.Clone(offsets)) })
}

// ResetConsumerGroupOffsets moves group's committed offsets of every
// partition of the topics to target, and returns the offsets it set. The
// group must have no members (NON_EMPTY_GROUP otherwise, and nothing
// changes); a missing topic is UNKNOWN_TOPIC_OR_PARTITION, and nothing
// changes.
func (a *Admin) ResetConsumerGroupOffsets(ctx context.Context, group string, target ResetTarget, topics ...string) ([]TopicPartition, error) {
	const op = "reset group offsets"
	if len(topics) == 0 {
		return nil, newError(op, CodeInvalidArg, "no topic named")
	}
	if target.query == resetToOffset && target.offset < 0 {
		return nil, newError(op, CodeInvalidArg, "offset %d is invalid: want 0 or more", target.offset)
	}
	if _, err := optional[backend.GroupOffsetsAlterer](a.b, a.ba, op, "altering group offsets"); err != nil {
		return nil, err
	}
	if err := a.requireEmptyGroup(op, ctx, group); err != nil {
		return nil, err
	}
	ds, err := a.DescribeTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var reqs []OffsetRequest
	for _, d := range ds {
		if d.Err != nil {
			return nil, d.Err
		}
		for _, p := range d.Partitions {
			q := target.query
			if q == resetToOffset {
				q = OffsetQueryLatest // to clamp the offset to the end
			}
			reqs = append(reqs, OffsetRequest{Topic: d.Name, Partition: p.ID, Query: q})
		}
	}
	ls, err := a.ListOffsets(ctx, reqs...)
	if err != nil {
		return nil, err
	}
	offsets := make([]TopicPartition, len(ls))
	for i, l := range ls {
		if l.Err != nil {
			return nil, l.Err
		}
		o := l.Offset
		switch {
		case target.query == resetToOffset:
			o = min(target.offset, l.Offset)
		case o == OffsetEnd: // no message at or after the time: the end
			end, err := a.ListOffsets(ctx, OffsetRequest{Topic: l.Topic, Partition: l.Partition, Query: OffsetQueryLatest})
			if err != nil {
				return nil, err
			}
			if end[0].Err != nil {
				return nil, end[0].Err
			}
			o = end[0].Offset
		}
		offsets[i] = TopicPartition{Topic: l.Topic, Partition: l.Partition, Offset: o, LeaderEpoch: -1}
	}
	if err := a.AlterConsumerGroupOffsets(ctx, group, offsets...); err != nil {
		return nil, err
	}
	return sortedTopicPartitions(offsets), nil
}

// DeleteConsumerGroupOffsets deletes group's committed offsets of the
// partitions (Kafka 2.4+). A group consuming one of their topics is
// refused by the broker (GROUP_SUBSCRIBED_TO_TOPIC).
func (a *Admin) DeleteConsumerGroupOffsets(ctx context.Context, group string, partitions ...TopicPartition) error {
	const op = "delete group offsets"
	if group == "" {
		return newError(op, CodeInvalidArg, "group id is empty")
	}
	for _, p := range partitions {
		if err := validTopic(p.Topic); err != nil {
			err.Op = op
			return err
		}
	}
	gd, err := optional[backend.GroupOffsetsDeleter](a.b, a.ba, op, "deleting group offsets")
	if err != nil || len(partitions) == 0 {
		return err
	}
	return a.do(op, ctx, func() error { return gd.DeleteConsumerGroupOffsets(ctx, group, slices.Clone(partitions)) })
}

// DeleteRecords deletes the records of each partition before its Offset
// (OffsetEnd: every record up to the high watermark), and answers each
// partition's new log start offset in the order asked; a partition's
// failure (an offset past the high watermark is OFFSET_OUT_OF_RANGE) is in
// its Err.
func (a *Admin) DeleteRecords(ctx context.Context, before ...TopicPartition) ([]ListedOffset, error) {
	const op = "delete records"
	reqs := make([]OffsetRequest, len(before))
	for i, b := range before {
		if b.Offset < 0 && b.Offset != OffsetEnd {
			e := newError(op, CodeInvalidArg, "offset %d is invalid: want 0 or more, or OffsetEnd", b.Offset)
			e.Topic, e.Partition = b.Topic, b.Partition
			return nil, e
		}
		// The offset rides in Query, which validOffsetRequests accepts.
		reqs[i] = OffsetRequest{Topic: b.Topic, Partition: b.Partition, Query: max(b.Offset, OffsetQueryLatest)}
	}
	if err := validOffsetRequests(op, reqs); err != nil {
		return nil, err
	}
	rd, err := optional[backend.RecordsDeleter](a.b, a.ba, op, "deleting records")
	if err != nil || len(before) == 0 {
		return nil, err
	}
	var ls []ListedOffset
	if err := a.do(op, ctx, func() (err error) {
		ls, err = inRounds(reqs, func(round []OffsetRequest) ([]ListedOffset, error) {
			return rd.DeleteRecords(ctx, backend.Convert(round, func(r OffsetRequest) TopicPartition {
				return TopicPartition{Topic: r.Topic, Partition: r.Partition, Offset: r.Query, LeaderEpoch: -1}
			}))
		})
		return err
	}); err != nil {
		return nil, err
	}
	return typeListed(op, a.errs, ls), nil
}

// GroupLag is a consumer group's lag report: per partition it has a
// committed offset for, that offset against the partition's end.
type GroupLag struct {
	Group string
	// Partitions are sorted by topic and partition.
	Partitions []PartitionLag
	// Total is the sum of the partitions' Lag.
	Total int64
}

// ConsumerGroupLag reports how far group is behind on every partition it
// has committed an offset for: each PartitionLag's Position is the
// committed offset, High the high watermark, Lag their difference (counted
// from the log start when the committed offset was deleted). A group with
// no committed offset, or none at all, has an empty report.
func (a *Admin) ConsumerGroupLag(ctx context.Context, group string) (GroupLag, error) {
	committed, err := a.ListConsumerGroupOffsets(ctx, group)
	if errors.Is(err, ErrGroupIDNotFound) {
		// Kafka itself answers a group it does not know with no offsets.
		committed, err = nil, nil
	}
	if err != nil {
		return GroupLag{}, err
	}
	out := GroupLag{Group: group}
	if len(committed) == 0 {
		return out, nil
	}
	out.Partitions, err = lagAgainstEnds(committed, func(reqs []OffsetRequest) ([]ListedOffset, error) { return a.ListOffsets(ctx, reqs...) })
	if err != nil {
		return GroupLag{}, err
	}
	for _, p := range out.Partitions {
		out.Total += p.Lag
	}
	return out, nil
}
