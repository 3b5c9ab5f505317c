package franz

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// admin is an Admin over kadm; Close and As are its clients'.
type admin struct{ clients }

func (franzBackend) NewAdmin(cfg backend.AdminConfig) (backend.Admin, error) {
	opts, err := clientOpts(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	c, err := newClients(opts)
	if err != nil {
		return nil, err
	}
	return &admin{c}, nil
}

// orErr returns err, or else the first error of the items in r: for the
// calls whose items' errors are the error of the call.
func orErr(r interface{ Error() error }, err error) error {
	if err != nil {
		return err
	}
	return r.Error()
}

func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	out := make([]backend.TopicResult, len(specs))
	for i, s := range specs {
		configs := make(map[string]*string, len(s.Configs))
		for k, v := range s.Configs {
			configs[k] = &v
		}
		// CreateTopic returns the topic's own error as the call's.
		_, err := a.adm.CreateTopic(ctx, s.Partitions, s.ReplicationFactor, configs, s.Name)
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
	return backend.Convert(topics, func(t string) backend.TopicResult {
		return backend.TopicResult{Topic: t, Err: resps[t].Err}
	}), nil
}

func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	return orErr(a.adm.UpdatePartitions(ctx, int(total), topic))
}

func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	md, err := a.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, err
	}
	out := make([]backend.TopicDescription, 0, len(md.Topics))
	for name, td := range md.Topics {
		parts := backend.Convert(td.Partitions.Sorted(), func(pd kadm.PartitionDetail) backend.PartitionInfo {
			return backend.PartitionInfo{ID: pd.Partition, Leader: pd.Leader,
				Replicas: slices.Clone(pd.Replicas), ISR: slices.Clone(pd.ISR), Offline: slices.Clone(pd.OfflineReplicas)}
		})
		out = append(out, backend.TopicDescription{Name: name, Internal: td.IsInternal, Err: td.Err, Partitions: parts})
	}
	return out, nil
}

func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	md, err := a.adm.BrokerMetadata(ctx)
	if err != nil {
		return backend.ClusterDescription{}, err
	}
	brokers := backend.Convert(md.Brokers, func(b kadm.BrokerDetail) backend.BrokerInfo {
		return backend.BrokerInfo{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: deref(b.Rack)}
	})
	return backend.ClusterDescription{ClusterID: md.Cluster, ControllerID: md.Controller, Brokers: brokers}, nil
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
		out[i] = backend.GroupDescription{GroupID: g, State: backend.ParseGroupState(dg.State), Protocol: dg.Protocol,
			Coordinator: dg.Coordinator.NodeID, Err: dg.Err}
		if dg.Err == nil && dg.State == "Dead" {
			out[i].Err = kerr.GroupIDNotFound
		}
		for _, m := range dg.Members {
			md := backend.MemberDescription{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, GroupInstanceID: deref(m.InstanceID)}
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
	if err := orErr(resps, err); err != nil {
		return nil, err
	}
	var out []backend.TopicPartition
	resps.Each(func(o kadm.OffsetResponse) {
		out = append(out, backend.TopicPartition{Topic: o.Topic, Partition: o.Partition, Offset: o.At, Metadata: o.Metadata, LeaderEpoch: o.LeaderEpoch})
	})
	return out, nil
}

func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	return orErr(a.adm.DeleteGroups(ctx, groups...))
}

// deref returns *s, or "" when s is nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *admin) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	return listOffsets(ctx, a.cl, 0, reqs)
}

// partitionErr returns the first error of fn's partitions, naming it.
func partitionErr(each func(func(topic string, partition int32, err error))) error {
	var first error
	each(func(topic string, partition int32, err error) {
		if err != nil && first == nil {
			first = backend.WithCode(franzBackend{}.Code(err), fmt.Errorf("%s/%d: %w", topic, partition, err))
		}
	})
	return first
}

func (a *admin) AlterConsumerGroupOffsets(ctx context.Context, group string, offsets []backend.TopicPartition) error {
	os := kadm.Offsets{}
	for _, o := range offsets {
		os.Add(kadm.Offset{Topic: o.Topic, Partition: o.Partition, At: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata})
	}
	resps, err := a.adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return err
	}
	return partitionErr(func(fn func(string, int32, error)) {
		resps.Each(func(r kadm.OffsetResponse) { fn(r.Topic, r.Partition, r.Err) })
	})
}

