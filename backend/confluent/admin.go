//go:build cgo

package confluent

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

type admin struct {
	// ka runs on kp: librdkafka reports refused credentials and untrusted
	// certificates as error events, which only a producer's or consumer's
	// event channel carries, so the admin client is made from a producer
	// whose events the admin watches.
	ka     *kafka.AdminClient
	kp     *kafka.Producer
	cfg    backend.AdminConfig
	logs   *logForwarder
	events chan struct{} // closed when the event loop ends

	life handle // guards ka

	// calls are the running calls, cancelled with the cause when an
	// authentication or TLS error arrives; refused is the last such error,
	// and refusedAt when it came.
	mu        sync.Mutex
	calls     map[*context.CancelCauseFunc]struct{}
	refused   error
	refusedAt time.Time
}

// refusedFor is how long an authentication or TLS error fails new calls at
// once: librdkafka retries the connection with a backoff of up to
// reconnect.backoff.max.ms (10 s by default), the next error event may not
// come before a call's context ends.
const refusedFor = 10 * time.Second

func (confluentBackend) NewAdmin(cfg backend.AdminConfig) (backend.Admin, error) {
	kp, logs, err := open(cfg.ClientConfig, nil, kafka.NewProducer)
	if err != nil {
		return nil, err
	}
	ka, err := kafka.NewAdminClientFromProducer(kp)
	if err != nil {
		logs.stopTokens()
		kp.Close()
		logs.close()
		return nil, openErr(err)
	}
	a := &admin{ka: ka, kp: kp, cfg: cfg, logs: logs, events: make(chan struct{}), calls: map[*context.CancelCauseFunc]struct{}{}}
	go a.watch()
	return a, nil
}

// watch reads the producer's events until it closes: authentication and TLS
// errors fail the running calls.
func (a *admin) watch() {
	defer close(a.events)
	for ev := range a.kp.Events() {
		e, ok := ev.(kafka.Error)
		if !ok || !isRefusal(e) {
			continue
		}
		a.mu.Lock()
		a.refused, a.refusedAt = e, time.Now()
		for cancel := range a.calls {
			(*cancel)(e)
		}
		a.mu.Unlock()
	}
}

// use runs fn while ka is alive, with a context that an authentication or
// TLS error cancels: the call then fails with that error. fn returns
// librdkafka's answer as it is, to be converted once use has returned.
func use[T any](ctx context.Context, a *admin, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if !a.life.acquire() {
		return zero, backend.Errorf(backend.CodeClosed, "admin is closed")
	}
	a.mu.Lock()
	if a.refused != nil && time.Since(a.refusedAt) < refusedFor {
		err := a.refused
		a.mu.Unlock()
		a.life.release()
		return zero, err
	}
	cctx, cancel := context.WithCancelCause(ctx)
	a.calls[&cancel] = struct{}{}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.calls, &cancel)
		a.mu.Unlock()
		cancel(nil)
	}()
	// Some librdkafka calls take a timeout, not a context: do not wait
	// for them past cctx. Such a call keeps ka alive until it returns.
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer a.life.release()
		v, err := fn(cctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			a.mu.Lock()
			a.refused = nil
			a.mu.Unlock()
			return r.v, nil
		}
		if cctx.Err() == nil || ctx.Err() != nil {
			return zero, r.err
		}
	case <-cctx.Done():
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
	}
	return zero, context.Cause(cctx) // an authentication or TLS error
}

func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	// The root passes -1 for the broker's default, as librdkafka takes it.
	ks := backend.Convert(specs, func(s backend.TopicSpec) kafka.TopicSpecification {
		return kafka.TopicSpecification{Topic: s.Name, NumPartitions: int(s.Partitions), ReplicationFactor: int(s.ReplicationFactor), Config: s.Configs}
	})
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.TopicResult, error) { return a.ka.CreateTopics(ctx, ks) })
	return topicResults(res), err
}

// topicResults converts librdkafka's per-topic results, one per topic asked
// for; the root orders them.
func topicResults(res []kafka.TopicResult) []backend.TopicResult {
	return backend.Convert(res, func(r kafka.TopicResult) backend.TopicResult {
		return backend.TopicResult{Topic: r.Topic, Err: errOrNil(r.Error)}
	})
}

func (a *admin) DeleteTopics(ctx context.Context, topics []string) ([]backend.TopicResult, error) {
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.TopicResult, error) { return a.ka.DeleteTopics(ctx, topics) })
	return topicResults(res), err
}

func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.TopicResult, error) {
		return a.ka.CreatePartitions(ctx, []kafka.PartitionsSpecification{{Topic: topic, IncreaseTo: int(total)}})
	})
	return firstErr(res, err, func(r kafka.TopicResult) error { return errOrNil(r.Error) })
}

