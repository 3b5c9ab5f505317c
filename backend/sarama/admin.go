package sarama

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkaclient/kafkaclient/backend"
)

// admin is an Admin over a sarama.ClusterAdmin made from the conn's client
// on first use: making one looks up the controller, I/O that NewAdmin must
// not do.
type admin struct {
	conn *conn
	mu   sync.Mutex // held while the ClusterAdmin is made
	ca   sarama.ClusterAdmin
}

// The optional admin interfaces: all but the share groups' ones, which
// Sarama does not speak.
var (
	_ backend.PartitionCreator    = (*admin)(nil)
	_ backend.GroupDeleter        = (*admin)(nil)
	_ backend.OffsetLister        = (*admin)(nil)
	_ backend.GroupOffsetsAlterer = (*admin)(nil)
	_ backend.GroupOffsetsDeleter = (*admin)(nil)
	_ backend.RecordsDeleter      = (*admin)(nil)
	_ backend.ConfigManager       = (*admin)(nil)
	_ backend.ACLManager          = (*admin)(nil)
	_ backend.ScramManager        = (*admin)(nil)
	_ backend.Aser                = (*admin)(nil)
)

// NewAdmin opens the client, which makes no connection; the ClusterAdmin
// comes with the first call.
func (saramaBackend) NewAdmin(cfg backend.AdminConfig) (backend.Admin, error) {
	sc, err := newConfig(cfg.ClientConfig)
	if err != nil {
		return nil, err
	}
	c, err := dial(cfg.ClientConfig, sc)
	if err != nil {
		return nil, err
	}
	return &admin{conn: c}, nil
}

// cluster returns the ClusterAdmin, making it on first use.
func (a *admin) cluster() (sarama.ClusterAdmin, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ca == nil {
		ca, err := sarama.NewClusterAdminFromClient(a.conn.client)
		if err != nil {
			return nil, err
		}
		a.ca = ca
	}
	return a.ca, nil
}

// call runs fn on the ClusterAdmin within ctx. Sarama takes no context: a
// call still running when ctx ends finishes in the background, its answer
// dropped.
func call[T any](ctx context.Context, a *admin, fn func(sarama.ClusterAdmin) (T, error)) (T, error) {
	out := make(chan T, 1)
	err := backend.RunWithin(ctx, func() error {
		ca, err := a.cluster()
		if err != nil {
			return err
		}
		v, err := fn(ca)
		out <- v
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return <-out, nil
}

// do is call for a call without a value.
func (a *admin) do(ctx context.Context, fn func(sarama.ClusterAdmin) error) error {
	_, err := call(ctx, a, func(ca sarama.ClusterAdmin) (struct{}, error) { return struct{}{}, fn(ca) })
	return err
}

// kerr is the error of a code in an answer, with the broker's message when
// it gave one; Sarama's ErrNoError stands for success.
func kerr(code sarama.KError, msg *string) error {
	switch {
	case code == sarama.ErrNoError:
		return nil
	case msg != nil && *msg != "":
		return fmt.Errorf("%w: %s", code, *msg)
	}
	return code
}

// partErr names the partition in its error.
func partErr(topic string, partition int32, err error) error {
	return fmt.Errorf("%s/%d: %w", topic, partition, err)
}

// requestVersion is the newest of versions 0, 1 and 2 of a request (1 came
// with Kafka v1, 2 with v2) that the configured Kafka version speaks;
// Sarama lowers it further to what the broker serves.
func (a *admin) requestVersion(v1, v2 sarama.KafkaVersion) int16 {
	switch kv := a.conn.client.Config().Version; {
	case kv.IsAtLeast(v2):
		return 2
	case kv.IsAtLeast(v1):
		return 1
	}
	return 0
}

// perTopic runs fn for each topic, as Sarama's topic calls take one. The
// broker's answer is the topic's result; a failure to get one is the call's.
func perTopic(ctx context.Context, a *admin, topics []string, fn func(ca sarama.ClusterAdmin, i int) error) ([]backend.TopicResult, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.TopicResult, error) {
		out := make([]backend.TopicResult, len(topics))
		for i, t := range topics {
			var ke sarama.KError
			err := fn(ca, i)
			if err != nil && !errors.As(err, &ke) {
				return nil, err
			}
			out[i] = backend.TopicResult{Topic: t, Err: err}
		}
		return out, nil
	})
}

