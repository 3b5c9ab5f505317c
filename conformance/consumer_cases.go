package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
)

var consumerCases = []Case{
	{
		Name: "consume/commit_resume",
		Doc:  "Messages committed with CommitMessages are not delivered again to the next member of the group, which gets exactly the rest.",
		Run:  consumeCommitResume,
	},
	{
		Name: "consume/group_split_partitions",
		Doc:  "Two members of one group split the partitions of a 4-partition topic into non-empty disjoint sets covering all, and each receives only its own partitions' messages.",
		Run:  consumeGroupSplit,
	},
	{
		Name: "consume/rebalance_callbacks",
		Doc:  "A rebalance listener's OnAssigned runs inside Poll on the polling goroutine with the partitions, and OnRevoked runs inside Close; without the capability Subscribe with a listener fails with ErrUnsupported.",
		Run:  consumeRebalanceCallbacks,
	},
	{
		Name: "consume/commit_on_revoke",
		Doc:  "A commit made in OnRevoked during Close takes effect: the group's committed offset is the consumer's position and the next member starts there.",
		Run:  consumeCommitOnRevoke,
	},
	{
		Name: "consume/commit_unassigned",
		Doc:  "Committing an offset for a partition not assigned to the consumer fails with ErrNotAssigned, and a negative offset with ErrInvalidArg.",
		Run:  consumeCommitUnassigned,
	},
	{
		Name: "consume/commit_stale_message",
		Doc:  "CommitMessages of a message Poll did not return since its partition was last assigned (never delivered, or delivered before the partition was taken away and given back) fails with CodeIllegalGeneration and commits nothing; messages delivered since commit.",
		Run:  consumeCommitStaleMessage,
	},
	{
		Name: "consume/assign_seek",
		Doc:  "A manually assigned partition is read from OffsetBeginning, Seek to an offset makes that offset the next message, Seek to OffsetEnd skips everything, and an invalid seek offset fails with ErrInvalidArg (or ErrUnsupported without the capabilities).",
		Run:  consumeAssignSeek,
	},
	{
		Name: "consume/assign_stored_offset",
		Doc:  "Assign with OffsetStored starts at the group's committed offset; with no commit it starts where auto.offset.reset says, and with auto.offset.reset=none it fails with OFFSET_OUT_OF_RANGE (or ErrUnsupported without manual assignment).",
		Run:  consumeAssignStoredOffset,
	},
	{
		Name: "consume/pause_resume",
		Doc:  "A paused partition delivers nothing while the others still do, and its messages arrive after Resume (or ErrUnsupported without the capability).",
		Run:  consumePauseResume,
	},
	{
		Name: "consume/offset_reset",
		Doc:  "auto.offset.reset=earliest reads the messages already in the topic, latest only those produced after the assignment.",
		Run:  consumeOffsetReset,
	},
	{
		Name: "consume/poll_batch",
		Doc:  "PollBatch returns exactly n messages when n are available, what arrived when its context ends otherwise, a timeout when none came, and ErrInvalidArg for n < 1.",
		Run:  consumePollBatch,
	},
	{
		Name: "consume/poll_available",
		Doc:  "PollAvailable returns what is ready (1 to n messages, in order) without waiting for n, a timeout when nothing came, and ErrInvalidArg for n < 1.",
		Run:  consumePollAvailable,
	},
	{
		Name: "consume/order_within_partition",
		Doc:  "Batches spanning several partitions keep each partition's messages in offset order, with auto-commit on and off: every message is delivered once, offsets 0, 1, 2, ... per partition.",
		Run:  consumeOrderWithinPartition,
	},
	{
		Name: "consume/read_message_timeout",
		Doc:  "ReadMessage on an empty topic returns, after about its timeout, an error matching ErrTimedOut for which IsTimeout holds.",
		Run:  consumeReadMessageTimeout,
	},
	{
		Name: "consume/close",
		Doc:  "Close returns nil well within its deadline, and afterwards Poll and CommitOffsets fail with ErrClosed and Close again returns nil.",
		Run:  consumeClose,
	},
	{
		Name: "consume/close_interrupts_poll",
		Doc:  "A Poll blocked on an empty topic returns ErrClosed promptly when another goroutine closes the consumer, and Close ends the fetch the broker is holding (fetch.wait.max.ms=10s) with no goroutine left.",
		Run:  consumeCloseInterruptsPoll,
	},
	{
		Name: "consume/state_errors",
		Doc:  "Poll before Subscribe or Assign fails with ErrState, Subscribe without group.id or without topics with ErrInvalidArg, and mixing Assign and Subscribe with ErrState.",
		Run:  consumeStateErrors,
	},
	{
		Name: "consume/auto_commit",
		Doc:  "With auto-commit on, offsets of polled messages are committed periodically and on Close, so the next member of the group resumes after them.",
		Run:  consumeAutoCommit,
	},
}