func (a *admin) DeleteConsumerGroupOffsets(ctx context.Context, group string, partitions []backend.TopicPartition) error {
	set := kadm.TopicsSet{}
	for _, p := range partitions {
		set.Add(p.Topic, p.Partition)
	}
	resps, err := a.adm.DeleteOffsets(ctx, group, set)
	if err != nil {
		return err
	}
	return partitionErr(func(fn func(string, int32, error)) { resps.EachError(fn) })
}

func (a *admin) DeleteRecords(ctx context.Context, before []backend.TopicPartition) ([]backend.ListedOffset, error) {
	os := kadm.Offsets{}
	for _, b := range before {
		os.Add(kadm.Offset{Topic: b.Topic, Partition: b.Partition, At: b.Offset, LeaderEpoch: -1})
	}
	resps, err := a.adm.DeleteRecords(ctx, os)
	if err != nil {
		return nil, err
	}
	var out []backend.ListedOffset
	resps.Each(func(r kadm.DeleteRecordsResponse) {
		out = append(out, backend.ListedOffset{Topic: r.Topic, Partition: r.Partition, Offset: r.LowWatermark, LeaderEpoch: -1, Err: r.Err})
	})
	return out, nil
}

// brokerErr is the error of a broker's answer, with its message when it
// has one ("Unknown topic config name: x").
func brokerErr(code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	if err != nil && deref(msg) != "" {
		return fmt.Errorf("%w: %s", err, *msg)
	}
	return err
}

func (a *admin) DescribeConfigs(ctx context.Context, rs []backend.ConfigResource) ([]backend.ResourceConfigs, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, r := range rs {
		kr := kmsg.NewDescribeConfigsRequestResource()
		kr.ResourceType, kr.ResourceName = kmsg.ConfigResourceType(r.Type), r.Name
		req.Resources = append(req.Resources, kr)
	}
	// franz-go sends a broker's resource to that broker.
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return nil, err
	}
	return backend.Convert(resp.Resources, func(kr kmsg.DescribeConfigsResponseResource) backend.ResourceConfigs {
		return backend.ResourceConfigs{
			Resource: backend.ConfigResource{Type: backend.ConfigResourceType(kr.ResourceType), Name: kr.ResourceName},
			Err:      brokerErr(kr.ErrorCode, kr.ErrorMessage),
			Configs: backend.Convert(kr.Configs, func(c kmsg.DescribeConfigsResponseResourceConfig) backend.ConfigEntry {
				return backend.ConfigEntry{Name: c.Name, Value: deref(c.Value), Source: backend.ConfigSource(c.Source), ReadOnly: c.ReadOnly, Sensitive: c.IsSensitive}
			}),
		}
	}), nil
}

func (a *admin) AlterConfigs(ctx context.Context, r backend.ConfigResource, alts []backend.ConfigAlteration) error {
	kr := kmsg.NewIncrementalAlterConfigsRequestResource()
	kr.ResourceType, kr.ResourceName = kmsg.ConfigResourceType(r.Type), r.Name
	kr.Configs = backend.Convert(alts, func(alt backend.ConfigAlteration) kmsg.IncrementalAlterConfigsRequestResourceConfig {
		return kmsg.IncrementalAlterConfigsRequestResourceConfig{Name: alt.Name, Op: kmsg.IncrementalAlterConfigOp(alt.Op), Value: &alt.Value}
	})
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.Resources = append(req.Resources, kr)
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return err
	}
	for _, rr := range resp.Resources {
		if err := brokerErr(rr.ErrorCode, rr.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// orNil returns &s, or nil (any, in an ACL filter) for "".
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *admin) CreateACLs(ctx context.Context, acls []backend.ACL) ([]error, error) {
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = backend.Convert(acls, func(acl backend.ACL) kmsg.CreateACLsRequestCreation {
		return kmsg.CreateACLsRequestCreation{ResourceType: kmsg.ACLResourceType(acl.ResourceType), ResourceName: acl.ResourceName,
			ResourcePatternType: kmsg.ACLResourcePatternType(acl.Pattern), Principal: acl.Principal, Host: acl.Host,
			Operation: kmsg.ACLOperation(acl.Operation), PermissionType: kmsg.ACLPermissionType(acl.Permission)}
	})
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return nil, err
	}
	return backend.Convert(resp.Results, func(r kmsg.CreateACLsResponseResult) error { return brokerErr(r.ErrorCode, r.ErrorMessage) }), nil
}

