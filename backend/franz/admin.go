package franz

import (
	"context"
	"errors"
	"slices"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type admin struct {
	cl  *kgo.Client
	adm *kadm.Client
}

func (franzBackend) NewAdmin(cfg backend.AdminConfig) (backend.Admin, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, backend.WithCode(backend.CodeBadConfig, err)
	}
	return &admin{cl: cl, adm: kadm.NewClient(cl)}, nil
}

func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	out := make([]backend.TopicResult, len(specs))
	for i, s := range specs {
		var configs map[string]*string
		if len(s.Configs) > 0 {
			configs = make(map[string]*string, len(s.Configs))
			for k, v := range s.Configs {
				configs[k] = &v
			}
		}
		resp, err := a.adm.CreateTopic(ctx, s.Partitions, s.ReplicationFactor, configs, s.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i] = backend.TopicResult{Topic: s.Name, Err: err}
	}
	return out, nil
}

func (a *admin) DeleteTopics(ctx context.Context, topics []string) ([]backend.TopicResult, error) {
	resps, err := a.adm.DeleteTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	out := make([]backend.TopicResult, len(topics))
	for i, t := range topics {
		out[i] = backend.TopicResult{Topic: t}
		if r, ok := resps[t]; ok {
			out[i].Err = r.Err
		}
	}
	return out, nil
}

func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	resps, err := a.adm.UpdatePartitions(ctx, int(total), topic)
	if err != nil {
		return err
	}
	return resps.Error()
}

func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	md, err := a.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, err
	}
	out := make([]backend.TopicDescription, 0, len(md.Topics))
	for name, td := range md.Topics {
		d := backend.TopicDescription{Name: name, Internal: td.IsInternal, Err: td.Err}
		for _, pd := range td.Partitions {
			d.Partitions = append(d.Partitions, backend.PartitionInfo{
				ID: pd.Partition, Leader: pd.Leader,
				Replicas: slices.Clone(pd.Replicas), ISR: slices.Clone(pd.ISR), Offline: slices.Clone(pd.OfflineReplicas),
			})
		}
		out = append(out, d)
	}
	return out, nil
}

func (a *admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	rcs, err := a.adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, err
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return nil, err
	}
	if rc.Err != nil {
		return nil, rc.Err
	}
	out := make(map[string]string, len(rc.Configs))
	for _, c := range rc.Configs {
		if c.Value != nil {
			out[c.Key] = *c.Value
		}
	}
	return out, nil
}

func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	md, err := a.adm.BrokerMetadata(ctx)
	if err != nil {
		return backend.ClusterDescription{}, err
	}
	d := backend.ClusterDescription{ClusterID: md.Cluster, ControllerID: md.Controller}
	for _, b := range md.Brokers {
		bi := backend.BrokerInfo{ID: b.NodeID, Host: b.Host, Port: b.Port}
		if b.Rack != nil {
			bi.Rack = *b.Rack
		}
		d.Brokers = append(d.Brokers, bi)
	}
	return d, nil
}

func (a *admin) ListConsumerGroups(ctx context.Context) ([]backend.GroupListing, error) {
	gs, err := a.adm.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]backend.GroupListing, 0, len(gs))
	for _, g := range gs {
		out = append(out, backend.GroupListing{GroupID: g.Group, State: backend.ParseGroupState(g.State), ProtocolType: g.ProtocolType})
	}
	return out, nil
}

func (a *admin) DescribeConsumerGroups(ctx context.Context, groups []string) ([]backend.GroupDescription, error) {
	dgs, err := a.adm.DescribeGroups(ctx, groups...)
	if err != nil {
		var se *kadm.ShardErrors
		if !errors.As(err, &se) || len(dgs) == 0 {
			return nil, err
		}
	}
	out := make([]backend.GroupDescription, len(groups))
	for i, g := range groups {
		out[i].GroupID = g
		dg, ok := dgs[g]
		if !ok {
			out[i].Err = kerr.GroupIDNotFound
			continue
		}
		out[i].State = backend.ParseGroupState(dg.State)
		out[i].Protocol = dg.Protocol
		out[i].Coordinator = dg.Coordinator.NodeID
		out[i].Err = dg.Err
		if dg.Err == nil && dg.State == "Dead" {
			out[i].Err = kerr.GroupIDNotFound
		}
		for _, m := range dg.Members {
			md := backend.MemberDescription{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost}
			if m.InstanceID != nil {
				md.GroupInstanceID = *m.InstanceID
			}
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range ca.Topics {
					for _, p := range t.Partitions {
						md.Assignment = append(md.Assignment, backend.TopicPartition{Topic: t.Topic, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
					}
				}
			}
			out[i].Members = append(out[i].Members, md)
		}
	}
	return out, nil
}

func (a *admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]backend.TopicPartition, error) {
	resps, err := a.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	if err := resps.Error(); err != nil {
		return nil, err
	}
	var out []backend.TopicPartition
	resps.Each(func(o kadm.OffsetResponse) {
		out = append(out, backend.TopicPartition{Topic: o.Topic, Partition: o.Partition, Offset: o.At, Metadata: o.Metadata, LeaderEpoch: o.LeaderEpoch})
	})
	return out, nil
}

func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	resps, err := a.adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return err
	}
	return resps.Error()
}

func (a *admin) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error { a.cl.Close(); return nil })
}

func (a *admin) As(target any) bool {
	return backend.SetAs(target, a.adm) || backend.SetAs(target, a.cl)
}
