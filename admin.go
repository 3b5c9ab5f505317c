package kafkaclient

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Admin manages topics and inspects consumer groups and the cluster. It is
// safe for concurrent use. Per-item failures (one topic of several) are in
// the results' Err fields as *Error; the call's own error is for failures of
// the whole request.
type Admin struct {
	cfg     AdminConfig
	b       backend.Backend
	ba      backend.Admin
	errs    errorMapper
	closing atomic.Bool
}

// NewAdmin opens an admin client.
func NewAdmin(cfg AdminConfig, opts ...Option) (*Admin, error) {
	o := applyOptions(opts)
	client, err := prepareClient(cfg.ClientConfig)
	if err != nil {
		return nil, withBackend(err, o.backend)
	}
	cfg.ClientConfig = client
	a := &Admin{cfg: cfg, b: o.backend, errs: errorMapper{o.backend}}
	ba, err := o.backend.NewAdmin(cfg)
	if err != nil {
		return nil, a.errs.wrap("open admin", "", -1, err)
	}
	a.ba = ba
	return a, nil
}

// NewAdminFromMap parses m (see ConfigMap) and opens an admin client.
func NewAdminFromMap(m ConfigMap, opts ...Option) (*Admin, error) {
	o := applyOptions(opts)
	cfg, err := parseAdminConfig(m, o.backend.Name())
	if err != nil {
		return nil, withBackend(err, o.backend)
	}
	return NewAdmin(cfg, WithBackend(o.backend))
}

// Backend returns the name of the backend the admin runs on.
func (a *Admin) Backend() string { return a.b.Name() }

// As sets target to the underlying client if its type matches.
func (a *Admin) As(target any) bool { return a.ba.As(target) }

func (a *Admin) start(op string, ctx context.Context) error {
	if a.closing.Load() {
		e := newError(op, CodeClosed, "admin is closed")
		e.Backend = a.b.Name()
		return e
	}
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	return nil
}

func (a *Admin) finish(op string, ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	return a.errs.wrap(op, "", -1, err)
}

func (a *Admin) topicResults(op string, rs []TopicResult) []TopicResult {
	for i := range rs {
		rs[i].Err = a.errs.wrap(op, rs[i].Topic, -1, rs[i].Err)
	}
	return rs
}

// CreateTopics creates the topics. A topic that already exists has Err
// matching ErrTopicAlreadyExists.
func (a *Admin) CreateTopics(ctx context.Context, topics ...TopicSpec) ([]TopicResult, error) {
	const op = "create topics"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	for _, t := range topics {
		if err := validTopic(t.Name); err != nil {
			err.Op = op
			return nil, err
		}
		if t.Partitions < -1 || t.ReplicationFactor < -1 {
			e := newError(op, CodeInvalidArg, "partitions (%d) and replication factor (%d) must be positive, or -1 for the broker default", t.Partitions, t.ReplicationFactor)
			e.Topic = t.Name
			return nil, e
		}
	}
	specs := slices.Clone(topics)
	for i := range specs {
		if specs[i].Partitions == 0 {
			specs[i].Partitions = -1
		}
		if specs[i].ReplicationFactor == 0 {
			specs[i].ReplicationFactor = -1
		}
	}
	rs, err := a.ba.CreateTopics(ctx, specs)
	if err != nil {
		return nil, a.finish(op, ctx, err)
	}
	return a.topicResults(op, rs), nil
}

// DeleteTopics deletes the topics. A missing topic has Err matching
// ErrUnknownTopicOrPartition.
func (a *Admin) DeleteTopics(ctx context.Context, topics ...string) ([]TopicResult, error) {
	const op = "delete topics"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			err.Op = op
			return nil, err
		}
	}
	rs, err := a.ba.DeleteTopics(ctx, slices.Clone(topics))
	if err != nil {
		return nil, a.finish(op, ctx, err)
	}
	return a.topicResults(op, rs), nil
}

