package segmentio

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

type tpKey struct {
	topic     string
	partition int32
}

// part is one partition being consumed, with its fetch loop.
type part struct {
	key tpKey
	// fetch is the next offset to fetch: an offset, or kafka.FirstOffset /
	// kafka.LastOffset until resolved.
	fetch int64
	// next is the offset after the last message Poll returned (or where
	// consumption starts): where a pause or a commit resumes.
	next int64
	// consumed is the offset after the last message Poll returned, -1
	// before any; committed is what auto-commit last committed.
	consumed, committed int64
	// epoch changes with every seek or pause, so that a fetch started
	// before is thrown away.
	epoch   int
	paused  bool
	pending int // chunks of this partition in the queue
	// wm are the watermarks the last fetch answered; high is -1 before.
	wm     watermarks
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// watermarks are a partition's log start offset and high watermark.
type watermarks struct{ low, high int64 }

// chunk is messages fetched from one partition, waiting for Poll.
type chunk struct {
	p    *part
	msgs []*backend.Message
	err  error
}

// maxPending is how many fetched chunks of a partition may wait for Poll.
const maxPending = 2

type consumer struct {
	cfg   backend.ConsumerConfig
	hooks backend.ConsumerHooks
	s     *settings
	tr    *transport
	cl    *kafka.Client
	bals  []kafka.GroupBalancer

	life   context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	parts  map[tpKey]*part
	queue  []*chunk
	ready  chan struct{} // signalled when the queue gets a chunk
	closed chan struct{}
	isDone bool
	// Group state.
	cg       *kafka.ConsumerGroup
	topics   []string
	gen      *kafka.Generation
	groupWG  sync.WaitGroup
	closeCtx context.Context
	// fetchers counts the running fetch loops and the auto-commit loop.
	fetchers sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

func (segmentioBackend) NewConsumer(cfg backend.ConsumerConfig, hooks backend.ConsumerHooks) (backend.Consumer, error) {
	s, err := newSettings(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	bals, err := balancers(cfg.Assignors)
	if err != nil {
		return nil, err
	}
	tr := newTransport(s)
	c := &consumer{
		bals:   bals,
		cfg:    cfg,
		hooks:  hooks,
		s:      s,
		tr:     tr,
		cl:     tr.client(),
		parts:  map[tpKey]*part{},
		ready:  make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	c.life, c.cancel = context.WithCancel(context.Background())
	if !cfg.DisableAutoCommit && cfg.GroupID != "" {
		c.fetchers.Add(1)
		go c.autoCommitLoop()
	}
	return c, nil
}

func balancers(as []backend.Assignor) ([]kafka.GroupBalancer, error) {
	var out []kafka.GroupBalancer
	for _, a := range as {
		switch a {
		case backend.AssignorRange:
			out = append(out, kafka.RangeGroupBalancer{})
		case backend.AssignorRoundRobin:
			out = append(out, kafka.RoundRobinGroupBalancer{})
		default:
			return nil, backend.Errorf(backend.CodeUnsupported, "partition.assignment.strategy=%s is not supported by the segmentio backend: use range or roundrobin", a)
		}
	}
	if len(out) == 0 {
		out = []kafka.GroupBalancer{kafka.RangeGroupBalancer{}}
	}
	return out, nil
}

func (c *consumer) closedErr() error { return backend.Errorf(backend.CodeClosed, "consumer is closed") }

// Subscribe starts group membership. Subscribing again to other topics
// leaves the group (revoking the partitions) and joins with the new list,
// in the background: the revocation runs inside a later Poll.
func (c *consumer) Subscribe(_ context.Context, topics []string) error {
	slices.Sort(topics)
	topics = slices.Compact(topics)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isDone {
		return c.closedErr()
	}
	if c.cg != nil && slices.Equal(c.topics, topics) {
		return nil
	}
	old := c.cg
	cg, err := c.newGroup(topics)
	if err != nil {
		return err
	}
	c.topics = topics
	c.cg = cg
	c.groupWG.Add(1)
	go func() {
		defer c.groupWG.Done()
		if old != nil {
			old.Close() //nolint:errcheck // always nil
		}
		c.runGroup(cg)
	}()
	return nil
}

func (c *consumer) newGroup(topics []string) (*kafka.ConsumerGroup, error) {
	gc := kafka.ConsumerGroupConfig{
		ID:                     c.cfg.GroupID,
		Brokers:                c.s.servers,
		Dialer:                 c.s.dialer(),
		Topics:                 topics,
		GroupBalancers:         c.bals,
		HeartbeatInterval:      c.cfg.HeartbeatInterval,
		SessionTimeout:         c.cfg.SessionTimeout,
		RebalanceTimeout:       c.cfg.MaxPollInterval,
		JoinGroupBackoff:       time.Second,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 5 * time.Second,
		Timeout:                c.s.timeout,
	}
	gc.Logger, gc.ErrorLogger = c.s.loggers()
	cg, err := kafka.NewConsumerGroup(gc)
	if err != nil {
		return nil, backend.WithCode(backend.CodeBadConfig, err)
	}
	return cg, nil
}

// runGroup serves the generations of cg until it closes.
func (c *consumer) runGroup(cg *kafka.ConsumerGroup) {
	for {
		gen, err := cg.Next(c.life)
		if err != nil {
			if errors.Is(err, kafka.ErrGroupClosed) || c.life.Err() != nil {
				return
			}
			c.hooks.OnError(err)
			continue
		}
		ended := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(ended)
			c.runGeneration(gctx, gen)
		})
		<-ended
	}
}

// runGeneration consumes the generation's assignment until it ends: the
// partitions are assigned when it starts and revoked when it ends.
func (c *consumer) runGeneration(gctx context.Context, gen *kafka.Generation) {
	var tps []backend.TopicPartition
	for topic, pas := range gen.Assignments {
		for _, pa := range pas {
			tps = append(tps, backend.TopicPartition{Topic: topic, Partition: int32(pa.ID), Offset: backend.OffsetInvalid, LeaderEpoch: -1})
		}
	}
	c.mu.Lock()
	c.gen = gen
	c.mu.Unlock()
	if len(tps) > 0 {
		hctx, cancel := context.WithCancel(gctx)
		c.hooks.Rebalance(hctx, backend.RebalanceAssigned, tps, false) //nolint:errcheck // the listener's error is logged by the root
		cancel()
		if gctx.Err() == nil {
			c.mu.Lock()
			for topic, pas := range gen.Assignments {
				for _, pa := range pas {
					start := pa.Offset
					if start < 0 {
						start = c.resetOffset()
					}
					c.startPart(tpKey{topic, int32(pa.ID)}, start)
				}
			}
			c.mu.Unlock()
		}
	}
	<-gctx.Done()

	// The generation ended: a rebalance, a lost session, or Close.
	keys := keysOf(tps)
	c.stopParts(keys)
	ctx, cancel := c.revokeCtx()
	defer cancel()
	if !c.cfg.DisableAutoCommit {
		if err := c.commitConsumed(ctx); err != nil {
			c.hooks.OnError(err)
		}
	}
	if len(tps) > 0 {
		// kafka-go cannot tell a rebalance from a lost session: report
		// Revoked.
		c.hooks.Rebalance(ctx, backend.RebalanceRevoked, tps, false) //nolint:errcheck // logged by the root
	}
	c.mu.Lock()
	for _, k := range keys {
		delete(c.parts, k)
	}
	c.gen = nil
	c.mu.Unlock()
}

// revokeCtx bounds the end of a generation: by Close's context when
// closing, else by the rebalance timeout.
func (c *consumer) revokeCtx() (context.Context, context.CancelFunc) {
	c.mu.Lock()
	cctx := c.closeCtx
	c.mu.Unlock()
	if cctx != nil {
		return context.WithCancel(cctx)
	}
	return context.WithTimeout(context.Background(), c.cfg.MaxPollInterval)
}

func (c *consumer) resetOffset() int64 {
	switch c.cfg.AutoOffsetReset {
	case backend.OffsetResetEarliest:
		return kafka.FirstOffset
	case backend.OffsetResetNone:
		return offsetResetNone
	}
	return kafka.LastOffset
}

// offsetResetNone marks a partition with no committed offset under
// auto.offset.reset=none: fetching it fails.
const offsetResetNone = -3

// startPart starts consuming k at offset. c.mu is held.
func (c *consumer) startPart(k tpKey, offset int64) {
	if old := c.parts[k]; old != nil {
		old.cancel()
	}
	ctx, cancel := context.WithCancel(c.life)
	p := &part{key: k, fetch: offset, next: offset, consumed: -1, committed: -1, wm: watermarks{-1, -1}, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	c.parts[k] = p
	c.fetchers.Add(1)
	go c.fetchLoop(ctx, p)
}

// stopParts stops the fetch loops of keys and drops their queued messages.
func (c *consumer) stopParts(keys []tpKey) {
	var dones []chan struct{}
	c.mu.Lock()
	for _, k := range keys {
		if p := c.parts[k]; p != nil {
			p.cancel()
			dones = append(dones, p.done)
			c.purgeLocked(p)
		}
	}
	c.mu.Unlock()
	for _, d := range dones {
		<-d
	}
}

// purgeLocked drops p's queued chunks. c.mu is held.
func (c *consumer) purgeLocked(p *part) {
	if p.pending == 0 {
		return
	}
	kept := c.queue[:0]
	for _, ch := range c.queue {
		if ch.p != p {
			kept = append(kept, ch)
		}
	}
	clear(c.queue[len(kept):])
	c.queue = kept
	p.pending = 0
	p.signal()
}

func (p *part) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (c *consumer) push(ch *chunk) {
	c.queue = append(c.queue, ch)
	ch.p.pending++
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// fetchLoop fetches p until ctx ends.
func (c *consumer) fetchLoop(ctx context.Context, p *part) {
	defer c.fetchers.Done()
	defer close(p.done)
	backoff := 50 * time.Millisecond
	fail := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
		return true
	}
	for {
		c.mu.Lock()
		for (p.paused || p.pending >= maxPending) && ctx.Err() == nil {
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-p.wake:
			}
			c.mu.Lock()
		}
		epoch, off := p.epoch, p.fetch
		c.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if off == offsetResetNone {
			c.mu.Lock()
			if p.epoch == epoch {
				c.push(&chunk{p: p, err: backend.WithCode(backend.Code(kafka.OffsetOutOfRange), errors.New("no committed offset and auto.offset.reset=none"))})
				p.paused = true
			}
			c.mu.Unlock()
			continue
		}
		if off < 0 {
			resolved, err := c.listOffset(ctx, p.key, off)
			if err != nil {
				if !fail() {
					return
				}
				continue
			}
			c.mu.Lock()
			if p.epoch == epoch {
				p.fetch = resolved
				if p.next < 0 {
					p.next = resolved
				}
			}
			c.mu.Unlock()
			continue
		}
		msgs, next, wm, err := c.fetch(ctx, p.key, off)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if errors.Is(err, kafka.OffsetOutOfRange) {
				c.mu.Lock()
				if p.epoch == epoch {
					p.fetch = c.resetOffset()
				}
				c.mu.Unlock()
				continue
			}
			if !fail() {
				return
			}
			continue
		}
		backoff = 50 * time.Millisecond
		c.mu.Lock()
		p.wm = wm
		if p.epoch == epoch {
			p.fetch = next
			if len(msgs) > 0 {
				c.push(&chunk{p: p, msgs: msgs})
			}
		}
		c.mu.Unlock()
	}
}

// listOffset resolves kafka.FirstOffset or kafka.LastOffset.
func (c *consumer) listOffset(ctx context.Context, k tpKey, which int64) (int64, error) {
	r, err := c.cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{k.topic: {{Partition: int(k.partition), Timestamp: which}}},
	})
	if err != nil {
		return 0, err
	}
	for _, po := range r.Topics[k.topic] {
		if po.Partition != int(k.partition) {
			continue
		}
		if po.Error != nil {
			return 0, po.Error
		}
		if which == kafka.FirstOffset {
			return po.FirstOffset, nil
		}
		return po.LastOffset, nil
	}
	return 0, kafka.UnknownTopicOrPartition
}

