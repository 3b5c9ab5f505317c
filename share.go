package kafkaclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Share groups (KIP-932, "queues for Kafka"): the types of ShareConsumer
// and of the admin's share-group calls.
type (
	// AckKind is how a share-group record is acknowledged: AckAccept,
	// AckRelease or AckReject.
	AckKind = backend.AckKind
	// ShareAckMode is share.acknowledgement.mode: ShareAckImplicit or
	// ShareAckExplicit.
	ShareAckMode = backend.ShareAckMode
	// ShareGroupDescription describes one share group.
	ShareGroupDescription = backend.ShareGroupDescription
	// ShareMemberDescription describes one member of a share group.
	ShareMemberDescription = backend.ShareMemberDescription
	// ShareGroupOffset is a share group's start offset in one partition.
	ShareGroupOffset = backend.ShareGroupOffset
)

// Acknowledgement kinds and modes; see package backend for their docs.
const (
	AckAccept  = backend.AckAccept
	AckRelease = backend.AckRelease
	AckReject  = backend.AckReject

	ShareAckImplicit = backend.ShareAckImplicit
	ShareAckExplicit = backend.ShareAckExplicit
)

// ShareConsumer reads the records of a share group (KIP-932; Kafka 4.1+,
// with the share.version feature enabled). Unlike a Consumer's group, a
// share group gives one partition's records to many members at once: the
// broker hands each record to one member, which holds it under a lock
// (share.record.lock.duration.ms, 30s by default) until it acknowledges
// it. A record released, or whose lock ran out, is delivered again with
// its Message.DeliveryCount raised; after share.delivery.count.limit
// deliveries (5 by default) the broker archives it. Both are group
// configs: set them with Admin.AlterConfigs on GroupResource, together
// with share.auto.offset.reset=earliest to read what was produced before
// the group first consumed.
//
// Poll and Acknowledge are called from one goroutine; Commit, CommitAsync
// and Close may be called from any. In implicit mode (the default) the
// records of a Poll that were not acknowledged are accepted by the next
// Poll, Commit or Close. In explicit mode (share.acknowledgement.mode=
// explicit) each must be acknowledged before the next Poll, and Close
// releases those that were not.
//
// Backends without share groups (segmentio, confluent: confluent-kafka-go
// has no share consumer) make NewShareConsumer fail with CodeUnsupported.
type ShareConsumer struct {
	core
	cfg ShareConsumerConfig
	bs  backend.ShareConsumer

	// brokersChecked: the brokers serve share groups.
	brokersChecked atomic.Bool

	mu         sync.Mutex
	subscribed bool
	// held are the records of the last Poll, with how each was
	// acknowledged (0: not yet); unacked counts those at 0.
	held       map[*Message]*heldRecord
	unacked    int
	pollCancel context.CancelFunc
	// asyncCtx bounds the CommitAsync commits and ends with Close.
	asyncCtx  context.Context
	asyncStop context.CancelFunc
}

// heldRecord is a record of the last Poll: the backend's handle, and how
// it was acknowledged (0: not yet).
type heldRecord struct {
	handle any
	kind   AckKind
}

// NewShareConsumer opens a share consumer. cfg.GroupID is required. Call
// Subscribe to start consuming.
func NewShareConsumer(cfg ShareConsumerConfig, opts ...Option) (*ShareConsumer, error) {
	prepared, b, err := prepare(cfg, opts, func(c *ShareConsumerConfig) *ClientConfig { return &c.ClientConfig }, prepareShareConsumer)
	if err != nil {
		return nil, err
	}
	sg, ok := b.(backend.ShareGrouper)
	if !ok {
		e := newError("open share consumer", CodeUnsupported, "share groups (KIP-932) are not supported by the %s backend; the franz backend has them", b.Name())
		e.Backend = b.Name()
		return nil, e
	}
	c := &ShareConsumer{core: newCore(b, "share consumer"), cfg: prepared, held: map[*Message]*heldRecord{}}
	c.asyncCtx, c.asyncStop = context.WithCancel(context.Background())
	c.async = asyncCommits{mu: &c.mu, wake: func() {
		if c.pollCancel != nil {
			c.pollCancel()
		}
	}}
	bs, err := sg.NewShareConsumer(prepared, backend.ShareConsumerHooks{OnError: c.onClientError})
	if err != nil {
		c.asyncStop()
		return nil, c.errs.wrap("open share consumer", "", -1, err)
	}
	c.bs = bs
	return c, nil
}

