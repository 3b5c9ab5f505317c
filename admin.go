package kafkaclient

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Admin manages topics and inspects consumer groups and the cluster. It is
// safe for concurrent use. Per-item failures (one topic of several) are in
// the results' Err fields as *Error; the call's own error is for failures of
// the whole request.
type Admin struct {
	cfg  AdminConfig
	b    backend.Backend
	ba   backend.Admin
	errs errorMapper

	// calls counts the calls in flight, which Close waits for.
	calls    sync.WaitGroup
	mu       sync.Mutex // orders calls.Add against Close's Wait
	closing  atomic.Bool
	closed   chan struct{}
	closeErr error
}

// NewAdmin opens an admin client.
func NewAdmin(cfg AdminConfig, opts ...Option) (*Admin, error) {
	cfg, b, err := prepare(cfg, opts, func(c *AdminConfig) *ClientConfig { return &c.ClientConfig }, nil)
	if err != nil {
		return nil, err
	}
	a := &Admin{cfg: cfg, b: b, errs: errorMapper{b}, closed: make(chan struct{})}
	ba, err := b.NewAdmin(cfg)
	if err != nil {
		return nil, a.errs.wrap("open admin", "", -1, err)
	}
	a.ba = ba
	return a, nil
}

// NewAdminFromMap parses m (see ConfigMap) and opens an admin client.
func NewAdminFromMap(m ConfigMap, opts ...Option) (*Admin, error) {
	return fromMap(m, opts, parseAdminConfig, NewAdmin)
}

// Backend returns the name of the backend the admin runs on.
func (a *Admin) Backend() string { return a.b.Name() }

// Config returns the admin's effective config, defaults applied. It is a
// copy: changing it does not change the admin.
func (a *Admin) Config() AdminConfig {
	cfg := a.cfg
	cfg.ClientConfig = effectiveClient(cfg.ClientConfig)
	return cfg
}

// Capabilities returns what the admin's backend supports.
func (a *Admin) Capabilities() Capabilities { return capabilitiesOf(a.b, a.ba) }

// As sets target to the underlying client if its type matches.
func (a *Admin) As(target any) bool { return as(a.ba, target) }

// do runs one call of the backend admin: it fails once Close has begun,
// counts the call so that Close waits for it, and turns its error into an
// *Error (the context's error when ctx ended).
func (a *Admin) do(op string, ctx context.Context, fn func() error) error {
	a.mu.Lock()
	if a.closing.Load() {
		a.mu.Unlock()
		e := newError(op, CodeClosed, "admin is closed")
		e.Backend = a.b.Name()
		return e
	}
	a.calls.Add(1)
	a.mu.Unlock()
	defer a.calls.Done()
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	err := fn()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	return a.errs.wrap(op, "", -1, err)
}

func (a *Admin) topicResults(op string, rs []TopicResult, order []string) []TopicResult {
	for i := range rs {
		rs[i].Err = a.errs.wrap(op, rs[i].Topic, -1, rs[i].Err)
	}
	return inOrder(rs, order, func(r TopicResult) string { return r.Topic })
}

// inOrder returns the results ordered as the names asked for: the n-th
// result of a name takes the place of the n-th time it was asked for.
// Results of names not asked for follow, sorted.
func inOrder[R any](rs []R, names []string, name func(R) string) []R {
	places := make(map[string][]int, len(names))
	for i, n := range names {
		places[n] = append(places[n], i)
	}
	pos := make(map[int]int, len(rs)) // result index -> place
	for i, r := range rs {
		if ps := places[name(r)]; len(ps) > 0 {
			pos[i], places[name(r)] = ps[0], ps[1:]
		} else {
			pos[i] = len(names)
		}
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		return cmp.Or(cmp.Compare(pos[x], pos[y]), cmp.Compare(name(rs[x]), name(rs[y])))
	})
	out := make([]R, len(rs))
	for i, j := range idx {
		out[i] = rs[j]
	}
	return out
}

func validTopics(op string, topics []string) error {
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			err.Op = op
			return err
		}
	}
	return nil
}

// doValue is do for a call that returns a value.
func doValue[T any](a *Admin, op string, ctx context.Context, fn func() (T, error)) (T, error) {
	var v T
	err := a.do(op, ctx, func() (err error) {
		v, err = fn()
		return err
	})
	return v, err
}

