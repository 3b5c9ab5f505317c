package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

// offsetCases are the cases of offset look-ups: Admin.ListOffsets and the
// consumer's watermarks, offsets for times, position, committed offsets
// and lag.
var offsetCases = []Case{
	{
		Name: "admin/list_offsets",
		Doc:  "ListOffsets answers the earliest and latest offset of each partition in the order asked, a partition asked twice included; no request is no answer.",
		Run:  adminListOffsets,
	},
	{
		Name: "admin/list_offsets_by_time",
		Doc:  "ListOffsets by time answers the first message at or after it, with its timestamp, OffsetEnd for a time after every message, and the largest timestamp's offset for OffsetQueryMaxTimestamp (UNSUPPORTED where the client cannot ask for it).",
		Run:  adminListOffsetsByTime,
	},
	{
		Name: "admin/list_offsets_bad_input",
		Doc:  "ListOffsets of an unknown topic or a partition the topic lacks answers that partition with UNKNOWN_TOPIC_OR_PARTITION and the others normally; a negative partition, an unknown query or a bad topic name is INVALID_ARG at once.",
		Run:  adminListOffsetsBadInput,
	},
	{
		Name: "admin/alter_group_offsets",
		Doc:  "AlterConsumerGroupOffsets sets an empty group's offsets, which its next member resumes from; a group with a member is NON_EMPTY_GROUP and keeps its offsets; a negative offset is INVALID_ARG.",
		Run:  adminAlterGroupOffsets,
	},
	{
		Name: "admin/reset_group_offsets",
		Doc:  "ResetConsumerGroupOffsets moves every partition of the topics to the earliest, the latest, a time or an offset (clamped to the end) and returns what it set; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and a group with a member NON_EMPTY_GROUP, changing nothing.",
		Run:  adminResetGroupOffsets,
	},
	{
		Name: "admin/group_lag",
		Doc:  "ConsumerGroupLag reports each partition the group committed against its high watermark, with the total; a group with no commits has an empty report.",
		Run:  adminGroupLag,
	},
	{
		Name: "admin/delete_group_offsets",
		Doc:  "DeleteConsumerGroupOffsets deletes a group's committed offset of a partition and keeps the others (UNSUPPORTED where the client cannot).",
		Run:  adminDeleteGroupOffsets,
	},
	{
		Name: "admin/delete_records",
		Doc:  "DeleteRecords moves the log start to the offset given (OffsetEnd: the high watermark), consumers from the beginning start there, and an offset past the high watermark is OFFSET_OUT_OF_RANGE for that partition (UNSUPPORTED where the client cannot).",
		Run:  adminDeleteRecords,
	},
	{
		Name: "consume/watermarks",
		Doc:  "QueryWatermarkOffsets returns the log start and the high watermark of any partition, assigned or not, and UNKNOWN_TOPIC_OR_PARTITION for a missing one.",
		Run:  consumeWatermarks,
	},
	{
		Name: "consume/position_committed",
		Doc:  "Position is OffsetInvalid before Poll returns a message of a partition and the next offset after; Committed is OffsetInvalid before a commit and the committed offset after, for assigned partitions and others; both refuse what they cannot answer (NOT_ASSIGNED, INVALID_ARG without group.id).",
		Run:  consumePositionCommitted,
	},
	{
		Name: "consume/offsets_for_times_seek",
		Doc:  "OffsetsForTimes maps each time to the first message at or after it (OffsetEnd after the last), and SeekToTime replays from there.",
		Run:  consumeOffsetsForTimesSeek,
	},
	{
		Name: "consume/messages_iterator",
		Doc:  "Messages ranges over what Poll returns: breaking out loses nothing (the next range continues), listeners run on the ranging goroutine, the end of ctx ends the range after yielding TIMED_OUT, and a consumer with nothing to consume, or closed, yields its error once and ends.",
		Run:  consumeMessagesIterator,
	},
	{
		Name: "consume/commit_async",
		Doc:  "CommitOffsetsAsync returns at once and reports on the polling goroutine, inside a Poll it wakes or inside Close, which waits for it; a partition not assigned is NOT_ASSIGNED at once, with no report.",
		Run:  consumeCommitAsync,
	},
	{
		Name: "consume/close_in_commit_callback",
		Doc:  "A CommitOffsetsAsync callback, run by Poll or by Close, can still commit synchronously, and a Close it calls returns; the consumer is then closed and the commit landed.",
		Run:  consumeCloseInCommitCallback,
	},
	{
		Name: "consume/seek_right_after_assign",
		Doc:  "A Seek made right after Assign, before any Poll, is where the next Poll starts, whatever offset Assign gave (the end, the beginning or an offset).",
		Run:  consumeSeekRightAfterAssign,
	},
	{
		Name: "consume/lag",
		Doc:  "Lag reports every assigned partition: the whole partition before anything is consumed or committed, then high watermark minus position as Poll returns messages, and 0 at the end.",
		Run:  consumeLag,
	},
}

