package sarama

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkaclient/kafkaclient/backend"
)

type tpKey struct {
	topic     string
	partition int32
}

// part is one partition being consumed. Its messages come from a source:
// the claim of a group session, or a partition consumer of the consumer's
// own sarama.Consumer (manual assignment, or a seek).
type part struct {
	key tpKey
	// pc is the source; own is set when it was opened here (and so is
	// closed here), unset for a session's claim.
	pc  sarama.PartitionConsumer
	own bool
	// gen changes with every change of source, so that messages of an
	// earlier one are dropped.
	gen int
	// paused is the user's pause; held is set while the source is paused
	// because Poll has enough of its messages waiting.
	paused, held bool
	pending      int // chunks of this part in the queue
	// consumed is the offset after the last message Poll returned, -1
	// before any; committed is what auto-commit last committed.
	consumed, committed int64
}

// chunk is messages of one source waiting for Poll, or its error.
type chunk struct {
	p    *part
	msgs []*backend.Message
	err  error
}

// Flow control: a source is paused while this many of its chunks wait,
// each of at most maxChunk messages.
const (
	maxPending = 4
	maxChunk   = 500
)

type consumer struct {
	cfg   backend.ConsumerConfig
	hooks backend.ConsumerHooks
	sc    *sarama.Config
	conn  *conn
	// side is a second client, for commits, committed offsets and offset
	// look-ups: Sarama holds a broker's connection for a whole request,
	// so on the fetching client they would wait for a fetch the broker
	// holds up to fetch.wait.max.ms. adm answers ListOffsets over it.
	side *conn
	adm  *admin

	life   context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // readers of owned sources, the group loop, auto-commit

	mu       sync.Mutex
	parts    map[tpKey]*part
	queue    []*chunk
	ready    chan struct{} // signalled when the queue gets a chunk
	closed   chan struct{}
	isDone   bool
	closeCtx context.Context
	direct   sarama.Consumer
	// Group state: the group, its subscription loop and current session.
	cg      sarama.ConsumerGroup
	topics  []string
	gcancel context.CancelFunc
	gdone   chan struct{}
	sess    sarama.ConsumerGroupSession

	// assignMu orders the reports of a session's partitions; owned are
	// those reported Assigned and not yet taken away.
	assignMu sync.Mutex
	owned    map[tpKey]bool

	closeOnce sync.Once
	closeErr  error
}