// CreateTopics sends one request per topic: Sarama's CreateTopic takes one.
func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	names := backend.Convert(specs, func(s backend.TopicSpec) string { return s.Name })
	return perTopic(ctx, a, names, func(ca sarama.ClusterAdmin, i int) error {
		s := specs[i]
		d := &sarama.TopicDetail{NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor, ConfigEntries: map[string]*string{}}
		for k, v := range s.Configs {
			d.ConfigEntries[k] = &v
		}
		return ca.CreateTopic(s.Name, d, false)
	})
}

// DeleteTopics likewise sends one request per topic.
func (a *admin) DeleteTopics(ctx context.Context, topics []string) ([]backend.TopicResult, error) {
	return perTopic(ctx, a, topics, func(ca sarama.ClusterAdmin, i int) error { return ca.DeleteTopic(topics[i]) })
}

// CreatePartitions gives no assignment: the broker places the new
// partitions.
func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	return a.do(ctx, func(ca sarama.ClusterAdmin) error { return ca.CreatePartitions(topic, total, nil, false) })
}

// DescribeTopics asks the controller, not the client's cache, so a topic
// just created or deleted is described as it is.
func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.TopicDescription, error) {
		md, err := ca.DescribeTopics(topics)
		if err != nil {
			return nil, err
		}
		var out []backend.TopicDescription
		for _, t := range md {
			if len(topics) == 0 && t.IsInternal {
				continue
			}
			d := backend.TopicDescription{Name: t.Name, Internal: t.IsInternal, Err: kerr(t.Err, nil)}
			for _, p := range t.Partitions {
				d.Partitions = append(d.Partitions, backend.PartitionInfo{ID: p.ID, Leader: p.Leader, Replicas: p.Replicas, ISR: p.Isr, Offline: p.OfflineReplicas})
			}
			out = append(out, d)
		}
		return out, nil
	})
}

// DescribeCluster sends Metadata itself, to the controller the ClusterAdmin
// has connected: Sarama's DescribeCluster drops the cluster id.
func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) (backend.ClusterDescription, error) {
		var d backend.ClusterDescription
		b, err := ca.Controller()
		if err != nil {
			return d, err
		}
		req := sarama.NewMetadataRequest(a.conn.client.Config().Version, nil)
		req.Topics = []string{} // no topic: only the brokers and the controller
		md, err := b.GetMetadata(req)
		if err != nil {
			return d, err
		}
		d.ControllerID = md.ControllerID
		if md.ClusterID != nil {
			d.ClusterID = *md.ClusterID
		}
		for _, br := range md.Brokers {
			host, port, err := net.SplitHostPort(br.Addr())
			if err != nil {
				return d, err
			}
			p, _ := strconv.Atoi(port)
			d.Brokers = append(d.Brokers, backend.BrokerInfo{ID: br.ID(), Host: host, Port: int32(p), Rack: br.Rack()})
		}
		return d, nil
	})
}

// ListConsumerGroups has no states: Sarama's listing keeps only the
// protocol type; the root describes the groups for them.
func (a *admin) ListConsumerGroups(ctx context.Context) ([]backend.GroupListing, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.GroupListing, error) {
		gs, err := ca.ListConsumerGroups()
		if err != nil {
			return nil, err
		}
		var out []backend.GroupListing
		for id, pt := range gs {
			out = append(out, backend.GroupListing{GroupID: id, State: backend.GroupStateUnknown, ProtocolType: pt})
		}
		return out, nil
	})
}

// DescribeConsumerGroups reports a Dead group, which Kafka answers for a
// group that does not exist, as GROUP_ID_NOT_FOUND.
func (a *admin) DescribeConsumerGroups(ctx context.Context, groups []string) ([]backend.GroupDescription, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.GroupDescription, error) {
		ds, err := ca.DescribeConsumerGroups(groups)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*sarama.GroupDescription, len(ds))
		for _, d := range ds {
			byID[d.GroupId] = d
		}
		out := make([]backend.GroupDescription, len(groups))
		for i, g := range groups {
			out[i] = backend.GroupDescription{GroupID: g, Coordinator: -1}
			d := byID[g]
			switch {
			case d == nil:
				out[i].Err = sarama.ErrGroupIDNotFound
				continue
			case d.Err != sarama.ErrNoError:
				out[i].Err = d.Err
				continue
			case d.State == "Dead":
				out[i].State, out[i].Err = backend.GroupStateDead, sarama.ErrGroupIDNotFound
				continue
			}
			out[i].State, out[i].Protocol = backend.ParseGroupState(d.State), d.Protocol
			if b, err := ca.Coordinator(g); err == nil {
				out[i].Coordinator = b.ID()
			}
			for _, id := range slices.Sorted(maps.Keys(d.Members)) {
				m := d.Members[id]
				md := backend.MemberDescription{MemberID: m.MemberId, ClientID: m.ClientId, Host: m.ClientHost}
				if m.GroupInstanceId != nil {
					md.GroupInstanceID = *m.GroupInstanceId
				}
				if as, err := m.GetMemberAssignment(); err == nil && as != nil && (d.ProtocolType == "consumer" || d.ProtocolType == "") {
					for _, t := range slices.Sorted(maps.Keys(as.Topics)) {
						for _, p := range as.Topics[t] {
							md.Assignment = append(md.Assignment, backend.TopicPartition{Topic: t, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1})
						}
					}
				}
				out[i].Members = append(out[i].Members, md)
			}
		}
		return out, nil
	})
}