// ccValues returns the messages' values as strings.
func ccValues(msgs []*kafkaclient.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

// ccSeq returns prefix0, prefix1, ... prefix(n-1).
func ccSeq(prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(from+i)
	}
	return out
}

// pcManual makes a producer honour each message's Partition.
func pcManual(cfg *kafkaclient.ProducerConfig) { cfg.Partitioner = kafkaclient.PartitionerManual }

// ccProduceTo sends one message per value to an explicit partition; p's
// partitioner is PartitionerManual.
func ccProduceTo(t *testing.T, p *kafkaclient.Producer, topic string, partition int32, values ...string) {
	t.Helper()
	msgs := make([]*kafkaclient.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkaclient.NewMessage(topic, nil, []byte(v))
		msgs[i].Partition = partition
	}
	Produce(t, p, msgs...)
}

// ccFilled creates a one-partition topic holding values, produced with nil
// keys, and returns it with the producer that wrote them.
func ccFilled(t *testing.T, e *Env, values ...string) (string, *kafkaclient.Producer) {
	t.Helper()
	topic := e.Topic(t, 1)
	p := e.Producer(t, nil)
	ProduceValues(t, p, topic, values...)
	return topic, p
}

func consumeAssignStoredOffset(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	group := e.Group(t)
	stored := []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetStored, LeaderEpoch: -1}}
	if !e.Caps.ManualAssign {
		RequireUnsupported(t, e.Consumer(t, group, ccNoAutoCommit).Assign(Ctx(t), stored))
		return
	}
	// No commit yet: auto.offset.reset (earliest here) decides.
	first := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, first.Assign(Ctx(t), stored))
	got := PollN(t, first, 4)
	require.Equal(t, int64(0), got[0].Offset)
	require.NoError(t, first.CommitMessages(Ctx(t), got[3]))
	closeWithin(t, first.Close)

	second := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, second.Assign(Ctx(t), stored))
	next := PollN(t, second, 1)
	require.Equal(t, int64(4), next[0].Offset, "resumes at the committed offset")

	none := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) {
		cfg.DisableAutoCommit = true
		cfg.AutoOffsetReset = kafkaclient.OffsetResetNone
	})
	RequireCode(t, none.Assign(Ctx(t), stored), kafkaclient.CodeOffsetOutOfRange)
}

// ccNoAutoCommit disables auto-commit.
func ccNoAutoCommit(cfg *kafkaclient.ConsumerConfig) { cfg.DisableAutoCommit = true }

// ccGroupOffset returns the group's committed offset of topic[partition], or
// -1 when there is none.
func ccGroupOffset(t *testing.T, a *kafkaclient.Admin, group, topic string, partition int32) int64 {
	t.Helper()
	offsets, err := a.ListConsumerGroupOffsets(Ctx(t), group)
	require.NoError(t, err)
	for _, o := range offsets {
		if o.Topic == topic && o.Partition == partition {
			return o.Offset
		}
	}
	return -1
}

// ccEventually polls cond every 50ms until it holds or d passed.
func ccEventually(t *testing.T, d time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			require.Fail(t, "condition not met in time", msgAndArgs...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ccGoroutineID returns the current goroutine's id, from its stack header.
func ccGoroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	if i := bytes.IndexByte(buf, ' '); i >= 0 {
		buf = buf[:i]
	}
	return string(buf)
}

func consumeCommitResume(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	group := e.Group(t)

	a := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, a.Subscribe(Ctx(t), []string{topic}, nil))
	first := PollN(t, a, 5)
	require.Equal(t, ccSeq("v", 0, 5), ccValues(first))
	for i, m := range first {
		require.Equal(t, topic, m.Topic)
		require.Equal(t, int32(0), m.Partition)
		require.Equal(t, int64(i), m.Offset)
	}
	require.NoError(t, a.CommitMessages(Ctx(t), first...))
	require.NoError(t, a.Close(Ctx(t)))

	b := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, b.Subscribe(Ctx(t), []string{topic}, nil))
	rest := PollN(t, b, 5)
	require.Equal(t, ccSeq("v", 5, 5), ccValues(rest), "the new member must start after the committed messages")
	require.Equal(t, int64(5), rest[0].Offset)
	PollNone(t, b, 500*time.Millisecond)
}

