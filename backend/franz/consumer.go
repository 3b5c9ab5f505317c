package franz

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type consumer struct {
	cfg   backend.ConsumerConfig
	hooks backend.ConsumerHooks
	base  []kgo.Opt

	mu      sync.Mutex
	clients // created by the first Subscribe or Assign
	// query is the client of look-ups made before Subscribe or Assign.
	query  clients
	topics map[string]bool
	group  bool
	// assigned is the manual assignment.
	assigned map[string]map[int32]kgo.Offset

	// buf holds fetched records not yet returned by Poll.
	bufMu sync.Mutex
	buf   []*kgo.Record
	// store is the array buf was last filled into, reused by the next
	// fetch.
	store []*kgo.Record
	// arena holds fresh messages for Poll, ptrs fresh slots for the
	// slices it returns (one goroutine polls at a time).
	arena []backend.Message
	ptrs  []*backend.Message
	// marks is Poll's scratch space for marking records for auto-commit.
	marks []*kgo.Record
	// watermarks are each partition's log start and high watermark, from
	// its last fetch; guarded by bufMu.
	watermarks map[string]map[int32][2]int64
}

func (franzBackend) NewConsumer(cfg backend.ConsumerConfig, hooks backend.ConsumerHooks) (backend.Consumer, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.FetchMinBytes(int32(cfg.FetchMinBytes)),
		kgo.FetchMaxBytes(int32(cfg.FetchMaxBytes)),
		kgo.FetchMaxPartitionBytes(int32(cfg.MaxPartitionFetchBytes)),
		kgo.FetchMaxWait(cfg.FetchMaxWait),
		kgo.ConsumeResetOffset(resetOffset(cfg.AutoOffsetReset)),
	)
	if cfg.IsolationLevel == backend.IsolationReadCommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	} else {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	}
	return &consumer{cfg: cfg, hooks: hooks, base: opts, watermarks: map[string]map[int32][2]int64{}}, nil
}

func resetOffset(r backend.OffsetReset) kgo.Offset {
	switch r {
	case backend.OffsetResetEarliest:
		return kgo.NewOffset().AtStart()
	case backend.OffsetResetNone:
		return kgo.NoResetOffset()
	}
	return kgo.NewOffset().AtEnd()
}

func (c *consumer) groupOpts(topics []string) []kgo.Opt {
	cfg := c.cfg
	opts := []kgo.Opt{
		kgo.ConsumerGroup(cfg.GroupID),
		kgo.ConsumeTopics(topics...),
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.HeartbeatInterval(cfg.HeartbeatInterval),
		kgo.RebalanceTimeout(cfg.MaxPollInterval),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
	}
	if cfg.DisableAutoCommit {
		opts = append(opts, kgo.DisableAutoCommit())
	} else {
		// Auto-commit covers exactly the messages Poll returned, as the
		// contract (and the Java client) says: the backend fetches ahead
		// into a buffer, so it marks records as it hands them out.
		opts = append(opts, kgo.AutoCommitInterval(cfg.AutoCommitInterval), kgo.AutoCommitMarks())
	}
	if cfg.GroupInstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.GroupInstanceID))
	}
	if cfg.GroupProtocol == backend.GroupProtocolConsumer {
		// franz-go names the broker's assignor after the balancer:
		// range, or uniform for sticky (the broker's default).
		bal := kgo.StickyBalancer()
		if cfg.GroupRemoteAssignor == "range" {
			bal = kgo.RangeBalancer()
		}
		return append(opts, kgo.ServerSideBalancer(), kgo.Balancers(bal))
	}
	balancers := map[backend.Assignor]kgo.GroupBalancer{
		backend.AssignorRange: kgo.RangeBalancer(), backend.AssignorRoundRobin: kgo.RoundRobinBalancer(),
		backend.AssignorSticky: kgo.StickyBalancer(), backend.AssignorCooperativeSticky: kgo.CooperativeStickyBalancer(),
	}
	var bals []kgo.GroupBalancer
	for _, a := range cfg.Assignors {
		if b, ok := balancers[a]; ok {
			bals = append(bals, b)
		}
	}
	return append(opts, kgo.Balancers(bals...))
}