func (saramaBackend) NewConsumer(cfg backend.ConsumerConfig, hooks backend.ConsumerHooks) (backend.Consumer, error) {
	if cfg.GroupProtocol == backend.GroupProtocolConsumer {
		return nil, backend.Unsupported(Name, "group.protocol=consumer (Sarama speaks the classic group protocol)")
	}
	sc, err := newConfig(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	// One read deadline covers a whole request, a fetch's wait included.
	sc.Net.ReadTimeout = cfg.RequestTimeout + cfg.FetchMaxWait
	sc.Metadata.RefreshFrequency = 5 * time.Second
	sc.Metadata.Retry.Max = 3
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Offsets.Initial = sarama.OffsetNewest
	// Under none, a committed offset out of range is not moved silently.
	sc.Consumer.Group.ResetInvalidOffsets = cfg.AutoOffsetReset != backend.OffsetResetNone
	if cfg.AutoOffsetReset == backend.OffsetResetEarliest {
		sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	}
	sc.Consumer.Fetch.Min = int32(cfg.FetchMinBytes)
	sc.Consumer.Fetch.Default = int32(cfg.MaxPartitionFetchBytes)
	sc.Consumer.Fetch.MaxBytes = int32(min(cfg.FetchMaxBytes, math.MaxInt32))
	sc.Consumer.MaxWaitTime = cfg.FetchMaxWait
	if cfg.IsolationLevel == backend.IsolationReadCommitted {
		sc.Consumer.IsolationLevel = sarama.ReadCommitted
	}
	g := &sc.Consumer.Group
	g.Session.Timeout, g.Heartbeat.Interval, g.Rebalance.Timeout = cfg.SessionTimeout, cfg.HeartbeatInterval, cfg.MaxPollInterval
	// A join waits for the whole rebalance under a deadline of one
	// request: retry it for as long as a rebalance may take.
	g.Rebalance.Retry.Max = 20
	if cfg.GroupInstanceID != "" {
		g.InstanceId = cfg.GroupInstanceID
	}
	g.Rebalance.GroupStrategies = nil
	for _, a := range cfg.Assignors {
		g.Rebalance.GroupStrategies = append(g.Rebalance.GroupStrategies, map[backend.Assignor]sarama.BalanceStrategy{
			backend.AssignorRange: sarama.NewBalanceStrategyRange(), backend.AssignorRoundRobin: sarama.NewBalanceStrategyRoundRobin(),
			backend.AssignorSticky: sarama.NewBalanceStrategySticky(), backend.AssignorCooperativeSticky: sarama.NewBalanceStrategyCooperativeSticky(),
		}[a])
	}
	if len(g.Rebalance.GroupStrategies) == 0 {
		g.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	}
	cn, err := dial(cfg.ClientConfig, sc)
	if err != nil {
		return nil, err
	}
	sideConfig := *sc
	side, err := dial(cfg.ClientConfig, &sideConfig)
	if err != nil {
		cn.close()
		return nil, err
	}
	c := &consumer{
		cfg: cfg, hooks: hooks, sc: sc, conn: cn, side: side, adm: &admin{conn: side},
		parts: map[tpKey]*part{}, ready: make(chan struct{}, 1), closed: make(chan struct{}), owned: map[tpKey]bool{},
	}
	c.life, c.cancel = context.WithCancel(context.Background())
	if !cfg.DisableAutoCommit && cfg.GroupID != "" {
		c.wg.Add(1)
		go c.autoCommitLoop()
	}
	return c, nil
}

func (c *consumer) closedErr() error { return backend.Errorf(backend.CodeClosed, "consumer is closed") }

// Subscribe starts, or restarts with the new topics, the loop that keeps
// the consumer in the group. The previous loop ends (its partitions
// revoked) in the background, as its revocation runs inside a later Poll.
func (c *consumer) Subscribe(_ context.Context, topics []string) error {
	topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isDone {
		return c.closedErr()
	}
	if c.gcancel != nil && slices.Equal(c.topics, topics) {
		return nil
	}
	if c.cg == nil {
		cg, err := sarama.NewConsumerGroupFromClient(c.cfg.GroupID, c.conn.client)
		if err != nil {
			return err
		}
		c.cg = cg
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for err := range cg.Errors() {
				c.hooks.OnError(err)
			}
		}()
	}
	if c.gcancel != nil {
		c.gcancel()
	}
	prev := c.gdone
	gctx, cancel := context.WithCancel(c.life)
	c.topics, c.gcancel, c.gdone = topics, cancel, make(chan struct{})
	c.wg.Add(1)
	go c.runGroup(gctx, topics, prev, c.gdone)
	return nil
}