func consumeGroupSplit(t *testing.T, e *Env) {
	const parts = 4
	topic := e.Topic(t, parts)
	group := e.Group(t)
	p := e.Producer(t, pcManual)
	a := e.Consumer(t, group, nil)
	b := e.Consumer(t, group, nil)
	require.NoError(t, a.Subscribe(Ctx(t), []string{topic}, nil))
	require.NoError(t, b.Subscribe(Ctx(t), []string{topic}, nil))

	split := func() bool {
		as, bs := a.Assignment(), b.Assignment()
		if len(as) == 0 || len(bs) == 0 || len(as)+len(bs) != parts {
			return false
		}
		seen := map[int32]bool{}
		for _, tp := range append(as, bs...) {
			if tp.Topic != topic || seen[tp.Partition] {
				return false
			}
			seen[tp.Partition] = true
		}
		return len(seen) == parts
	}
	// Poll both members (the group only settles while they poll) until the
	// assignment is split and stays so for a moment.
	ctx := Ctx(t)
	stable := 0
	for stable < 3 {
		require.NoError(t, ctx.Err(), "members never split the partitions: A %v, B %v", a.Assignment(), b.Assignment())
		for _, c := range []*kafkaclient.Consumer{a, b} {
			pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			_, err := c.Poll(pctx)
			cancel()
			if err != nil {
				require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
			}
		}
		if split() {
			stable++
		} else {
			stable = 0
		}
	}
	as, bs := a.Assignment(), b.Assignment()
	t.Logf("A has %v, B has %v", as, bs)
	owner := map[int32]*kafkaclient.Consumer{}
	for _, tp := range as {
		owner[tp.Partition] = a
	}
	for _, tp := range bs {
		owner[tp.Partition] = b
	}

	// Each member receives the messages of its own partitions only.
	for part := range int32(parts) {
		ccProduceTo(t, p, topic, part, fmt.Sprintf("p%d", part))
	}
	got := map[*kafkaclient.Consumer][]*kafkaclient.Message{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range []*kafkaclient.Consumer{a, b} {
		n := len(c.Assignment())
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), Timeout)
			defer cancel()
			for range n {
				m, err := c.Poll(ctx)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				got[c] = append(got[c], m)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())
	for c, msgs := range got {
		for _, m := range msgs {
			require.Equal(t, topic, m.Topic)
			require.Same(t, c, owner[m.Partition], "message of partition %d went to the member not assigned it", m.Partition)
			require.Equal(t, fmt.Sprintf("p%d", m.Partition), string(m.Value))
		}
	}
	require.Len(t, got[a], len(as))
	require.Len(t, got[b], len(bs))
}

func consumeRebalanceCallbacks(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	group := e.Group(t)
	p := e.Producer(t, pcManual)

	var (
		inPoll, inClose   atomic.Bool
		mu                sync.Mutex // guards the records below
		assigned, revoked ccCallback
		assignedGIDs      []string
		assignedView      []kafkaclient.TopicPartition
	)
	listener := kafkaclient.RebalanceFuncs{
		Assigned: func(_ context.Context, c *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
			mu.Lock()
			defer mu.Unlock()
			assigned.record(tps, inPoll.Load())
			assignedGIDs = append(assignedGIDs, ccGoroutineID())
			assignedView = c.Assignment()
			return nil
		},
		Revoked: func(_ context.Context, _ *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
			mu.Lock()
			defer mu.Unlock()
			revoked.record(tps, inClose.Load())
			return nil
		},
	}
	c := e.Consumer(t, group, nil)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, listener))

	// The group forms in the background, but the listener waits for Poll.
	time.Sleep(time.Second)
	require.Zero(t, assigned.calls.Load(), "OnAssigned ran outside Poll")

	ccProduceTo(t, p, topic, 0, "a")
	ccProduceTo(t, p, topic, 1, "b")
	pollGID := ccGoroutineID()
	inPoll.Store(true)
	msgs := PollN(t, c, 2)
	inPoll.Store(false)
	require.ElementsMatch(t, []string{"a", "b"}, ccValues(msgs))

	want := []kafkaclient.TopicPartition{
		{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1},
		{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1},
	}
	// Under group.protocol=consumer the broker may assign the partitions
	// in more than one step, each reported by its own OnAssigned.
	calls := func(cb *ccCallback) {
		t.Helper()
		if e.Protocol == kafkaclient.GroupProtocolConsumer {
			require.GreaterOrEqual(t, cb.calls.Load(), int32(1))
		} else {
			require.Equal(t, int32(1), cb.calls.Load())
		}
	}
	mu.Lock()
	calls(&assigned)
	require.Equal(t, want, ccPartitionsOnly(assigned.tps))
	require.True(t, assigned.inside, "OnAssigned did not run inside Poll")
	for _, gid := range assignedGIDs {
		require.Equal(t, pollGID, gid, "OnAssigned did not run on the polling goroutine")
	}
	require.Equal(t, want, assignedView, "Assignment inside OnAssigned must include the new partitions")
	mu.Unlock()
	require.Equal(t, want, c.Assignment())
	require.Zero(t, revoked.calls.Load())

	inClose.Store(true)
	require.NoError(t, c.Close(Ctx(t)))
	inClose.Store(false)
	mu.Lock()
	defer mu.Unlock()
	calls(&revoked)
	require.Equal(t, want, ccPartitionsOnly(revoked.tps))
	require.True(t, revoked.inside, "OnRevoked did not run inside Close")
	calls(&assigned)
	require.Empty(t, c.Assignment())
}