// ListConsumerGroupOffsets leaves out the partitions without a commit,
// which the coordinator answers with offset -1.
func (a *admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]backend.TopicPartition, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.TopicPartition, error) {
		resp, err := ca.ListConsumerGroupOffsets(group, nil)
		if err != nil {
			return nil, err
		}
		blocks := resp.Blocks
		if g := resp.GetGroup(group); g != nil { // version 8 and later
			blocks = g.Blocks
		}
		var out []backend.TopicPartition
		for t, ps := range blocks {
			for p, b := range ps {
				if err := kerr(b.Err, nil); err != nil {
					return nil, partErr(t, p, err)
				}
				epoch := b.LeaderEpoch
				if resp.Version < 5 {
					epoch = -1
				}
				if b.Offset >= 0 { // -1: no commit
					out = append(out, backend.TopicPartition{Topic: t, Partition: p, Offset: b.Offset, Metadata: b.Metadata, LeaderEpoch: epoch})
				}
			}
		}
		return out, nil
	})
}

// DeleteConsumerGroups sends one request per group, as Sarama's call takes
// one, and names each group it could not delete.
func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	return a.do(ctx, func(ca sarama.ClusterAdmin) error {
		var errs []error
		for _, g := range groups {
			if err := ca.DeleteConsumerGroup(g); err != nil {
				errs = append(errs, fmt.Errorf("group %q: %w", g, err))
			}
		}
		return errors.Join(errs...)
	})
}

// ListOffsets answers at read_uncommitted isolation.
func (a *admin) ListOffsets(ctx context.Context, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	return a.listOffsets(ctx, sarama.ReadUncommitted, reqs)
}

// listOffsets cannot ask for the largest timestamp: that needs ListOffsets
// version 7, and Sarama speaks up to 6. A consumer uses it too, with its
// isolation level.
func (a *admin) listOffsets(ctx context.Context, isolation sarama.IsolationLevel, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	q := map[string]map[int32]int64{}
	for _, r := range reqs {
		if r.Query == backend.OffsetQueryMaxTimestamp {
			return nil, backend.Unsupported(Name, "the largest-timestamp offset query (ListOffsets v7; Sarama speaks up to v6)")
		}
		if q[r.Topic] == nil {
			q[r.Topic] = map[int32]int64{}
		}
		q[r.Topic][r.Partition] = r.Query
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.ListedOffset, error) {
		res, err := ca.ListOffsets(q, &sarama.ListOffsetsOptions{IsolationLevel: isolation})
		if err != nil {
			return nil, err
		}
		var out []backend.ListedOffset
		for _, r := range reqs {
			o := res[r.Topic][r.Partition]
			if o == nil {
				continue
			}
			l := backend.ListedOffset{Topic: r.Topic, Partition: r.Partition, Offset: o.Offset, LeaderEpoch: o.LeaderEpoch, Err: o.Err}
			if errors.Is(o.Err, sarama.ErrNoError) {
				l.Err = nil
			}
			if r.Query >= 0 && o.Offset >= 0 && o.Timestamp >= 0 {
				l.Timestamp = time.UnixMilli(o.Timestamp)
			}
			out = append(out, l)
		}
		a.refreshLeaders(out)
		return out, nil
	})
}

// leaderMoved are the answers after which the client's cached leader of a
// partition is stale.
var leaderMoved = []sarama.KError{sarama.ErrNotLeaderForPartition, sarama.ErrLeaderNotAvailable, sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch}

