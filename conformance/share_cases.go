package conformance

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafkaclient/kafkaclient"
)

// shareCases are the share-group cases (KIP-932). On a backend without
// share groups each asserts that NewShareConsumer and the admin's share
// calls fail with ErrUnsupported.
var shareCases = []Case{
	{
		Name: "share/consume_accept",
		Doc:  "A share consumer reads a partition's records in order with DeliveryCount 1; once accepted and committed they are not delivered again, to it or another member.",
		Run:  shareConsumeAccept,
	},
	{
		Name: "share/split_partition",
		Doc:  "Two share consumers of one group read one partition at once, and no record is delivered to both.",
		Run:  shareSplitPartition,
	},
	{
		Name: "share/release_redelivers",
		Doc:  "A released record is delivered again with DeliveryCount 2.",
		Run:  shareReleaseRedelivers,
	},
	{
		Name: "share/reject_archives",
		Doc:  "A rejected record is not delivered again, while its neighbours released with it are.",
		Run:  shareRejectArchives,
	},
	{
		Name: "share/lock_timeout",
		Doc:  "A record held unacknowledged past the group's share.record.lock.duration.ms is delivered again, to another member, with DeliveryCount 2.",
		Run:  shareLockTimeout,
	},
	{
		Name: "share/close_releases",
		Doc:  "Close in explicit mode releases the records held unacknowledged and those fetched but not yet returned: another member then gets every one.",
		Run:  shareCloseReleases,
	},
	{
		Name: "share/implicit_mode",
		Doc:  "In implicit mode the next Poll accepts the records of the last one: they are not delivered again, and acknowledging one of them then is INVALID_RECORD_STATE.",
		Run:  shareImplicitMode,
	},
	{
		Name: "share/explicit_mode",
		Doc:  "In explicit mode Poll fails with STATE while a record of the last Poll is unacknowledged, and works once each is.",
		Run:  shareExplicitMode,
	},
	{
		Name: "share/ack_bad_input",
		Doc:  "Acknowledging a record twice or one held by another consumer is INVALID_RECORD_STATE, a nil record or unknown kind INVALID_ARG, after Close CLOSED; none changes the record's first acknowledgement.",
		Run:  shareAckBadInput,
	},
	{
		Name: "share/commit_async",
		Doc:  "CommitAsync's callback runs on the polling goroutine, inside the next Poll, with a nil error; Close runs the callbacks still due, and one of them may call Close.",
		Run:  shareCommitAsync,
	},
	{
		Name: "share/describe_group",
		Doc:  "A share group with a member shows in ListShareGroups and DescribeShareGroups with its member and assignment; an unknown group is GROUP_ID_NOT_FOUND.",
		Run:  shareDescribeGroup,
	},
	{
		Name: "share/group_offsets",
		Doc:  "ShareGroupOffsets gives the partition's start offset past the records accepted, or a lag of 0 where the broker moves the start offset later (Kafka 4.4).",
		Run:  shareGroupOffsets,
	},
	{
		Name: "share/use_errors",
		Doc:  "Poll before Subscribe is STATE, Poll with max < 1 and Subscribe with no topic INVALID_ARG, and every call after Close CLOSED.",
		Run:  shareUseErrors,
	},
}

// runShare runs the share cases. On a backend with share groups they need
// a cluster that serves them (Kafka 4.1+ with share.version=1, or the
// embedded broker); on one that does not (3.x), share/broker_support
// checks that Subscribe says so with UNSUPPORTED_VERSION, and the others
// are not run.
func runShare(t *testing.T, h Harness, s *suite) {
	runGated(t, h, s, "share/broker_support", func(t *testing.T, e *Env) bool {
		if !e.Caps.ShareGroups {
			_, err := kafkaclient.NewShareConsumer(e.shareConfig(e.Group(t), nil), kafkaclient.WithBackend(e.Backend))
			RequireUnsupported(t, err)
			return true // the cases assert ErrUnsupported
		}
		brokers, err := e.Admin(t).BrokerAPIs(Ctx(t))
		require.NoError(t, err)
		served := brokers[0].Supports(kafkaclient.APIShareGroupHeartbeat, 1)
		c := e.ShareConsumer(t, e.Group(t), nil)
		err = c.Subscribe(Ctx(t), []string{e.Topic(t, 1)})
		if served {
			require.NoError(t, err)
			return true
		}
		t.Logf("broker %d does not serve share groups: %v", brokers[0].Broker.ID, err)
		RequireCode(t, err, kafkaclient.CodeUnsupportedVersion)
		assert.Contains(t, err.Error(), "share.version")
		return false
	}, shareCases)
}