// offTimestamps produces to partition 0 of a new topic one message per
// time, each with that timestamp, and returns the topic.
func offTimestamps(t *testing.T, e *Env, partitions int32, times ...time.Time) string {
	t.Helper()
	topic := e.Topic(t, partitions)
	p := e.Producer(t, func(cfg *kafkaclient.ProducerConfig) { cfg.Partitioner = kafkaclient.PartitionerManual })
	for i, at := range times {
		m := kafkaclient.NewMessage(topic, nil, []byte{byte('a' + i)})
		m.Partition, m.Timestamp = 0, at
		require.NoError(t, p.ProduceSync(Ctx(t), m))
	}
	return topic
}

func adminListOffsets(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	empty := e.Topic(t, 2)
	a := e.Admin(t)
	got, err := a.ListOffsets(Ctx(t),
		kafkaclient.OffsetRequest{Topic: topic, Partition: 0, Query: kafkaclient.OffsetQueryLatest},
		kafkaclient.OffsetRequest{Topic: empty, Partition: 1, Query: kafkaclient.OffsetQueryLatest},
		kafkaclient.OffsetRequest{Topic: topic, Partition: 0, Query: kafkaclient.OffsetQueryEarliest},
		kafkaclient.OffsetRequest{Topic: empty, Partition: 0, Query: kafkaclient.OffsetQueryEarliest},
	)
	require.NoError(t, err)
	require.Len(t, got, 4)
	want := []struct {
		topic     string
		partition int32
		offset    int64
	}{{topic, 0, 10}, {empty, 1, 0}, {topic, 0, 0}, {empty, 0, 0}}
	for i, w := range want {
		require.NoError(t, got[i].Err, "answer %d", i)
		assert.Equal(t, w.topic, got[i].Topic, "answer %d", i)
		assert.Equal(t, w.partition, got[i].Partition, "answer %d", i)
		assert.Equal(t, w.offset, got[i].Offset, "answer %d", i)
	}
	none, err := a.ListOffsets(Ctx(t))
	require.NoError(t, err)
	assert.Empty(t, none)
}

func adminListOffsetsByTime(t *testing.T, e *Env) {
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// Timestamps out of order: the largest is the second message's.
	topic := offTimestamps(t, e, 1, base, base.Add(30*time.Second), base.Add(10*time.Second), base.Add(20*time.Second))
	a := e.Admin(t)
	at := func(d time.Duration) kafkaclient.OffsetRequest {
		return kafkaclient.OffsetRequest{Topic: topic, Partition: 0, Query: kafkaclient.OffsetQueryTime(base.Add(d))}
	}
	got, err := a.ListOffsets(Ctx(t), at(-time.Minute), at(5*time.Second), at(25*time.Second), at(time.Hour))
	require.NoError(t, err)
	for i, w := range []struct {
		offset int64
		ts     time.Time
	}{{0, base}, {1, base.Add(30 * time.Second)}, {1, base.Add(30 * time.Second)}, {kafkaclient.OffsetEnd, time.Time{}}} {
		require.NoError(t, got[i].Err, "answer %d", i)
		assert.Equal(t, w.offset, got[i].Offset, "answer %d", i)
		// A client may not report the timestamp (kafka-go does not).
		if !w.ts.IsZero() && !got[i].Timestamp.IsZero() {
			assert.True(t, w.ts.Equal(got[i].Timestamp), "answer %d: timestamp %v, want %v", i, got[i].Timestamp, w.ts)
		}
	}
	maxTS, err := a.ListOffsets(Ctx(t), kafkaclient.OffsetRequest{Topic: topic, Partition: 0, Query: kafkaclient.OffsetQueryMaxTimestamp})
	if errors.Is(err, kafkaclient.ErrUnsupported) {
		t.Logf("OffsetQueryMaxTimestamp: %v", err)
		return
	}
	require.NoError(t, err)
	require.NoError(t, maxTS[0].Err)
	assert.Equal(t, int64(1), maxTS[0].Offset)
	assert.True(t, base.Add(30*time.Second).Equal(maxTS[0].Timestamp), "timestamp %v", maxTS[0].Timestamp)
}