func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DescribeTopicsResult, error) {
		names := topics
		if len(names) == 0 {
			md, err := a.ka.GetMetadata(nil, true, timeoutMs(ctx, a.cfg.RequestTimeout))
			if err != nil || len(md.Topics) == 0 {
				return kafka.DescribeTopicsResult{}, err
			}
			names = slices.Collect(maps.Keys(md.Topics))
		}
		return a.ka.DescribeTopics(ctx, kafka.NewTopicCollectionOfTopicNames(names))
	})
	return backend.Convert(res.TopicDescriptions, topicDescription), err
}

// topicDescription converts a topic's description.
func topicDescription(td kafka.TopicDescription) backend.TopicDescription {
	d := backend.TopicDescription{Name: td.Name, Internal: td.IsInternal, Err: errOrNil(td.Error)}
	for _, p := range td.Partitions {
		pi := backend.PartitionInfo{ID: int32(p.Partition), Leader: -1, Replicas: nodeIDs(p.Replicas), ISR: nodeIDs(p.Isr)}
		if p.Leader != nil {
			pi.Leader = int32(p.Leader.ID)
		}
		d.Partitions = append(d.Partitions, pi)
	}
	return d
}

// nodeIDs returns the ids of ns.
func nodeIDs(ns []kafka.Node) []int32 {
	out := make([]int32, len(ns))
	for i, n := range ns {
		out[i] = int32(n.ID)
	}
	return out
}

func (a *admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.ConfigResourceResult, error) {
		return a.ka.DescribeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: topic}})
	})
	switch {
	case err != nil:
		return nil, err
	case len(res) != 1:
		return nil, backend.Errorf(backend.CodeFailed, "DescribeConfigs returned %d results for one topic", len(res))
	case isErr(res[0].Error):
		return nil, res[0].Error
	}
	out := make(map[string]string, len(res[0].Config))
	for k, e := range res[0].Config {
		out[k] = e.Value
	}
	return out, nil
}

func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DescribeClusterResult, error) { return a.ka.DescribeCluster(ctx) })
	if err != nil {
		return backend.ClusterDescription{}, err
	}
	d := backend.ClusterDescription{ControllerID: -1}
	if res.ClusterID != nil {
		d.ClusterID = *res.ClusterID
	}
	if res.Controller != nil {
		d.ControllerID = int32(res.Controller.ID)
	}
	for _, n := range res.Nodes {
		b := backend.BrokerInfo{ID: int32(n.ID), Host: n.Host, Port: int32(n.Port)}
		if n.Rack != nil {
			b.Rack = *n.Rack
		}
		d.Brokers = append(d.Brokers, b)
	}
	return d, nil
}

// groupState maps librdkafka's group state by its name, which is the
// broker's.
func groupState(s kafka.ConsumerGroupState) backend.GroupState {
	return backend.ParseGroupState(s.String())
}

func (a *admin) ListConsumerGroups(ctx context.Context) ([]backend.GroupListing, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.ListConsumerGroupsResult, error) { return a.ka.ListConsumerGroups(ctx) })
	if err != nil {
		return nil, err
	}
	if len(res.Valid) == 0 && len(res.Errors) > 0 {
		return nil, res.Errors[0]
	}
	out := make([]backend.GroupListing, 0, len(res.Valid))
	for _, g := range res.Valid {
		l := backend.GroupListing{GroupID: g.GroupID, State: groupState(g.State), ProtocolType: "consumer"}
		if g.IsSimpleConsumerGroup {
			l.ProtocolType = ""
		}
		out = append(out, l)
	}
	return out, nil
}

func (a *admin) DescribeConsumerGroups(ctx context.Context, groups []string) ([]backend.GroupDescription, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DescribeConsumerGroupsResult, error) {
		return a.ka.DescribeConsumerGroups(ctx, groups)
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]kafka.ConsumerGroupDescription, len(res.ConsumerGroupDescriptions))
	for _, d := range res.ConsumerGroupDescriptions {
		byID[d.GroupID] = d
	}
	out := make([]backend.GroupDescription, len(groups))
	for i, g := range groups {
		out[i].GroupID = g
		d, ok := byID[g]
		switch {
		case !ok:
			out[i].Err = backend.Errorf(backend.CodeGroupIDNotFound, "group %q does not exist", g)
			continue
		case isErr(d.Error):
			out[i].Err = d.Error
			continue
		case d.State == kafka.ConsumerGroupStateDead:
			out[i].Err = backend.Errorf(backend.CodeGroupIDNotFound, "group %q does not exist", g)
		}
		out[i].State = groupState(d.State)
		out[i].Protocol = d.PartitionAssignor
		out[i].Coordinator = int32(d.Coordinator.ID)
		out[i].Members = backend.Convert(d.Members, func(m kafka.MemberDescription) backend.MemberDescription {
			return backend.MemberDescription{
				MemberID: m.ConsumerID, GroupInstanceID: m.GroupInstanceID, ClientID: m.ClientID, Host: m.Host,
				Assignment: fromKafkaTPs(m.Assignment.TopicPartitions),
			}
		})
	}
	return out, nil
}