// ccCallback records the calls of one rebalance callback.
type ccCallback struct {
	calls  atomic.Int32
	tps    []kafkaclient.TopicPartition // every partition it was given
	inside bool                         // whether every call came inside the client call the test expects
}

// record notes a call with tps; inside tells whether the client call the
// test expects the callback within (Poll or Close) was under way.
func (cb *ccCallback) record(tps []kafkaclient.TopicPartition, inside bool) {
	cb.inside = inside && (cb.calls.Load() == 0 || cb.inside)
	cb.calls.Add(1)
	cb.tps = append(cb.tps, tps...)
}

// ccPartitionsOnly returns tps with Offset and LeaderEpoch normalised, sorted.
func ccPartitionsOnly(tps []kafkaclient.TopicPartition) []kafkaclient.TopicPartition {
	out := make([]kafkaclient.TopicPartition, len(tps))
	for i, tp := range tps {
		out[i] = kafkaclient.TopicPartition{Topic: tp.Topic, Partition: tp.Partition, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1}
	}
	slices.SortFunc(out, func(x, y kafkaclient.TopicPartition) int {
		if x.Topic != y.Topic {
			if x.Topic < y.Topic {
				return -1
			}
			return 1
		}
		return int(x.Partition - y.Partition)
	})
	return out
}

func consumeCommitOnRevoke(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	group := e.Group(t)

	var (
		mu        sync.Mutex
		committed []kafkaclient.TopicPartition
		commitErr error
		calls     int
	)
	a := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, a.Subscribe(Ctx(t), []string{topic}, kafkaclient.RebalanceFuncs{
		Revoked: func(ctx context.Context, c *kafkaclient.Consumer, _ []kafkaclient.TopicPartition) error {
			offsets, err := c.Commit(ctx)
			mu.Lock()
			defer mu.Unlock()
			calls++
			committed, commitErr = offsets, err
			return err
		},
	}))
	msgs := PollN(t, a, 4)
	require.Equal(t, ccSeq("v", 0, 4), ccValues(msgs))
	require.NoError(t, a.Close(Ctx(t)))

	mu.Lock()
	require.Equal(t, 1, calls, "OnRevoked must run on Close")
	require.NoError(t, commitErr, "commit inside OnRevoked")
	require.Len(t, committed, 1)
	require.Equal(t, topic, committed[0].Topic)
	require.Equal(t, int32(0), committed[0].Partition)
	require.Equal(t, int64(4), committed[0].Offset, "Commit commits the offset after the last polled message")
	mu.Unlock()

	adm := e.Admin(t)
	require.Equal(t, int64(4), ccGroupOffset(t, adm, group, topic, 0))

	b := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, b.Subscribe(Ctx(t), []string{topic}, nil))
	next := PollN(t, b, 1)
	require.Equal(t, int64(4), next[0].Offset)
	require.Equal(t, "v4", string(next[0].Value))
}