func toTPs(m map[string][]int32) []backend.TopicPartition {
	var out []backend.TopicPartition
	for t, ps := range m {
		for _, p := range ps {
			out = append(out, backend.TopicPartition{Topic: t, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
		}
	}
	return out
}

func (c *consumer) onAssigned(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	c.hooks.Rebalance(ctx, backend.RebalanceAssigned, toTPs(m), false) //nolint:errcheck // the listener's error is logged by the root
}

func (c *consumer) onRevoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	c.dropBuffered(m)
	if !c.cfg.DisableAutoCommit {
		// What franz-go does by default, which setting this callback
		// replaces: commit what Poll returned.
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			c.hooks.OnError(err)
		}
	}
	if len(m) == 0 {
		return
	}
	c.hooks.Rebalance(ctx, backend.RebalanceRevoked, toTPs(m), false) //nolint:errcheck // logged by the root
}

func (c *consumer) onLost(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	c.dropBuffered(m)
	if len(m) == 0 {
		return
	}
	c.hooks.Rebalance(ctx, backend.RebalanceLost, toTPs(m), false) //nolint:errcheck // logged by the root
}

// queryClient returns the client for look-ups that need no subscription:
// the consuming client once there is one, else one of their own, made on
// first use and closed with the consumer.
func (c *consumer) queryClient() (*kgo.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cl != nil {
		return c.cl, nil
	}
	if c.query.cl == nil {
		q, err := newClients(slices.Clone(c.base))
		if err != nil {
			return nil, err
		}
		c.query = q
	}
	return c.query.cl, nil
}

func (c *consumer) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	cl, err := c.queryClient()
	if err != nil {
		return nil, err
	}
	var isolation int8
	if c.cfg.IsolationLevel == backend.IsolationReadCommitted {
		isolation = 1
	}
	return listOffsets(ctx, cl, isolation, reqs)
}