func (a *admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]backend.TopicPartition, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.ListConsumerGroupOffsetsResult, error) {
		return a.ka.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
	})
	if err != nil {
		return nil, err
	}
	var out []backend.TopicPartition
	for _, g := range res.ConsumerGroupsTopicPartitions {
		if g.Group != group {
			continue
		}
		for _, tp := range g.Partitions {
			if tp.Error != nil {
				return nil, tp.Error
			}
			if tp.Offset >= 0 { // else no committed offset
				out = append(out, fromKafkaTP(tp))
			}
		}
	}
	return out, nil
}

func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DeleteConsumerGroupsResult, error) {
		return a.ka.DeleteConsumerGroups(ctx, groups)
	})
	return firstErr(res.ConsumerGroupResults, err, func(r kafka.ConsumerGroupResult) error { return errOrNil(r.Error) })
}

func (a *admin) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error {
		a.logs.stopTokens()
		a.life.destroy(func() {
			a.ka.Close()
			a.kp.Close()
			<-a.events
			a.logs.close()
		})
		return nil
	})
}

func (a *admin) As(target any) bool {
	return backend.SetAs(target, a.ka) || backend.SetAs(target, a.kp)
}

func (a *admin) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	return use(ctx, a, func(ctx context.Context) ([]backend.ListedOffset, error) {
		return listOffsets(ctx, a.ka, kafka.IsolationLevelReadUncommitted, reqs)
	})
}

// listOffsets answers reqs with ka's ListOffsets at isolation.
func listOffsets(ctx context.Context, ka *kafka.AdminClient, isolation kafka.IsolationLevel, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	specs := make(map[kafka.TopicPartition]kafka.OffsetSpec, len(reqs))
	for _, r := range reqs {
		topic := r.Topic
		specs[kafka.TopicPartition{Topic: &topic, Partition: r.Partition}] = kafka.OffsetSpec(r.Query)
	}
	res, err := ka.ListOffsets(ctx, specs, kafka.SetAdminIsolationLevel(isolation))
	var ke kafka.Error
	if errors.As(err, &ke) && strings.Contains(ke.Error(), "No leaders found") {
		// librdkafka fails the whole request when none of its partitions
		// has a known leader: answer each partition on its own, so that
		// a missing one gets its error and the others their offsets.
		if len(reqs) == 1 {
			r := reqs[0]
			return []backend.ListedOffset{{Topic: r.Topic, Partition: r.Partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1,
				Err: backend.Errorf(backend.CodeUnknownTopicOrPartition, "no leader is known for the partition: the topic or partition does not exist")}}, nil
		}
		var out []backend.ListedOffset
		for _, r := range reqs {
			l, err := listOffsets(ctx, ka, isolation, []backend.OffsetRequest{r})
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]backend.ListedOffset, 0, len(res.ResultInfos))
	for tp, info := range res.ResultInfos {
		l := backend.ListedOffset{Topic: *tp.Topic, Partition: tp.Partition, Offset: int64(info.Offset), LeaderEpoch: -1, Err: errOrNil(info.Error)}
		if info.LeaderEpoch != nil {
			l.LeaderEpoch = *info.LeaderEpoch
		}
		if info.Timestamp >= 0 {
			l.Timestamp = time.UnixMilli(info.Timestamp)
		}
		out = append(out, l)
	}
	return out, nil
}

func (a *admin) AlterConsumerGroupOffsets(ctx context.Context, group string, offsets []backend.TopicPartition) error {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.AlterConsumerGroupOffsetsResult, error) {
		return a.ka.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: toKafkaTP(offsets)}})
	})
	if err != nil {
		return err
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		if err := firstErr(g.Partitions, nil, tpError); err != nil {
			return err
		}
	}
	return nil
}

func (a *admin) DeleteRecords(ctx context.Context, before []backend.TopicPartition) ([]backend.ListedOffset, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DeleteRecordsResults, error) {
		return a.ka.DeleteRecords(ctx, toKafkaTP(before))
	})
	if err != nil {
		return nil, err
	}
	out := make([]backend.ListedOffset, 0, len(res.DeleteRecordsResults))
	for _, r := range res.DeleteRecordsResults {
		l := backend.ListedOffset{Topic: *r.TopicPartition.Topic, Partition: r.TopicPartition.Partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1, Err: r.TopicPartition.Error}
		if r.DeletedRecords != nil {
			l.Offset = int64(r.DeletedRecords.LowWatermark)
		}
		out = append(out, l)
	}
	return out, nil
}

// DeleteConsumerGroupOffsets is not available: confluent-kafka-go does not
// expose librdkafka's DeleteConsumerGroupOffsets, nor a way to send the
// request.
func (a *admin) DeleteConsumerGroupOffsets(context.Context, string, []backend.TopicPartition) error {
	return backend.Unsupported(Name, "DeleteConsumerGroupOffsets (confluent-kafka-go does not expose librdkafka's call)")
}