func consumeCommitStaleMessage(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	group := e.Group(t)
	p := e.Producer(t, pcManual)
	Produce(t, p,
		&kafkaclient.Message{Topic: topic, Partition: 0, Value: []byte("a0")},
		&kafkaclient.Message{Topic: topic, Partition: 0, Value: []byte("a1")},
		&kafkaclient.Message{Topic: topic, Partition: 1, Value: []byte("b0")})
	c := e.Consumer(t, group, ccNoAutoCommit)
	ctx := Ctx(t)
	adm := e.Admin(t)
	requireStale := func(err error, what string) {
		t.Helper()
		ke := RequireCode(t, err, kafkaclient.CodeIllegalGeneration)
		require.Equal(t, topic, ke.Topic, what)
	}
	if !e.Caps.ManualAssign {
		// Through a subscription: a message at an offset never delivered.
		require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
		got := PollN(t, c, 1)[0]
		requireStale(c.CommitMessages(ctx, &kafkaclient.Message{Topic: got.Topic, Partition: got.Partition, Offset: got.Offset + 5}), "never delivered")
		require.NoError(t, c.CommitMessages(ctx, got))
		return
	}
	p0 := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}
	p1 := kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetBeginning}
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{p0}))
	require.NoError(t, c.CommitOffsets(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}))
	old := PollN(t, c, 2)
	// Never delivered: an offset past what Poll returned.
	requireStale(c.CommitMessages(ctx, &kafkaclient.Message{Topic: topic, Partition: 0, Offset: 7}), "never delivered")
	// Partition 0 goes away and comes back: its earlier messages are stale.
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{p1}))
	PollN(t, c, 1)
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{p0}))
	requireStale(c.CommitMessages(ctx, old...), "delivered before reassignment")
	require.Equal(t, int64(0), ccGroupOffset(t, adm, group, topic, 0), "nothing committed")
	// Delivered again after the reassignment: they commit.
	again := PollN(t, c, 2)
	require.Equal(t, []string{"a0", "a1"}, ccValues(again))
	require.NoError(t, c.CommitMessages(ctx, again...))
	require.Equal(t, int64(2), ccGroupOffset(t, adm, group, topic, 0))
}

func consumeCommitUnassigned(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, "v0", "v1")
	other := e.Topic(t, 1)
	group := e.Group(t)

	c := e.Consumer(t, group, ccNoAutoCommit)
	ctx := Ctx(t)
	// Before any assignment nothing may be committed.
	err := c.CommitOffsets(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrNotAssigned)

	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	PollN(t, c, 1)
	for _, tp := range []kafkaclient.TopicPartition{
		{Topic: topic, Partition: 3, Offset: 1, LeaderEpoch: -1},
		{Topic: other, Partition: 0, Offset: 1, LeaderEpoch: -1},
	} {
		err := c.CommitOffsets(ctx, tp)
		require.ErrorIs(t, err, kafkaclient.ErrNotAssigned, "commit of %s[%d]", tp.Topic, tp.Partition)
		ke := RequireCode(t, err, kafkaclient.CodeNotAssigned)
		require.Equal(t, tp.Topic, ke.Topic)
		require.Equal(t, tp.Partition, ke.Partition)
	}
	// One unowned partition fails the whole commit: nothing is committed.
	err = c.CommitOffsets(ctx,
		kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1},
		kafkaclient.TopicPartition{Topic: other, Partition: 0, Offset: 1, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrNotAssigned)
	adm := e.Admin(t)
	require.Equal(t, int64(-1), ccGroupOffset(t, adm, group, topic, 0))
	require.Equal(t, int64(-1), ccGroupOffset(t, adm, group, other, 0))

	err = c.CommitOffsets(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: -5, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)

	// The owned partition commits.
	require.NoError(t, c.CommitOffsets(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1}))
	require.Equal(t, int64(1), ccGroupOffset(t, adm, group, topic, 0))
}

func consumeAssignSeek(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	if !e.Caps.ManualAssign {
		c := e.Consumer(t, "", nil)
		RequireUnsupported(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
		if !e.Caps.Seek {
			RequireUnsupported(t, c.Seek(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0}))
		}
		return
	}
	p := e.Producer(t, pcManual)
	ccProduceTo(t, p, topic, 0, ccSeq("v", 0, 10)...)
	ccProduceTo(t, p, topic, 1, "other")

	c := e.Consumer(t, "", nil)
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
	require.Equal(t, []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1}}, c.Assignment())
	first := PollN(t, c, 3)
	require.Equal(t, ccSeq("v", 0, 3), ccValues(first))
	for i, m := range first {
		require.Equal(t, int32(0), m.Partition, "only the assigned partition is read")
		require.Equal(t, int64(i), m.Offset)
	}

	ctx := Ctx(t)
	if !e.Caps.Seek {
		RequireUnsupported(t, c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 5}))
		return
	}
	require.NoError(t, c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 5, LeaderEpoch: -1}))
	m, err := c.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), m.Offset, "the message after Seek(5)")
	require.Equal(t, "v5", string(m.Value))

	// Backwards works too.
	require.NoError(t, c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning, LeaderEpoch: -1}))
	m, err = c.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(0), m.Offset, "the message after Seek(OffsetBeginning)")

	require.NoError(t, c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetEnd, LeaderEpoch: -1}))
	PollNone(t, c, time.Second)
	ccProduceTo(t, p, topic, 0, "after-end")
	m, err = c.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(10), m.Offset)
	require.Equal(t, "after-end", string(m.Value))

	err = c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: -7, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
	err = c.Seek(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 1, Offset: 0, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrNotAssigned, "seek on an unassigned partition")

	// Re-assigning replaces the assignment.
	require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetBeginning}}))
	m, err = c.Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, int32(1), m.Partition)
	require.Equal(t, "other", string(m.Value))
	require.Equal(t, []kafkaclient.TopicPartition{{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1}}, c.Assignment())
}