// fetch reads the records of k from off, and returns them with the next
// offset to fetch and the partition's watermarks.
func (c *consumer) fetch(ctx context.Context, k tpKey, off int64) ([]*backend.Message, int64, watermarks, error) {
	resp, err := c.cl.Fetch(ctx, &kafka.FetchRequest{
		Topic:     k.topic,
		Partition: int(k.partition),
		Offset:    off,
		MinBytes:  int64(c.cfg.FetchMinBytes),
		MaxBytes:  int64(min(c.cfg.FetchMaxBytes, c.cfg.MaxPartitionFetchBytes)),
		MaxWait:   c.cfg.FetchMaxWait,
	})
	if err != nil {
		return nil, off, watermarks{}, err
	}
	if resp.Error != nil {
		return nil, off, watermarks{}, resp.Error
	}
	wm := watermarks{resp.LogStartOffset, resp.HighWatermark}
	next := off
	// Control batches (transaction markers) hold no messages but take
	// offsets: step over them.
	if rs, ok := resp.Records.(*protocol.RecordStream); ok {
		for _, rr := range rs.Records {
			if cb, ok := rr.(*protocol.ControlBatch); ok {
				for {
					r, err := cb.ReadRecord()
					if err != nil {
						break
					}
					next = max(next, r.Offset+1)
				}
			}
		}
	}
	var msgs []*backend.Message
	for {
		r, err := resp.Records.ReadRecord()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if len(msgs) == 0 {
				return nil, off, wm, err
			}
			break
		}
		if r.Offset < off {
			closeBytes(r)
			continue
		}
		m, err := fromRecord(k.topic, k.partition, r)
		if err != nil {
			return nil, off, wm, err
		}
		msgs = append(msgs, m)
		next = max(next, r.Offset+1)
	}
	return msgs, next, wm, nil
}