func (c *consumer) Committed(ctx context.Context, tps []backend.TopicPartition) ([]backend.TopicPartition, error) {
	cl, err := c.queryClient()
	if err != nil {
		return nil, err
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = c.cfg.GroupID
	// The offsets a read_committed member starts from (KIP-447): those a
	// transaction is still committing are waited for, not skipped. The
	// partitions are named: a broker answering for all of a group's
	// partitions leaves out those only a transaction has committed yet.
	req.RequireStable = c.cfg.IsolationLevel == backend.IsolationReadCommitted
	for _, tp := range tps {
		i := slices.IndexFunc(req.Topics, func(t kmsg.OffsetFetchRequestTopic) bool { return t.Topic == tp.Topic })
		if i < 0 {
			t := kmsg.NewOffsetFetchRequestTopic()
			t.Topic = tp.Topic
			req.Topics, i = append(req.Topics, t), len(req.Topics)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.Partition)
	}
	var out []backend.TopicPartition
	err = retryWhile(ctx, kerr.UnstableOffsetCommit, func() (err error) {
		out, err = fetchCommitted(ctx, cl, req)
		return err
	})
	return out, err
}

// fetchCommitted sends req and returns the committed offsets it answers,
// leaving out partitions without one.
func fetchCommitted(ctx context.Context, cl *kgo.Client, req *kmsg.OffsetFetchRequest) ([]backend.TopicPartition, error) {
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	var out []backend.TopicPartition
	add := func(topic string, p int32, offset int64, epoch int32, meta *string, code int16) error {
		if err := kerr.ErrorForCode(code); err != nil {
			return err
		}
		if offset >= 0 {
			out = append(out, backend.TopicPartition{Topic: topic, Partition: p, Offset: offset, Metadata: derefString(meta), LeaderEpoch: epoch})
		}
		return nil
	}
	for _, g := range resp.Groups { // v8+
		if err := kerr.ErrorForCode(g.ErrorCode); err != nil {
			return nil, err
		}
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				if err := add(t.Topic, p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, t := range resp.Topics { // v0-v7
		for _, p := range t.Partitions {
			if err := add(t.Topic, p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *consumer) client() *kgo.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cl
}

// open creates the clients with the base options and extra.
func (c *consumer) open(extra []kgo.Opt) (err error) {
	c.clients, err = newClients(append(slices.Clone(c.base), extra...))
	return err
}

func (c *consumer) Subscribe(_ context.Context, topics []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]bool{}
	var add, drop []string
	for _, t := range topics {
		want[t] = true
		if !c.topics[t] {
			add = append(add, t)
		}
	}
	for t := range c.topics {
		if !want[t] {
			drop = append(drop, t)
		}
	}
	c.topics = want
	if c.cl == nil {
		c.group = true
		return c.open(c.groupOpts(topics))
	}
	// Both do nothing when given no topics.
	c.cl.PurgeTopicsFromConsuming(drop...)
	c.cl.AddConsumeTopics(add...)
	return nil
}

// startOffsets translates the start offsets of an assignment.
func startOffsets(tps []backend.TopicPartition) map[string]map[int32]kgo.Offset {
	out := map[string]map[int32]kgo.Offset{}
	for _, tp := range tps {
		o := kgo.NewOffset().At(tp.Offset)
		switch tp.Offset {
		case backend.OffsetBeginning:
			o = kgo.NewOffset().AtStart()
		case backend.OffsetEnd:
			o = kgo.NewOffset().AtEnd()
		}
		put(out, tp.Topic, tp.Partition, o)
	}
	return out
}

// put sets m[topic][partition] to v, making the inner map when needed.
func put[V any](m map[string]map[int32]V, topic string, partition int32, v V) {
	if m[topic] == nil {
		m[topic] = map[int32]V{}
	}
	m[topic][partition] = v
}

func (c *consumer) Assign(ctx context.Context, tps []backend.TopicPartition) error {
	return c.assign(ctx, tps, true)
}

func (c *consumer) IncrementalAssign(ctx context.Context, tps []backend.TopicPartition) error {
	return c.assign(ctx, tps, false)
}

func (c *consumer) IncrementalUnassign(_ context.Context, tps []backend.TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cl != nil {
		drop := byTopic(tps)
		c.cl.RemoveConsumePartitions(drop)
		c.dropBuffered(drop)
		for _, tp := range tps {
			delete(c.assigned[tp.Topic], tp.Partition)
		}
	}
	return nil
}

// assign adds the partitions to the manual assignment, or replaces it with
// them.
func (c *consumer) assign(ctx context.Context, tps []backend.TopicPartition, replace bool) error {
	c.mu.Lock()
	if c.cl == nil {
		if err := c.open(nil); err != nil {
			c.mu.Unlock()
			return err
		}
	}
	cl := c.cl
	c.mu.Unlock()
	tps = c.exactStarts(ctx, cl, tps)
	c.mu.Lock()
	defer c.mu.Unlock()
	offsets := startOffsets(tps)
	drop := map[string][]int32{}
	for t, ps := range c.assigned {
		for p, o := range ps {
			if _, keep := offsets[t][p]; !replace {
				put(offsets, t, p, o)
			} else if !keep {
				drop[t] = append(drop[t], p)
			}
		}
	}
	if len(drop) > 0 {
		c.cl.RemoveConsumePartitions(drop)
		c.dropBuffered(drop)
	}
	c.cl.AddConsumePartitions(offsets)
	c.assigned = offsets
	return nil
}

// exactStarts replaces OffsetBeginning and OffsetEnd in tps by the
// partitions' current log start and end. franz-go would look them up in
// the background, and a Seek (SetOffsets) made meanwhile would be lost when
// the look-up lands. A partition whose look-up fails keeps its special
// offset, for franz-go to resolve.
func (c *consumer) exactStarts(ctx context.Context, cl *kgo.Client, tps []backend.TopicPartition) []backend.TopicPartition {
	var reqs []backend.OffsetRequest
	for _, tp := range tps {
		if tp.Offset == backend.OffsetBeginning || tp.Offset == backend.OffsetEnd {
			reqs = append(reqs, backend.OffsetRequest{Topic: tp.Topic, Partition: tp.Partition, Query: tp.Offset})
		}
	}
	if len(reqs) == 0 {
		return tps
	}
	var isolation int8
	if c.cfg.IsolationLevel == backend.IsolationReadCommitted {
		isolation = 1
	}
	listed, err := listOffsets(ctx, cl, isolation, reqs)
	if err != nil {
		return tps
	}
	exact := map[string]map[int32]int64{}
	for _, l := range listed {
		if l.Err == nil && l.Offset >= 0 {
			put(exact, l.Topic, l.Partition, l.Offset)
		}
	}
	out := slices.Clone(tps)
	for i, tp := range out {
		if o, ok := exact[tp.Topic][tp.Partition]; ok && tp.Offset < 0 {
			out[i].Offset = o
		}
	}
	return out
}

// testHookFetched runs in Poll between buffering a fetch and taking from
// the buffer, where a revocation may drop it all; tests replace it.
var testHookFetched = func(*consumer) {}

// pollAhead is how many records Poll fetches from franz-go at once; what
// the caller did not ask for waits in the buffer.
const pollAhead = 500

func (c *consumer) Poll(ctx context.Context, limit int) ([]*backend.Message, error) {
	cl := c.client()
	if cl == nil {
		return nil, backend.Errorf(backend.CodeState, "not subscribed or assigned")
	}
	rs := c.takeBuffered(limit)
	for len(rs) == 0 {
		// A fetch whose records a revocation dropped meanwhile leaves
		// nothing to return: fetch again, as Poll never returns nothing.
		fs := cl.PollRecords(ctx, max(pollAhead, limit))
		if fs.IsClientClosed() {
			return nil, kgo.ErrClientClosed
		}
		if fs.NumRecords() == 0 {
			// Fetch errors matter only when there is nothing to return.
			var err error
			fs.EachError(func(_ string, _ int32, e error) {
				if err == nil && !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded) {
					err = e
				}
			})
			if err = cmp.Or(err, ctx.Err()); err != nil {
				return nil, err
			}
			continue // woken without records: wait again
		}
		c.bufMu.Lock()
		// The buffer is empty here: refill it from the start of the
		// array the last fetch used.
		c.buf = c.store[:0]
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if p.Err == nil {
				put(c.watermarks, p.Topic, p.Partition, [2]int64{p.LogStartOffset, p.HighWatermark})
			}
			c.buf = append(c.buf, p.Records...)
		})
		c.store = c.buf[:0]
		c.bufMu.Unlock()
		testHookFetched(c)
		rs = c.takeBuffered(limit)
	}
	if c.group && !c.cfg.DisableAutoCommit {
		c.mark(cl, rs)
	}
	if len(c.arena) < len(rs) {
		c.arena = make([]backend.Message, arenaSize+len(rs))
	}
	msgs := c.arena[:len(rs):len(rs)]
	c.arena = c.arena[len(rs):]
	if len(c.ptrs) < len(rs) {
		c.ptrs = make([]*backend.Message, arenaSize+len(rs))
	}
	out := c.ptrs[:len(rs):len(rs)]
	c.ptrs = c.ptrs[len(rs):]
	for i, r := range rs {
		fromRecord(&msgs[i], r)
		out[i] = &msgs[i]
	}
	clear(rs) // the buffer's array is reused: do not keep the records alive
	return out, nil
}

// mark marks the records Poll returns for auto-commit. Only the last record
// of each run of one partition is marked (marking keeps the highest offset),
// and from a private slice: franz-go's MarkCommitRecords sorts its argument
// in place with an unstable sort, which would reorder the caller's messages
// within a partition.
func (c *consumer) mark(cl *kgo.Client, rs []*kgo.Record) {
	marks := c.marks[:0]
	for i, r := range rs {
		if i+1 == len(rs) || rs[i+1].Partition != r.Partition || rs[i+1].Topic != r.Topic {
			marks = append(marks, r)
		}
	}
	cl.MarkCommitRecords(marks...)
	clear(marks)
	c.marks = marks[:0]
}

// arenaSize is how many messages (and pointers to them) Poll allocates at
// once; each is handed out once, never reused. 200 messages stay below the
// 32 KB beyond which Go allocates large objects one by one.
const arenaSize = 200

// takeBuffered removes and returns up to limit buffered records.
func (c *consumer) takeBuffered(limit int) []*kgo.Record {
	c.bufMu.Lock()
	defer c.bufMu.Unlock()
	n := min(limit, len(c.buf))
	if n == 0 {
		return nil
	}
	rs := c.buf[:n:n]
	c.buf = c.buf[n:]
	if len(c.buf) == 0 {
		c.buf = nil
	}
	return rs
}

// dropBuffered forgets buffered records of the partitions (once a
// revocation has run, Poll returns none of them) and returns the position
// of the first one dropped of each partition, to fetch them again from.
func (c *consumer) dropBuffered(m map[string][]int32) map[string]map[int32]kgo.EpochOffset {
	c.bufMu.Lock()
	defer c.bufMu.Unlock()
	first := map[string]map[int32]kgo.EpochOffset{}
	kept := c.buf[:0:0]
	for _, r := range c.buf {
		if !slices.Contains(m[r.Topic], r.Partition) {
			kept = append(kept, r)
			continue
		}
		if _, seen := first[r.Topic][r.Partition]; !seen {
			put(first, r.Topic, r.Partition, kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset})
		}
	}
	c.buf = kept
	return first
}