// refreshLeaders refreshes the metadata of the topics whose partitions
// answered that their leader moved: Sarama keeps its cached leaders, so the
// root's next attempt would ask the old one again.
func (a *admin) refreshLeaders(ls []backend.ListedOffset) {
	var topics []string
	for _, l := range ls {
		var ke sarama.KError
		if errors.As(l.Err, &ke) && slices.Contains(leaderMoved, ke) {
			topics = append(topics, l.Topic)
		}
	}
	if len(topics) > 0 {
		a.conn.client.RefreshMetadata(topics...) //nolint:errcheck // the next attempt reports what fails
	}
}

// firstPartErr returns the first partition's error of errs, naming it.
func firstPartErr(errs map[string]map[int32]sarama.KError) error {
	for _, t := range slices.Sorted(maps.Keys(errs)) {
		for _, p := range slices.Sorted(maps.Keys(errs[t])) {
			if err := kerr(errs[t][p], nil); err != nil {
				return partErr(t, p, err)
			}
		}
	}
	return nil
}

// AlterConsumerGroupOffsets commits from outside the group, with generation
// -1: Kafka takes such commits for a group without members.
func (a *admin) AlterConsumerGroupOffsets(ctx context.Context, group string, offsets []backend.TopicPartition) error {
	m := map[string]map[int32]sarama.OffsetAndMetadata{}
	for _, o := range offsets {
		if m[o.Topic] == nil {
			m[o.Topic] = map[int32]sarama.OffsetAndMetadata{}
		}
		m[o.Topic][o.Partition] = sarama.OffsetAndMetadata{Offset: o.Offset, Metadata: o.Metadata, LeaderEpoch: o.LeaderEpoch}
	}
	return a.do(ctx, func(ca sarama.ClusterAdmin) error {
		resp, err := ca.AlterConsumerGroupOffsets(group, m, nil)
		if err != nil {
			return err
		}
		return firstPartErr(resp.Errors)
	})
}

// DeleteConsumerGroupOffsets sends one request per partition, as Sarama's
// call takes one.
func (a *admin) DeleteConsumerGroupOffsets(ctx context.Context, group string, partitions []backend.TopicPartition) error {
	return a.do(ctx, func(ca sarama.ClusterAdmin) error {
		for _, p := range partitions {
			if err := ca.DeleteConsumerGroupOffset(group, p.Topic, p.Partition); err != nil {
				return partErr(p.Topic, p.Partition, err)
			}
		}
		return nil
	})
}

// DeleteRecords sends DeleteRecords to each partition's leader itself:
// Sarama's call answers one error for all partitions and no log start
// offset.
func (a *admin) DeleteRecords(ctx context.Context, before []backend.TopicPartition) ([]backend.ListedOffset, error) {
	return call(ctx, a, func(sarama.ClusterAdmin) ([]backend.ListedOffset, error) {
		cl := a.conn.client
		out := make([]backend.ListedOffset, len(before))
		byLeader := map[*sarama.Broker][]int{}
		for i, b := range before {
			out[i] = backend.ListedOffset{Topic: b.Topic, Partition: b.Partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1}
			leader, err := cl.Leader(b.Topic, b.Partition)
			if err != nil {
				out[i].Err = err
				continue
			}
			byLeader[leader] = append(byLeader[leader], i)
		}
		for leader, is := range byLeader {
			req := &sarama.DeleteRecordsRequest{Version: a.requestVersion(sarama.V2_0_0_0, sarama.V2_6_0_0),
				Topics: map[string]*sarama.DeleteRecordsRequestTopic{}, Timeout: cl.Config().Admin.Timeout}
			for _, i := range is {
				b := before[i]
				if req.Topics[b.Topic] == nil {
					req.Topics[b.Topic] = &sarama.DeleteRecordsRequestTopic{PartitionOffsets: map[int32]int64{}}
				}
				req.Topics[b.Topic].PartitionOffsets[b.Partition] = b.Offset // -1: the high watermark
			}
			resp, err := leader.DeleteRecords(req)
			for _, i := range is {
				var p *sarama.DeleteRecordsResponsePartition
				if err == nil && resp.Topics[out[i].Topic] != nil {
					p = resp.Topics[out[i].Topic].Partitions[out[i].Partition]
				}
				switch {
				case err != nil:
					out[i].Err = err
				case p == nil:
					out[i].Err = sarama.ErrIncompleteResponse
				default:
					out[i].Offset, out[i].Err = p.LowWatermark, kerr(p.Err, nil)
				}
			}
		}
		a.refreshLeaders(out)
		return out, nil
	})
}