func consumePauseResume(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	group := e.Group(t)
	p := e.Producer(t, pcManual)
	c := e.Consumer(t, group, nil)
	tp0 := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1}
	if !e.Caps.PauseResume {
		RequireUnsupported(t, c.Pause(tp0))
		RequireUnsupported(t, c.Resume(tp0))
		return
	}
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	ccProduceTo(t, p, topic, 0, "a0")
	ccProduceTo(t, p, topic, 1, "b0")
	require.ElementsMatch(t, []string{"a0", "b0"}, ccValues(PollN(t, c, 2)))
	require.Len(t, c.Assignment(), 2)

	require.NoError(t, c.Pause(tp0))
	ccProduceTo(t, p, topic, 0, "a1", "a2", "a3")
	ccProduceTo(t, p, topic, 1, "b1", "b2", "b3")
	got := PollN(t, c, 3)
	require.Equal(t, []string{"b1", "b2", "b3"}, ccValues(got), "only the unpaused partition delivers")
	PollNone(t, c, time.Second)

	require.NoError(t, c.Resume(tp0))
	got = PollN(t, c, 3)
	require.Equal(t, []string{"a1", "a2", "a3"}, ccValues(got), "the resumed partition delivers what was produced while paused")
	for _, m := range got {
		require.Equal(t, int32(0), m.Partition)
	}

	err := c.Pause(kafkaclient.TopicPartition{Topic: topic, Partition: 7})
	require.ErrorIs(t, err, kafkaclient.ErrNotAssigned, "pausing an unassigned partition")
}

func consumeOffsetReset(t *testing.T, e *Env) {
	topic, p := ccFilled(t, e, ccSeq("old", 0, 5)...)

	early := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) { cfg.AutoOffsetReset = kafkaclient.OffsetResetEarliest })
	require.NoError(t, early.Subscribe(Ctx(t), []string{topic}, nil))
	require.Equal(t, ccSeq("old", 0, 5), ccValues(PollN(t, early, 5)))

	late := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) { cfg.AutoOffsetReset = kafkaclient.OffsetResetLatest })
	require.NoError(t, late.Subscribe(Ctx(t), []string{topic}, nil))
	// Produce markers until one arrives: the consumer is then assigned.
	ctx := Ctx(t)
	var seen []string
	for i := 0; len(seen) == 0; i++ {
		require.NoError(t, ctx.Err(), "no marker arrived at the latest-reset consumer")
		ProduceValues(t, p, topic, fmt.Sprintf("marker%d", i))
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		for {
			m, err := late.Poll(pctx)
			if err != nil {
				require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
				break
			}
			seen = append(seen, string(m.Value))
		}
		cancel()
	}
	for _, v := range seen {
		require.NotContains(t, v, "old", "latest reset delivered a message produced before the assignment: %v", seen)
	}
	// Messages produced from now on all arrive.
	ProduceValues(t, p, topic, "new0", "new1")
	got := PollN(t, late, 2)
	require.Equal(t, []string{"new0", "new1"}, ccValues(got))
}

func consumePollAvailable(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	c := e.Consumer(t, e.Group(t), nil)
	_, err := c.PollAvailable(Ctx(t), 0)
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))

	var got []*kafkaclient.Message
	for len(got) < 10 {
		ctx, cancel := context.WithTimeout(t.Context(), Timeout)
		start := time.Now()
		msgs, err := c.PollAvailable(ctx, 100)
		took := time.Since(start)
		cancel()
		require.NoError(t, err, "after %d of 10 messages", len(got))
		require.NotEmpty(t, msgs)
		require.LessOrEqual(t, len(got)+len(msgs), 10, "more messages than produced")
		require.Less(t, took, Timeout/2, "PollAvailable waited for its maximum")
		got = append(got, msgs...)
	}
	require.Equal(t, ccSeq("v", 0, 10), ccValues(got))

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	msgs, err := c.PollAvailable(ctx, 5)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut, "nothing ready is a timeout")
	require.Empty(t, msgs)
}

