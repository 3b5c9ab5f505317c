package segmentio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	groupproto "github.com/segmentio/kafka-go/protocol/consumer"
	"github.com/segmentio/kafka-go/protocol/describegroups"
)

type admin struct {
	tr *transport
	cl *kafka.Client
}

func (segmentioBackend) NewAdmin(cfg backend.AdminConfig) (backend.Admin, error) {
	s, err := newSettings(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	tr := newTransport(s)
	return &admin{tr: tr, cl: tr.client()}, nil
}

func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	req := &kafka.CreateTopicsRequest{}
	for _, s := range specs {
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: int(s.Partitions), ReplicationFactor: int(s.ReplicationFactor)}
		if tc.NumPartitions <= 0 {
			tc.NumPartitions = -1
		}
		if tc.ReplicationFactor <= 0 {
			tc.ReplicationFactor = -1
		}
		for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: s.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := a.cl.CreateTopics(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]backend.TopicResult, len(specs))
	for i, s := range specs {
		out[i] = backend.TopicResult{Topic: s.Name, Err: resp.Errors[s.Name]}
	}
	return out, nil
}

func (a *admin) DeleteTopics(ctx context.Context, topics []string) ([]backend.TopicResult, error) {
	resp, err := a.cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return nil, err
	}
	a.tr.Refresh()
	out := make([]backend.TopicResult, len(topics))
	for i, t := range topics {
		out[i] = backend.TopicResult{Topic: t, Err: resp.Errors[t]}
	}
	return out, nil
}

func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	resp, err := a.cl.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: total}},
	})
	if err != nil {
		return err
	}
	if err := resp.Errors[topic]; err != nil {
		return err
	}
	a.tr.Refresh()
	return nil
}

// DescribeTopics reads current metadata, not the transport's cache, so a
// topic just created or deleted is described as it is.
func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	md, err := a.tr.freshMetadata(ctx, topics)
	if err != nil {
		return nil, err
	}
	out := make([]backend.TopicDescription, 0, len(md.Topics))
	for _, t := range md.Topics {
		d := backend.TopicDescription{Name: t.Name, Internal: t.IsInternal}
		if t.ErrorCode != 0 {
			d.Err = kafka.Error(t.ErrorCode)
		}
		for _, p := range t.Partitions {
			d.Partitions = append(d.Partitions, backend.PartitionInfo{
				ID: p.PartitionIndex, Leader: p.LeaderID,
				Replicas: slices.Clone(p.ReplicaNodes), ISR: slices.Clone(p.IsrNodes), Offline: slices.Clone(p.OfflineReplicas),
			})
		}
		out = append(out, d)
	}
	return out, nil
}

func (a *admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	resp, err := a.cl.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic}},
	})
	if err != nil {
		return nil, err
	}
	for _, r := range resp.Resources {
		if r.ResourceName != topic {
			continue
		}
		if r.Error != nil {
			return nil, r.Error
		}
		out := make(map[string]string, len(r.ConfigEntries))
		for _, e := range r.ConfigEntries {
			out[e.ConfigName] = e.ConfigValue
		}
		return out, nil
	}
	return nil, kafka.UnknownTopicOrPartition
}

func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	md, err := a.tr.freshMetadata(ctx, []string{})
	if err != nil {
		return backend.ClusterDescription{}, err
	}
	d := backend.ClusterDescription{ClusterID: md.ClusterID, ControllerID: md.ControllerID}
	for _, b := range md.Brokers {
		d.Brokers = append(d.Brokers, backend.BrokerInfo{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack})
	}
	return d, nil
}

// ListConsumerGroups lists groups with ListGroups, which has no state in
// kafka-go's version of the request: the root describes them for it.
func (a *admin) ListConsumerGroups(ctx context.Context) ([]backend.GroupListing, error) {
	resp, err := a.cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	return backend.Convert(resp.Groups, func(g kafka.ListGroupsResponseGroup) backend.GroupListing {
		return backend.GroupListing{GroupID: g.GroupID, State: backend.GroupStateUnknown, ProtocolType: g.ProtocolType}
	}), nil
}

// describe sends DescribeGroups (each group to its coordinator) and returns
// the raw answers by group.
func (a *admin) describe(ctx context.Context, groups []string) (map[string]describegroups.ResponseGroup, error) {
	r, err := a.tr.RoundTrip(ctx, a.tr.s.addr, &describegroups.Request{Groups: groups})
	if err != nil {
		return nil, err
	}
	out := map[string]describegroups.ResponseGroup{}
	for _, g := range r.(*describegroups.Response).Groups {
		out[g.GroupID] = g
	}
	return out, nil
}