// DescribeConfigs hides sensitive values, which the broker already sends as
// null; Sarama sends a broker's resource to that broker.
func (a *admin) DescribeConfigs(ctx context.Context, resources []backend.ConfigResource) ([]backend.ResourceConfigs, error) {
	rs := backend.Convert(resources, func(r backend.ConfigResource) *sarama.ConfigResource {
		return &sarama.ConfigResource{Type: sarama.ConfigResourceType(r.Type), Name: r.Name}
	})
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.ResourceConfigs, error) {
		res, err := ca.DescribeConfigs(rs, sarama.DescribeConfigsOptions{})
		if err != nil {
			return nil, err
		}
		return backend.Convert(res, func(r *sarama.ConfigResourceResult) backend.ResourceConfigs {
			return backend.ResourceConfigs{
				Resource: backend.ConfigResource{Type: backend.ConfigResourceType(r.Type), Name: r.Name},
				Err:      kerr(r.ErrorCode, &r.ErrorMsg),
				Configs: backend.Convert(r.Configs, func(c sarama.ConfigEntry) backend.ConfigEntry {
					if c.Sensitive {
						c.Value = ""
					}
					return backend.ConfigEntry{Name: c.Name, Value: c.Value, Source: backend.ConfigSource(c.Source), ReadOnly: c.ReadOnly, Sensitive: c.Sensitive}
				}),
			}
		}), nil
	})
}

// AlterConfigs sends IncrementalAlterConfigs, which Sarama sends a broker's
// resource to that broker; a deletion's value is null.
func (a *admin) AlterConfigs(ctx context.Context, r backend.ConfigResource, alts []backend.ConfigAlteration) error {
	entries := make(map[string]sarama.IncrementalAlterConfigsEntry, len(alts))
	for _, alt := range alts {
		e := sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperation(alt.Op)}
		if alt.Op != backend.ConfigOpDelete {
			e.Value = &alt.Value
		}
		entries[alt.Name] = e
	}
	return a.do(ctx, func(ca sarama.ClusterAdmin) error {
		return ca.IncrementalAlterConfig(sarama.ConfigResourceType(r.Type), r.Name, entries, false)
	})
}

// orNil returns &s, or nil (any, in an ACL filter) for "".
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// aclFilter is f as Sarama's filter; the enums are Kafka's numbers on both
// sides.
func aclFilter(f backend.ACL) sarama.AclFilter {
	return sarama.AclFilter{ResourceType: sarama.AclResourceType(f.ResourceType), ResourceName: orNil(f.ResourceName),
		ResourcePatternTypeFilter: sarama.AclResourcePatternType(f.Pattern), Principal: orNil(f.Principal), Host: orNil(f.Host),
		Operation: sarama.AclOperation(f.Operation), PermissionType: sarama.AclPermissionType(f.Permission)}
}

// fromSarama is Sarama's ACL binding as ours.
func fromSarama(r sarama.Resource, acl sarama.Acl) backend.ACL {
	return backend.ACL{ResourceType: backend.ACLResourceType(r.ResourceType), ResourceName: r.ResourceName, Pattern: backend.ACLPattern(r.ResourcePatternType),
		Principal: acl.Principal, Host: acl.Host, Operation: backend.ACLOperation(acl.Operation), Permission: backend.ACLPermission(acl.PermissionType)}
}

// CreateACLs sends CreateAcls itself: Sarama's call drops each ACL's
// answer.
func (a *admin) CreateACLs(ctx context.Context, acls []backend.ACL) ([]error, error) {
	req := &sarama.CreateAclsRequest{Version: a.requestVersion(sarama.V2_0_0_0, sarama.V2_5_0_0),
		AclCreations: backend.Convert(acls, func(x backend.ACL) *sarama.AclCreation {
			return &sarama.AclCreation{
				Resource: sarama.Resource{ResourceType: sarama.AclResourceType(x.ResourceType), ResourceName: x.ResourceName, ResourcePatternType: sarama.AclResourcePatternType(x.Pattern)},
				Acl:      sarama.Acl{Principal: x.Principal, Host: x.Host, Operation: sarama.AclOperation(x.Operation), PermissionType: sarama.AclPermissionType(x.Permission)},
			}
		})}
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]error, error) {
		b, err := ca.Controller()
		if err != nil {
			return nil, err
		}
		resp, err := b.CreateAcls(req)
		if err != nil {
			return nil, err
		}
		if len(resp.AclCreationResponses) != len(acls) {
			return nil, backend.Errorf(backend.CodeFailed, "CreateAcls answered %d results for %d ACLs", len(resp.AclCreationResponses), len(acls))
		}
		return backend.Convert(resp.AclCreationResponses, func(r *sarama.AclCreationResponse) error { return kerr(r.Err, r.ErrMsg) }), nil
	})
}