// NewShareConsumerFromMap parses m (see ConfigMap) and opens a share
// consumer. Besides the client keys it takes group.id,
// share.acknowledgement.mode (implicit or explicit), share.acquire.mode
// (batch_optimized or record_limit), max.poll.records, fetch.min.bytes,
// fetch.max.bytes and fetch.wait.max.ms.
func NewShareConsumerFromMap(m ConfigMap, opts ...Option) (*ShareConsumer, error) {
	return fromMap(m, opts, parseShareConsumerConfig, NewShareConsumer)
}

// Config returns the share consumer's effective config, defaults applied.
func (c *ShareConsumer) Config() ShareConsumerConfig {
	cfg := c.cfg
	cfg.ClientConfig = effectiveClient(cfg.ClientConfig)
	return cfg
}

// Backend returns the name of the backend the share consumer runs on.
func (c *ShareConsumer) Backend() string { return c.b.Name() }

// As sets target to the underlying client if its type matches (on franz,
// the *kgo.Client once Subscribe has been called).
func (c *ShareConsumer) As(target any) bool { return as(c.bs, target) }

// String describes the share consumer for logs.
func (c *ShareConsumer) String() string {
	return fmt.Sprintf("kafkaclient.ShareConsumer{backend: %s, group: %q}", c.b.Name(), c.cfg.GroupID)
}

func (c *ShareConsumer) onClientError(err error) {
	if l := c.cfg.Logger; l != nil {
		l.Warn("kafkaclient: share consumer error", "err", c.errs.wrap("client", "", -1, err))
	}
}