func consumePollBatch(t *testing.T, e *Env) {
	topic, p := ccFilled(t, e, ccSeq("v", 0, 10)...)
	group := e.Group(t)
	c := e.Consumer(t, group, nil)

	err := func() error { _, err := c.PollBatch(Ctx(t), 0); return err }()
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
	_, err = c.PollBatch(Ctx(t), -1)
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)

	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	batch, err := c.PollBatch(Ctx(t), 4)
	require.NoError(t, err)
	require.Equal(t, ccSeq("v", 0, 4), ccValues(batch), "PollBatch(4) with 10 available returns 4")
	batch, err = c.PollBatch(Ctx(t), 6)
	require.NoError(t, err)
	require.Equal(t, ccSeq("v", 4, 6), ccValues(batch))

	ProduceValues(t, p, topic, "v10", "v11")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	batch, err = c.PollBatch(ctx, 5)
	require.NoError(t, err, "a batch cut short by its context returns what arrived")
	require.Equal(t, []string{"v10", "v11"}, ccValues(batch))
	require.Less(t, time.Since(start), 10*time.Second)

	ctx2, cancel2 := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel2()
	batch, err = c.PollBatch(ctx2, 5)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut, "an empty batch is a timeout")
	require.Empty(t, batch)
}

func consumeOrderWithinPartition(t *testing.T, e *Env) {
	// Four topics of two partitions: a fetch can hold them in any order,
	// which is what a reordering bug needs to show.
	const partitions, perPartition = 2, 150
	var topics []string
	for range 4 {
		topics = append(topics, e.Topic(t, partitions))
	}
	total := len(topics) * partitions * perPartition
	p := e.Producer(t, pcManual)
	var msgs []*kafkaclient.Message
	for i := range perPartition {
		for _, topic := range topics {
			for part := range int32(partitions) {
				msgs = append(msgs, &kafkaclient.Message{Topic: topic, Partition: part, Value: []byte(strconv.Itoa(i))})
			}
		}
	}
	Produce(t, p, msgs...)
	type tp struct {
		topic string
		part  int32
	}
	for _, autoCommit := range []bool{true, false} {
		t.Run(fmt.Sprintf("auto_commit=%v", autoCommit), func(t *testing.T) {
			c := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) { cfg.DisableAutoCommit = !autoCommit })
			require.NoError(t, c.Subscribe(Ctx(t), topics, nil))
			next := map[tp]int64{}
			deadline := time.Now().Add(Timeout)
			for read := 0; read < total; {
				require.True(t, time.Now().Before(deadline), "%d of %d messages within %v", read, total, Timeout)
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				batch, err := c.PollBatch(ctx, 250)
				cancel()
				if errors.Is(err, kafkaclient.ErrTimedOut) {
					continue
				}
				require.NoError(t, err, "after %d of %d messages", read, total)
				for _, m := range batch {
					k := tp{m.Topic, m.Partition}
					require.Equal(t, next[k], m.Offset, "%s[%d]: offset %d delivered when %d was next", m.Topic, m.Partition, m.Offset, next[k])
					require.Equal(t, strconv.FormatInt(m.Offset, 10), string(m.Value), "%s[%d] offset %d", m.Topic, m.Partition, m.Offset)
					next[k]++
				}
				read += len(batch)
			}
			for _, topic := range topics {
				for part := range int32(partitions) {
					require.Equal(t, int64(perPartition), next[tp{topic, part}], "%s[%d]", topic, part)
				}
			}
		})
	}
}

func consumeReadMessageTimeout(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	c := e.Consumer(t, e.Group(t), nil)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	start := time.Now()
	m, err := c.ReadMessage(time.Second)
	took := time.Since(start)
	require.Nil(t, m)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
	require.True(t, kafkaclient.IsTimeout(err), "IsTimeout(%v)", err)
	RequireCode(t, err, kafkaclient.CodeTimedOut)
	require.GreaterOrEqual(t, took, 900*time.Millisecond)
	require.Less(t, took, 5*time.Second)
}

func consumeClose(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, "v0", "v1")
	group := e.Group(t)
	c := e.Consumer(t, group, nil)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	PollN(t, c, 1)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, c.Close(ctx))
	require.Less(t, time.Since(start), 5*time.Second)

	_, err := c.Poll(Ctx(t))
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	RequireCode(t, err, kafkaclient.CodeClosed)
	_, err = c.PollBatch(Ctx(t), 3)
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	err = c.CommitOffsets(Ctx(t), kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 1, LeaderEpoch: -1})
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	_, err = c.Commit(Ctx(t))
	if err != nil {
		require.ErrorIs(t, err, kafkaclient.ErrClosed)
	}
	require.ErrorIs(t, c.Subscribe(Ctx(t), []string{topic}, nil), kafkaclient.ErrClosed)
	require.NoError(t, c.Close(Ctx(t)), "Close again")

	// A consumer that never subscribed closes too.
	idle := e.Consumer(t, group, nil)
	require.NoError(t, idle.Close(Ctx(t)))
	_, err = idle.Poll(Ctx(t))
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
}

