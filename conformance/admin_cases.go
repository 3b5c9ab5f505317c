package conformance

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

var adminCases = []Case{
	{
		Name: "admin/replicated_topic",
		Doc:  "A topic created with replication factor 3 describes, for every partition, a leader among 3 replicas, all 3 in sync.",
		Run:  adminReplicatedTopic,
	},
	{
		Name: "admin/topic_lifecycle",
		Doc:  "CreateTopics creates a topic with its partitions, replication and configs as DescribeTopics and DescribeTopicConfigs show, creating it again fails with ErrTopicAlreadyExists, and after DeleteTopics it is unknown.",
		Run:  adminTopicLifecycle,
	},
	{
		Name: "admin/describe_missing_topic",
		Doc:  "DescribeTopics reports a missing topic in its result's Err (ErrUnknownTopicOrPartition) while describing the existing ones, and deleting a missing topic fails the same way.",
		Run:  adminDescribeMissingTopic,
	},
	{
		Name: "admin/describe_cluster",
		Doc:  "DescribeCluster returns at least one broker with a host and port, and a controller that is one of them or -1.",
		Run:  adminDescribeCluster,
	},
	{
		Name: "admin/broker_apis",
		Doc:  "BrokerAPIs answers for every broker DescribeCluster lists, each serving Produce and Fetch, with ranges sorted by key and Min <= Max.",
		Run:  adminBrokerAPIs,
	},
	{
		Name: "admin/create_partitions",
		Doc:  "CreatePartitions raises a topic's partition count, as DescribeTopics then shows.",
		Run:  adminCreatePartitions,
	},
	{
		Name: "admin/consumer_groups",
		Doc:  "A group whose member consumed and committed is listed with a state, described with the member's client id and assignment, and its committed offsets are listed.",
		Run:  adminConsumerGroups,
	},
	{
		Name: "admin/closed",
		Doc:  "Admin calls after Close fail with ErrClosed, and Close again returns nil.",
		Run:  adminClosed,
	},
}

// acDescribe describes one topic.
func acDescribe(t *testing.T, a *kafkaclient.Admin, topic string) kafkaclient.TopicDescription {
	t.Helper()
	ds, err := a.DescribeTopics(Ctx(t), topic)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, topic, ds[0].Name)
	return ds[0]
}

// acWaitLeaders waits until topic has n partitions, each with a leader.
func acWaitLeaders(t *testing.T, a *kafkaclient.Admin, topic string, n int) kafkaclient.TopicDescription {
	t.Helper()
	var d kafkaclient.TopicDescription
	ccEventually(t, 10*time.Second, func() bool {
		d = acDescribe(t, a, topic)
		if d.Err != nil || len(d.Partitions) != n {
			return false
		}
		for _, p := range d.Partitions {
			if p.Leader < 0 {
				return false
			}
		}
		return true
	}, "topic %s never had %d led partitions: %+v", topic, n, &d)
	return d
}

func adminTopicLifecycle(t *testing.T, e *Env) {
	a := e.Admin(t)
	ctx := Ctx(t)
	name := kafkatest.UniqueName(t, "topic")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Cluster.Admin().DeleteTopics(ctx, name) //nolint:errcheck // best effort
	})
	spec := kafkaclient.TopicSpec{
		Name:              name,
		Partitions:        3,
		ReplicationFactor: 1,
		Configs:           map[string]string{"retention.ms": "604800000", "cleanup.policy": "delete"},
	}
	rs, err := a.CreateTopics(ctx, spec)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, name, rs[0].Topic)
	require.NoError(t, rs[0].Err)

	d := acWaitLeaders(t, a, name, 3)
	require.False(t, d.Internal)
	for i, p := range d.Partitions {
		require.Equal(t, int32(i), p.ID, "partitions are sorted by id")
		require.GreaterOrEqual(t, p.Leader, int32(0))
		require.Len(t, p.Replicas, 1)
		require.Len(t, p.ISR, 1)
		require.Equal(t, p.Leader, p.Replicas[0])
	}

	// On a cluster of several brokers, the one that answers may learn of
	// the topic a moment after the leaders were elected.
	var configs map[string]string
	ccEventually(t, 10*time.Second, func() bool {
		configs, err = a.DescribeTopicConfigs(ctx, name)
		return !errors.Is(err, kafkaclient.ErrUnknownTopicOrPartition)
	}, "the topic's configs are described")
	require.NoError(t, err)
	require.Equal(t, "604800000", configs["retention.ms"])
	require.Equal(t, "delete", configs["cleanup.policy"])

	// Listing every topic includes it, once the broker that answers knows
	// of it (on a cluster of several brokers, a moment later).
	var all []kafkaclient.TopicDescription
	ccEventually(t, 10*time.Second, func() bool {
		all, err = a.DescribeTopics(ctx)
		require.NoError(t, err)
		return slices.ContainsFunc(all, func(d kafkaclient.TopicDescription) bool { return d.Name == name })
	}, "DescribeTopics() lists %s", name)
	for _, d := range all {
		require.False(t, d.Internal, "DescribeTopics() lists internal topic %s", d.Name)
	}

	rs, err = a.CreateTopics(ctx, spec)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.ErrorIs(t, rs[0].Err, kafkaclient.ErrTopicAlreadyExists)
	ke := RequireCode(t, rs[0].Err, kafkaclient.CodeTopicAlreadyExists)
	require.Equal(t, name, ke.Topic)

	rs, err = a.DeleteTopics(ctx, name)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, name, rs[0].Topic)
	require.NoError(t, rs[0].Err)
	var last kafkaclient.TopicDescription
	ccEventually(t, 10*time.Second, func() bool {
		last = acDescribe(t, a, name)
		return errors.Is(last.Err, kafkaclient.ErrUnknownTopicOrPartition)
	}, "deleted topic still described: %+v", &last)
}

