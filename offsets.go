package kafkaclient

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Offset look-ups: which offset of a partition ListOffsets returns.
type (
	// OffsetRequest asks ListOffsets for one offset of a partition: Query
	// is OffsetQueryEarliest, OffsetQueryLatest, OffsetQueryMaxTimestamp,
	// or OffsetQueryTime(t) (the first message at or after t).
	OffsetRequest = backend.OffsetRequest
	// ListedOffset answers an OffsetRequest; a partition's failure is in
	// Err (an *Error).
	ListedOffset = backend.ListedOffset
)

// The queries of an OffsetRequest other than a time.
const (
	// OffsetQueryLatest is the high watermark: the offset the next message
	// will get.
	OffsetQueryLatest = backend.OffsetQueryLatest
	// OffsetQueryEarliest is the log start offset.
	OffsetQueryEarliest = backend.OffsetQueryEarliest
	// OffsetQueryMaxTimestamp is the offset of the message with the
	// largest timestamp (Kafka 3.0+, KIP-734), with that timestamp.
	OffsetQueryMaxTimestamp = backend.OffsetQueryMaxTimestamp
)

// OffsetQueryTime is the query for the first message whose timestamp is at
// or after t. A partition with none answers OffsetEnd.
func OffsetQueryTime(t time.Time) int64 { return t.UnixMilli() }

// PartitionLag is how far a consumer is behind the end of one partition.
type PartitionLag struct {
	Topic     string
	Partition int32
	// Position is the offset the consumer reads next: the one after the
	// last message Poll returned, else the group's committed offset, else
	// OffsetInvalid (nothing consumed or committed yet).
	Position int64
	// High is the partition's high watermark (the offset the next message
	// will get); for read_committed consumers, the last stable offset.
	High int64
	// Lag is High - Position, or High - log start when Position is
	// OffsetInvalid (every message still to read).
	Lag int64
}

// lagAgainstEnds measures each position (OffsetInvalid: none) against its
// partition's log start and high watermark, which list looks up.
func lagAgainstEnds(pos []TopicPartition, list func([]OffsetRequest) ([]ListedOffset, error)) ([]PartitionLag, error) {
	reqs := make([]OffsetRequest, 0, 2*len(pos))
	for _, p := range pos {
		reqs = append(reqs, OffsetRequest{Topic: p.Topic, Partition: p.Partition, Query: OffsetQueryLatest},
			OffsetRequest{Topic: p.Topic, Partition: p.Partition, Query: OffsetQueryEarliest})
	}
	ls, err := list(reqs)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionLag, len(pos))
	for i, p := range pos {
		high, low := ls[2*i], ls[2*i+1]
		for _, l := range []ListedOffset{high, low} {
			if l.Err != nil {
				return nil, l.Err
			}
		}
		from := p.Offset
		if from < 0 {
			from = low.Offset
		}
		out[i] = PartitionLag{Topic: p.Topic, Partition: p.Partition, Position: p.Offset, High: high.Offset, Lag: max(0, high.Offset-max(from, low.Offset))}
	}
	return out, nil
}

// validOffsetRequests checks reqs for op.
func validOffsetRequests(op string, reqs []OffsetRequest) error {
	for _, r := range reqs {
		if err := validTopic(r.Topic); err != nil {
			err.Op = op
			return err
		}
		var e *Error
		switch {
		case r.Partition < 0:
			e = newError(op, CodeInvalidArg, "partition %d is invalid: want 0 or more", r.Partition)
		case r.Query < OffsetQueryMaxTimestamp:
			e = newError(op, CodeInvalidArg, "offset query %d is invalid: want OffsetQueryEarliest, OffsetQueryLatest, OffsetQueryMaxTimestamp or a time (OffsetQueryTime)", r.Query)
		}
		if e != nil {
			e.Topic, e.Partition = r.Topic, r.Partition
			return e
		}
	}
	return nil
}