func consumeCloseInterruptsPoll(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	before := goleak.IgnoreCurrent()
	// The broker holds each fetch of the empty topic for 10 s: Close must
	// end the one in flight, not wait for it or leave it running.
	c := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) { cfg.FetchMaxWait = 10 * time.Second })
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Poll(Ctx(t))
		errc <- err
	}()
	// Let the blocked Poll be well under way: assigned and fetching.
	require.Eventually(t, func() bool { return len(c.Assignment()) == 1 }, Timeout, 50*time.Millisecond, "the consumer was assigned %s", topic)
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	// Before the case's clean-ups delete the topic, which would end the
	// held fetch anyway.
	if err := goleak.Find(append([]goleak.Option{before}, ignoreBroker...)...); err != nil {
		t.Errorf("goroutines left after Close: %v", err)
	}
	select {
	case err := <-errc:
		require.ErrorIs(t, err, kafkaclient.ErrClosed)
	case <-time.After(5 * time.Second):
		require.Fail(t, "Poll did not return after Close")
	}
}

func consumeStateErrors(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	ctx := Ctx(t)

	c := e.Consumer(t, e.Group(t), nil)
	_, err := c.Poll(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrState, "Poll before Subscribe")
	RequireCode(t, err, kafkaclient.CodeState)
	_, err = c.PollBatch(ctx, 2)
	require.ErrorIs(t, err, kafkaclient.ErrState)
	_, err = c.ReadMessage(time.Second)
	require.ErrorIs(t, err, kafkaclient.ErrState)
	require.ErrorIs(t, c.Subscribe(Ctx(t), nil, nil), kafkaclient.ErrInvalidArg, "Subscribe without topics")
	require.ErrorIs(t, c.Subscribe(Ctx(t), []string{"bad topic!"}, nil), kafkaclient.ErrInvalidTopicException)

	noGroup := e.Consumer(t, "", nil)
	err = noGroup.Subscribe(Ctx(t), []string{topic}, nil)
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg, "Subscribe without group.id")
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
	_, err = noGroup.Poll(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrState, "a failed Subscribe leaves no subscription")
	_, err = noGroup.GroupMetadata()
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)

	if e.Caps.ManualAssign {
		require.NoError(t, noGroup.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
		require.ErrorIs(t, noGroup.Subscribe(Ctx(t), []string{topic}, nil), kafkaclient.ErrInvalidArg, "still no group.id")

		mixed := e.Consumer(t, e.Group(t), nil)
		require.NoError(t, mixed.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
		require.ErrorIs(t, mixed.Subscribe(Ctx(t), []string{topic}, nil), kafkaclient.ErrState, "Subscribe after Assign")
		err = mixed.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: -9}})
		require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
		err = mixed.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: -2, Offset: 0}})
		require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)

		sub := e.Consumer(t, e.Group(t), nil)
		require.NoError(t, sub.Subscribe(Ctx(t), []string{topic}, nil))
		err = sub.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}})
		require.ErrorIs(t, err, kafkaclient.ErrState, "Assign after Subscribe")
	}
}

func consumeAutoCommit(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("v", 0, 10)...)
	group := e.Group(t)
	adm := e.Admin(t)

	a := e.Consumer(t, group, func(cfg *kafkaclient.ConsumerConfig) { cfg.AutoCommitInterval = 100 * time.Millisecond })
	require.NoError(t, a.Subscribe(Ctx(t), []string{topic}, nil))
	require.Equal(t, ccSeq("v", 0, 5), ccValues(PollN(t, a, 5)))
	// Periodic commit: the position shows up without any call.
	ccEventually(t, 10*time.Second, func() bool { return ccGroupOffset(t, adm, group, topic, 0) == 5 },
		"auto-commit did not commit offset 5")

	require.Equal(t, ccSeq("v", 5, 2), ccValues(PollN(t, a, 2)))
	require.NoError(t, a.Close(Ctx(t)))
	require.Equal(t, int64(7), ccGroupOffset(t, adm, group, topic, 0), "Close commits what Poll returned")

	b := e.Consumer(t, group, nil)
	require.NoError(t, b.Subscribe(Ctx(t), []string{topic}, nil))
	rest := PollN(t, b, 3)
	require.Equal(t, ccSeq("v", 7, 3), ccValues(rest))
	PollNone(t, b, 500*time.Millisecond)
}
