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
	"github.com/segmentio/kafka-go/protocol/describeconfigs"
	"github.com/segmentio/kafka-go/protocol/describegroups"
	"github.com/segmentio/kafka-go/protocol/describeuserscramcredentials"
	"github.com/segmentio/kafka-go/protocol/incrementalalterconfigs"
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
		d := backend.TopicDescription{Name: t.Name, Internal: t.IsInternal, Err: protoErr(t.ErrorCode, "")}
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

// protoErr is the error of a code in a protocol answer as kafka-go's Client
// makes it: the kafka.Error, with the broker's message when there is one.
func protoErr(code int16, msg string) error {
	if code == 0 {
		return nil
	}
	if msg == "" {
		return kafka.Error(code)
	}
	return fmt.Errorf("%w: %s", kafka.Error(code), msg)
}

// init registers the encodings of this package's request variants.
func init() {
	protocol.RegisterOverride(&anyBrokerDescribe{}, &describeconfigs.Response{}, anyBrokerKey)
	protocol.RegisterOverride(&anyBrokerAlter{}, &incrementalalterconfigs.Response{}, anyBrokerKey)
	protocol.RegisterOverride(&describeUsers{}, &describeuserscramcredentials.Response{}, anyBrokerKey)
}

// anyBrokerKey is the override key of this package's variants of kafka-go's
// requests, which go to any broker; kafka-go uses none for these APIs.
const anyBrokerKey protocol.OverrideTypeKey = 1

// kafka-go sends a broker resource's DescribeConfigs and
// IncrementalAlterConfigs to the broker its name numbers, as Kafka wants,
// but fails on "", the cluster-wide broker defaults, which any broker
// answers. Requests for those are sent as the anyBroker types: kafka-go's
// requests under an override key, which encode the same and, having no
// routing method, go to the bootstrap broker.
type (
	anyBrokerDescribe describeconfigs.Request
	anyBrokerAlter    incrementalalterconfigs.Request
)

func (*anyBrokerDescribe) ApiKey() protocol.ApiKey           { return protocol.DescribeConfigs }
func (*anyBrokerDescribe) TypeKey() protocol.OverrideTypeKey { return anyBrokerKey }
func (*anyBrokerAlter) ApiKey() protocol.ApiKey              { return protocol.IncrementalAlterConfigs }
func (*anyBrokerAlter) TypeKey() protocol.OverrideTypeKey    { return anyBrokerKey }

// clusterDefaults reports whether r is the cluster-wide broker defaults.
func clusterDefaults(r backend.ConfigResource) bool {
	return r.Type == backend.ConfigResourceBroker && r.Name == ""
}

// DescribeConfigs sends one request, which kafka-go splits into one per
// broker resource (sent to that broker) and one for the topics, and
// another for the cluster-wide broker defaults.
func (a *admin) DescribeConfigs(ctx context.Context, resources []backend.ConfigResource) ([]backend.ResourceConfigs, error) {
	var routed, defaults describeconfigs.Request
	for _, r := range resources {
		req := &routed
		if clusterDefaults(r) {
			req = &defaults
		}
		req.Resources = append(req.Resources, describeconfigs.RequestResource{ResourceType: int8(r.Type), ResourceName: r.Name})
	}
	// Without resources, routed is split into no request: it does no I/O.
	reqs := []kafka.Request{&routed}
	if len(defaults.Resources) > 0 {
		reqs = append(reqs, (*anyBrokerDescribe)(&defaults))
	}
	var out []backend.ResourceConfigs
	for _, req := range reqs {
		m, err := a.tr.RoundTrip(ctx, a.tr.s.addr, req)
		if err != nil {
			return nil, err
		}
		for _, r := range m.(*describeconfigs.Response).Resources {
			out = append(out, backend.ResourceConfigs{
				Resource: backend.ConfigResource{Type: backend.ConfigResourceType(r.ResourceType), Name: r.ResourceName},
				Err:      protoErr(r.ErrorCode, r.ErrorMessage),
				Configs: backend.Convert(r.ConfigEntries, func(e describeconfigs.ResponseConfigEntry) backend.ConfigEntry {
					if e.IsSensitive {
						e.ConfigValue = ""
					}
					return backend.ConfigEntry{Name: e.ConfigName, Value: e.ConfigValue, Source: backend.ConfigSource(e.ConfigSource), ReadOnly: e.ReadOnly, Sensitive: e.IsSensitive}
				}),
			})
		}
	}
	return out, nil
}