// shareConfig is the config of a share consumer of group on the cluster.
func (e *Env) shareConfig(group string, edit func(*kafkaclient.ShareConsumerConfig)) kafkaclient.ShareConsumerConfig {
	cfg := kafkaclient.ShareConsumerConfig{ClientConfig: e.Cluster.ClientConfig(), GroupID: group, FetchMaxWait: 100 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

// ShareConsumer opens a share consumer of group, closed at the end of the
// case. On a backend without share groups it asserts that opening one is
// ErrUnsupported and returns nil: the case then ends.
func (e *Env) ShareConsumer(t *testing.T, group string, edit func(*kafkaclient.ShareConsumerConfig)) *kafkaclient.ShareConsumer {
	t.Helper()
	if !e.Caps.ShareGroups {
		_, err := kafkaclient.NewShareConsumer(e.shareConfig(group, edit), kafkaclient.WithBackend(e.Backend))
		RequireUnsupported(t, err)
		return nil
	}
	return open(t, e.Backend, kafkaclient.NewShareConsumer, e.shareConfig(group, edit))
}

// ShareGroup returns a share group name unique to this case, configured
// with share.auto.offset.reset=earliest and the configs given (name, value
// pairs), so that its members read what was produced before they joined.
// On a backend without share groups it returns the name alone.
func (e *Env) ShareGroup(t *testing.T, configs ...string) string {
	t.Helper()
	group := e.Group(t)
	if !e.Caps.ShareGroups {
		return group
	}
	alts := []kafkaclient.ConfigAlteration{{Name: "share.auto.offset.reset", Value: "earliest"}}
	for i := 0; i+1 < len(configs); i += 2 {
		alts = append(alts, kafkaclient.ConfigAlteration{Name: configs[i], Value: configs[i+1]})
	}
	a := e.Admin(t)
	require.NoError(t, Retrying(t, func() error {
		return a.IncrementalAlterConfigs(Ctx(t), kafkaclient.GroupResource(group), alts...)
	}))
	return group
}

// sharePoll polls c until n records arrived or Timeout passed, handing
// each batch to ack (nil: leave them to the acknowledgement mode).
func sharePoll(t *testing.T, c *kafkaclient.ShareConsumer, n int, ack func([]*kafkaclient.Message)) []*kafkaclient.Message {
	t.Helper()
	ctx := Ctx(t)
	var out []*kafkaclient.Message
	for len(out) < n {
		msgs, err := c.Poll(ctx, n-len(out))
		require.NoError(t, err, "after %d of %d records", len(out), n)
		if ack != nil {
			ack(msgs)
		}
		out = append(out, msgs...)
	}
	return out
}

// ackAll returns a function acknowledging every record it is given with
// kind.
func ackAll(t *testing.T, c *kafkaclient.ShareConsumer, kind kafkaclient.AckKind) func([]*kafkaclient.Message) {
	return func(msgs []*kafkaclient.Message) {
		for _, m := range msgs {
			require.NoError(t, c.Acknowledge(m, kind))
		}
	}
}

// sharePollNone asserts that c gets no record within d.
func sharePollNone(t *testing.T, c *kafkaclient.ShareConsumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	msgs, err := c.Poll(ctx, 100)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut, "unexpected records %v", shareValues(msgs))
}

func shareValues(msgs []*kafkaclient.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

// shareTopic creates a one-partition topic holding n records, values "0"
// to "n-1", produced together, so that one fetch gets them all.
func shareTopic(t *testing.T, e *Env, n int) string {
	t.Helper()
	topic := e.Topic(t, 1)
	values := make([]string, n)
	for i := range values {
		values[i] = strconv.Itoa(i)
	}
	ProduceValues(t, e.Producer(t, nil), topic, values...)
	return topic
}

// waitMembers waits until group has n members, each assigned a partition:
// until then a member that gets nothing proves nothing.
func waitMembers(t *testing.T, e *Env, group string, n int) {
	t.Helper()
	a := e.Admin(t)
	var last []kafkaclient.ShareGroupDescription
	ok := assert.Eventually(t, func() bool {
		ds, err := a.DescribeShareGroups(Ctx(t), group)
		if err != nil || len(ds) != 1 || len(ds[0].Members) != n {
			last = ds
			return false
		}
		for _, m := range ds[0].Members {
			if len(m.Assignment) == 0 {
				last = ds
				return false
			}
		}
		return true
	}, Timeout, 50*time.Millisecond)
	require.True(t, ok, "share group %s never had %d assigned members: %+v", group, n, last)
}

func explicit(cfg *kafkaclient.ShareConsumerConfig) { cfg.AckMode = kafkaclient.ShareAckExplicit }

var tenValues = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

func shareConsumeAccept(t *testing.T, e *Env) {
	group := e.ShareGroup(t)
	c := e.ShareConsumer(t, group, explicit)
	if c == nil {
		return
	}
	topic := shareTopic(t, e, 10)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	msgs := sharePoll(t, c, 10, ackAll(t, c, kafkaclient.AckAccept))
	require.Equal(t, tenValues, shareValues(msgs))
	for _, m := range msgs {
		assert.Equal(t, int32(1), m.DeliveryCount, "offset %d", m.Offset)
		assert.Equal(t, topic, m.Topic)
	}
	require.NoError(t, c.Commit(Ctx(t)))
	sharePollNone(t, c, time.Second)
	other := e.ShareConsumer(t, group, nil)
	require.NoError(t, other.Subscribe(Ctx(t), []string{topic}))
	waitMembers(t, e, group, 2)
	sharePollNone(t, other, time.Second)
}

func shareSplitPartition(t *testing.T, e *Env) {
	group := e.ShareGroup(t)
	five := func(cfg *kafkaclient.ShareConsumerConfig) { cfg.MaxPollRecords, cfg.RecordLimit = 5, true }
	c1 := e.ShareConsumer(t, group, five)
	if c1 == nil {
		return
	}
	c2 := e.ShareConsumer(t, group, five)
	const n = 60
	topic := e.Topic(t, 1)
	require.NoError(t, c1.Subscribe(Ctx(t), []string{topic}))
	require.NoError(t, c2.Subscribe(Ctx(t), []string{topic}))
	waitMembers(t, e, group, 2)
	p := e.Producer(t, nil)
	for i := range n {
		ProduceValues(t, p, topic, strconv.Itoa(i))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	got := [2]int{}
	total := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range []*kafkaclient.ShareConsumer{c1, c2} {
		wg.Go(func() {
			for total() < n && ctx.Err() == nil {
				pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
				msgs, err := c.Poll(pctx, 5)
				pcancel()
				if errors.Is(err, kafkaclient.ErrTimedOut) {
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[string(m.Value)]++
					got[i]++
				}
				mu.Unlock()
				// Hold the records a moment, as a worker would, so that
				// the other member fetches meanwhile.
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	t.Logf("consumer 1 got %d records, consumer 2 %d", got[0], got[1])
	require.Len(t, seen, n)
	for v, k := range seen {
		assert.Equal(t, 1, k, "record %s delivered %d times", v, k)
	}
	assert.Positive(t, got[0], "consumer 1 got no record")
	assert.Positive(t, got[1], "consumer 2 got no record")
}

func shareReleaseRedelivers(t *testing.T, e *Env) {
	c := e.ShareConsumer(t, e.ShareGroup(t), explicit)
	if c == nil {
		return
	}
	topic := shareTopic(t, e, 1)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	first := sharePoll(t, c, 1, ackAll(t, c, kafkaclient.AckRelease))
	require.Equal(t, int32(1), first[0].DeliveryCount)
	again := sharePoll(t, c, 1, ackAll(t, c, kafkaclient.AckAccept))
	assert.Equal(t, first[0].Offset, again[0].Offset)
	assert.Equal(t, "0", string(again[0].Value))
	assert.Equal(t, int32(2), again[0].DeliveryCount)
	require.NoError(t, c.Commit(Ctx(t)))
	sharePollNone(t, c, time.Second)
}

func shareRejectArchives(t *testing.T, e *Env) {
	c := e.ShareConsumer(t, e.ShareGroup(t), explicit)
	if c == nil {
		return
	}
	topic := shareTopic(t, e, 3)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	sharePoll(t, c, 3, func(msgs []*kafkaclient.Message) {
		for _, m := range msgs {
			kind := kafkaclient.AckRelease
			if string(m.Value) == "1" {
				kind = kafkaclient.AckReject
			}
			require.NoError(t, c.Acknowledge(m, kind))
		}
	})
	again := sharePoll(t, c, 2, ackAll(t, c, kafkaclient.AckAccept))
	assert.ElementsMatch(t, []string{"0", "2"}, shareValues(again))
	for _, m := range again {
		assert.Equal(t, int32(2), m.DeliveryCount)
	}
	require.NoError(t, c.Commit(Ctx(t)))
	sharePollNone(t, c, time.Second)
}

func shareLockTimeout(t *testing.T, e *Env) {
	const lock = 2 * time.Second
	ms := strconv.Itoa(int(lock.Milliseconds()))
	group := e.ShareGroup(t, "share.record.lock.duration.ms", ms)
	holder := e.ShareConsumer(t, group, explicit)
	if holder == nil {
		return
	}
	if fake := e.Cluster.Fake(); fake != nil {
		// The embedded broker knows the lock duration only as the
		// cluster's default.
		const key = "group.share.record.lock.duration.ms"
		adm := e.Cluster.Admin()
		_, err := adm.AlterBrokerConfigs(Ctx(t), []kadm.AlterConfig{{Name: key, Value: &ms}})
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := adm.AlterBrokerConfigs(context.Background(), []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: key}})
			assert.NoError(t, err)
		})
	}
	topic := shareTopic(t, e, 1)
	require.NoError(t, holder.Subscribe(Ctx(t), []string{topic}))
	held := sharePoll(t, holder, 1, nil)
	require.Equal(t, int32(1), held[0].DeliveryCount)
	start := time.Now()
	other := e.ShareConsumer(t, group, explicit)
	require.NoError(t, other.Subscribe(Ctx(t), []string{topic}))
	again := sharePoll(t, other, 1, ackAll(t, other, kafkaclient.AckAccept))
	t.Logf("redelivered %v after it was taken, with a lock of %v", time.Since(start).Round(time.Millisecond), lock)
	assert.Equal(t, held[0].Offset, again[0].Offset)
	// 2, or more when the holder's client, fetching ahead, took the
	// record again in the meantime and held it past another lock.
	assert.GreaterOrEqual(t, again[0].DeliveryCount, int32(2))
	require.NoError(t, other.Commit(Ctx(t)))
	// The holder's lock is gone: its late acknowledgement changes
	// nothing, and the record stays accepted by the other member. Kafka
	// refuses it (INVALID_RECORD_STATE, naming the partition); franz-go
	// drops it unsent when its share session has moved on meanwhile.
	require.NoError(t, holder.Acknowledge(held[0], kafkaclient.AckRelease))
	if err := holder.Commit(Ctx(t)); err != nil {
		t.Logf("late acknowledgement: %v", err)
		ke := RequireCode(t, err, kafkaclient.CodeInvalidRecordState)
		assert.Equal(t, topic, ke.Topic, "the error names the partition")
		assert.Equal(t, int32(0), ke.Partition)
	}
	sharePollNone(t, other, time.Second)
}

func shareCloseReleases(t *testing.T, e *Env) {
	group := e.ShareGroup(t)
	first := e.ShareConsumer(t, group, explicit)
	if first == nil {
		return
	}
	topic := shareTopic(t, e, 10)
	require.NoError(t, first.Subscribe(Ctx(t), []string{topic}))
	held := sharePoll(t, first, 3, nil)
	closeWithin(t, first.Close)
	second := e.ShareConsumer(t, group, explicit)
	require.NoError(t, second.Subscribe(Ctx(t), []string{topic}))
	start := time.Now()
	msgs := sharePoll(t, second, 10, ackAll(t, second, kafkaclient.AckAccept))
	t.Logf("the second member had all 10 records %v after subscribing", time.Since(start).Round(time.Millisecond))
	slices.SortFunc(msgs, func(a, b *kafkaclient.Message) int { return int(a.Offset - b.Offset) })
	require.Equal(t, tenValues, shareValues(msgs))
	for _, h := range held {
		assert.Equal(t, int32(2), msgs[h.Offset].DeliveryCount, "offset %d, held at Close", h.Offset)
	}
	require.NoError(t, second.Commit(Ctx(t)))
}

func shareImplicitMode(t *testing.T, e *Env) {
	group := e.ShareGroup(t)
	c := e.ShareConsumer(t, group, nil)
	if c == nil {
		return
	}
	require.Equal(t, kafkaclient.ShareAckImplicit, c.Config().AckMode)
	topic := shareTopic(t, e, 4)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	msgs := sharePoll(t, c, 4, nil) // none acknowledged
	// The next Poll accepts them; a later acknowledgement is refused.
	sharePollNone(t, c, time.Second)
	RequireCode(t, c.Acknowledge(msgs[0], kafkaclient.AckRelease), kafkaclient.CodeInvalidRecordState)
	require.NoError(t, c.Commit(Ctx(t)))
	other := e.ShareConsumer(t, group, nil)
	require.NoError(t, other.Subscribe(Ctx(t), []string{topic}))
	waitMembers(t, e, group, 2)
	sharePollNone(t, other, time.Second)
}

func shareExplicitMode(t *testing.T, e *Env) {
	c := e.ShareConsumer(t, e.ShareGroup(t), explicit)
	if c == nil {
		return
	}
	topic := shareTopic(t, e, 2)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	msgs := sharePoll(t, c, 2, nil)
	require.NoError(t, c.Acknowledge(msgs[0], kafkaclient.AckAccept))
	_, err := c.Poll(Ctx(t), 10)
	ke := RequireCode(t, err, kafkaclient.CodeState)
	assert.Contains(t, ke.Error(), "1 records of the last Poll are not acknowledged")
	require.NoError(t, c.Acknowledge(msgs[1], kafkaclient.AckAccept))
	sharePollNone(t, c, time.Second)
	require.NoError(t, c.Commit(Ctx(t)))
}

func shareAckBadInput(t *testing.T, e *Env) {
	group := e.ShareGroup(t)
	c := e.ShareConsumer(t, group, explicit)
	if c == nil {
		return
	}
	other := e.ShareConsumer(t, group, explicit)
	topic := shareTopic(t, e, 2)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	msgs := sharePoll(t, c, 2, nil)
	require.NoError(t, c.Acknowledge(msgs[0], kafkaclient.AckAccept))
	RequireCode(t, c.Acknowledge(msgs[0], kafkaclient.AckRelease), kafkaclient.CodeInvalidRecordState)
	RequireCode(t, c.Acknowledge(msgs[0], kafkaclient.AckAccept), kafkaclient.CodeInvalidRecordState)
	RequireCode(t, other.Acknowledge(msgs[1], kafkaclient.AckReject), kafkaclient.CodeInvalidRecordState)
	RequireCode(t, c.Acknowledge(nil, kafkaclient.AckAccept), kafkaclient.CodeInvalidArg)
	RequireCode(t, c.Acknowledge(msgs[1], 0), kafkaclient.CodeInvalidArg)
	RequireCode(t, c.Acknowledge(msgs[1], 9), kafkaclient.CodeInvalidArg)
	// Nothing refused changed anything: record 1 is still to acknowledge,
	// and record 0 stays accepted.
	require.NoError(t, c.Acknowledge(msgs[1], kafkaclient.AckRelease))
	require.NoError(t, c.Commit(Ctx(t)))
	closeWithin(t, c.Close)
	RequireCode(t, c.Acknowledge(msgs[1], kafkaclient.AckAccept), kafkaclient.CodeClosed)
	require.NoError(t, other.Subscribe(Ctx(t), []string{topic}))
	again := sharePoll(t, other, 1, ackAll(t, other, kafkaclient.AckAccept))
	assert.Equal(t, "1", string(again[0].Value), "the released record comes back, the accepted one does not")
	// 2, or 3 when the closed consumer had fetched it again meanwhile.
	assert.GreaterOrEqual(t, again[0].DeliveryCount, int32(2))
	require.NoError(t, other.Commit(Ctx(t)))
	sharePollNone(t, other, time.Second)
}

func shareCommitAsync(t *testing.T, e *Env) {
	c := e.ShareConsumer(t, e.ShareGroup(t), explicit)
	if c == nil {
		return
	}
	topic := shareTopic(t, e, 3)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	sharePoll(t, c, 3, ackAll(t, c, kafkaclient.AckAccept))
	var inPoll atomic.Bool
	reports := make(chan error, 2)
	require.NoError(t, c.CommitAsync(func(err error) {
		assert.True(t, inPoll.Load(), "the callback runs inside Poll")
		reports <- err
	}))
	inPoll.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	_, err := c.Poll(ctx, 1) // woken for the report, then waits: nothing is left
	cancel()
	inPoll.Store(false)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
	select {
	case err := <-reports:
		require.NoError(t, err)
	default:
		t.Fatal("CommitAsync's callback did not run inside Poll")
	}
	// A callback still due at Close runs inside Close, and may call Close.
	inner := make(chan error, 1)
	require.NoError(t, c.CommitAsync(func(err error) {
		reports <- err
		inner <- c.Close(Ctx(t))
	}))
	closeWithin(t, c.Close)
	select {
	case err := <-reports:
		require.NoError(t, err)
		require.NoError(t, <-inner, "Close inside the callback")
	default:
		t.Fatal("CommitAsync's callback did not run inside Close")
	}
}

func shareDescribeGroup(t *testing.T, e *Env) {
	a := e.Admin(t)
	group := e.ShareGroup(t)
	c := e.ShareConsumer(t, group, nil)
	if c == nil {
		_, err := a.DescribeShareGroups(Ctx(t), group)
		RequireUnsupported(t, err)
		_, err = a.ListShareGroups(Ctx(t))
		RequireUnsupported(t, err)
		return
	}
	topic := shareTopic(t, e, 1)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	sharePoll(t, c, 1, nil) // joined and assigned
	missing := e.Group(t)
	var ds []kafkaclient.ShareGroupDescription
	require.Eventually(t, func() bool {
		var err error
		ds, err = a.DescribeShareGroups(Ctx(t), group, missing)
		return err == nil && len(ds) == 2 && ds[0].Err == nil && len(ds[0].Members) == 1 && len(ds[0].Members[0].Assignment) == 1
	}, Timeout, 100*time.Millisecond, "share group described as %+v", ds)
	assert.Equal(t, group, ds[0].GroupID)
	assert.Equal(t, kafkaclient.GroupStateStable, ds[0].State)
	assert.Equal(t, topic, ds[0].Members[0].Assignment[0].Topic)
	assert.NotEmpty(t, ds[0].Members[0].MemberID)
	assert.Equal(t, missing, ds[1].GroupID)
	RequireCode(t, ds[1].Err, kafkaclient.CodeGroupIDNotFound)
	gs, err := a.ListShareGroups(Ctx(t))
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(gs, func(g kafkaclient.GroupListing) bool { return g.GroupID == group }), "ListShareGroups: %+v", gs)
}

func shareGroupOffsets(t *testing.T, e *Env) {
	a := e.Admin(t)
	group := e.ShareGroup(t)
	c := e.ShareConsumer(t, group, explicit)
	if c == nil {
		_, err := a.ShareGroupOffsets(Ctx(t), group)
		RequireUnsupported(t, err)
		return
	}
	topic := shareTopic(t, e, 5)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}))
	sharePoll(t, c, 5, ackAll(t, c, kafkaclient.AckAccept))
	require.NoError(t, c.Commit(Ctx(t)))
	var offs []kafkaclient.ShareGroupOffset
	require.Eventually(t, func() bool {
		var err error
		offs, err = a.ShareGroupOffsets(Ctx(t), group)
		t.Logf("share group offsets %+v, error %v", offs, err)
		// Kafka moves the start offset it reports lazily (4.4 still
		// says 0 a while after), but its lag is 0 at once.
		return err == nil && len(offs) == 1 && (offs[0].StartOffset == 5 || offs[0].Lag == 0)
	}, Timeout, 200*time.Millisecond)
	assert.Equal(t, topic, offs[0].Topic)
	assert.Equal(t, int32(0), offs[0].Partition)
	assert.NoError(t, offs[0].Err)
	assert.Contains(t, []int64{-1, 0}, offs[0].Lag, "nothing is left to consume")
}

func shareUseErrors(t *testing.T, e *Env) {
	c := e.ShareConsumer(t, e.ShareGroup(t), nil)
	if c == nil {
		return
	}
	_, err := c.Poll(Ctx(t), 1)
	RequireCode(t, err, kafkaclient.CodeState)
	_, err = c.Poll(Ctx(t), 0)
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
	RequireCode(t, c.Subscribe(Ctx(t), nil), kafkaclient.CodeInvalidArg)
	RequireCode(t, c.Subscribe(Ctx(t), []string{"bad topic"}), kafkaclient.CodeInvalidTopicException)
	closeWithin(t, c.Close)
	_, err = c.Poll(Ctx(t), 1)
	RequireCode(t, err, kafkaclient.CodeClosed)
	RequireCode(t, c.Subscribe(Ctx(t), []string{"t"}), kafkaclient.CodeClosed)
	RequireCode(t, c.Commit(Ctx(t)), kafkaclient.CodeClosed)
	RequireCode(t, c.CommitAsync(nil), kafkaclient.CodeClosed)
	require.NoError(t, c.Close(Ctx(t)), "a second Close returns the first one's result")
}