// inRounds calls list with reqs split into rounds in which no partition
// appears twice (a broker refuses a ListOffsets request that names a
// partition twice), and returns the answers aligned with reqs: out[i]
// answers reqs[i]; a request without an answer gets an error saying so.
func inRounds(reqs []OffsetRequest, list func([]OffsetRequest) ([]ListedOffset, error)) ([]ListedOffset, error) {
	type key struct {
		topic     string
		partition int32
	}
	var rounds [][]int // indexes into reqs
	seen := map[key]int{}
	for i, r := range reqs {
		k := key{r.Topic, r.Partition}
		n := seen[k]
		if n == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[n] = append(rounds[n], i)
		seen[k] = n + 1
	}
	out := make([]ListedOffset, len(reqs))
	for _, round := range rounds {
		ask := make([]OffsetRequest, len(round))
		at := make(map[key]int, len(round))
		for j, i := range round {
			ask[j] = reqs[i]
			at[key{reqs[i].Topic, reqs[i].Partition}] = i
		}
		ls, err := list(ask)
		if err != nil {
			return nil, err
		}
		answered := make(map[int]bool, len(round))
		for _, l := range ls {
			if i, ok := at[key{l.Topic, l.Partition}]; ok && !answered[i] {
				out[i], answered[i] = l, true
			}
		}
		for _, i := range round {
			if !answered[i] {
				r := reqs[i]
				out[i] = ListedOffset{Topic: r.Topic, Partition: r.Partition, Offset: OffsetInvalid, LeaderEpoch: -1,
					Err: backend.Errorf(backend.CodeUnknownTopicOrPartition, "the broker did not answer for this partition")}
			}
		}
	}
	return out, nil
}

// leaderMoving reports whether a partition's ListOffsets error says its
// leadership is changing or not yet known, so that asking again shortly
// may succeed (as the Java admin client and librdkafka do).
func leaderMoving(errs errorMapper, err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if !errors.As(errs.wrap("", "", -1, err), &e) {
		return false
	}
	switch e.Code {
	case CodeNotLeaderOrFollower, CodeLeaderNotAvailable, CodeUnknownLeaderEpoch, CodeFencedLeaderEpoch, CodeOffsetNotAvailable:
		return true
	}
	return false
}

// listOffsetsVia answers reqs, aligned, with list (see inRounds), typing
// each partition's error for op. It asks again, with a backoff from 50 ms
// to 1 s, for the partitions whose leadership is moving (leaderMoving),
// until ctx ends or eight attempts are made; their last answer stands.
func listOffsetsVia(op string, ctx context.Context, errs errorMapper, reqs []OffsetRequest, list func([]OffsetRequest) ([]ListedOffset, error)) ([]ListedOffset, error) {
	out, err := inRounds(reqs, list)
	backoff := 50 * time.Millisecond
	for attempt := 1; err == nil && attempt < 8; attempt++ {
		var again []int
		for i, l := range out {
			if leaderMoving(errs, l.Err) {
				again = append(again, i)
			}
		}
		if len(again) == 0 || backend.Wait(ctx, timeAfter(backoff)) != nil {
			break
		}
		backoff = min(2*backoff, time.Second)
		ask := make([]OffsetRequest, len(again))
		for j, i := range again {
			ask[j] = reqs[i]
		}
		var more []ListedOffset
		if more, err = inRounds(ask, list); err == nil {
			for j, i := range again {
				out[i] = more[j]
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return typeListed(op, errs, out), nil
}

// typeListed types the partitions' errors of ls for op.
func typeListed(op string, errs errorMapper, ls []ListedOffset) []ListedOffset {
	for i := range ls {
		if ls[i].Err != nil {
			ls[i].Offset = OffsetInvalid
			ls[i].Err = errs.wrap(op, ls[i].Topic, ls[i].Partition, ls[i].Err)
		}
	}
	return ls
}

// timeAfter returns a channel closed after d.
func timeAfter(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	time.AfterFunc(d, func() { close(ch) })
	return ch
}

// ListOffsets looks up an offset of each partition: the earliest, the
// latest, the one with the largest timestamp, or the first at or after a
// time (see OffsetRequest). Answers are in the order asked; a partition's
// failure (an unknown topic or partition, say) is in its Err.
func (a *Admin) ListOffsets(ctx context.Context, reqs ...OffsetRequest) ([]ListedOffset, error) {
	const op = "list offsets"
	if err := validOffsetRequests(op, reqs); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	ol, err := optional[backend.OffsetLister](a.b, a.ba, op, "listing offsets")
	if err != nil {
		return nil, err
	}
	var ls []ListedOffset
	if err := a.do(op, ctx, func() (err error) {
		ls, err = listOffsetsVia(op, ctx, a.errs, reqs, func(round []OffsetRequest) ([]ListedOffset, error) { return ol.ListOffsets(ctx, round) })
		return err
	}); err != nil {
		return nil, err
	}
	return ls, nil
}

// listOffsets runs a ListOffsets of the consumer's backend, which uses the
// consumer's isolation.level.
func (c *Consumer) listOffsets(op string, ctx context.Context, reqs []OffsetRequest) ([]ListedOffset, error) {
	ol, err := consumerOp[backend.OffsetLister](c, op, "looking up offsets")
	if err != nil {
		return nil, err
	}
	if err := validOffsetRequests(op, reqs); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctxError(op, ctx)
	}
	ls, err := listOffsetsVia(op, ctx, c.errs, reqs, func(round []OffsetRequest) ([]ListedOffset, error) { return ol.ListOffsets(ctx, round) })
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(op, ctx)
		}
		return nil, c.errs.wrap(op, "", -1, err)
	}
	return ls, nil
}