func (a *admin) DescribeACLs(ctx context.Context, f backend.ACL) ([]backend.ACL, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourceName, req.ResourcePatternType = kmsg.ACLResourceType(f.ResourceType), orNil(f.ResourceName), kmsg.ACLResourcePatternType(f.Pattern)
	req.Principal, req.Host, req.Operation, req.PermissionType = orNil(f.Principal), orNil(f.Host), kmsg.ACLOperation(f.Operation), kmsg.ACLPermissionType(f.Permission)
	resp, err := req.RequestWith(ctx, a.cl)
	if err == nil {
		err = brokerErr(resp.ErrorCode, resp.ErrorMessage)
	}
	if err != nil {
		return nil, err
	}
	var out []backend.ACL
	for _, r := range resp.Resources {
		for _, acl := range r.ACLs {
			out = append(out, backend.ACL{ResourceType: backend.ACLResourceType(r.ResourceType), ResourceName: r.ResourceName, Pattern: backend.ACLPattern(r.ResourcePatternType),
				Principal: acl.Principal, Host: acl.Host, Operation: backend.ACLOperation(acl.Operation), Permission: backend.ACLPermission(acl.PermissionType)})
		}
	}
	return out, nil
}

func (a *admin) DeleteACLs(ctx context.Context, filters []backend.ACL) ([]backend.ACL, error) {
	req := kmsg.NewPtrDeleteACLsRequest()
	req.Filters = backend.Convert(filters, func(f backend.ACL) kmsg.DeleteACLsRequestFilter {
		return kmsg.DeleteACLsRequestFilter{ResourceType: kmsg.ACLResourceType(f.ResourceType), ResourceName: orNil(f.ResourceName),
			ResourcePatternType: kmsg.ACLResourcePatternType(f.Pattern), Principal: orNil(f.Principal), Host: orNil(f.Host),
			Operation: kmsg.ACLOperation(f.Operation), PermissionType: kmsg.ACLPermissionType(f.Permission)}
	})
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return nil, err
	}
	var out []backend.ACL
	for _, r := range resp.Results {
		if err := brokerErr(r.ErrorCode, r.ErrorMessage); err != nil {
			return nil, err
		}
		for _, m := range r.MatchingACLs {
			out = append(out, backend.ACL{ResourceType: backend.ACLResourceType(m.ResourceType), ResourceName: m.ResourceName, Pattern: backend.ACLPattern(m.ResourcePatternType),
				Principal: m.Principal, Host: m.Host, Operation: backend.ACLOperation(m.Operation), Permission: backend.ACLPermission(m.PermissionType)})
		}
	}
	return out, nil
}

func (a *admin) DescribeUserScramCredentials(ctx context.Context, users []string) ([]backend.UserScramCredentials, error) {
	ds, err := a.adm.DescribeUserSCRAMs(ctx, users...)
	if err != nil {
		return nil, err
	}
	var out []backend.UserScramCredentials
	for _, d := range ds {
		out = append(out, backend.UserScramCredentials{User: d.User, Err: d.Err,
			Credentials: backend.Convert(d.CredInfos, func(ci kadm.CredInfo) backend.ScramCredential {
				return backend.ScramCredential{Mechanism: backend.ScramMechanism(ci.Mechanism), Iterations: ci.Iterations}
			})})
	}
	return out, nil
}

func (a *admin) AlterUserScramCredentials(ctx context.Context, up []backend.ScramUpsertion, del []backend.ScramDeletion) error {
	res, err := a.adm.AlterUserSCRAMs(ctx,
		backend.Convert(del, func(d backend.ScramDeletion) kadm.DeleteSCRAM {
			return kadm.DeleteSCRAM{User: d.User, Mechanism: kadm.ScramMechanism(d.Mechanism)}
		}),
		backend.Convert(up, func(u backend.ScramUpsertion) kadm.UpsertSCRAM {
			return kadm.UpsertSCRAM{User: u.User, Mechanism: kadm.ScramMechanism(u.Mechanism), Iterations: u.Iterations, Salt: u.Salt, SaltedPassword: u.SaltedPassword}
		}))
	if err != nil {
		return err
	}
	for _, user := range slices.Sorted(maps.Keys(res)) {
		if err := res[user].Err; err != nil {
			return backend.WithCode(franzBackend{}.Code(err), fmt.Errorf("user %q: %w", user, err))
		}
	}
	return nil
}
