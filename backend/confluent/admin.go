//go:build cgo

package confluent

import (
	"context"
	"errors"
	"fmt"
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

func (a *admin) DescribeConfigs(ctx context.Context, resources []backend.ConfigResource) ([]backend.ResourceConfigs, error) {
	// librdkafka sends a broker's resource to that broker, so it takes one
	// per call: the topics go in one call, each broker in one of its own.
	var calls [][]kafka.ConfigResource
	var topics []kafka.ConfigResource
	for _, r := range resources {
		kr, err := kafkaResource(r)
		switch {
		case err != nil:
			return nil, err
		case r.Type == backend.ConfigResourceBroker:
			calls = append(calls, []kafka.ConfigResource{kr})
		default:
			topics = append(topics, kr)
		}
	}
	if len(topics) > 0 {
		calls = append(calls, topics)
	}
	var out []backend.ResourceConfigs
	for _, krs := range calls {
		res, err := use(ctx, a, func(ctx context.Context) ([]kafka.ConfigResourceResult, error) { return a.ka.DescribeConfigs(ctx, krs) })
		if err != nil {
			return nil, err
		}
		out = append(out, backend.Convert(res, resourceConfigs)...)
	}
	return out, nil
}

// kafkaResource converts r for librdkafka, whose topic and broker resource
// types have Kafka's numbers (its group type does not). librdkafka refuses
// an empty name, so it cannot reach the cluster-wide broker defaults.
func kafkaResource(r backend.ConfigResource) (kafka.ConfigResource, error) {
	if r.Name == "" {
		return kafka.ConfigResource{}, backend.Unsupported(Name, "the cluster-wide broker configs (librdkafka needs a broker id)")
	}
	t := kafka.ResourceType(r.Type)
	if r.Type == backend.ConfigResourceGroup {
		t = kafka.ResourceGroup // librdkafka's own number; it sends Kafka's
	}
	return kafka.ConfigResource{Type: t, Name: r.Name}, nil
}

// resourceConfigs converts one resource's configs. librdkafka passes the
// source on as the broker sent it, in Kafka's numbers, and a sensitive
// config's value as the broker's null, "".
func resourceConfigs(r kafka.ConfigResourceResult) backend.ResourceConfigs {
	t := backend.ConfigResourceType(r.Type)
	if r.Type == kafka.ResourceGroup {
		t = backend.ConfigResourceGroup
	}
	rc := backend.ResourceConfigs{Resource: backend.ConfigResource{Type: t, Name: r.Name}, Err: errOrNil(r.Error)}
	for _, e := range r.Config {
		rc.Configs = append(rc.Configs, backend.ConfigEntry{Name: e.Name, Value: e.Value, Source: backend.ConfigSource(e.Source), ReadOnly: e.IsReadOnly, Sensitive: e.IsSensitive})
	}
	return rc
}

func (a *admin) AlterConfigs(ctx context.Context, resource backend.ConfigResource, alts []backend.ConfigAlteration) error {
	kr, err := kafkaResource(resource)
	if err != nil {
		return err
	}
	// The operations have Kafka's numbers in both.
	kr.Config = backend.Convert(alts, func(c backend.ConfigAlteration) kafka.ConfigEntry {
		return kafka.ConfigEntry{Name: c.Name, Value: c.Value, IncrementalOperation: kafka.AlterConfigOpType(c.Op)}
	})
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.ConfigResourceResult, error) {
		return a.ka.IncrementalAlterConfigs(ctx, []kafka.ConfigResource{kr})
	})
	return firstErr(res, err, func(r kafka.ConfigResourceResult) error { return errOrNil(r.Error) })
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
	return use(ctx, a, func(ctx context.Context) ([]backend.TopicPartition, error) {
		return groupOffsets(ctx, a.ka, group, nil, false)
	})
}

// groupOffsets returns group's committed offsets of tps (of every
// partition with one when tps is empty), leaving out partitions with none.
// With stable, offsets a transaction is still committing are waited for
// (KIP-447), as a read_committed member starts from stable offsets.
func groupOffsets(ctx context.Context, ka *kafka.AdminClient, group string, tps []kafka.TopicPartition, stable bool) ([]backend.TopicPartition, error) {
	for {
		out, err := listGroupOffsets(ctx, ka, group, tps, stable)
		var kerr kafka.Error
		if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrUnstableOffsetCommit {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func listGroupOffsets(ctx context.Context, ka *kafka.AdminClient, group string, tps []kafka.TopicPartition, stable bool) ([]backend.TopicPartition, error) {
	res, err := ka.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: tps}}, kafka.SetAdminRequireStableOffsets(stable))
	if err != nil {
		return nil, err
	}
	var out []backend.TopicPartition
	for _, g := range res.ConsumerGroupsTopicPartitions {
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
	_, err := use(ctx, a, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, commitGenerationless(ctx, a.ka, group, toKafkaTP(offsets))
	})
	return err
}

// commitGenerationless commits offsets for group as a client outside the
// group does, and returns the first partition's error.
func commitGenerationless(ctx context.Context, ka *kafka.AdminClient, group string, offsets []kafka.TopicPartition) error {
	res, err := ka.AlterConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group, Partitions: offsets}})
	for i := 0; err == nil && i < len(res.ConsumerGroupsTopicPartitions); i++ {
		err = firstErr(res.ConsumerGroupsTopicPartitions[i].Partitions, nil, tpError)
	}
	return err
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

func (a *admin) CreateACLs(ctx context.Context, acls []backend.ACL) ([]error, error) {
	ks, err := kafkaACLs(acls)
	if err != nil {
		return nil, err
	}
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.CreateACLResult, error) { return a.ka.CreateACLs(ctx, ks) })
	return backend.Convert(res, func(r kafka.CreateACLResult) error { return errOrNil(r.Error) }), err
}