func adminDescribeMissingTopic(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	missing := kafkatest.UniqueName(t, "missing")
	a := e.Admin(t)
	ctx := Ctx(t)
	ds, err := a.DescribeTopics(ctx, missing, topic)
	require.NoError(t, err, "a missing topic is not an error of the call")
	require.Len(t, ds, 2)
	require.Equal(t, missing, ds[0].Name, "results are in request order")
	require.ErrorIs(t, ds[0].Err, kafkaclient.ErrUnknownTopicOrPartition)
	require.Empty(t, ds[0].Partitions)
	ke := RequireCode(t, ds[0].Err, kafkaclient.CodeUnknownTopicOrPartition)
	require.Equal(t, missing, ke.Topic)
	require.Equal(t, topic, ds[1].Name)
	require.NoError(t, ds[1].Err)
	require.Len(t, ds[1].Partitions, 2)

	rs, err := a.DeleteTopics(ctx, missing)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.ErrorIs(t, rs[0].Err, kafkaclient.ErrUnknownTopicOrPartition)

	_, err = a.DescribeTopics(ctx, "bad topic!")
	require.ErrorIs(t, err, kafkaclient.ErrInvalidTopicException)
}

func adminDescribeCluster(t *testing.T, e *Env) {
	a := e.Admin(t)
	d, err := a.DescribeCluster(Ctx(t))
	require.NoError(t, err)
	require.NotEmpty(t, d.Brokers)
	ids := make([]int32, 0, len(d.Brokers))
	for _, b := range d.Brokers {
		require.NotEmpty(t, b.Host)
		require.Positive(t, b.Port)
		require.GreaterOrEqual(t, b.ID, int32(0))
		ids = append(ids, b.ID)
	}
	require.True(t, slices.IsSorted(ids), "brokers are sorted by id: %v", ids)
	if d.ControllerID != -1 {
		require.Contains(t, ids, d.ControllerID, "the controller is one of the brokers")
	}
}

func adminBrokerAPIs(t *testing.T, e *Env) {
	a := e.Admin(t)
	d, err := a.DescribeCluster(Ctx(t))
	require.NoError(t, err)
	bs, err := a.BrokerAPIs(Ctx(t))
	require.NoError(t, err)
	require.Len(t, bs, len(d.Brokers))
	for i, b := range bs {
		require.Equal(t, d.Brokers[i].ID, b.Broker.ID)
		require.NoError(t, b.Err, "broker %d", b.Broker.ID)
		require.True(t, b.Supports(kafkaclient.APIProduce, 3) && b.Supports(kafkaclient.APIFetch, 4), "broker %d serves Produce v3+ and Fetch v4+: %v", b.Broker.ID, b.APIs)
		require.True(t, slices.IsSortedFunc(b.APIs, func(x, y kafkaclient.APIVersionRange) int { return int(x.Key) - int(y.Key) }))
		for _, r := range b.APIs {
			require.LessOrEqual(t, r.Min, r.Max, "api %d", r.Key)
		}
		require.False(t, b.Supports(kafkaclient.APIKey(32000), 0), "an API no broker has")
	}
}

func adminCreatePartitions(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	a := e.Admin(t)
	require.NoError(t, a.CreatePartitions(Ctx(t), topic, 3))
	acWaitLeaders(t, a, topic, 3)
	err := a.CreatePartitions(Ctx(t), topic, 2)
	require.Error(t, err, "shrinking a topic fails")
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke)
}