// fromRecord converts a fetched record of topic[partition], reading and
// closing its key and value.
func fromRecord(topic string, partition int32, r *kafka.Record) (*backend.Message, error) {
	m := &backend.Message{
		Topic:       topic,
		Partition:   partition,
		Offset:      r.Offset,
		Timestamp:   r.Time,
		LeaderEpoch: -1,
	}
	var err error
	if m.Key, err = readBytes(r.Key); err == nil {
		m.Value, err = readBytes(r.Value)
	}
	closeBytes(r)
	if err != nil {
		return nil, err
	}
	// The values share kafka-go's read buffer: copy them.
	m.Headers = backend.Convert(r.Headers, func(h kafka.Header) backend.Header { return backend.Header{Key: h.Key, Value: slices.Clone(h.Value)} })
	return m, nil
}

// readBytes reads a record's key or value: nil for a null one, a non-nil
// slice for an empty one.
func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	out := make([]byte, b.Len())
	if _, err := io.ReadFull(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

func closeBytes(r *kafka.Record) {
	if r.Key != nil {
		r.Key.Close()
	}
	if r.Value != nil {
		r.Value.Close()
	}
}

// Assign replaces the manual assignment.
func (c *consumer) Assign(_ context.Context, tps []backend.TopicPartition) error {
	c.mu.Lock()
	old := slices.Collect(maps.Keys(c.parts))
	c.mu.Unlock()
	return c.reassign(old, tps)
}

// IncrementalAssign starts the partitions; one already consumed restarts
// at its new offset.
func (c *consumer) IncrementalAssign(_ context.Context, tps []backend.TopicPartition) error {
	return c.reassign(keysOf(tps), tps)
}

func (c *consumer) IncrementalUnassign(_ context.Context, tps []backend.TopicPartition) error {
	return c.reassign(keysOf(tps), nil)
}

// keysOf returns the keys of tps' partitions.
func keysOf(tps []backend.TopicPartition) []tpKey {
	return backend.Convert(tps, func(tp backend.TopicPartition) tpKey { return tpKey{tp.Topic, tp.Partition} })
}

// reassign stops consuming the partitions of drop and forgets them, then
// starts consuming tps, each at its Offset. It fails after Close.
func (c *consumer) reassign(drop []tpKey, tps []backend.TopicPartition) error {
	want := map[tpKey]int64{}
	for _, tp := range tps {
		want[tpKey{tp.Topic, tp.Partition}] = startOffset(tp.Offset)
	}
	c.mu.Lock()
	done := c.isDone
	c.mu.Unlock()
	if done {
		return c.closedErr()
	}
	c.stopParts(drop)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range drop {
		delete(c.parts, k)
	}
	for k, off := range want {
		c.startPart(k, off)
	}
	return nil
}

func (c *consumer) CachedWatermarks(topic string, partition int32) (low, high int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[tpKey{topic, partition}]
	if p == nil || p.wm.high < 0 {
		return -1, -1, false
	}
	return p.wm.low, p.wm.high, true
}

func (c *consumer) Poll(ctx context.Context, max int) ([]*backend.Message, error) {
	for {
		c.mu.Lock()
		if c.isDone {
			c.mu.Unlock()
			return nil, c.closedErr()
		}
		var out []*backend.Message
		var err error
		for len(c.queue) > 0 && len(out) < max {
			ch := c.queue[0]
			if ch.err != nil {
				if len(out) == 0 {
					err = ch.err
					c.popLocked()
				}
				break
			}
			n := min(max-len(out), len(ch.msgs))
			out = append(out, ch.msgs[:n]...)
			ch.msgs = ch.msgs[n:]
			last := out[len(out)-1]
			ch.p.next = last.Offset + 1
			ch.p.consumed = last.Offset + 1
			if len(ch.msgs) == 0 {
				c.popLocked()
			}
		}
		c.mu.Unlock()
		if err != nil || len(out) > 0 {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, c.closedErr()
		case <-c.ready:
		}
	}
}

// popLocked removes the first chunk. c.mu is held.
func (c *consumer) popLocked() {
	ch := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	ch.p.pending--
	ch.p.signal()
}

// Commit commits offsets for the group: with the current generation when
// subscribed, as a simple (generation-less) commit otherwise. Commits stay
// possible while Close revokes the partitions; the root refuses them once
// Close has returned.
func (c *consumer) Commit(ctx context.Context, offsets []backend.TopicPartition) error {
	if len(offsets) == 0 {
		return nil
	}
	c.mu.Lock()
	gen, group := c.gen, c.cg != nil
	c.mu.Unlock()
	req := &kafka.OffsetCommitRequest{GroupID: c.cfg.GroupID, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{}}
	if group {
		if gen == nil {
			return kafka.RebalanceInProgress
		}
		req.GenerationID, req.MemberID = int(gen.ID), gen.MemberID
	}
	for _, o := range offsets {
		req.Topics[o.Topic] = append(req.Topics[o.Topic], kafka.OffsetCommit{Partition: int(o.Partition), Offset: o.Offset, Metadata: o.Metadata})
	}
	resp, err := c.cl.OffsetCommit(ctx, req)
	if err != nil {
		return err
	}
	for _, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return p.Error
			}
		}
	}
	return nil
}