func (a *admin) DescribeACLs(ctx context.Context, filter backend.ACL) ([]backend.ACL, error) {
	ks, err := kafkaACLs([]backend.ACL{filter})
	if err != nil {
		return nil, err
	}
	res, err := use(ctx, a, func(ctx context.Context) (*kafka.DescribeACLsResult, error) { return a.ka.DescribeACLs(ctx, ks[0]) })
	switch {
	case err != nil:
		return nil, err
	case isErr(res.Error):
		return nil, res.Error
	}
	return backend.Convert(res.ACLBindings, fromKafkaACL), nil
}

func (a *admin) DeleteACLs(ctx context.Context, filters []backend.ACL) ([]backend.ACL, error) {
	ks, err := kafkaACLs(filters)
	if err != nil {
		return nil, err
	}
	res, err := use(ctx, a, func(ctx context.Context) ([]kafka.DeleteACLsResult, error) {
		return a.ka.DeleteACLs(ctx, kafka.ACLBindingFilters(ks))
	})
	if err := firstErr(res, err, func(r kafka.DeleteACLsResult) error { return errOrNil(r.Error) }); err != nil {
		return nil, err
	}
	var out []backend.ACL
	for _, r := range res {
		out = append(out, backend.Convert(r.ACLBindings, fromKafkaACL)...)
	}
	return out, nil
}

// kafkaACLs converts ACLs, or filters, for librdkafka. Its enums have
// Kafka's numbers (its BROKER resource type is Kafka's CLUSTER, 4) but end
// at TRANSACTIONAL_ID and IDEMPOTENT_WRITE: it refuses the delegation
// token and user resource types and the token operations. A filter's ""
// goes as null, which matches any value.
func kafkaACLs(acls []backend.ACL) (kafka.ACLBindings, error) {
	out := make(kafka.ACLBindings, len(acls))
	for i, acl := range acls {
		if acl.ResourceType > backend.ACLResourceTransactionalID || acl.Operation > backend.ACLOperationIdempotentWrite {
			return nil, backend.Unsupported(Name, fmt.Sprintf("ACL resource type %s or operation %s (librdkafka knows neither)", acl.ResourceType, acl.Operation))
		}
		out[i] = kafka.ACLBinding{
			Type: kafka.ResourceType(acl.ResourceType), Name: acl.ResourceName, ResourcePatternType: kafka.ResourcePatternType(acl.Pattern),
			Principal: acl.Principal, Host: acl.Host, Operation: kafka.ACLOperation(acl.Operation), PermissionType: kafka.ACLPermissionType(acl.Permission),
		}
	}
	return out, nil
}

// fromKafkaACL converts an ACL librdkafka answered. A resource type or
// operation librdkafka does not know comes as 0.
func fromKafkaACL(b kafka.ACLBinding) backend.ACL {
	return backend.ACL{
		ResourceType: backend.ACLResourceType(b.Type), ResourceName: b.Name, Pattern: backend.ACLPattern(b.ResourcePatternType),
		Principal: b.Principal, Host: b.Host, Operation: backend.ACLOperation(b.Operation), Permission: backend.ACLPermission(b.PermissionType),
	}
}

func (a *admin) DescribeUserScramCredentials(ctx context.Context, users []string) ([]backend.UserScramCredentials, error) {
	res, err := use(ctx, a, func(ctx context.Context) (kafka.DescribeUserScramCredentialsResult, error) {
		return a.ka.DescribeUserScramCredentials(ctx, users)
	})
	if err != nil {
		return nil, err
	}
	out := make([]backend.UserScramCredentials, 0, len(res.Descriptions))
	for user, d := range res.Descriptions {
		u := backend.UserScramCredentials{User: user, Err: errOrNil(d.Error)}
		for _, c := range d.ScramCredentialInfos {
			// The mechanisms have Kafka's numbers in both.
			u.Credentials = append(u.Credentials, backend.ScramCredential{Mechanism: backend.ScramMechanism(c.Mechanism), Iterations: int32(c.Iterations)})
		}
		out = append(out, u)
	}
	return out, nil
}

func (a *admin) AlterUserScramCredentials(ctx context.Context, upsert []backend.ScramUpsertion, del []backend.ScramDeletion) error {
	// librdkafka salts the password itself, with the salt the root chose.
	// The root refuses an empty password, whose first byte
	// confluent-kafka-go would index.
	ups := backend.Convert(upsert, func(u backend.ScramUpsertion) kafka.UserScramCredentialUpsertion {
		return kafka.UserScramCredentialUpsertion{User: u.User, Password: []byte(u.Password), Salt: u.Salt,
			ScramCredentialInfo: kafka.ScramCredentialInfo{Mechanism: kafka.ScramMechanism(u.Mechanism), Iterations: int(u.Iterations)}}
	})
	dels := backend.Convert(del, func(d backend.ScramDeletion) kafka.UserScramCredentialDeletion {
		return kafka.UserScramCredentialDeletion{User: d.User, Mechanism: kafka.ScramMechanism(d.Mechanism)}
	})
	res, err := use(ctx, a, func(ctx context.Context) (kafka.AlterUserScramCredentialsResult, error) {
		return a.ka.AlterUserScramCredentials(ctx, ups, dels)
	})
	if err != nil {
		return err
	}
	for _, user := range slices.Sorted(maps.Keys(res.Errors)) {
		if e := res.Errors[user]; isErr(e) {
			return backend.WithCode(confluentBackend{}.Code(e), fmt.Errorf("user %q: %w", user, e))
		}
	}
	return nil
}