// DescribeACLs converts by cast: both sides number the enums as Kafka does.
func (a *admin) DescribeACLs(ctx context.Context, filter backend.ACL) ([]backend.ACL, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.ACL, error) {
		rs, err := ca.ListAcls(aclFilter(filter))
		if err != nil {
			return nil, err
		}
		var out []backend.ACL
		for _, r := range rs {
			for _, acl := range r.Acls {
				out = append(out, fromSarama(r.Resource, *acl))
			}
		}
		return out, nil
	})
}

// DeleteACLs sends one request per filter, as Sarama's call takes one.
func (a *admin) DeleteACLs(ctx context.Context, filters []backend.ACL) ([]backend.ACL, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.ACL, error) {
		var out []backend.ACL
		for _, f := range filters {
			ms, err := ca.DeleteACL(aclFilter(f), false)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if err := kerr(m.Err, m.ErrMsg); err != nil {
					return nil, err
				}
				out = append(out, fromSarama(m.Resource, m.Acl))
			}
		}
		return out, nil
	})
}

// DescribeUserScramCredentials sends an empty list for every user, which
// Kafka reads as every user (the embedded test broker as none).
func (a *admin) DescribeUserScramCredentials(ctx context.Context, users []string) ([]backend.UserScramCredentials, error) {
	return call(ctx, a, func(ca sarama.ClusterAdmin) ([]backend.UserScramCredentials, error) {
		rs, err := ca.DescribeUserScramCredentials(users)
		if err != nil {
			return nil, err
		}
		return backend.Convert(rs, func(r *sarama.DescribeUserScramCredentialsResult) backend.UserScramCredentials {
			return backend.UserScramCredentials{User: r.User, Err: kerr(r.ErrorCode, r.ErrorMessage),
				Credentials: backend.Convert(r.CredentialInfos, func(c *sarama.UserScramCredentialsResponseInfo) backend.ScramCredential {
					return backend.ScramCredential{Mechanism: backend.ScramMechanism(c.Mechanism), Iterations: c.Iterations}
				})}
		}), nil
	})
}

// AlterUserScramCredentials sends the password and salt: Sarama salts the
// password itself and takes no salted one. Its ClusterAdmin sends
// upsertions and deletions in separate requests.
func (a *admin) AlterUserScramCredentials(ctx context.Context, upsert []backend.ScramUpsertion, del []backend.ScramDeletion) error {
	up := backend.Convert(upsert, func(u backend.ScramUpsertion) sarama.AlterUserScramCredentialsUpsert {
		return sarama.AlterUserScramCredentialsUpsert{Name: u.User, Mechanism: sarama.ScramMechanismType(u.Mechanism), Iterations: u.Iterations, Salt: u.Salt, Password: []byte(u.Password)}
	})
	dl := backend.Convert(del, func(d backend.ScramDeletion) sarama.AlterUserScramCredentialsDelete {
		return sarama.AlterUserScramCredentialsDelete{Name: d.User, Mechanism: sarama.ScramMechanismType(d.Mechanism)}
	})
	return a.do(ctx, func(ca sarama.ClusterAdmin) error {
		var err error
		if len(up) > 0 {
			err = userErr(ca.UpsertUserScramCredentials(up))
		}
		if err == nil && len(dl) > 0 {
			err = userErr(ca.DeleteUserScramCredentials(dl))
		}
		return err
	})
}

// userErr returns err, or else the first user's error, naming the user.
func userErr(rs []*sarama.AlterUserScramCredentialsResult, err error) error {
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := kerr(r.ErrorCode, r.ErrorMessage); err != nil {
			return fmt.Errorf("user %q: %w", r.User, err)
		}
	}
	return nil
}

// Close closes the client, which is also the ClusterAdmin's.
func (a *admin) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error { a.conn.close(); return nil })
}

// As reaches the client and the ClusterAdmin. Asked for the ClusterAdmin
// before a call has made it, As makes it, which looks up the controller,
// and reports false when that fails.
func (a *admin) As(target any) bool {
	if _, ok := target.(*sarama.ClusterAdmin); ok {
		ca, err := a.cluster()
		return err == nil && backend.SetAs(target, ca)
	}
	return backend.SetAs(target, a.conn.client)
}