// runGroup keeps the consumer in the group until gctx ends: Sarama's
// Consume returns at every eager rebalance and on errors.
func (c *consumer) runGroup(gctx context.Context, topics []string, prev <-chan struct{}, done chan struct{}) {
	defer c.wg.Done()
	defer close(done)
	if prev != nil {
		<-prev
	}
	for gctx.Err() == nil {
		err := c.cg.Consume(gctx, topics, handler{c})
		if err == nil || gctx.Err() != nil {
			continue
		}
		if errors.Is(err, sarama.ErrClosedConsumerGroup) || errors.Is(err, sarama.ErrClosedClient) {
			return
		}
		c.hooks.OnError(err)
		select {
		case <-gctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// handler is the consumer as Sarama's group handler.
type handler struct{ c *consumer }

// Setup runs before the session's claims start.
func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	h.c.mu.Lock()
	h.c.sess = s
	h.c.mu.Unlock()
	h.c.reportAssigned(s)
	return nil
}

// reportAssigned reports the session's partitions not reported yet: all
// of them at the start of a session, and under cooperative rebalancing
// those a later rebalance adds, which get no Setup.
func (c *consumer) reportAssigned(s sarama.ConsumerGroupSession) {
	c.assignMu.Lock()
	defer c.assignMu.Unlock()
	var added []backend.TopicPartition
	c.mu.Lock()
	for topic, ps := range s.Claims() {
		for _, p := range ps {
			k := tpKey{topic, p}
			if !c.owned[k] {
				c.owned[k] = true
				c.parts[k] = &part{key: k, consumed: -1, committed: -1}
				added = append(added, backend.TopicPartition{Topic: topic, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
			}
		}
	}
	c.mu.Unlock()
	if len(added) > 0 {
		c.hooks.Rebalance(s.Context(), backend.RebalanceAssigned, added, false) //nolint:errcheck // the listener's error is logged by the root
	}
}

// ConsumeClaim reads the claim until it ends: with the session, or alone
// when a cooperative rebalance takes the partition away. It must not
// return earlier, as that would end the session.
func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	c := h.c
	c.reportAssigned(s)
	k := tpKey{claim.Topic(), claim.Partition()}
	pc := claim.(sarama.PartitionConsumer)
	c.mu.Lock()
	p := c.parts[k]
	attach := p != nil && p.pc == nil
	gen := -1 // no part's: everything read from the claim is dropped
	if attach {
		p.pc, gen = pc, p.gen
		if p.paused { // paused by the listener, before the claim started
			pc.Pause()
		}
	} else {
		pc.Pause() // a seek moved the partition to another source
	}
	c.mu.Unlock()
	if attach && c.cfg.AutoOffsetReset == backend.OffsetResetNone {
		c.refuseUncommitted(s.Context(), p, gen)
	}
	c.read(p, gen, pc)
	if s.Context().Err() == nil {
		c.revoke(s, []tpKey{k}, backend.RebalanceRevoked)
	}
	return nil
}

// refuseUncommitted fails p when the group has no offset for it: with
// auto.offset.reset=none Poll must say so, where Sarama would start at
// Offsets.Initial.
func (c *consumer) refuseUncommitted(ctx context.Context, p *part, gen int) {
	tps, err := c.Committed(ctx, []backend.TopicPartition{{Topic: p.key.topic, Partition: p.key.partition}})
	if err != nil || tps[0].Offset >= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.gen == gen {
		p.gen++
		p.pc.Pause()
		c.push(&chunk{p: p, err: backend.WithCode(backend.Code(sarama.ErrOffsetOutOfRange),
			errors.New("no committed offset and auto.offset.reset=none"))})
	}
}

// Cleanup runs once every claim of the session has returned: what the
// session still owned is taken away, as lost when the member was fenced or
// its session expired.
func (h handler) Cleanup(s sarama.ConsumerGroupSession) error {
	c := h.c
	kind := backend.RebalanceRevoked
	for _, lost := range []error{sarama.ErrUnknownMemberId, sarama.ErrIllegalGeneration, sarama.ErrFencedInstancedId, sarama.ErrSessionHeartbeatFailed, sarama.ErrRebalanceTimedOut} {
		if errors.Is(context.Cause(s.Context()), lost) {
			kind = backend.RebalanceLost
		}
	}
	c.assignMu.Lock()
	keys := slices.Collect(maps.Keys(c.owned))
	c.assignMu.Unlock()
	c.revoke(s, keys, kind)
	c.mu.Lock()
	c.sess = nil
	c.mu.Unlock()
	return nil
}

// revoke takes keys' partitions away: it stops reading them, commits what
// Poll returned of them (unless lost), and reports them.
func (c *consumer) revoke(s sarama.ConsumerGroupSession, keys []tpKey, kind backend.RebalanceKind) {
	if len(keys) == 0 {
		return
	}
	c.stopSources(keys)
	ctx, cancel := c.revokeCtx()
	defer cancel()
	if !c.cfg.DisableAutoCommit && kind == backend.RebalanceRevoked {
		if err := c.commitConsumed(ctx, keys); err != nil {
			c.hooks.OnError(err)
		}
	}
	tps := backend.Convert(keys, func(k tpKey) backend.TopicPartition {
		return backend.TopicPartition{Topic: k.topic, Partition: k.partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1}
	})
	c.hooks.Rebalance(ctx, kind, tps, false) //nolint:errcheck // logged by the root
	// A seek made in the hook gave a revoked partition a source of its
	// own: close it with the partition.
	var strays []sarama.PartitionConsumer
	c.assignMu.Lock()
	c.mu.Lock()
	for _, k := range keys {
		if p := c.parts[k]; p != nil && p.own {
			p.gen++
			strays = append(strays, p.pc)
			c.purgeLocked(p)
		}
		delete(c.owned, k)
		delete(c.parts, k)
	}
	c.mu.Unlock()
	c.assignMu.Unlock()
	for _, pc := range strays {
		pc.Close() //nolint:errcheck // its reader reported its errors
	}
}

// revokeCtx bounds a revocation: by Close's context when closing, else by
// the rebalance timeout.
func (c *consumer) revokeCtx() (context.Context, context.CancelFunc) {
	c.mu.Lock()
	cctx := c.closeCtx
	c.mu.Unlock()
	if cctx != nil {
		return context.WithCancel(cctx)
	}
	return context.WithTimeout(context.Background(), c.cfg.MaxPollInterval)
}

// read hands the messages of p's source pc (of generation gen) to Poll
// until pc's messages end. Messages of a source replaced meanwhile are
// dropped.
func (c *consumer) read(p *part, gen int, pc sarama.PartitionConsumer) {
	msgs, errs := pc.Messages(), pc.Errors()
	for msgs != nil {
		select {
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			batch := []*backend.Message{toMessage(m)}
		more:
			for len(batch) < maxChunk {
				select {
				case m, ok := <-msgs:
					if !ok {
						msgs = nil
						break more
					}
					batch = append(batch, toMessage(m))
				default:
					break more
				}
			}
			c.mu.Lock()
			if p != nil && p.gen == gen {
				c.push(&chunk{p: p, msgs: batch})
			}
			c.mu.Unlock()
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			c.sourceError(p, gen, e.Err)
		}
	}
	// Sarama sends an offset out of range, then closes the messages: the
	// error may still wait.
	for errs != nil {
		select {
		case e, ok := <-errs:
			if !ok {
				return
			}
			c.sourceError(p, gen, e.Err)
		default:
			return
		}
	}
}

// sourceError handles an error of p's source: an offset out of range
// restarts it where auto.offset.reset says, or fails Poll under none.
func (c *consumer) sourceError(p *part, gen int, err error) {
	select {
	case <-c.closed: // the fetches were interrupted on purpose
		return
	default:
	}
	if p == nil || !errors.Is(err, sarama.ErrOffsetOutOfRange) {
		c.hooks.OnError(err)
		return
	}
	if c.cfg.AutoOffsetReset == backend.OffsetResetNone {
		c.mu.Lock()
		if p.gen == gen {
			p.gen++
			c.push(&chunk{p: p, err: err})
		}
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	stale := p.gen != gen || c.isDone // moved by a seek meanwhile, or closing
	c.mu.Unlock()
	if stale {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.resource(c.life, p, c.sc.Consumer.Offsets.Initial); err != nil && c.life.Err() == nil {
			c.hooks.OnError(err)
		}
	}()
}

// toMessage converts a fetched message; Sarama hands out fresh slices, and
// nil for a null key or value.
func toMessage(m *sarama.ConsumerMessage) *backend.Message {
	return &backend.Message{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp, LeaderEpoch: -1,
		Headers: backend.Convert(m.Headers, func(h *sarama.RecordHeader) backend.Header { return backend.Header{Key: string(h.Key), Value: h.Value} }),
	}
}

// push queues ch; c.mu is held. A source with enough waiting is paused.
func (c *consumer) push(ch *chunk) {
	c.queue = append(c.queue, ch)
	p := ch.p
	if p.pending++; p.pending >= maxPending && !p.held && p.pc != nil {
		p.held = true
		p.pc.Pause()
	}
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// directConsumer returns the consumer of manually read partitions.
func (c *consumer) directConsumer() (sarama.Consumer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isDone {
		return nil, c.closedErr()
	}
	if c.direct == nil {
		d, err := sarama.NewConsumerFromClient(c.conn.client)
		if err != nil {
			return nil, err
		}
		c.direct = d
	}
	return c.direct, nil
}

// resource moves p to a partition consumer of its own starting at offset
// (an offset, or sarama.OffsetOldest/OffsetNewest, which are
// OffsetBeginning/OffsetEnd), dropping what was fetched and not returned.
func (c *consumer) resource(ctx context.Context, p *part, offset int64) error {
	gen := c.detach(p)
	d, err := c.directConsumer()
	if err != nil {
		return err
	}
	var pc sarama.PartitionConsumer
	if err := backend.RunWithin(ctx, func() (err error) {
		// The cached leader of a partition created a moment ago, or
		// that moved, may be stale: refresh it and ask again.
		for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
			pc, err = d.ConsumePartition(p.key.topic, p.key.partition, offset)
			if errors.Is(err, sarama.ErrOffsetOutOfRange) && offset >= 0 && c.cfg.AutoOffsetReset != backend.OffsetResetNone {
				offset = c.sc.Consumer.Offsets.Initial // auto.offset.reset
				continue
			}
			if err == nil || !slices.Contains(leaderMoved, sarama.KError(codeOf(err))) || ctx.Err() != nil {
				return err
			}
			time.Sleep(wait)
			c.conn.client.RefreshMetadata(p.key.topic) //nolint:errcheck // the next attempt says
		}
	}); errors.Is(err, sarama.ErrOffsetOutOfRange) {
		// Under none: Poll says so, as when a fetch finds it.
		c.mu.Lock()
		if p.gen == gen {
			p.gen++
			c.push(&chunk{p: p, err: err})
		}
		c.mu.Unlock()
		return nil
	} else if err != nil {
		return err
	}
	c.mu.Lock()
	stale, done := p.gen != gen || c.isDone || c.parts[p.key] != p, c.isDone
	if !stale {
		p.pc, p.own, p.held = pc, true, false
		if p.paused {
			pc.Pause()
		}
		c.wg.Go(func() { c.read(p, gen, pc) })
	}
	c.mu.Unlock()
	if stale { // moved again, removed or closed meanwhile
		pc.Close() //nolint:errcheck // never read
		if done {
			return c.closedErr()
		}
	}
	return nil
}

// detach ends p's current source (closing it when owned, pausing a claim,
// which keeps its session) and drops its queued messages; it returns p's
// new generation.
func (c *consumer) detach(p *part) int {
	c.mu.Lock()
	p.gen++
	gen, pc, own := p.gen, p.pc, p.own
	p.pc, p.own = nil, false
	c.purgeLocked(p)
	c.mu.Unlock()
	switch {
	case pc != nil && own:
		pc.Close() //nolint:errcheck // its errors were reported by read
	case pc != nil:
		pc.Pause()
	}
	return gen
}

// stopSources detaches the parts of keys.
func (c *consumer) stopSources(keys []tpKey) {
	for _, k := range keys {
		c.mu.Lock()
		p := c.parts[k]
		c.mu.Unlock()
		if p != nil {
			c.detach(p)
		}
	}
}

// purgeLocked drops p's queued chunks. c.mu is held.
func (c *consumer) purgeLocked(p *part) {
	c.queue = slices.DeleteFunc(c.queue, func(ch *chunk) bool { return ch.p == p })
	p.pending = 0
	c.release(p)
}

// release resumes p's source held for flow control once Poll has taken
// enough of its messages. c.mu is held.
func (c *consumer) release(p *part) {
	if p.held && p.pending < maxPending {
		p.held = false
		if p.pc != nil && !p.paused {
			p.pc.Resume()
		}
	}
}

// Assign replaces the manual assignment.
func (c *consumer) Assign(ctx context.Context, tps []backend.TopicPartition) error {
	c.mu.Lock()
	old := slices.Collect(maps.Keys(c.parts))
	c.mu.Unlock()
	return c.reassign(ctx, old, tps)
}

// IncrementalAssign starts the partitions; one already consumed restarts
// at its new offset.
func (c *consumer) IncrementalAssign(ctx context.Context, tps []backend.TopicPartition) error {
	return c.reassign(ctx, keysOf(tps), tps)
}

func (c *consumer) IncrementalUnassign(ctx context.Context, tps []backend.TopicPartition) error {
	return c.reassign(ctx, keysOf(tps), nil)
}

// keysOf returns the keys of tps' partitions.
func keysOf(tps []backend.TopicPartition) []tpKey {
	return backend.Convert(tps, func(tp backend.TopicPartition) tpKey { return tpKey{tp.Topic, tp.Partition} })
}

// reassign stops reading drop's partitions and forgets them, then reads
// tps, each from its Offset.
func (c *consumer) reassign(ctx context.Context, drop []tpKey, tps []backend.TopicPartition) error {
	c.stopSources(drop)
	c.mu.Lock()
	if c.isDone {
		c.mu.Unlock()
		return c.closedErr()
	}
	for _, k := range drop {
		delete(c.parts, k)
	}
	var ps []*part
	for _, tp := range tps {
		p := &part{key: tpKey{tp.Topic, tp.Partition}, consumed: -1, committed: -1}
		c.parts[p.key] = p
		ps = append(ps, p)
	}
	c.mu.Unlock()
	var errs []error
	for i, p := range ps {
		errs = append(errs, c.resource(ctx, p, tps[i].Offset))
	}
	return errors.Join(errs...)
}

func (c *consumer) CachedWatermarks(topic string, partition int32) (low, high int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[tpKey{topic, partition}]
	if p == nil || p.pc == nil {
		return -1, -1, false
	}
	high = p.pc.HighWaterMarkOffset()
	return -1, high, high > 0 || p.consumed >= 0
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
		for i := 0; i < len(c.queue) && len(out) < max; {
			ch := c.queue[i]
			if ch.p.paused {
				i++
				continue
			}
			if ch.err != nil {
				if len(out) == 0 {
					err = ch.err
					c.removeLocked(i)
				}
				break
			}
			n := min(max-len(out), len(ch.msgs))
			out = append(out, ch.msgs[:n]...)
			ch.msgs = ch.msgs[n:]
			ch.p.consumed = out[len(out)-1].Offset + 1
			if len(ch.msgs) == 0 {
				c.removeLocked(i)
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

// removeLocked removes the queue's i-th chunk. c.mu is held.
func (c *consumer) removeLocked(i int) {
	p := c.queue[i].p
	c.queue = slices.Delete(c.queue, i, i+1)
	p.pending--
	c.release(p)
}

// Commit commits offsets for the group: with the session's generation when
// subscribed, as a generation-less commit otherwise.
func (c *consumer) Commit(ctx context.Context, offsets []backend.TopicPartition) error {
	if len(offsets) == 0 {
		return nil
	}
	c.mu.Lock()
	sess, grouped := c.sess, c.gcancel != nil
	c.mu.Unlock()
	req := sarama.NewOffsetCommitRequest(c.sc, c.cfg.GroupID)
	if grouped {
		if sess == nil {
			return sarama.ErrRebalanceInProgress
		}
		req.ConsumerID, req.ConsumerGroupGeneration = sess.MemberID(), sess.GenerationID()
		if c.cfg.GroupInstanceID != "" {
			req.GroupInstanceId = &c.cfg.GroupInstanceID
		}
	}
	for _, o := range offsets {
		req.AddBlockWithLeaderEpoch(o.Topic, o.Partition, o.Offset, o.LeaderEpoch, -1, o.Metadata)
	}
	return c.coordinated(ctx, func(b *sarama.Broker) error {
		resp, err := b.CommitOffset(req)
		if err != nil {
			return err
		}
		for _, ps := range resp.Errors {
			for _, ke := range ps {
				if ke != sarama.ErrNoError {
					return ke
				}
			}
		}
		return nil
	})
}

// coordinated runs fn with the group's coordinator, within ctx; an answer
// that it no longer coordinates the group makes the next call look it up
// again.
func (c *consumer) coordinated(ctx context.Context, fn func(b *sarama.Broker) error) error {
	return backend.RunWithin(ctx, func() (err error) {
		// A connection the broker closed while idle fails the first
		// request on it: that one is sent again.
		for attempt := 0; attempt < 2; attempt++ {
			var b *sarama.Broker
			if b, err = c.side.client.Coordinator(c.cfg.GroupID); err != nil {
				return err
			}
			err = fn(b)
			transport := codeOf(err) == backend.CodeTransport
			if transport || errors.Is(err, sarama.ErrNotCoordinatorForConsumer) || errors.Is(err, sarama.ErrConsumerCoordinatorNotAvailable) {
				c.side.client.RefreshCoordinator(c.cfg.GroupID) //nolint:errcheck // the next call finds out
			}
			if !transport {
				return err
			}
		}
		return err
	})
}

// commitConsumed commits the offsets after the messages Poll returned of
// keys' partitions (every partition when keys is nil), where they changed
// since the last commit of this kind.
func (c *consumer) commitConsumed(ctx context.Context, keys []tpKey) error {
	type upd struct {
		p   *part
		off int64
	}
	var ups []upd
	var offsets []backend.TopicPartition
	c.mu.Lock()
	if keys == nil {
		keys = slices.Collect(maps.Keys(c.parts))
	}
	for _, k := range keys {
		if p := c.parts[k]; p != nil && p.consumed >= 0 && p.consumed != p.committed {
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
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.AutoCommitInterval)
	defer t.Stop()
	for {
		select {
		case <-c.life.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		between := c.gcancel != nil && c.sess == nil // no generation to commit with
		c.mu.Unlock()
		if between {
			continue
		}
		ctx, cancel := context.WithTimeout(c.life, c.cfg.RequestTimeout)
		if err := c.commitConsumed(ctx, nil); err != nil && c.life.Err() == nil {
			c.hooks.OnError(err)
		}
		cancel()
	}
}

// Seek moves the partition to a source of its own at the new offset.
func (c *consumer) Seek(ctx context.Context, tp backend.TopicPartition) error {
	c.mu.Lock()
	p := c.parts[tpKey{tp.Topic, tp.Partition}]
	c.mu.Unlock()
	if p == nil {
		return backend.Errorf(backend.CodeNotAssigned, "partition %s[%d] is not being consumed", tp.Topic, tp.Partition)
	}
	return c.resource(ctx, p, tp.Offset)
}

func (c *consumer) Pause(tps []backend.TopicPartition) error { return c.setPaused(tps, true) }

func (c *consumer) Resume(tps []backend.TopicPartition) error { return c.setPaused(tps, false) }

// setPaused pauses or resumes the sources of tps; fetched messages of a
// paused partition stay queued, and Poll skips them until Resume.
func (c *consumer) setPaused(tps []backend.TopicPartition, paused bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		p := c.parts[tpKey{tp.Topic, tp.Partition}]
		if p == nil || p.paused == paused {
			continue
		}
		p.paused = paused
		switch {
		case p.pc == nil:
		case paused:
			p.pc.Pause()
		case !p.held:
			p.pc.Resume()
		}
	}
	if !paused {
		select {
		case c.ready <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *consumer) GroupMetadata() (backend.GroupMetadata, error) {
	gm := backend.GroupMetadata{GroupID: c.cfg.GroupID, GenerationID: -1, GroupInstanceID: c.cfg.GroupInstanceID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		var instance *string
		if gm.GroupInstanceID != "" {
			instance = &gm.GroupInstanceID
		}
		gm.GenerationID, gm.MemberID = c.sess.GenerationID(), c.sess.MemberID()
		gm.Handle = sarama.NewConsumerGroupMetadataFromSession(c.sess, c.cfg.GroupID, instance)
	}
	return gm, nil
}

// ListOffsets asks the leaders at the consumer's isolation level.
func (c *consumer) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	return c.adm.listOffsets(ctx, c.sc.Consumer.IsolationLevel, reqs)
}

// Committed reads the group's committed offsets from its coordinator.
func (c *consumer) Committed(ctx context.Context, tps []backend.TopicPartition) ([]backend.TopicPartition, error) {
	byTopic := map[string][]int32{}
	for _, tp := range tps {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	req := sarama.NewOffsetFetchRequest(c.sc.Version, c.cfg.GroupID, byTopic)
	// The offsets a read_committed member starts from (KIP-447): those a
	// transaction is still committing are waited for, not skipped.
	req.RequireStable = c.cfg.IsolationLevel == backend.IsolationReadCommitted && req.Version >= 7
	for {
		out, err := c.committed(ctx, req, tps)
		if !errors.Is(err, sarama.ErrUnstableOffsetCommit) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *consumer) committed(ctx context.Context, req *sarama.OffsetFetchRequest, tps []backend.TopicPartition) ([]backend.TopicPartition, error) {
	out := make([]backend.TopicPartition, len(tps))
	err := c.coordinated(ctx, func(b *sarama.Broker) error {
		resp, err := b.FetchOffset(req)
		if err != nil {
			return err
		}
		if resp.Err != sarama.ErrNoError {
			return resp.Err
		}
		for i, tp := range tps {
			out[i] = backend.TopicPartition{Topic: tp.Topic, Partition: tp.Partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1}
			blk := resp.GetBlock(tp.Topic, tp.Partition)
			if blk == nil {
				continue
			}
			if blk.Err != sarama.ErrNoError {
				return blk.Err
			}
			if blk.Offset >= 0 {
				out[i].Offset, out[i].Metadata, out[i].LeaderEpoch = blk.Offset, blk.Metadata, blk.LeaderEpoch
			}
		}
		return nil
	})
	return out, err
}

func (c *consumer) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.close(ctx) })
	return c.closeErr
}

// close ends the group session (its partitions revoked and committed),
// leaves the group, and closes every source and the client.
func (c *consumer) close(ctx context.Context) error {
	c.mu.Lock()
	c.isDone = true
	c.closeCtx = ctx
	close(c.closed)
	cg, gcancel, gdone := c.cg, c.gcancel, c.gdone
	c.mu.Unlock()
	var err error
	if gcancel != nil {
		gcancel()
	}
	c.mu.Lock()
	for _, p := range c.parts {
		if p.pc != nil {
			p.pc.AsyncClose()
		}
	}
	c.mu.Unlock()
	// A partition consumer closes only once the fetch in flight has
	// been answered, which a broker holds up to fetch.wait.max.ms, and
	// Sarama holds a broker's connection for a whole request: cut the
	// sockets, and Sarama reconnects for the commits and the LeaveGroup
	// that follow.
	c.conn.cut()
	if gcancel != nil {
		err = backend.Wait(ctx, gdone)
	} else if !c.cfg.DisableAutoCommit && c.cfg.GroupID != "" {
		err = c.commitConsumed(ctx, nil)
	}
	if cg != nil {
		if cerr := backend.RunWithin(ctx, cg.Close); err == nil {
			err = cerr
		}
	}
	c.cancel()
	c.mu.Lock()
	keys := slices.Collect(maps.Keys(c.parts))
	direct := c.direct
	c.mu.Unlock()
	c.stopSources(keys)
	if direct != nil {
		direct.Close() //nolint:errcheck // its partitions are closed
	}
	c.conn.close()
	c.side.close()
	if werr := backend.RunWithin(ctx, func() error { c.wg.Wait(); return nil }); err == nil {
		err = werr
	}
	return err
}

func (c *consumer) As(target any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return backend.SetAs(target, c.conn.client) || c.cg != nil && backend.SetAs(target, c.cg) ||
		c.direct != nil && backend.SetAs(target, c.direct)
}

var (
	_ backend.IncrementalAssigner = (*consumer)(nil)
	_ backend.Seeker              = (*consumer)(nil)
	_ backend.Pauser              = (*consumer)(nil)
	_ backend.GroupMember         = (*consumer)(nil)
	_ backend.WatermarkCacher     = (*consumer)(nil)
	_ backend.CommittedFetcher    = (*consumer)(nil)
	_ backend.Assigner            = (*consumer)(nil)
	_ backend.OffsetLister        = (*consumer)(nil)
)