func (c *consumer) Commit(ctx context.Context, offsets []backend.TopicPartition) error {
	cl := c.client()
	if cl == nil {
		return backend.Errorf(backend.CodeState, "not subscribed or assigned")
	}
	if !c.group {
		// Manual assignment: commit as a simple (generation-less) group.
		kos := kadm.Offsets{}
		for _, o := range offsets {
			kos.Add(kadm.Offset{Topic: o.Topic, Partition: o.Partition, At: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata})
		}
		return orErr(c.adm.CommitOffsets(ctx, c.cfg.GroupID, kos))
	}
	m := map[string]map[int32]kgo.EpochOffset{}
	for _, o := range offsets {
		put(m, o.Topic, o.Partition, kgo.EpochOffset{Epoch: o.LeaderEpoch, Offset: o.Offset})
	}
	var commitErr error
	cl.CommitOffsetsSync(ctx, m, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			commitErr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && commitErr == nil {
					commitErr = err
				}
			}
		}
	})
	return commitErr
}

func (c *consumer) Seek(ctx context.Context, tp backend.TopicPartition) error {
	cl := c.client()
	if cl == nil {
		return backend.Errorf(backend.CodeState, "not subscribed or assigned")
	}
	off := tp.Offset
	if off < 0 {
		// franz-go's SetOffsets takes exact offsets only: look them up.
		list := c.adm.ListEndOffsets
		if off == backend.OffsetBeginning {
			list = c.adm.ListStartOffsets
		}
		listed, err := list(ctx, tp.Topic)
		if err != nil {
			return err
		}
		lo, ok := listed.Lookup(tp.Topic, tp.Partition)
		if !ok {
			return kerr.UnknownTopicOrPartition
		}
		if lo.Err != nil {
			return lo.Err
		}
		off = lo.Offset
	}
	c.dropBuffered(map[string][]int32{tp.Topic: {tp.Partition}})
	c.mu.Lock()
	if !c.group {
		// A partition assigned a moment ago may not be consumed yet:
		// franz-go starts it at its next metadata update, from the
		// offset Assign pinned, and SetOffsets skips it until then. Pin
		// the new offset too.
		at := kgo.NewOffset().At(off)
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{tp.Topic: {tp.Partition: at}})
		put(c.assigned, tp.Topic, tp.Partition, at)
	}
	c.mu.Unlock()
	cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{tp.Topic: {tp.Partition: {Epoch: -1, Offset: off}}})
	return nil
}