func adminListOffsetsBadInput(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	a := e.Admin(t)
	missing := topic + "-missing"
	got, err := a.ListOffsets(Ctx(t),
		kafkaclient.OffsetRequest{Topic: missing, Partition: 0, Query: kafkaclient.OffsetQueryLatest},
		kafkaclient.OffsetRequest{Topic: topic, Partition: 5, Query: kafkaclient.OffsetQueryLatest},
		kafkaclient.OffsetRequest{Topic: topic, Partition: 0, Query: kafkaclient.OffsetQueryLatest},
	)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for _, g := range got[:2] {
		require.ErrorIs(t, g.Err, kafkaclient.ErrUnknownTopicOrPartition, "%s/%d", g.Topic, g.Partition)
		assert.Equal(t, kafkaclient.OffsetInvalid, g.Offset)
	}
	require.NoError(t, got[2].Err)
	assert.Equal(t, int64(0), got[2].Offset)
	for _, bad := range []kafkaclient.OffsetRequest{
		{Topic: topic, Partition: -1, Query: kafkaclient.OffsetQueryLatest},
		{Topic: topic, Partition: 0, Query: -4},
		{Topic: "bad topic!", Partition: 0, Query: kafkaclient.OffsetQueryLatest},
	} {
		_, err := a.ListOffsets(Ctx(t), bad)
		var ke *kafkaclient.Error
		require.ErrorAs(t, err, &ke, "%+v", bad)
		assert.Contains(t, []kafkaclient.Code{kafkaclient.CodeInvalidArg, kafkaclient.CodeInvalidTopicException}, ke.Code, "%+v: %v", bad, err)
	}
}

func consumeWatermarks(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 7)...)
	c := e.Consumer(t, "", nil)
	low, high, err := c.QueryWatermarkOffsets(Ctx(t), topic, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(0), low)
	assert.Equal(t, int64(7), high)
	_, _, err = c.QueryWatermarkOffsets(Ctx(t), topic+"-missing", 0)
	require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)
	_, _, err = c.QueryWatermarkOffsets(Ctx(t), topic, -1)
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

func consumePositionCommitted(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	other := e.Topic(t, 1)
	if !e.Caps.ManualAssign {
		t.Skip("the backend cannot assign partitions manually")
	}
	tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}
	c := e.Consumer(t, e.Group(t), ccNoAutoCommit)
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{tp}))
	pos, err := c.Position()
	require.NoError(t, err)
	require.Len(t, pos, 1)
	assert.Equal(t, kafkaclient.OffsetInvalid, pos[0].Offset, "before Poll")
	committed, err := c.Committed(Ctx(t))
	require.NoError(t, err)
	require.Len(t, committed, 1)
	assert.Equal(t, kafkaclient.OffsetInvalid, committed[0].Offset, "before a commit")

	got := PollN(t, c, 3)
	pos, err = c.Position(tp)
	require.NoError(t, err)
	assert.Equal(t, got[2].Offset+1, pos[0].Offset)
	require.NoError(t, Retrying(t, func() error { return c.CommitMessages(Ctx(t), got[1]) }))
	committed, err = c.Committed(Ctx(t), tp, kafkaclient.TopicPartition{Topic: other, Partition: 0})
	require.NoError(t, err)
	require.Len(t, committed, 2)
	assert.Equal(t, got[1].Offset+1, committed[0].Offset)
	assert.Equal(t, other, committed[1].Topic, "a partition not assigned is answered too")
	assert.Equal(t, kafkaclient.OffsetInvalid, committed[1].Offset)

	_, err = c.Position(kafkaclient.TopicPartition{Topic: other, Partition: 0})
	RequireCode(t, err, kafkaclient.CodeNotAssigned)
	_, err = e.Consumer(t, "", nil).Committed(Ctx(t), tp)
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