// Subscribe joins the share group for the topics; subscribing again
// replaces the topic list. It returns once the subscription is registered:
// the broker assigns partitions in the background. Brokers without share
// groups (before Kafka 4.1, or without the share.version feature) make the
// first Subscribe fail with CodeUnsupportedVersion.
func (c *ShareConsumer) Subscribe(ctx context.Context, topics []string) error {
	const op = "subscribe"
	if err := c.usable(op); err != nil {
		return err
	}
	if len(topics) == 0 {
		return c.fail(op, CodeInvalidArg, "no topic to subscribe to")
	}
	if err := validTopics(op, topics); err != nil {
		return err
	}
	if !c.brokersChecked.Load() {
		// A broker without share groups would leave Poll waiting for
		// ever: say so now.
		if lacking := brokersLacking(ctx, c.cfg.ClientConfig, c.b, APIShareGroupHeartbeat, 1); len(lacking) > 0 {
			return c.fail(op, CodeUnsupportedVersion, "share groups need brokers that serve the ShareGroupHeartbeat API (KIP-932: Kafka 4.1+ with the share.version feature enabled): brokers %s do not", strings.Join(lacking, ", "))
		}
		c.brokersChecked.Store(true)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Close sets closing before it takes mu: checked under mu, a Subscribe
	// either runs before Close closes the backend or not at all.
	if err := c.usable(op); err != nil {
		return err
	}
	if err := c.bs.Subscribe(ctx, append([]string(nil), topics...)); err != nil {
		return c.errs.wrap(op, "", -1, err)
	}
	c.subscribed = true
	return nil
}

// Poll returns between 1 and max records, waiting until one is available
// or ctx is done. Each record is held by this consumer until it is
// acknowledged. In implicit mode the records of the previous Poll not yet
// acknowledged are accepted first; in explicit mode Poll fails with
// CodeState while any is unacknowledged. Reports of finished CommitAsync
// calls run inside Poll.
func (c *ShareConsumer) Poll(ctx context.Context, max int) ([]*Message, error) {
	const op = "poll"
	if max < 1 {
		return nil, c.fail(op, CodeInvalidArg, "max %d is invalid: want at least 1", max)
	}
	for {
		if err := c.usable(op); err != nil {
			return nil, err
		}
		c.async.runReports()
		if err := ctx.Err(); err != nil {
			return nil, ctxError(op, ctx)
		}
		pctx, cancel := context.WithCancel(ctx)
		c.mu.Lock()
		if c.closing.Load() {
			c.mu.Unlock()
			cancel()
			return nil, c.fail(op, CodeClosed, "share consumer is closed")
		}
		if !c.subscribed {
			c.mu.Unlock()
			cancel()
			return nil, c.fail(op, CodeState, "share consumer has no subscription: call Subscribe first")
		}
		if c.unacked > 0 && c.cfg.AckMode == ShareAckExplicit {
			n := c.unacked
			c.mu.Unlock()
			cancel()
			return nil, c.fail(op, CodeState, "%d records of the last Poll are not acknowledged: in explicit mode acknowledge each (accept, release or reject) before polling again", n)
		}
		c.finishHeldLocked(AckAccept)
		clear(c.held)
		c.pollCancel = cancel
		if len(c.async.done) > 0 {
			cancel()
		}
		c.mu.Unlock()
		acquired, err := c.bs.Poll(pctx, max)
		c.mu.Lock()
		c.pollCancel = nil
		c.mu.Unlock()
		cancel()
		if err != nil || len(acquired) == 0 {
			if ctx.Err() != nil {
				return nil, ctxError(op, ctx)
			}
			if c.closing.Load() {
				return nil, c.fail(op, CodeClosed, "share consumer is closed")
			}
			if pctx.Err() != nil || err == nil {
				continue // interrupted to report a CommitAsync
			}
			return nil, c.errs.wrap(op, "", -1, err)
		}
		msgs := make([]*Message, len(acquired))
		recs := make([]heldRecord, len(acquired))
		c.mu.Lock()
		if c.closing.Load() {
			// Close has settled what was held: these go back to the group
			// rather than to a caller who could not acknowledge them.
			for _, a := range acquired {
				c.bs.Acknowledge(a.Handle, AckRelease)
			}
			c.mu.Unlock()
			return nil, c.fail(op, CodeClosed, "share consumer is closed")
		}
		for i, a := range acquired {
			msgs[i] = a.Msg
			recs[i].handle = a.Handle
			c.held[a.Msg] = &recs[i]
		}
		c.unacked = len(acquired)
		c.mu.Unlock()
		return msgs, nil
	}
}

// finishHeldLocked acknowledges with kind every held record not yet
// acknowledged.
func (c *ShareConsumer) finishHeldLocked(kind AckKind) {
	if c.unacked == 0 {
		return
	}
	for _, h := range c.held {
		if h.kind == 0 {
			h.kind = kind
			c.bs.Acknowledge(h.handle, kind)
		}
	}
	c.unacked = 0
}

// Acknowledge records how msg, returned by the last Poll, was handled:
// AckAccept (processed), AckRelease (deliver it again, to this consumer or
// another) or AckReject (unprocessable: archive it). The acknowledgement is
// sent with the next Poll's fetch, or by Commit. A record acknowledged
// already, or not held by this consumer (returned by another consumer, or
// by an earlier Poll whose records are settled), is CodeInvalidRecordState;
// after Close, CodeClosed. A refused acknowledgement changes nothing.
func (c *ShareConsumer) Acknowledge(msg *Message, kind AckKind) error {
	const op = "acknowledge"
	if msg == nil {
		return c.fail(op, CodeInvalidArg, "message is nil")
	}
	switch kind {
	case AckAccept, AckRelease, AckReject:
	default:
		return c.fail(op, CodeInvalidArg, "acknowledgement kind %d is invalid: want AckAccept, AckRelease or AckReject", kind)
	}
	if c.closing.Load() {
		return c.fail(op, CodeClosed, "share consumer is closed: record %s[%d]@%d was settled by Close", msg.Topic, msg.Partition, msg.Offset)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.held[msg]
	if !ok {
		e := c.fail(op, CodeInvalidRecordState, "record %s[%d]@%d is not held by this share consumer: it was returned by another consumer, or by an earlier Poll whose records are settled", msg.Topic, msg.Partition, msg.Offset)
		e.Topic, e.Partition = msg.Topic, msg.Partition
		return e
	}
	if h.kind != 0 {
		e := c.fail(op, CodeInvalidRecordState, "record %s[%d]@%d is already acknowledged (%s)", msg.Topic, msg.Partition, msg.Offset, h.kind)
		e.Topic, e.Partition = msg.Topic, msg.Partition
		return e
	}
	h.kind = kind
	c.unacked--
	c.bs.Acknowledge(h.handle, kind)
	return nil
}

// Commit sends the acknowledgements not yet sent and waits for the
// broker's answer, or ctx's end. In implicit mode the records of the last
// Poll not yet acknowledged are accepted first. An acknowledgement the
// broker refused (the record's lock had run out, so it may already be with
// another consumer: CodeInvalidRecordState) is the error, naming its
// partition.
func (c *ShareConsumer) Commit(ctx context.Context) error {
	const op = "commit"
	if err := c.usable(op); err != nil {
		return err
	}
	c.settleImplicit()
	return c.commit(op, ctx)
}

func (c *ShareConsumer) commit(op string, ctx context.Context) error {
	if err := c.bs.Commit(ctx); err != nil {
		if ctx.Err() != nil {
			return ctxError(op, ctx)
		}
		var ae *backend.AckError
		if errors.As(err, &ae) {
			return c.errs.wrap(op, ae.Topic, ae.Partition, err)
		}
		return c.errs.wrap(op, "", -1, err)
	}
	return nil
}

// settleImplicit accepts, in implicit mode, the held records not yet
// acknowledged.
func (c *ShareConsumer) settleImplicit() {
	if c.cfg.AckMode != ShareAckImplicit {
		return
	}
	c.mu.Lock()
	c.finishHeldLocked(AckAccept)
	c.mu.Unlock()
}

// CommitAsync is Commit in the background: done, which may be nil, is
// called with its result on the goroutine that polls, inside the next
// Poll (which is woken for it) or Close. The commit is bounded by the
// request timeout.
func (c *ShareConsumer) CommitAsync(done func(err error)) error {
	const op = "commit"
	if err := c.usable(op); err != nil {
		return err
	}
	c.settleImplicit()
	started := c.async.start(func() func() {
		ctx, cancel := context.WithTimeout(c.asyncCtx, c.cfg.RequestTimeout)
		err := c.commit(op, ctx)
		cancel()
		return func() {
			if done != nil {
				done(err)
			}
		}
	})
	if !started {
		return c.fail(op, CodeClosed, "share consumer is closed")
	}
	return nil
}

// Close settles the records of the last Poll not yet acknowledged
// (implicit mode accepts them, explicit mode releases them), waits for
// CommitAsync calls in flight and runs their reports, sends the
// acknowledgements not yet sent, releases the records fetched but not
// returned by Poll so that other members get them at once, and leaves the
// group, all within ctx's deadline. A Poll running concurrently returns
// CodeClosed. Calling Close again returns the first call's result; a Close
// called from a CommitAsync callback that Close runs returns nil at once,
// and the outer Close finishes.
func (c *ShareConsumer) Close(ctx context.Context) error {
	if begun, err := c.closeBegun(); begun {
		return err
	}
	kind := AckAccept
	if c.cfg.AckMode == ShareAckExplicit {
		kind = AckRelease
	}
	c.mu.Lock()
	if c.pollCancel != nil {
		c.pollCancel()
	}
	c.finishHeldLocked(kind)
	c.mu.Unlock()
	c.async.stop()
	c.async.wait(ctx)
	// Commits still running end at once: their reports run here too.
	c.asyncStop()
	c.async.wait(context.Background())
	c.async.inClose.Store(true)
	c.async.runReports()
	c.async.inClose.Store(false)
	err := c.bs.Close(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = ctxError("close", ctx)
		} else {
			err = c.errs.wrap("close", "", -1, err)
		}
	}
	c.closeErr = err
	close(c.done)
	return err
}

// ListShareGroups lists the cluster's share groups, sorted by id.
func (a *Admin) ListShareGroups(ctx context.Context) ([]GroupListing, error) {
	const op = "list share groups"
	sd, err := optional[backend.ShareGroupDescriber](a.b, a.ba, op, "share groups")
	if err != nil {
		return nil, err
	}
	gs, err := doValue(a, op, ctx, func() ([]GroupListing, error) { return sd.ListShareGroups(ctx) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(gs, func(x, y GroupListing) int { return cmp.Compare(x.GroupID, y.GroupID) })
	return gs, nil
}

// DescribeShareGroups describes share groups, answered in the order
// asked; a group that does not exist has Err set with
// CodeGroupIDNotFound.
func (a *Admin) DescribeShareGroups(ctx context.Context, groups ...string) ([]ShareGroupDescription, error) {
	const op = "describe share groups"
	if len(groups) == 0 {
		return nil, newError(op, CodeInvalidArg, "no group named")
	}
	sd, err := optional[backend.ShareGroupDescriber](a.b, a.ba, op, "share groups")
	if err != nil {
		return nil, err
	}
	ds, err := doValue(a, op, ctx, func() ([]ShareGroupDescription, error) { return sd.DescribeShareGroups(ctx, slices.Clone(groups)) })
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].Err = a.errs.wrap(op, "", -1, ds[i].Err)
		for j := range ds[i].Members {
			ds[i].Members[j].Assignment = sortedTopicPartitions(ds[i].Members[j].Assignment)
		}
		slices.SortFunc(ds[i].Members, func(x, y ShareMemberDescription) int { return cmp.Compare(x.MemberID, y.MemberID) })
	}
	return inOrder(ds, groups, func(d ShareGroupDescription) string { return d.GroupID }), nil
}

// ShareGroupOffsets returns a share group's start offset in each partition
// it has consumed, sorted by topic and partition: every record before it is
// settled (accepted, rejected or archived). Lag counts the records from
// there to the end not yet settled, where the broker reports it (Kafka
// 4.1+), else -1. Kafka persists the start offset lazily, so it may lag
// behind records settled a moment ago while Lag already counts them. A
// partition that could not be read has Err set.
func (a *Admin) ShareGroupOffsets(ctx context.Context, group string) ([]ShareGroupOffset, error) {
	const op = "share group offsets"
	if group == "" {
		return nil, newError(op, CodeInvalidArg, "no group named")
	}
	sd, err := optional[backend.ShareGroupDescriber](a.b, a.ba, op, "share groups")
	if err != nil {
		return nil, err
	}
	os, err := doValue(a, op, ctx, func() ([]ShareGroupOffset, error) { return sd.ShareGroupOffsets(ctx, group) })
	if err != nil {
		return nil, err
	}
	for i := range os {
		os[i].Err = a.errs.wrap(op, os[i].Topic, os[i].Partition, os[i].Err)
	}
	slices.SortFunc(os, func(x, y ShareGroupOffset) int {
		return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
	})
	return os, nil
}