func (c *consumer) Pause(tps []backend.TopicPartition) error {
	if cl := c.client(); cl != nil {
		// Records already fetched of a paused partition are dropped; the
		// position of the partition moves back to the first of them, so
		// they are fetched again on Resume.
		paused := byTopic(tps)
		cl.PauseFetchPartitions(paused)
		cl.SetOffsets(c.dropBuffered(paused))
	}
	return nil
}

func (c *consumer) Resume(tps []backend.TopicPartition) error {
	if cl := c.client(); cl != nil {
		cl.ResumeFetchPartitions(byTopic(tps))
	}
	return nil
}

func byTopic(tps []backend.TopicPartition) map[string][]int32 {
	m := map[string][]int32{}
	for _, tp := range tps {
		m[tp.Topic] = append(m[tp.Topic], tp.Partition)
	}
	return m
}

func (c *consumer) GroupMetadata() (backend.GroupMetadata, error) {
	gm := backend.GroupMetadata{GroupID: c.cfg.GroupID, GenerationID: -1, GroupInstanceID: c.cfg.GroupInstanceID}
	if cl := c.client(); cl != nil && c.group {
		gm.MemberID, gm.GenerationID = cl.GroupMetadata()
	}
	return gm, nil
}

func (c *consumer) Close(ctx context.Context) error {
	c.mu.Lock()
	q := c.query
	c.mu.Unlock()
	if q.cl != nil {
		defer q.Close(ctx) //nolint:errcheck // look-ups only
	}
	cl := c.client()
	if cl == nil {
		return nil
	}
	// Leaving runs OnPartitionsRevoked, which commits when auto-commit is
	// on and lets the user's listener commit.
	return leaveAndClose(ctx, cl, c.group)
}

// leaveAndClose leaves cl's group when leave is set, then closes cl, within
// ctx; the first error is returned.
func leaveAndClose(ctx context.Context, cl *kgo.Client, leave bool) error {
	var err error
	if leave {
		err = cl.LeaveGroupContext(ctx)
	}
	if cerr := backend.RunWithin(ctx, func() error { cl.Close(); return nil }); err == nil {
		err = cerr
	}
	return err
}

func (c *consumer) As(target any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The client exists once Subscribe or Assign has been called.
	return c.cl != nil && c.clients.As(target)
}

func (c *consumer) CachedWatermarks(topic string, partition int32) (low, high int64, ok bool) {
	c.bufMu.Lock()
	defer c.bufMu.Unlock()
	w, ok := c.watermarks[topic][partition]
	return w[0], w[1], ok
}
