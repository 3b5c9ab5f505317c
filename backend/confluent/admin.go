//go:build cgo

package confluent

import (
	"context"
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

	// life guards ka against use after it is destroyed.
	life      sync.RWMutex
	destroyed bool

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
		if !ok || (e.Code() != kafka.ErrAuthentication && e.Code() != kafka.ErrSsl) {
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
// TLS error cancels: the call then fails with that error.
func (a *admin) use(ctx context.Context, fn func(ctx context.Context) error) error {
	if !a.life.TryRLock() {
		return backend.Errorf(backend.CodeClosed, "admin is closed")
	}
	if a.destroyed {
		a.life.RUnlock()
		return backend.Errorf(backend.CodeClosed, "admin is closed")
	}
	cctx, cancel := context.WithCancelCause(ctx)
	a.mu.Lock()
	if a.refused != nil && time.Since(a.refusedAt) < refusedFor {
		err := a.refused
		a.mu.Unlock()
		a.life.RUnlock()
		cancel(nil)
		return err
	}
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
	done := make(chan error, 1)
	go func() {
		defer a.life.RUnlock()
		done <- fn(cctx)
	}()
	select {
	case err := <-done:
		if err == nil {
			a.mu.Lock()
			a.refused = nil
			a.mu.Unlock()
			return nil
		}
		if cctx.Err() == nil || ctx.Err() != nil {
			return err
		}
	case <-cctx.Done():
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return context.Cause(cctx) // an authentication or TLS error
}

func (a *admin) CreateTopics(ctx context.Context, specs []backend.TopicSpec) ([]backend.TopicResult, error) {
	ks := make([]kafka.TopicSpecification, len(specs))
	for i, s := range specs {
		ks[i] = kafka.TopicSpecification{Topic: s.Name, NumPartitions: -1, ReplicationFactor: -1, Config: s.Configs}
		if s.Partitions > 0 {
			ks[i].NumPartitions = int(s.Partitions)
		}
		if s.ReplicationFactor > 0 {
			ks[i].ReplicationFactor = int(s.ReplicationFactor)
		}
	}
	var res []kafka.TopicResult
	err := a.use(ctx, func(ctx context.Context) (err error) {
		res, err = a.ka.CreateTopics(ctx, ks)
		return err
	})
	if err != nil {
		return nil, err
	}
	return topicResults(specNames(specs), res), nil
}

func specNames(specs []backend.TopicSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

// topicResults orders results as names.
func topicResults(names []string, res []kafka.TopicResult) []backend.TopicResult {
	byName := make(map[string]kafka.TopicResult, len(res))
	for _, r := range res {
		byName[r.Topic] = r
	}
	out := make([]backend.TopicResult, len(names))
	for i, n := range names {
		out[i] = backend.TopicResult{Topic: n}
		if r, ok := byName[n]; ok {
			out[i].Err = errOrNil(r.Error)
		}
	}
	return out
}

func (a *admin) DeleteTopics(ctx context.Context, topics []string) ([]backend.TopicResult, error) {
	var res []kafka.TopicResult
	err := a.use(ctx, func(ctx context.Context) (err error) {
		res, err = a.ka.DeleteTopics(ctx, topics)
		return err
	})
	if err != nil {
		return nil, err
	}
	return topicResults(topics, res), nil
}

func (a *admin) CreatePartitions(ctx context.Context, topic string, total int32) error {
	return a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.CreatePartitions(ctx, []kafka.PartitionsSpecification{{Topic: topic, IncreaseTo: int(total)}})
		if err != nil {
			return err
		}
		for _, r := range res {
			if isErr(r.Error) {
				return r.Error
			}
		}
		return nil
	})
}

func (a *admin) DescribeTopics(ctx context.Context, topics []string) ([]backend.TopicDescription, error) {
	var out []backend.TopicDescription
	err := a.use(ctx, func(ctx context.Context) error {
		names := topics
		if len(names) == 0 {
			md, err := a.ka.GetMetadata(nil, true, timeoutMs(ctx, a.cfg.RequestTimeout))
			if err != nil || len(md.Topics) == 0 {
				return err
			}
			for name := range md.Topics {
				names = append(names, name)
			}
		}
		res, err := a.ka.DescribeTopics(ctx, kafka.NewTopicCollectionOfTopicNames(names))
		if err != nil {
			return err
		}
		for _, td := range res.TopicDescriptions {
			d := backend.TopicDescription{Name: td.Name, Internal: td.IsInternal, Err: errOrNil(td.Error)}
			for _, p := range td.Partitions {
				pi := backend.PartitionInfo{ID: int32(p.Partition), Leader: -1, Replicas: nodeIDs(p.Replicas), ISR: nodeIDs(p.Isr)}
				if p.Leader != nil {
					pi.Leader = int32(p.Leader.ID)
				}
				d.Partitions = append(d.Partitions, pi)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

func nodeIDs(ns []kafka.Node) []int32 {
	out := make([]int32, len(ns))
	for i, n := range ns {
		out[i] = int32(n.ID)
	}
	return out
}

func (a *admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	var out map[string]string
	err := a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.DescribeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: topic}})
		if err != nil {
			return err
		}
		if len(res) != 1 {
			return backend.Errorf(backend.CodeFailed, "DescribeConfigs returned %d results for one topic", len(res))
		}
		if isErr(res[0].Error) {
			return res[0].Error
		}
		out = make(map[string]string, len(res[0].Config))
		for k, e := range res[0].Config {
			out[k] = e.Value
		}
		return nil
	})
	return out, err
}

func (a *admin) DescribeCluster(ctx context.Context) (backend.ClusterDescription, error) {
	var d backend.ClusterDescription
	err := a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.DescribeCluster(ctx)
		if err != nil {
			return err
		}
		d.ControllerID = -1
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
		return nil
	})
	return d, err
}