func adminConsumerGroups(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	group := e.Group(t)
	clientID := "conformance-admin-groups"
	p := e.Producer(t, pcManual)
	ccProduceTo(t, p, topic, 0, "a0", "a1")
	ccProduceTo(t, p, topic, 1, "b0")

	c := e.Consumer(t, group, func(cfg *kafkaclient.ConsumerConfig) {
		cfg.DisableAutoCommit = true
		cfg.ClientID = clientID
	})
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	msgs := PollN(t, c, 3)
	require.NoError(t, c.CommitMessages(Ctx(t), msgs...))

	a := e.Admin(t)
	ctx := Ctx(t)
	var listing kafkaclient.GroupListing
	ccEventually(t, 10*time.Second, func() bool {
		gs, err := a.ListConsumerGroups(ctx)
		require.NoError(t, err)
		i := slices.IndexFunc(gs, func(g kafkaclient.GroupListing) bool { return g.GroupID == group })
		if i < 0 {
			return false
		}
		listing = gs[i]
		return true
	}, "ListConsumerGroups does not list %s", group)
	require.NotEmpty(t, listing.State)
	require.NotEqual(t, kafkaclient.GroupStateDead, listing.State)
	t.Logf("listing: %+v", listing)

	var d kafkaclient.GroupDescription
	ccEventually(t, 10*time.Second, func() bool {
		ds, err := a.DescribeConsumerGroups(ctx, group)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		d = ds[0]
		return d.Err == nil && d.State == kafkaclient.GroupStateStable && len(d.Members) == 1
	}, "group never stable with one member: %+v", &d)
	require.Equal(t, group, d.GroupID)
	require.NotEmpty(t, d.Protocol, "the assignor in use")
	require.GreaterOrEqual(t, d.Coordinator, int32(0))
	m := d.Members[0]
	require.NotEmpty(t, m.MemberID)
	require.Equal(t, clientID, m.ClientID)
	gm, err := c.GroupMetadata()
	require.NoError(t, err)
	require.Equal(t, gm.MemberID, m.MemberID)
	require.Equal(t, []kafkaclient.TopicPartition{
		{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1},
		{Topic: topic, Partition: 1, Offset: kafkaclient.OffsetInvalid, LeaderEpoch: -1},
	}, ccPartitionsOnly(m.Assignment))

	offsets, err := a.ListConsumerGroupOffsets(ctx, group)
	require.NoError(t, err)
	var mine []kafkaclient.TopicPartition
	for _, o := range offsets {
		if o.Topic == topic {
			mine = append(mine, o)
		}
	}
	require.Len(t, mine, 2)
	require.Equal(t, int32(0), mine[0].Partition)
	require.Equal(t, int64(2), mine[0].Offset)
	require.Equal(t, int32(1), mine[1].Partition)
	require.Equal(t, int64(1), mine[1].Offset)

	// A group that does not exist.
	ds, err := a.DescribeConsumerGroups(ctx, kafkatest.UniqueName(t, "nogroup"))
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.ErrorIs(t, ds[0].Err, kafkaclient.ErrGroupIDNotFound)
	_, err = a.DescribeConsumerGroups(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
	_, err = a.ListConsumerGroupOffsets(ctx, "")
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg)
}

func adminClosed(t *testing.T, e *Env) {
	a := e.Admin(t)
	ctx := Ctx(t)
	_, err := a.DescribeCluster(ctx)
	require.NoError(t, err)
	require.NoError(t, a.Close(ctx))
	require.NoError(t, a.Close(ctx), "Close again")
	_, err = a.DescribeCluster(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	_, err = a.DescribeTopics(ctx, "x")
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	_, err = a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: "x", Partitions: 1})
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
	_, err = a.ListConsumerGroups(ctx)
	require.ErrorIs(t, err, kafkaclient.ErrClosed)
}

func adminReplicatedTopic(t *testing.T, e *Env) {
	ctx := Ctx(t)
	a := e.Admin(t)
	cluster, err := a.DescribeCluster(ctx)
	require.NoError(t, err)
	if len(cluster.Brokers) < 3 {
		t.Skipf("the cluster has %d broker(s); replication factor 3 needs 3: this case runs on the embedded cluster and on scripts/kafka up --nodes 3", len(cluster.Brokers))
	}
	name := kafkatest.UniqueName(t, "topic")
	res, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: name, Partitions: 3, ReplicationFactor: 3})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	t.Cleanup(func() { a.DeleteTopics(context.Background(), name) }) //nolint:errcheck // clean-up
	brokers := map[int32]bool{}
	for _, b := range cluster.Brokers {
		brokers[b.ID] = true
	}
	ccEventually(t, 15*time.Second, func() bool {
		ds, err := a.DescribeTopics(ctx, name)
		if err != nil || len(ds) != 1 || ds[0].Err != nil || len(ds[0].Partitions) != 3 {
			return false
		}
		for _, p := range ds[0].Partitions {
			if len(p.Replicas) != 3 || len(p.ISR) != 3 || !slices.Contains(p.Replicas, p.Leader) {
				return false
			}
			for _, r := range p.Replicas {
				if !brokers[r] {
					return false
				}
			}
		}
		return true
	}, "topic %s never described 3 partitions with 3 replicas and 3 in-sync replicas", name)
}