func consumeOffsetsForTimesSeek(t *testing.T, e *Env) {
	if !e.Caps.ManualAssign || !e.Caps.Seek {
		t.Skip("the backend cannot assign partitions manually or seek")
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	topic := offTimestamps(t, e, 1, base, base.Add(10*time.Second), base.Add(20*time.Second), base.Add(30*time.Second))
	c := e.Consumer(t, "", nil)
	got, err := c.OffsetsForTimes(Ctx(t),
		kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetQueryTime(base.Add(15 * time.Second))},
		kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetQueryTime(base.Add(time.Hour))},
	)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, kafkaclient.OffsetEnd}, []int64{got[0].Offset, got[1].Offset})

	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}}))
	require.Equal(t, []string{"a", "b", "c", "d"}, ccValues(PollN(t, c, 4)))
	require.NoError(t, c.SeekToTime(Ctx(t), base.Add(5*time.Second)))
	require.Equal(t, []string{"b", "c", "d"}, ccValues(PollN(t, c, 3)), "replayed from the first message at or after the time")
	_, err = c.OffsetsForTimes(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: -5})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

func consumeLag(t *testing.T, e *Env) {
	if !e.Caps.ManualAssign {
		t.Skip("the backend cannot assign partitions manually")
	}
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	c := e.Consumer(t, e.Group(t), ccNoAutoCommit)
	lag, err := c.Lag(Ctx(t))
	require.NoError(t, err)
	assert.Empty(t, lag, "nothing assigned")
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}}))
	lag, err = c.Lag(Ctx(t))
	require.NoError(t, err)
	require.Len(t, lag, 1)
	assert.Equal(t, kafkaclient.PartitionLag{Topic: topic, Partition: 0, Position: kafkaclient.OffsetInvalid, High: 10, Lag: 10}, lag[0])
	PollN(t, c, 4)
	lag, err = c.Lag(Ctx(t))
	require.NoError(t, err)
	assert.Equal(t, kafkaclient.PartitionLag{Topic: topic, Partition: 0, Position: 4, High: 10, Lag: 6}, lag[0])
	PollN(t, c, 6)
	lag, err = c.Lag(Ctx(t))
	require.NoError(t, err)
	assert.Equal(t, int64(0), lag[0].Lag)
}

// offCommitted commits offset for group on topic's partition 0 from
// outside the group.
func offCommitted(t *testing.T, a *kafkaclient.Admin, group, topic string, offset int64) {
	t.Helper()
	require.NoError(t, Retrying(t, func() error {
		return a.AlterConsumerGroupOffsets(Ctx(t), group, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: offset, LeaderEpoch: -1})
	}))
}

func adminAlterGroupOffsets(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	a := e.Admin(t)
	group := e.Group(t)
	offCommitted(t, a, group, topic, 6)
	assert.Equal(t, int64(6), ccGroupOffset(t, a, group, topic, 0))
	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	require.Equal(t, ccSeq("v", 6, 2), ccValues(PollN(t, c, 2)), "the member resumes from the offset set")

	err := a.AlterConsumerGroupOffsets(Ctx(t), group, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1})
	RequireCode(t, err, kafkaclient.CodeNonEmptyGroup)
	assert.Equal(t, int64(6), ccGroupOffset(t, a, group, topic, 0), "a refused change changes nothing")
	err = a.AlterConsumerGroupOffsets(Ctx(t), e.Group(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: -1, LeaderEpoch: -1})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