func (a *admin) DescribeConsumerGroups(ctx context.Context, groups []string) ([]backend.GroupDescription, error) {
	ds, err := a.describe(ctx, groups)
	if err != nil {
		return nil, err
	}
	out := make([]backend.GroupDescription, len(groups))
	for i, id := range groups {
		out[i].GroupID = id
		out[i].Coordinator = -1
		g, ok := ds[id]
		if !ok {
			out[i].Err = kafka.GroupIdNotFound
			continue
		}
		if g.ErrorCode != 0 {
			out[i].Err = kafka.Error(g.ErrorCode)
			continue
		}
		if g.GroupState == "Dead" {
			out[i].Err = kafka.GroupIdNotFound
			out[i].State = backend.GroupStateDead
			continue
		}
		out[i].State = backend.ParseGroupState(g.GroupState)
		out[i].Protocol = g.ProtocolData
		if fc, err := a.cl.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: id, KeyType: kafka.CoordinatorKeyTypeConsumer}); err == nil && fc.Error == nil && fc.Coordinator != nil {
			out[i].Coordinator = int32(fc.Coordinator.NodeID)
		}
		for _, m := range g.Members {
			md := backend.MemberDescription{MemberID: m.MemberID, GroupInstanceID: m.GroupInstanceID, ClientID: m.ClientID, Host: m.ClientHost}
			if g.ProtocolType == "consumer" || g.ProtocolType == "" {
				md.Assignment = decodeAssignment(m.MemberAssignment)
			}
			out[i].Members = append(out[i].Members, md)
		}
	}
	return out, nil
}

// decodeAssignment reads a consumer protocol assignment with kafka-go's
// protocol decoder. It returns nil for bytes it cannot read.
func decodeAssignment(b []byte) []backend.TopicPartition {
	if len(b) < 2 {
		return nil
	}
	// Later versions only add fields after the ones read here.
	version := min(int16(binary.BigEndian.Uint16(b)), groupproto.MaxVersionSupported)
	var a groupproto.Assignment
	if protocol.Unmarshal(b, version, &a) != nil {
		return nil
	}
	var out []backend.TopicPartition
	for _, tp := range a.AssignedPartitions {
		for _, p := range tp.Partitions {
			out = append(out, backend.TopicPartition{Topic: tp.Topic, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
		}
	}
	return out
}

func (a *admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]backend.TopicPartition, error) {
	// Topics nil asks for every partition with a committed offset.
	return fetchCommitted(ctx, a.cl, group, nil)
}

// fetchCommitted returns group's committed offsets of topics' partitions
// (every partition with one when topics is nil), leaving out those with
// none.
func fetchCommitted(ctx context.Context, cl *kafka.Client, group string, topics map[string][]int) ([]backend.TopicPartition, error) {
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: topics})
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	var out []backend.TopicPartition
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, p.Error
			}
			if p.CommittedOffset < 0 {
				continue
			}
			out = append(out, backend.TopicPartition{Topic: topic, Partition: int32(p.Partition), Offset: p.CommittedOffset, Metadata: p.Metadata, LeaderEpoch: -1})
		}
	}
	return out, nil
}

func (a *admin) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	return a.tr.listOffsets(ctx, 0, reqs)
}

func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	resp, err := a.cl.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: groups})
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range groups {
		if err := resp.Errors[g]; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *admin) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error { a.tr.Close(); return nil })
}

func (a *admin) As(target any) bool { return backend.SetAs(target, a.cl) }

// firstPartitionErr returns the first error among topics' partitions,
// naming the partition.
func firstPartitionErr[P any](topics map[string][]P, part func(P) (int, error)) error {
	for _, topic := range slices.Sorted(maps.Keys(topics)) {
		for _, p := range topics[topic] {
			if n, err := part(p); err != nil {
				return backend.WithCode(segmentioBackend{}.Code(err), fmt.Errorf("%s/%d: %w", topic, n, err))
			}
		}
	}
	return nil
}

func (a *admin) AlterConsumerGroupOffsets(ctx context.Context, group string, offsets []backend.TopicPartition) error {
	req := &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{}}
	for _, o := range offsets {
		req.Topics[o.Topic] = append(req.Topics[o.Topic], kafka.OffsetCommit{Partition: int(o.Partition), Offset: o.Offset, Metadata: o.Metadata})
	}
	resp, err := a.cl.OffsetCommit(ctx, req)
	if err != nil {
		return err
	}
	return firstPartitionErr(resp.Topics, func(p kafka.OffsetCommitPartition) (int, error) { return p.Partition, p.Error })
}

func (a *admin) DeleteConsumerGroupOffsets(ctx context.Context, group string, partitions []backend.TopicPartition) error {
	req := &kafka.OffsetDeleteRequest{GroupID: group, Topics: map[string][]int{}}
	for _, p := range partitions {
		req.Topics[p.Topic] = append(req.Topics[p.Topic], int(p.Partition))
	}
	resp, err := a.cl.OffsetDelete(ctx, req)
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return resp.Error
	}
	return firstPartitionErr(resp.Topics, func(p kafka.OffsetDeletePartition) (int, error) { return p.Partition, p.Error })
}