// topicsValue is doValue for a call that names topics: it validates them,
// then gives fn a copy, which the backend may keep.
func topicsValue[T any](a *Admin, op string, ctx context.Context, topics []string, fn func(context.Context, []string) (T, error)) (T, error) {
	if err := validTopics(op, topics); err != nil {
		var zero T
		return zero, err
	}
	return doValue(a, op, ctx, func() (T, error) { return fn(ctx, slices.Clone(topics)) })
}

// CreateTopics creates the topics. A topic that already exists has Err
// matching ErrTopicAlreadyExists. Results are in the order of topics.
func (a *Admin) CreateTopics(ctx context.Context, topics ...TopicSpec) ([]TopicResult, error) {
	const op = "create topics"
	names := make([]string, len(topics))
	specs := slices.Clone(topics)
	for i, t := range topics {
		if err := validTopic(t.Name); err != nil {
			err.Op = op
			return nil, err
		}
		if t.Partitions < -1 || t.ReplicationFactor < -1 {
			e := newError(op, CodeInvalidArg, "partitions (%d) and replication factor (%d) must be positive, or -1 for the broker default", t.Partitions, t.ReplicationFactor)
			e.Topic = t.Name
			return nil, e
		}
		names[i] = t.Name
		if specs[i].Partitions == 0 {
			specs[i].Partitions = -1
		}
		if specs[i].ReplicationFactor == 0 {
			specs[i].ReplicationFactor = -1
		}
	}
	rs, err := doValue(a, op, ctx, func() ([]TopicResult, error) { return a.ba.CreateTopics(ctx, specs) })
	if err != nil {
		return nil, err
	}
	return a.topicResults(op, rs, names), nil
}

// DeleteTopics deletes the topics. A missing topic has Err matching
// ErrUnknownTopicOrPartition. Results are in the order of topics.
func (a *Admin) DeleteTopics(ctx context.Context, topics ...string) ([]TopicResult, error) {
	const op = "delete topics"
	rs, err := topicsValue(a, op, ctx, topics, a.ba.DeleteTopics)
	if err != nil {
		return nil, err
	}
	return a.topicResults(op, rs, topics), nil
}

// CreatePartitions raises topic's partition count to total.
func (a *Admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	const op = "create partitions"
	if err := validTopics(op, []string{topic}); err != nil {
		return err
	}
	pc, err := optional[backend.PartitionCreator](a.b, a.ba, op, "creating partitions")
	if err != nil {
		return err
	}
	return a.do(op, ctx, func() error { return pc.CreatePartitions(ctx, topic, total) })
}

// DescribeTopics describes the topics (leader, replicas and in-sync replicas
// of every partition), or every non-internal topic when none are named. A
// missing topic has Err matching ErrUnknownTopicOrPartition. Results are in
// the order of topics, or sorted by name; partitions are sorted.
func (a *Admin) DescribeTopics(ctx context.Context, topics ...string) ([]TopicDescription, error) {
	const op = "describe topics"
	ds, err := topicsValue(a, op, ctx, topics, a.ba.DescribeTopics)
	if err != nil {
		return nil, err
	}
	ds = describedTopics(op, a.errs, ds, topics)
	if len(topics) == 0 {
		slices.SortFunc(ds, func(x, y TopicDescription) int { return cmp.Compare(x.Name, y.Name) })
	}
	return ds, nil
}

// describedTopics completes a backend's DescribeTopics answer: with topics
// named, one description per name (a name the backend did not describe is
// UNKNOWN_TOPIC_OR_PARTITION); with none, the non-internal topics that
// still exist. Errors become *Error and partitions are sorted.
func describedTopics(op string, errs errorMapper, ds []TopicDescription, topics []string) []TopicDescription {
	for i := range ds {
		ds[i].Err = errs.wrap(op, ds[i].Name, -1, ds[i].Err)
		slices.SortFunc(ds[i].Partitions, func(x, y PartitionInfo) int { return cmp.Compare(x.ID, y.ID) })
	}
	if len(topics) == 0 {
		return slices.DeleteFunc(ds, func(d TopicDescription) bool {
			return d.Internal || CodeOf(d.Err) == CodeUnknownTopicOrPartition
		})
	}
	byName := make(map[string]TopicDescription, len(ds))
	for _, d := range ds {
		if _, dup := byName[d.Name]; !dup {
			byName[d.Name] = d
		}
	}
	out := make([]TopicDescription, len(topics))
	for i, t := range topics {
		d, ok := byName[t]
		if !ok {
			e := newError(op, CodeUnknownTopicOrPartition, "topic %q does not exist", t)
			e.Topic, e.Backend = t, errs.b.Name()
			d = TopicDescription{Name: t, Err: e}
		}
		out[i] = d
	}
	return out
}