// QueryWatermarkOffsets asks the partition's leader for its log start
// offset (low) and high watermark (high: the offset the next message will
// get, or for a read_committed consumer the last stable offset). The
// partition need not be assigned.
func (c *Consumer) QueryWatermarkOffsets(ctx context.Context, topic string, partition int32) (low, high int64, err error) {
	ls, err := c.listOffsets("query watermark offsets", ctx, []OffsetRequest{
		{Topic: topic, Partition: partition, Query: OffsetQueryEarliest},
		{Topic: topic, Partition: partition, Query: OffsetQueryLatest},
	})
	if err != nil {
		return OffsetInvalid, OffsetInvalid, err
	}
	for _, l := range ls {
		if l.Err != nil {
			return OffsetInvalid, OffsetInvalid, l.Err
		}
	}
	return ls[0].Offset, ls[1].Offset, nil
}

// OffsetsForTimes returns, for each partition, the offset of its first
// message with a timestamp at or after tp.Offset, read as Unix
// milliseconds (as in confluent-kafka-go), or OffsetEnd when it has none.
// The partitions need not be assigned. A partition's failure fails the
// call, naming the partition.
func (c *Consumer) OffsetsForTimes(ctx context.Context, tps ...TopicPartition) ([]TopicPartition, error) {
	const op = "offsets for times"
	reqs := make([]OffsetRequest, len(tps))
	for i, tp := range tps {
		if tp.Offset < 0 {
			e := c.fail(op, CodeInvalidArg, "timestamp %d is invalid: want Unix milliseconds, 0 or more", tp.Offset)
			e.Topic, e.Partition = tp.Topic, tp.Partition
			return nil, e
		}
		reqs[i] = OffsetRequest{Topic: tp.Topic, Partition: tp.Partition, Query: tp.Offset}
	}
	ls, err := c.listOffsets(op, ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]TopicPartition, len(ls))
	for i, l := range ls {
		if l.Err != nil {
			return nil, l.Err
		}
		out[i] = TopicPartition{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, LeaderEpoch: l.LeaderEpoch}
	}
	return out, nil
}

