package conformance

import (
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
	p := e.Producer(t, nil)
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
	require.NoError(t, c.CommitMessages(Ctx(t), got[1]))
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