// DescribeCluster returns the cluster id, the controller and the brokers,
// sorted by id.
func (a *Admin) DescribeCluster(ctx context.Context) (ClusterDescription, error) {
	d, err := doValue(a, "describe cluster", ctx, func() (ClusterDescription, error) { return a.ba.DescribeCluster(ctx) })
	slices.SortFunc(d.Brokers, func(x, y BrokerInfo) int { return cmp.Compare(x.ID, y.ID) })
	return d, err
}

// ListConsumerGroups lists the cluster's consumer groups with their state,
// sorted by group id.
func (a *Admin) ListConsumerGroups(ctx context.Context) ([]GroupListing, error) {
	gs, err := doValue(a, "list groups", ctx, func() ([]GroupListing, error) {
		gs, err := a.ba.ListConsumerGroups(ctx)
		if err != nil {
			return nil, err
		}
		return gs, a.fillGroupStates(ctx, gs)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(gs, func(x, y GroupListing) int { return cmp.Compare(x.GroupID, y.GroupID) })
	return gs, nil
}

// fillGroupStates describes the groups a client listed without their state
// (ListGroups before version 4 has none), for it.
func (a *Admin) fillGroupStates(ctx context.Context, gs []GroupListing) error {
	var ids []string
	for _, g := range gs {
		if g.State == GroupStateUnknown {
			ids = append(ids, g.GroupID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ds, err := a.ba.DescribeConsumerGroups(ctx, ids)
	if err != nil {
		return err
	}
	states := make(map[string]GroupState, len(ds))
	for _, d := range ds {
		if d.State != "" && d.State != GroupStateUnknown { // a Dead group comes with an error
			states[d.GroupID] = d.State
		}
	}
	for i := range gs {
		if st, ok := states[gs[i].GroupID]; ok && gs[i].State == GroupStateUnknown {
			gs[i].State = st
		}
	}
	return nil
}

// DescribeConsumerGroups describes the groups: state, assignor, members with
// their client ids and assignments. Results are in the order of groups.
func (a *Admin) DescribeConsumerGroups(ctx context.Context, groups ...string) ([]GroupDescription, error) {
	const op = "describe groups"
	if len(groups) == 0 {
		return nil, newError(op, CodeInvalidArg, "no group named")
	}
	ds, err := doValue(a, op, ctx, func() ([]GroupDescription, error) { return a.ba.DescribeConsumerGroups(ctx, slices.Clone(groups)) })
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].Err = a.errs.wrap(op, "", -1, ds[i].Err)
	}
	return inOrder(ds, groups, func(d GroupDescription) string { return d.GroupID }), nil
}

// ListConsumerGroupOffsets returns group's committed offsets, sorted by topic
// and partition.
func (a *Admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]TopicPartition, error) {
	const op = "list group offsets"
	if group == "" {
		return nil, newError(op, CodeInvalidArg, "group id is empty")
	}
	os, err := doValue(a, op, ctx, func() ([]TopicPartition, error) { return a.ba.ListConsumerGroupOffsets(ctx, group) })
	if err != nil {
		return nil, err
	}
	return sortedTopicPartitions(os), nil
}

// DeleteConsumerGroups deletes empty consumer groups.
func (a *Admin) DeleteConsumerGroups(ctx context.Context, groups ...string) error {
	const op = "delete groups"
	gd, err := optional[backend.GroupDeleter](a.b, a.ba, op, "deleting consumer groups")
	if err != nil {
		return err
	}
	return a.do(op, ctx, func() error { return gd.DeleteConsumerGroups(ctx, slices.Clone(groups)) })
}

// Close waits for the calls in flight, then releases the admin client,
// within ctx. Calls after Close fail with CodeClosed; calling Close again
// returns the first call's result.
func (a *Admin) Close(ctx context.Context) error {
	a.mu.Lock()
	first := a.closing.CompareAndSwap(false, true)
	a.mu.Unlock()
	if !first {
		<-a.closed
		return a.closeErr
	}
	err := backend.RunWithin(ctx, func() error { a.calls.Wait(); return nil })
	// Released even when calls are still running past ctx: they then fail.
	if cerr := a.ba.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctxError("close", ctx)
		} else {
			err = a.errs.wrap("close", "", -1, err)
		}
	}
	a.closeErr = err
	close(a.closed)
	return err
}