// CreatePartitions raises topic's partition count to total.
func (a *Admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	const op = "create partitions"
	if err := a.start(op, ctx); err != nil {
		return err
	}
	if err := validTopic(topic); err != nil {
		err.Op = op
		return err
	}
	return a.finish(op, ctx, a.ba.CreatePartitions(ctx, topic, total))
}

// DescribeTopics describes the topics (leader, replicas and in-sync replicas
// of every partition), or every non-internal topic when none are named. A
// missing topic has Err matching ErrUnknownTopicOrPartition.
func (a *Admin) DescribeTopics(ctx context.Context, topics ...string) ([]TopicDescription, error) {
	const op = "describe topics"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			err.Op = op
			return nil, err
		}
	}
	ds, err := a.ba.DescribeTopics(ctx, slices.Clone(topics))
	if err != nil {
		return nil, a.finish(op, ctx, err)
	}
	for i := range ds {
		ds[i].Err = a.errs.wrap(op, ds[i].Name, -1, ds[i].Err)
	}
	return ds, nil
}

// DescribeTopicConfigs returns topic's effective configs.
func (a *Admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	const op = "describe configs"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	if err := validTopic(topic); err != nil {
		err.Op = op
		return nil, err
	}
	m, err := a.ba.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, a.finish(op, ctx, a.errs.wrap(op, topic, -1, err))
	}
	return m, nil
}

// DescribeCluster returns the cluster id, the controller and the brokers.
func (a *Admin) DescribeCluster(ctx context.Context) (ClusterDescription, error) {
	const op = "describe cluster"
	if err := a.start(op, ctx); err != nil {
		return ClusterDescription{}, err
	}
	d, err := a.ba.DescribeCluster(ctx)
	return d, a.finish(op, ctx, err)
}

// ListConsumerGroups lists the cluster's consumer groups with their state.
func (a *Admin) ListConsumerGroups(ctx context.Context) ([]GroupListing, error) {
	const op = "list groups"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	gs, err := a.ba.ListConsumerGroups(ctx)
	return gs, a.finish(op, ctx, err)
}

// DescribeConsumerGroups describes the groups: state, assignor, members with
// their client ids and assignments.
func (a *Admin) DescribeConsumerGroups(ctx context.Context, groups ...string) ([]GroupDescription, error) {
	const op = "describe groups"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, newError(op, CodeInvalidArg, "no group named")
	}
	ds, err := a.ba.DescribeConsumerGroups(ctx, slices.Clone(groups))
	if err != nil {
		return nil, a.finish(op, ctx, err)
	}
	for i := range ds {
		ds[i].Err = a.errs.wrap(op, "", -1, ds[i].Err)
	}
	return ds, nil
}

// ListConsumerGroupOffsets returns group's committed offsets, sorted by topic
// and partition.
func (a *Admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]TopicPartition, error) {
	const op = "list group offsets"
	if err := a.start(op, ctx); err != nil {
		return nil, err
	}
	if group == "" {
		return nil, newError(op, CodeInvalidArg, "group id is empty")
	}
	os, err := a.ba.ListConsumerGroupOffsets(ctx, group)
	if err != nil {
		return nil, a.finish(op, ctx, err)
	}
	return sortedTopicPartitions(os), nil
}

// DeleteConsumerGroups deletes empty consumer groups.
func (a *Admin) DeleteConsumerGroups(ctx context.Context, groups ...string) error {
	const op = "delete groups"
	if err := a.start(op, ctx); err != nil {
		return err
	}
	return a.finish(op, ctx, a.ba.DeleteConsumerGroups(ctx, slices.Clone(groups)))
}

// Close releases the admin client within ctx.
func (a *Admin) Close(ctx context.Context) error {
	if !a.closing.CompareAndSwap(false, true) {
		return nil
	}
	return a.finish("close", ctx, a.ba.Close(ctx))
}