// commitConsumed commits the offsets after the messages Poll returned,
// where they changed since the last auto-commit.
func (c *consumer) commitConsumed(ctx context.Context) error {
	type upd struct {
		p   *part
		off int64
	}
	var ups []upd
	var offsets []backend.TopicPartition
	c.mu.Lock()
	for k, p := range c.parts {
		if p.consumed >= 0 && p.consumed != p.committed {
			ups = append(ups, upd{p, p.consumed})
			offsets = append(offsets, backend.TopicPartition{Topic: k.topic, Partition: k.partition, Offset: p.consumed, LeaderEpoch: -1})
		}
	}
	c.mu.Unlock()
	if err := c.Commit(ctx, offsets); err != nil {
		return err
	}
	c.mu.Lock()
	for _, u := range ups {
		u.p.committed = u.off
	}
	c.mu.Unlock()
	return nil
}

func (c *consumer) autoCommitLoop() {
	defer c.fetchers.Done()
	t := time.NewTicker(c.cfg.AutoCommitInterval)
	defer t.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.life, c.s.timeout)
		if err := c.commitConsumed(ctx); err != nil && c.life.Err() == nil {
			c.hooks.OnError(err)
		}
		cancel()
	}
}

// startOffset maps an offset to start from to the fetch loop's: an
// offset, or kafka.FirstOffset or kafka.LastOffset, which the loop resolves.
func startOffset(off int64) int64 {
	switch off {
	case backend.OffsetBeginning:
		return kafka.FirstOffset
	case backend.OffsetEnd:
		return kafka.LastOffset
	}
	return off
}