// AlterConfigs sends IncrementalAlterConfigs; kafka-go encodes an empty
// Value (a deletion's) as null.
func (a *admin) AlterConfigs(ctx context.Context, res backend.ConfigResource, alts []backend.ConfigAlteration) error {
	req := &incrementalalterconfigs.Request{Resources: []incrementalalterconfigs.RequestResource{{
		ResourceType: int8(res.Type),
		ResourceName: res.Name,
		Configs: backend.Convert(alts, func(c backend.ConfigAlteration) incrementalalterconfigs.RequestConfig {
			return incrementalalterconfigs.RequestConfig{Name: c.Name, ConfigOperation: int8(c.Op), Value: c.Value}
		}),
	}}}
	var m kafka.Request = req
	if clusterDefaults(res) {
		m = (*anyBrokerAlter)(req)
	}
	resp, err := a.tr.RoundTrip(ctx, a.tr.s.addr, m)
	if err != nil {
		return err
	}
	for _, r := range resp.(*incrementalalterconfigs.Response).Responses {
		if err := protoErr(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// aclFilter is f as kafka-go's filter. kafka-go sends "" as null, which
// matches every value.
func aclFilter(f backend.ACL) kafka.ACLFilter {
	return kafka.ACLFilter{
		ResourceTypeFilter: kafka.ResourceType(f.ResourceType), ResourceNameFilter: f.ResourceName,
		ResourcePatternTypeFilter: kafka.PatternType(f.Pattern), PrincipalFilter: f.Principal, HostFilter: f.Host,
		Operation: kafka.ACLOperationType(f.Operation), PermissionType: kafka.ACLPermissionType(f.Permission),
	}
}

func (a *admin) CreateACLs(ctx context.Context, acls []backend.ACL) ([]error, error) {
	resp, err := a.cl.CreateACLs(ctx, &kafka.CreateACLsRequest{ACLs: backend.Convert(acls, func(x backend.ACL) kafka.ACLEntry {
		return kafka.ACLEntry{
			ResourceType: kafka.ResourceType(x.ResourceType), ResourceName: x.ResourceName, ResourcePatternType: kafka.PatternType(x.Pattern),
			Principal: x.Principal, Host: x.Host, Operation: kafka.ACLOperationType(x.Operation), PermissionType: kafka.ACLPermissionType(x.Permission),
		}
	})})
	if err != nil {
		return nil, err
	}
	if len(resp.Errors) != len(acls) {
		return nil, backend.Errorf(backend.CodeFailed, "CreateAcls answered %d results for %d ACLs", len(resp.Errors), len(acls))
	}
	return resp.Errors, nil
}

func (a *admin) DescribeACLs(ctx context.Context, filter backend.ACL) ([]backend.ACL, error) {
	resp, err := a.cl.DescribeACLs(ctx, &kafka.DescribeACLsRequest{Filter: aclFilter(filter)})
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	var out []backend.ACL
	for _, r := range resp.Resources {
		for _, d := range r.ACLs {
			out = append(out, backend.ACL{
				ResourceType: backend.ACLResourceType(r.ResourceType), ResourceName: r.ResourceName, Pattern: backend.ACLPattern(r.PatternType),
				Principal: d.Principal, Host: d.Host, Operation: backend.ACLOperation(d.Operation), Permission: backend.ACLPermission(d.PermissionType),
			})
		}
	}
	return out, nil
}

// DeleteACLs fails when a filter, or the deletion of an ACL it matched,
// failed.
func (a *admin) DeleteACLs(ctx context.Context, filters []backend.ACL) ([]backend.ACL, error) {
	resp, err := a.cl.DeleteACLs(ctx, &kafka.DeleteACLsRequest{Filters: backend.Convert(filters, func(f backend.ACL) kafka.DeleteACLsFilter {
		return kafka.DeleteACLsFilter(aclFilter(f))
	})})
	if err != nil {
		return nil, err
	}
	var out []backend.ACL
	for _, r := range resp.Results {
		if r.Error != nil {
			return nil, r.Error
		}
		for _, m := range r.MatchingACLs {
			if m.Error != nil {
				return nil, m.Error
			}
			out = append(out, backend.ACL{
				ResourceType: backend.ACLResourceType(m.ResourceType), ResourceName: m.ResourceName, Pattern: backend.ACLPattern(m.ResourcePatternType),
				Principal: m.Principal, Host: m.Host, Operation: backend.ACLOperation(m.Operation), Permission: backend.ACLPermission(m.PermissionType),
			})
		}
	}
	return out, nil
}

// describeUsers is kafka-go's DescribeUserScramCredentials request with
// nullable users: null asks for every user, as the Java client sends it.
// kafka-go sends an empty list, which Kafka reads the same but kfake reads
// as no user.
type describeUsers struct {
	_     struct{}                                   `kafka:"min=v0,max=v0,tag"`
	Users []describeuserscramcredentials.RequestUser `kafka:"min=v0,max=v0,nullable"`
}

func (*describeUsers) ApiKey() protocol.ApiKey           { return protocol.DescribeUserScramCredentials }
func (*describeUsers) TypeKey() protocol.OverrideTypeKey { return anyBrokerKey }

func (a *admin) DescribeUserScramCredentials(ctx context.Context, users []string) ([]backend.UserScramCredentials, error) {
	m, err := a.tr.RoundTrip(ctx, a.tr.s.addr, &describeUsers{Users: backend.Convert(users, func(u string) describeuserscramcredentials.RequestUser {
		return describeuserscramcredentials.RequestUser{Name: u}
	})})
	if err != nil {
		return nil, err
	}
	resp := m.(*describeuserscramcredentials.Response)
	if err := protoErr(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return nil, err
	}
	return backend.Convert(resp.Results, func(r describeuserscramcredentials.ResponseResult) backend.UserScramCredentials {
		return backend.UserScramCredentials{User: r.User, Err: protoErr(r.ErrorCode, r.ErrorMessage), Credentials: backend.Convert(r.CredentialInfos, func(c describeuserscramcredentials.CredentialInfo) backend.ScramCredential {
			return backend.ScramCredential{Mechanism: backend.ScramMechanism(c.Mechanism), Iterations: c.Iterations}
		})}
	}), nil
}

// AlterUserScramCredentials sends the salted passwords the root computed,
// as kafka-go takes them.
func (a *admin) AlterUserScramCredentials(ctx context.Context, upsert []backend.ScramUpsertion, del []backend.ScramDeletion) error {
	resp, err := a.cl.AlterUserScramCredentials(ctx, &kafka.AlterUserScramCredentialsRequest{
		Upsertions: backend.Convert(upsert, func(u backend.ScramUpsertion) kafka.UserScramCredentialsUpsertion {
			return kafka.UserScramCredentialsUpsertion{Name: u.User, Mechanism: kafka.ScramMechanism(u.Mechanism), Iterations: int(u.Iterations), Salt: u.Salt, SaltedPassword: u.SaltedPassword}
		}),
		Deletions: backend.Convert(del, func(d backend.ScramDeletion) kafka.UserScramCredentialsDeletion {
			return kafka.UserScramCredentialsDeletion{Name: d.User, Mechanism: kafka.ScramMechanism(d.Mechanism)}
		}),
	})
	if err != nil {
		return err
	}
	for _, r := range resp.Results {
		if r.Error != nil {
			return backend.WithCode(codeOf(r.Error), fmt.Errorf("user %q: %w", r.User, r.Error))
		}
	}
	return nil
}