func adminResetGroupOffsets(t *testing.T, e *Env) {
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	topic := offTimestamps(t, e, 2, base, base.Add(10*time.Second), base.Add(20*time.Second), base.Add(30*time.Second))
	a := e.Admin(t)
	group := e.Group(t)
	reset := func(to kafkaclient.ResetTarget) []int64 {
		t.Helper()
		var set []kafkaclient.TopicPartition
		require.NoError(t, Retrying(t, func() (err error) {
			set, err = a.ResetConsumerGroupOffsets(Ctx(t), group, to, topic)
			return err
		}))
		require.Len(t, set, 2)
		for _, s := range set {
			assert.Equal(t, s.Offset, ccGroupOffset(t, a, group, topic, s.Partition), "partition %d", s.Partition)
		}
		return []int64{set[0].Offset, set[1].Offset}
	}
	assert.Equal(t, []int64{4, 0}, reset(kafkaclient.ResetToLatest()))
	assert.Equal(t, []int64{0, 0}, reset(kafkaclient.ResetToEarliest()))
	assert.Equal(t, []int64{2, 0}, reset(kafkaclient.ResetToTime(base.Add(15*time.Second))), "partition 1 has no message: its end")
	assert.Equal(t, []int64{3, 0}, reset(kafkaclient.ResetToOffset(3)))
	assert.Equal(t, []int64{4, 0}, reset(kafkaclient.ResetToOffset(99)), "clamped to the end")

	_, err := a.ResetConsumerGroupOffsets(Ctx(t), group, kafkaclient.ResetToEarliest(), topic, topic+"-missing")
	require.ErrorIs(t, err, kafkaclient.ErrUnknownTopicOrPartition)
	assert.Equal(t, int64(4), ccGroupOffset(t, a, group, topic, 0), "a refused reset changes nothing")
	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	ccEventually(t, Timeout, func() bool { return len(c.Assignment()) == 2 || pollOnce(c) }, "the member was assigned")
	_, err = a.ResetConsumerGroupOffsets(Ctx(t), group, kafkaclient.ResetToEarliest(), topic)
	RequireCode(t, err, kafkaclient.CodeNonEmptyGroup)
	assert.Equal(t, int64(4), ccGroupOffset(t, a, group, topic, 0))
}

// pollOnce polls c briefly, so that a group consumer joins; it reports
// false.
func pollOnce(c *kafkaclient.Consumer) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c.Poll(ctx) //nolint:errcheck // only to drive the join
	return false
}

func adminDeleteGroupOffsets(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	a := e.Admin(t)
	group := e.Group(t)
	require.NoError(t, Retrying(t, func() error {
		return a.AlterConsumerGroupOffsets(Ctx(t), group,
			kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1},
			kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 0, LeaderEpoch: -1})
	}))
	err := a.DeleteConsumerGroupOffsets(Ctx(t), group, kafkaclient.TopicPartition{Topic: topic, Partition: 0})
	if errors.Is(err, kafkaclient.ErrUnsupported) {
		t.Logf("DeleteConsumerGroupOffsets: %v", err)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, int64(-1), ccGroupOffset(t, a, group, topic, 0), "deleted")
	assert.Equal(t, int64(0), ccGroupOffset(t, a, group, topic, 1), "kept")
}

func adminDeleteRecords(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	a := e.Admin(t)
	got, err := a.DeleteRecords(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 4})
	if errors.Is(err, kafkaclient.ErrUnsupported) {
		t.Logf("DeleteRecords: %v", err)
		return
	}
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.NoError(t, got[0].Err)
	assert.Equal(t, int64(4), got[0].Offset, "the new log start")
	c := e.Consumer(t, "", nil)
	low, high, err := c.QueryWatermarkOffsets(Ctx(t), topic, 0)
	require.NoError(t, err)
	assert.Equal(t, []int64{4, 10}, []int64{low, high})
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}}))
	require.Equal(t, "v4", string(PollN(t, c, 1)[0].Value), "consumption from the beginning starts at the new log start")

	got, err = a.DeleteRecords(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 11})
	require.NoError(t, err)
	require.ErrorIs(t, got[0].Err, kafkaclient.ErrOffsetOutOfRange, "past the high watermark")
	got, err = a.DeleteRecords(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetEnd})
	require.NoError(t, err)
	require.NoError(t, got[0].Err)
	assert.Equal(t, int64(10), got[0].Offset)
	_, err = a.DeleteRecords(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: -7})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