// Seek moves the fetch position; the beginning or end of the partition is
// resolved by the partition's fetch loop.
func (c *consumer) Seek(_ context.Context, tp backend.TopicPartition) error {
	off := startOffset(tp.Offset)
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[tpKey{tp.Topic, tp.Partition}]
	if p == nil {
		return backend.Errorf(backend.CodeNotAssigned, "partition %s[%d] is not being consumed", tp.Topic, tp.Partition)
	}
	p.epoch++
	p.fetch, p.next = off, off
	c.purgeLocked(p)
	p.signal()
	return nil
}

func (c *consumer) Pause(tps []backend.TopicPartition) error { return c.setPaused(tps, true) }

func (c *consumer) Resume(tps []backend.TopicPartition) error { return c.setPaused(tps, false) }

func (c *consumer) setPaused(tps []backend.TopicPartition, paused bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		p := c.parts[tpKey{tp.Topic, tp.Partition}]
		if p == nil || p.paused == paused {
			continue
		}
		p.paused = paused
		if paused {
			// Forget what was fetched and not returned: it is fetched
			// again after Resume.
			p.epoch++
			p.fetch = p.next
			c.purgeLocked(p)
		}
		p.signal()
	}
	return nil
}

func (c *consumer) GroupMetadata() (backend.GroupMetadata, error) {
	gm := backend.GroupMetadata{GroupID: c.cfg.GroupID, GenerationID: -1}
	c.mu.Lock()
	if c.gen != nil {
		gm.GenerationID, gm.MemberID = c.gen.ID, c.gen.MemberID
	}
	c.mu.Unlock()
	return gm, nil
}

