package guide

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// clusterAdmin opens an admin client on env and returns it with the
// replication factor for new topics: 3, as in the guide, or the number of
// brokers when the cluster has fewer. The caller closes the client.
func (e Env) clusterAdmin(ctx context.Context) (*kafkaclient.Admin, int16, error) {
	a, err := e.admin()
	if err != nil {
		return nil, 0, err
	}
	cluster, err := a.DescribeCluster(ctx)
	if err != nil {
		closeWithin(a.Close)
		return nil, 0, err
	}
	return a, int16(min(3, len(cluster.Brokers))), nil
}

// CreateTopics mirrors "Admin Client / Create Topics": a topic with 6
// partitions, replication factor 3 (fewer on a smaller cluster), retention
// of 7 days and the delete cleanup policy; creating it again fails for that
// topic with TOPIC_ALREADY_EXISTS. It prints the topic's configs as the
// broker reports them.
func CreateTopics(ctx context.Context, env Env) error {
	a, rf, err := env.clusterAdmin(ctx)
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	topics := []kafkaclient.TopicSpec{{
		Name:              env.topic(),
		Partitions:        6,
		ReplicationFactor: rf,
		Configs: map[string]string{
			"retention.ms":   "604800000",
			"cleanup.policy": "delete",
		},
	}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for range 2 {
		results, err := a.CreateTopics(ctx, topics...)
		if err != nil {
			return err
		}
		for _, result := range results {
			if result.Err != nil {
				env.printf("Failed to create topic %s: %s\n", result.Topic, kafkaclient.CodeName(kafkaclient.CodeOf(result.Err)))
			} else {
				env.printf("Created topic %s (%d partitions, replication factor %d)\n", result.Topic, topics[0].Partitions, rf)
			}
		}
	}
	if err := waitForTopic(ctx, a, env.topic(), 6); err != nil {
		return err
	}
	configs, err := a.DescribeTopicConfigs(ctx, env.topic())
	if err != nil {
		return err
	}
	env.printf("retention.ms=%s cleanup.policy=%s\n", configs["retention.ms"], configs["cleanup.policy"])
	return nil
}

// DescribeTopics mirrors "Admin Client / Describe Topics": the leader,
// replicas and in-sync replicas of every partition of a topic, and the
// per-topic error of a topic that does not exist.
func DescribeTopics(ctx context.Context, env Env) error {
	a, rf, err := env.clusterAdmin(ctx)
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	topic := env.topic()
	if _, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: rf}); err != nil {
		return err
	}
	if err := waitForTopic(ctx, a, topic, 3); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	topics, err := a.DescribeTopics(ctx, topic, topic+"-missing")
	if err != nil {
		return err
	}
	for _, t := range topics {
		if t.Err != nil {
			env.printf("Topic: %s: %s\n", t.Name, kafkaclient.CodeName(kafkaclient.CodeOf(t.Err)))
			continue
		}
		env.printf("Topic: %s\n", t.Name)
		for _, p := range t.Partitions {
			env.printf("  Partition %d: leader=%d replicas=%v isr=%v\n", p.ID, p.Leader, sorted(p.Replicas), sorted(p.ISR))
		}
	}
	return nil
}

func sorted(ids []int32) []int32 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// joinGroup opens one consumer per client id in env's group, subscribed to
// topic, and polls them all until each has partitions. The caller closes
// them.
func (e Env) joinGroup(ctx context.Context, topic string, clientIDs ...string) ([]*kafkaclient.Consumer, error) {
	var cs []*kafkaclient.Consumer
	closeAll := func() {
		for _, c := range cs {
			closeWithin(c.Close)
		}
	}
	for _, id := range clientIDs {
		cfg := e.consumerMap()
		cfg["client.id"] = id
		cfg["session.timeout.ms"] = 6000
		cfg["heartbeat.interval.ms"] = 500
		c, err := kafkaclient.NewConsumerFromMap(cfg, e.Options...)
		if err != nil {
			closeAll()
			return nil, err
		}
		cs = append(cs, c)
		if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
			closeAll()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for stable := 0; stable < 3; {
		if ctx.Err() != nil {
			closeAll()
			return nil, fmt.Errorf("group %s did not settle: %w", e.group(), ctx.Err())
		}
		all := true
		for _, c := range cs {
			pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			_, err := c.Poll(pctx)
			pcancel()
			if err != nil && !kafkaclient.IsTimeout(err) {
				closeAll()
				return nil, err
			}
			all = all && len(c.Assignment()) > 0
		}
		if all {
			stable++
		} else {
			stable = 0
		}
	}
	return cs, nil
}

// ListConsumerGroups mirrors "Admin Client / List Consumer Groups": the
// cluster's groups and their states, while a member is consuming (Stable)
// and after it left (Empty).
func ListConsumerGroups(ctx context.Context, env Env) error {
	topic := env.topic()
	a, err := env.topicAdmin(ctx, topic, 1)
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	members, err := env.joinGroup(ctx, topic, "order-processor-1")
	if err != nil {
		return err
	}
	list := func() error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		groups, err := a.ListConsumerGroups(ctx)
		if err != nil {
			return err
		}
		slices.SortFunc(groups, func(x, y kafkaclient.GroupListing) int { return strings.Compare(x.GroupID, y.GroupID) })
		for _, group := range groups {
			env.printf("Group: %s (state: %s)\n", group.GroupID, group.State)
		}
		return nil
	}
	if err := list(); err != nil {
		closeWithin(members[0].Close)
		return err
	}
	if err := members[0].Close(ctx); err != nil {
		return err
	}
	env.printf("member left\n")
	return list()
}

// DescribeConsumerGroups mirrors "Admin Client / Describe Consumer
// Groups": the state, assignor and members (client id, assigned
// partitions) of a group with two members sharing a two-partition topic.
// Member ids are generated by the broker, so only their presence is
// printed.
func DescribeConsumerGroups(ctx context.Context, env Env) error {
	topic := env.topic()
	a, err := env.topicAdmin(ctx, topic, 2)
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	members, err := env.joinGroup(ctx, topic, "order-processor-1", "order-processor-2")
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range members {
			closeWithin(c.Close)
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	results, err := a.DescribeConsumerGroups(ctx, env.group(), env.group()+"-missing")
	if err != nil {
		return err
	}
	for _, result := range results {
		if result.Err != nil {
			env.printf("Error describing group %s: %s\n", result.GroupID, kafkaclient.CodeName(kafkaclient.CodeOf(result.Err)))
			continue
		}
		env.printf("Group: %s\n", result.GroupID)
		env.printf("State: %s\n", result.State)
		env.printf("Assignor: %s\n", result.Protocol)
		env.printf("Members:\n")
		slices.SortFunc(result.Members, func(x, y kafkaclient.MemberDescription) int { return strings.Compare(x.ClientID, y.ClientID) })
		for _, member := range result.Members {
			env.printf("  client %s: member id assigned=%t, %d partition(s) of %s\n", member.ClientID, member.MemberID != "", len(member.Assignment), topic)
		}
	}
	return nil
}