func consumeMessagesIterator(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 6)...)
	c := e.Consumer(t, e.Group(t), ccNoAutoCommit)
	var assignedOn string
	listener := kafkaclient.RebalanceFuncs{Assigned: func(context.Context, *kafkaclient.Consumer, []kafkaclient.TopicPartition) error {
		assignedOn = ccGoroutineID()
		return nil
	}}
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, listener))
	var got []string
	for m, err := range c.Messages(Ctx(t)) {
		require.NoError(t, err)
		got = append(got, string(m.Value))
		if len(got) == 3 {
			break
		}
	}
	assert.Equal(t, ccGoroutineID(), assignedOn, "OnAssigned ran on the ranging goroutine")
	ctx, cancel := context.WithTimeout(Ctx(t), 2*time.Second)
	defer cancel()
	var last error
	for m, err := range c.Messages(ctx) {
		if err != nil {
			last = err
			continue
		}
		got = append(got, string(m.Value))
	}
	assert.Equal(t, ccSeq("v", 0, 6), got, "breaking out lost nothing")
	require.ErrorIs(t, last, kafkaclient.ErrTimedOut, "the end of ctx ends the range")

	idle := e.Consumer(t, "", nil)
	n := 0
	for _, err := range idle.Messages(Ctx(t)) {
		n++
		require.ErrorIs(t, err, kafkaclient.ErrState)
	}
	assert.Equal(t, 1, n, "nothing to consume: one error, then the end")
	require.NoError(t, c.Close(Ctx(t)))
	n = 0
	for _, err := range c.Messages(Ctx(t)) {
		n++
		require.ErrorIs(t, err, kafkaclient.ErrClosed)
	}
	assert.Equal(t, 1, n, "closed: one error, then the end")
}

func adminGroupLag(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	p := e.Producer(t, func(cfg *kafkaclient.ProducerConfig) { cfg.Partitioner = kafkaclient.PartitionerManual })
	for i := range 7 {
		m := kafkaclient.NewMessage(topic, nil, []byte("v"))
		m.Partition = int32(i % 2) // 4 in partition 0, 3 in 1
		require.NoError(t, p.ProduceSync(Ctx(t), m))
	}
	a := e.Admin(t)
	group := e.Group(t)
	empty, err := a.ConsumerGroupLag(Ctx(t), group)
	require.NoError(t, err)
	assert.Empty(t, empty.Partitions)
	assert.Zero(t, empty.Total)
	require.NoError(t, Retrying(t, func() error {
		return a.AlterConsumerGroupOffsets(Ctx(t), group,
			kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1},
			kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 3, LeaderEpoch: -1})
	}))
	lag, err := a.ConsumerGroupLag(Ctx(t), group)
	require.NoError(t, err)
	assert.Equal(t, kafkaclient.GroupLag{Group: group, Total: 3, Partitions: []kafkaclient.PartitionLag{
		{Topic: topic, Partition: 0, Position: 1, High: 4, Lag: 3},
		{Topic: topic, Partition: 1, Position: 3, High: 3, Lag: 0},
	}}, lag)
}