func (c *consumer) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	var isolation int8
	if c.cfg.IsolationLevel == backend.IsolationReadCommitted {
		isolation = 1
	}
	return c.tr.listOffsets(ctx, isolation, reqs)
}

func (c *consumer) Committed(ctx context.Context, tps []backend.TopicPartition) ([]backend.TopicPartition, error) {
	topics := map[string][]int{}
	for _, tp := range tps {
		topics[tp.Topic] = append(topics[tp.Topic], int(tp.Partition))
	}
	return fetchCommitted(ctx, c.cl, c.cfg.GroupID, topics)
}

func (c *consumer) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.close(ctx) })
	return c.closeErr
}

func (c *consumer) close(ctx context.Context) error {
	c.mu.Lock()
	c.isDone = true
	c.closeCtx = ctx
	cg := c.cg
	close(c.closed)
	c.mu.Unlock()
	var err error
	if cg != nil {
		// Ending the generation revokes the partitions (committing first
		// when auto-commit is on) before kafka-go leaves the group.
		err = backend.RunWithin(ctx, func() error {
			cg.Close() //nolint:errcheck // always nil
			c.groupWG.Wait()
			return nil
		})
	} else if !c.cfg.DisableAutoCommit && c.cfg.GroupID != "" {
		err = c.commitConsumed(ctx)
	}
	c.cancel()
	c.mu.Lock()
	keys := slices.Collect(maps.Keys(c.parts))
	c.mu.Unlock()
	c.stopParts(keys)
	if werr := backend.RunWithin(ctx, func() error { c.fetchers.Wait(); return nil }); err == nil {
		err = werr
	}
	c.tr.Close()
	return err
}

func (c *consumer) As(target any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return backend.SetAs(target, c.cl) || c.cg != nil && backend.SetAs(target, c.cg)
}