// groupStates maps librdkafka's group states; others are Unknown.
var groupStates = map[kafka.ConsumerGroupState]backend.GroupState{
	kafka.ConsumerGroupStateStable:              backend.GroupStateStable,
	kafka.ConsumerGroupStateEmpty:               backend.GroupStateEmpty,
	kafka.ConsumerGroupStatePreparingRebalance:  backend.GroupStatePreparingRebalance,
	kafka.ConsumerGroupStateCompletingRebalance: backend.GroupStateCompletingRebalance,
	kafka.ConsumerGroupStateDead:                backend.GroupStateDead,
}

func groupState(s kafka.ConsumerGroupState) backend.GroupState {
	if gs, ok := groupStates[s]; ok {
		return gs
	}
	return backend.GroupStateUnknown
}

func (a *admin) ListConsumerGroups(ctx context.Context) ([]backend.GroupListing, error) {
	var out []backend.GroupListing
	err := a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.ListConsumerGroups(ctx)
		if err != nil {
			return err
		}
		if len(res.Valid) == 0 && len(res.Errors) > 0 {
			return res.Errors[0]
		}
		out = make([]backend.GroupListing, 0, len(res.Valid))
		for _, g := range res.Valid {
			l := backend.GroupListing{GroupID: g.GroupID, State: groupState(g.State), ProtocolType: "consumer"}
			if g.IsSimpleConsumerGroup {
				l.ProtocolType = ""
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

func (a *admin) DescribeConsumerGroups(ctx context.Context, groups []string) ([]backend.GroupDescription, error) {
	var out []backend.GroupDescription
	err := a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.DescribeConsumerGroups(ctx, groups)
		if err != nil {
			return err
		}
		byID := make(map[string]kafka.ConsumerGroupDescription, len(res.ConsumerGroupDescriptions))
		for _, d := range res.ConsumerGroupDescriptions {
			byID[d.GroupID] = d
		}
		out = make([]backend.GroupDescription, len(groups))
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
			for _, m := range d.Members {
				md := backend.MemberDescription{MemberID: m.ConsumerID, GroupInstanceID: m.GroupInstanceID, ClientID: m.ClientID, Host: m.Host}
				for _, tp := range m.Assignment.TopicPartitions {
					t := fromKafkaTP(tp)
					t.Offset = backend.OffsetInvalid
					md.Assignment = append(md.Assignment, t)
				}
				out[i].Members = append(out[i].Members, md)
			}
		}
		return nil
	})
	return out, err
}

func (a *admin) ListConsumerGroupOffsets(ctx context.Context, group string) ([]backend.TopicPartition, error) {
	var out []backend.TopicPartition
	err := a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{{Group: group}})
		if err != nil {
			return err
		}
		for _, g := range res.ConsumerGroupsTopicPartitions {
			if g.Group != group {
				continue
			}
			for _, tp := range g.Partitions {
				if tp.Error != nil {
					return tp.Error
				}
				if tp.Offset < 0 {
					continue // no committed offset
				}
				out = append(out, fromKafkaTP(tp))
			}
		}
		return nil
	})
	return out, err
}

func (a *admin) DeleteConsumerGroups(ctx context.Context, groups []string) error {
	return a.use(ctx, func(ctx context.Context) error {
		res, err := a.ka.DeleteConsumerGroups(ctx, groups)
		if err != nil {
			return err
		}
		for _, r := range res.ConsumerGroupResults {
			if isErr(r.Error) {
				return r.Error
			}
		}
		return nil
	})
}

func (a *admin) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error {
		a.life.Lock()
		defer a.life.Unlock()
		if !a.destroyed {
			a.destroyed = true
			a.ka.Close()
			a.kp.Close()
			<-a.events
			a.logs.close()
		}
		return nil
	})
}

func (a *admin) As(target any) bool {
	return backend.SetAs(target, a.ka) || backend.SetAs(target, a.kp)
}
