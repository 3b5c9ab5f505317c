package franz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// shareConsumer is a franz-go client in a share group (kgo.ShareGroup).
// franz-go acknowledges per record (kgo.Record.Ack) and sends the
// acknowledgements with the next ShareFetch, or at once on FlushAcks; its
// ShareAckCallback reports the broker's answer per partition.
type shareConsumer struct {
	cfg   backend.ShareConsumerConfig
	hooks backend.ShareConsumerHooks
	base  []kgo.Opt

	mu      sync.Mutex
	clients // created by the first Subscribe
	topics  []string

	// ackErrs are the refusals since the last Commit, for the next one
	// (at most maxAckErrs; each is also reported to OnError at once).
	ackMu   sync.Mutex
	ackErrs []error
	dropped int
	// closed: Close has run; Subscribe opens no client then.
	closed bool
}

// maxAckErrs bounds the refusals kept for a Commit that may never come.
const maxAckErrs = 100

// NewShareConsumer implements backend.ShareGrouper.
func (franzBackend) NewShareConsumer(cfg backend.ShareConsumerConfig, hooks backend.ShareConsumerHooks) (backend.ShareConsumer, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	c := &shareConsumer{cfg: cfg, hooks: hooks}
	c.base = append(opts,
		kgo.ShareGroup(cfg.GroupID),
		kgo.ShareMaxRecords(int32(cfg.MaxPollRecords)),
		kgo.ShareAckCallback(c.acked),
		kgo.FetchMinBytes(int32(cfg.FetchMinBytes)),
		kgo.FetchMaxBytes(int32(cfg.FetchMaxBytes)),
		kgo.FetchMaxWait(cfg.FetchMaxWait),
	)
	if cfg.RecordLimit {
		c.base = append(c.base, kgo.ShareMaxRecordsStrict())
	}
	return c, nil
}

// acked receives the broker's answers to acknowledgements.
func (c *shareConsumer) acked(_ *kgo.Client, rs kgo.ShareAckResults) {
	for _, r := range rs {
		if r.Err == nil {
			continue
		}
		err := &backend.AckError{Topic: r.Topic, Partition: r.Partition, Err: r.Err}
		c.ackMu.Lock()
		if len(c.ackErrs) < maxAckErrs {
			c.ackErrs = append(c.ackErrs, err)
		} else {
			c.dropped++
		}
		c.ackMu.Unlock()
		c.hooks.OnError(err)
	}
}

func (c *shareConsumer) client() *kgo.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cl
}

func (c *shareConsumer) Subscribe(_ context.Context, topics []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return kgo.ErrClientClosed
	}
	if c.cl == nil {
		var err error
		c.clients, err = newClients(append(slices.Clone(c.base), kgo.ConsumeTopics(topics...)))
		c.topics = topics
		return err
	}
	var drop []string
	for _, t := range c.topics {
		if !slices.Contains(topics, t) {
			drop = append(drop, t)
		}
	}
	c.cl.PurgeTopicsFromConsuming(drop...)
	c.cl.AddConsumeTopics(topics...)
	c.topics = topics
	return nil
}

func (c *shareConsumer) Poll(ctx context.Context, max int) ([]backend.Acquired, error) {
	cl := c.client()
	if cl == nil {
		return nil, backend.Errorf(backend.CodeState, "not subscribed")
	}
	for {
		fs := cl.PollRecords(ctx, max)
		if fs.IsClientClosed() {
			return nil, kgo.ErrClientClosed
		}
		if n := fs.NumRecords(); n > 0 {
			out := make([]backend.Acquired, 0, n)
			msgs := make([]backend.Message, n)
			fs.EachRecord(func(r *kgo.Record) {
				m := &msgs[len(out)]
				fromRecord(m, r)
				m.DeliveryCount = r.DeliveryCount()
				out = append(out, backend.Acquired{Msg: m, Handle: r})
			})
			return out, nil
		}
		var err error
		fs.EachError(func(_ string, _ int32, e error) {
			if err == nil && !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded) {
				err = e
			}
		})
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func (c *shareConsumer) Acknowledge(handle any, kind backend.AckKind) {
	handle.(*kgo.Record).Ack(kgo.AckStatus(kind))
}

func (c *shareConsumer) Commit(ctx context.Context) error {
	cl := c.client()
	if cl == nil {
		return nil
	}
	if err := cl.FlushAcks(ctx); err != nil {
		return err
	}
	c.ackMu.Lock()
	errs, dropped := c.ackErrs, c.dropped
	c.ackErrs, c.dropped = nil, 0
	c.ackMu.Unlock()
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("and %d more refusals", dropped))
	}
	// The first refused partition decides the code.
	return errors.Join(errs...)
}

func (c *shareConsumer) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	cl := c.cl
	c.mu.Unlock()
	if cl == nil {
		return nil
	}
	// Leaving sends the acknowledgements not yet sent and releases the
	// records fetched but not returned.
	return leaveAndClose(ctx, cl, true)
}

func (c *shareConsumer) As(target any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cl != nil && c.clients.As(target)
}

// Share groups from the admin.

func (a *admin) ListShareGroups(ctx context.Context) ([]backend.GroupListing, error) {
	gs, err := a.adm.ListGroupsByType(ctx, []string{"share"})
	if err != nil {
		return nil, err
	}
	out := make([]backend.GroupListing, 0, len(gs))
	for _, g := range gs {
		out = append(out, backend.GroupListing{GroupID: g.Group, State: backend.ParseGroupState(g.State), ProtocolType: "share"})
	}
	return out, nil
}

func (a *admin) DescribeShareGroups(ctx context.Context, groups []string) ([]backend.ShareGroupDescription, error) {
	dgs, err := a.adm.DescribeShareGroups(ctx, groups...)
	if err != nil {
		var se *kadm.ShardErrors
		if !errors.As(err, &se) || len(dgs) == 0 {
			return nil, err
		}
	}
	out := make([]backend.ShareGroupDescription, len(groups))
	for i, g := range groups {
		dg, ok := dgs[g]
		if !ok || (dg.Err == nil && dg.GroupState == "Dead") {
			out[i] = backend.ShareGroupDescription{GroupID: g, Err: kerr.GroupIDNotFound}
			continue
		}
		out[i] = backend.ShareGroupDescription{GroupID: g, State: backend.ParseGroupState(dg.GroupState),
			Coordinator: dg.Coordinator.NodeID, Epoch: dg.GroupEpoch, Err: dg.Err}
		for _, m := range dg.Members {
			md := backend.ShareMemberDescription{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost}
			for t, ps := range m.Assignment {
				for p := range ps {
					md.Assignment = append(md.Assignment, backend.TopicPartition{Topic: t, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
				}
			}
			out[i].Members = append(out[i].Members, md)
		}
	}
	return out, nil
}

func (a *admin) ShareGroupOffsets(ctx context.Context, group string) ([]backend.ShareGroupOffset, error) {
	ds, err := a.adm.DescribeShareGroupOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	d, ok := ds[group]
	if !ok {
		return nil, kerr.GroupIDNotFound
	}
	if d.Err != nil {
		return nil, d.Err
	}
	var out []backend.ShareGroupOffset
	d.Offsets.Each(func(o kadm.ShareOffset) {
		out = append(out, backend.ShareGroupOffset{Topic: o.Topic, Partition: o.Partition, StartOffset: o.StartOffset, Lag: o.Lag, Err: o.Err})
	})
	return out, nil
}