// SeekToTime moves each of the partitions (every assigned partition when
// none are given) to its first message with a timestamp at or after t, or
// to its end when it has none: to replay from a point in time.
func (c *Consumer) SeekToTime(ctx context.Context, t time.Time, partitions ...TopicPartition) error {
	const op = "seek to time"
	if len(partitions) == 0 {
		partitions = c.Assignment()
	} else if err := c.checkAssigned(op, partitions); err != nil {
		return err
	}
	at := make([]TopicPartition, len(partitions))
	for i, p := range partitions {
		at[i] = TopicPartition{Topic: p.Topic, Partition: p.Partition, Offset: max(0, OffsetQueryTime(t))}
	}
	found, err := c.OffsetsForTimes(ctx, at...)
	if err != nil {
		return err
	}
	for _, tp := range found {
		if err := c.Seek(ctx, tp); err != nil {
			return err
		}
	}
	return nil
}

// Committed returns the group's committed offset of each partition
// (every assigned partition when none are given), OffsetInvalid for one
// with none. The partitions need not be assigned.
func (c *Consumer) Committed(ctx context.Context, partitions ...TopicPartition) ([]TopicPartition, error) {
	const op = "committed"
	cf, err := consumerOp[backend.CommittedFetcher](c, op, "reading committed offsets")
	if err != nil {
		return nil, err
	}
	if c.cfg.GroupID == "" {
		return nil, c.fail(op, CodeInvalidArg, "committed offsets need a consumer group: set group.id")
	}
	if len(partitions) == 0 {
		partitions = c.Assignment()
	}
	for _, p := range partitions {
		if err := validTopic(p.Topic); err != nil {
			err.Op = op
			return nil, err
		}
	}
	if len(partitions) == 0 {
		return nil, nil
	}
	if ctx.Err() != nil {
		return nil, ctxError(op, ctx)
	}
	got, err := cf.Committed(ctx, slices.Clone(partitions))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(op, ctx)
		}
		err = c.errs.wrap(op, "", -1, err)
		// A group that never committed may be unknown to the broker
		// (depending on its version): it has no committed offsets.
		if !errors.Is(err, ErrGroupIDNotFound) {
			return nil, err
		}
		got = nil
	}
	out := make([]TopicPartition, len(partitions))
	for i, p := range partitions {
		out[i] = TopicPartition{Topic: p.Topic, Partition: p.Partition, Offset: OffsetInvalid, LeaderEpoch: -1}
		for _, g := range got {
			if g.Topic == p.Topic && g.Partition == p.Partition {
				out[i] = g
				break
			}
		}
	}
	return out, nil
}

// Position returns, for each partition (every assigned partition when none
// are given), the offset Poll reads next: the one after the last message it
// returned, or OffsetInvalid before it has returned one. It does no I/O.
// The partitions must be assigned.
func (c *Consumer) Position(partitions ...TopicPartition) ([]TopicPartition, error) {
	const op = "position"
	if err := c.usable(op); err != nil {
		return nil, err
	}
	if len(partitions) == 0 {
		partitions = c.Assignment()
	} else if err := c.checkAssigned(op, partitions); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TopicPartition, len(partitions))
	for i, p := range partitions {
		out[i] = TopicPartition{Topic: p.Topic, Partition: p.Partition, Offset: OffsetInvalid, LeaderEpoch: -1}
		if st := c.parts[tpKey{p.Topic, p.Partition}]; st != nil && st.hasPosition {
			out[i].Offset = st.position
		}
	}
	return out, nil
}

// Lag reports, for every assigned partition, how far the consumer is
// behind its end (see PartitionLag), sorted by topic and partition.
func (c *Consumer) Lag(ctx context.Context) ([]PartitionLag, error) {
	const op = "lag"
	pos, err := c.Position()
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, nil
	}
	var unknown []TopicPartition
	for _, p := range pos {
		if p.Offset == OffsetInvalid {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) > 0 && c.cfg.GroupID != "" {
		committed, err := c.Committed(ctx, unknown...)
		if err != nil {
			return nil, err
		}
		for _, cm := range committed {
			for i := range pos {
				if pos[i].Topic == cm.Topic && pos[i].Partition == cm.Partition {
					pos[i].Offset = cm.Offset
				}
			}
		}
	}
	out, err := lagAgainstEnds(pos, func(reqs []OffsetRequest) ([]ListedOffset, error) { return c.listOffsets(op, ctx, reqs) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y PartitionLag) int {
		return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
	})
	return out, nil
}