func consumeCommitAsync(t *testing.T, e *Env) {
	if !e.Caps.ManualAssign {
		t.Skip("the backend cannot assign partitions manually")
	}
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 3)...)
	a := e.Admin(t)
	group := e.Group(t)
	tp := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}
	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{tp}))
	got := PollN(t, c, 3)

	type report struct {
		offsets []kafkaclient.TopicPartition
		err     error
		on      string
	}
	reports := make(chan report, 2)
	done := func(offsets []kafkaclient.TopicPartition, err error) {
		reports <- report{offsets, err, ccGoroutineID()}
	}
	require.NoError(t, c.CommitOffsetsAsync([]kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: got[1].Offset + 1, LeaderEpoch: -1}}, done))
	// Nothing more to read: the Poll waits, and runs the report when the
	// commit ends.
	ctx, cancel := context.WithTimeout(Ctx(t), 3*time.Second)
	defer cancel()
	_, err := c.Poll(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
	select {
	case r := <-reports:
		require.NoError(t, r.err)
		assert.Equal(t, got[1].Offset+1, r.offsets[0].Offset)
		assert.Equal(t, ccGoroutineID(), r.on, "reported on the polling goroutine")
	default:
		require.Fail(t, "no report inside Poll")
	}
	assert.Equal(t, got[1].Offset+1, ccGroupOffset(t, a, group, topic, 0))

	err = c.CommitOffsetsAsync([]kafkaclient.TopicPartition{{Topic: topic + "-other", Partition: 0, Offset: 1, LeaderEpoch: -1}}, done)
	RequireCode(t, err, kafkaclient.CodeNotAssigned)
	require.NoError(t, c.CommitOffsetsAsync([]kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: 3, LeaderEpoch: -1}}, done))
	require.NoError(t, c.Close(Ctx(t)))
	select {
	case r := <-reports:
		require.NoError(t, r.err)
		assert.Equal(t, ccGoroutineID(), r.on, "reported inside Close")
	default:
		require.Fail(t, "Close did not wait for the commit in flight")
	}
	assert.Empty(t, reports, "one report per commit")
	assert.Equal(t, int64(3), ccGroupOffset(t, a, group, topic, 0))
}

func consumeCloseInCommitCallback(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 3)...)
	a := e.Admin(t)
	for _, where := range []string{"poll", "close"} {
		t.Run(where, func(t *testing.T) {
			group := e.Group(t)
			c := e.Consumer(t, group, ccNoAutoCommit)
			require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
			got := PollN(t, c, 3)
			inner := make(chan error, 1)
			next := []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: got[2].Offset + 1, LeaderEpoch: -1}}
			require.NoError(t, c.CommitOffsetsAsync(next, func(_ []kafkaclient.TopicPartition, err error) {
				assert.NoError(t, err, "the commit")
				assert.NoError(t, c.CommitOffsets(Ctx(t), next...), "a commit from the callback")
				inner <- c.Close(Ctx(t))
			}))
			outer := make(chan error, 1)
			go func() {
				if where == "close" {
					outer <- c.Close(Ctx(t))
					return
				}
				// The report wakes the Poll, which runs it, and the
				// callback's Close ends the Poll.
				for {
					if _, err := c.Poll(Ctx(t)); err != nil {
						outer <- err
						return
					}
				}
			}()
			select {
			case err := <-outer:
				if where == "close" {
					require.NoError(t, err)
				} else {
					RequireCode(t, err, kafkaclient.CodeClosed)
				}
			case <-time.After(30 * time.Second):
				require.FailNow(t, "deadlock: the "+where+" running the callback did not return")
			}
			select {
			case err := <-inner:
				require.NoError(t, err, "Close inside the callback")
			default:
				require.Fail(t, "the callback did not run")
			}
			_, err := c.Poll(Ctx(t))
			RequireCode(t, err, kafkaclient.CodeClosed)
			assert.Equal(t, got[2].Offset+1, ccGroupOffset(t, a, group, topic, 0))
		})
	}
}

func consumeSeekRightAfterAssign(t *testing.T, e *Env) {
	if !e.Caps.ManualAssign || !e.Caps.Seek {
		t.Skip("the backend cannot assign partitions manually or seek")
	}
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 6)...)
	for _, start := range []int64{kafkaclient.OffsetEnd, kafkaclient.OffsetBeginning, 5} {
		c := e.Consumer(t, "", nil)
		require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: start, LeaderEpoch: -1}}))
		require.NoError(t, c.Seek(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 2, LeaderEpoch: -1}))
		require.Equal(t, ccSeq("v", 2, 2), ccValues(PollN(t, c, 2)), "assigned at %d, then sought to 2", start)
		closeWithin(t, c.Close)
	}
}
