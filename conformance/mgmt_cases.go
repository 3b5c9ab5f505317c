package conformance

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// mgmtCases are the cases of cluster management: configs, ACLs and SCRAM
// credentials through the admin, and a consumer's incremental assignment
// and cached watermarks.
var mgmtCases = []Case{
	{
		Name: "admin/describe_configs",
		Doc:  "DescribeConfigs answers a topic's and a broker's configs in the order asked, sorted by name with their source (a topic's own setting is ConfigSourceTopic), and an unknown topic with UNKNOWN_TOPIC_OR_PARTITION in its Err.",
		Run:  adminDescribeConfigs,
	},
	{
		Name: "admin/alter_topic_configs",
		Doc:  "IncrementalAlterConfigs sets a topic config, which DescribeConfigs then shows as the topic's own, leaves the others alone, and ConfigOpDelete returns it to its default.",
		Run:  adminAlterTopicConfigs,
	},
	{
		Name: "admin/alter_list_config",
		Doc:  "ConfigOpAppend adds a value to a list config and ConfigOpSubtract removes it.",
		Run:  adminAlterListConfig,
	},
	{
		Name: "admin/alter_broker_configs",
		Doc:  "IncrementalAlterConfigs sets a dynamic config of one broker, which DescribeConfigs shows as ConfigSourceBroker on that broker, and ConfigOpDelete removes it.",
		Run:  adminAlterBrokerConfigs,
	},
	{
		Name: "admin/alter_configs_bad_input",
		Doc:  "An unknown config name or an invalid value is INVALID_CONFIG and changes nothing, not even the valid alterations sent with it; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; a malformed resource or alteration is INVALID_ARG at once, a malformed topic name INVALID_TOPIC_EXCEPTION.",
		Run:  adminAlterConfigsBadInput,
	},
	{
		Name: "admin/acls",
		Doc:  "CreateACLs creates ACLs that DescribeACLs finds, sorted, by resource and by principal; DeleteACLs deletes what its filter matches and returns it, after which DescribeACLs finds nothing.",
		Run:  adminACLs,
	},
	{
		Name: "admin/acl_filters",
		Doc:  "A prefixed ACL applies to the names it prefixes (ACLPatternMatch finds it for one of them, ACLPatternLiteral does not), filters select by operation and permission, and DeleteACLs with several filters deletes what any matches.",
		Run:  adminACLFilters,
	},
	{
		Name: "admin/acls_bad_input",
		Doc:  "An ACL with a filter-only pattern (Any, Match), an empty resource name, a principal without its type, or a filter-only operation is INVALID_ARG, and none of the ACLs sent with it is created; a filter value out of range is INVALID_ARG.",
		Run:  adminACLsBadInput,
	},
	{
		Name: "admin/scram_credentials",
		Doc:  "UpsertUserScramCredentials creates a user's SHA-256 and SHA-512 credentials, which DescribeUserScramCredentials shows with their iterations (and among every user's); DeleteUserScramCredentials removes one, then the other, after which the user is RESOURCE_NOT_FOUND.",
		Run:  adminScramCredentials,
	},
	{
		Name: "admin/scram_bad_input",
		Doc:  "A credential without a password, with too few or too many iterations, or with no mechanism is INVALID_ARG and creates nothing; deleting a credential the user does not have is RESOURCE_NOT_FOUND.",
		Run:  adminScramBadInput,
	},
	{
		Name: "consume/incremental_assign",
		Doc:  "IncrementalAssign adds a partition without restarting those assigned (nothing is returned twice), IncrementalUnassign stops one while the others go on, and Assignment follows both.",
		Run:  consumeIncrementalAssign,
	},
	{
		Name: "consume/incremental_assign_bad_input",
		Doc:  "IncrementalAssign of a partition already assigned is STATE, IncrementalUnassign of one not assigned NOT_ASSIGNED, and a subscribed consumer refuses both kinds of manual assignment with STATE; the assignment is unchanged.",
		Run:  consumeIncrementalAssignBadInput,
	},
	{
		Name: "consume/cached_watermarks",
		Doc:  "GetWatermarkOffsets answers from the last fetch without asking the broker: the high watermark after a Poll, and NOT_ASSIGNED for a partition not assigned.",
		Run:  consumeCachedWatermarks,
	},
}

// waitFor calls cond every 100 ms until it holds, and fails t with what
// describe says (called then, so it can show the last answer) when
// Timeout passes first.
func waitFor(t *testing.T, cond func() bool, describe func() string) {
	t.Helper()
	for deadline := time.Now().Add(Timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(describe())
		}
	}
}

// configOf returns the entry of name in rc, failing t without one.
func configOf(t *testing.T, rc kafkaclient.ResourceConfigs, name string) kafkaclient.ConfigEntry {
	t.Helper()
	require.NoError(t, rc.Err)
	for _, c := range rc.Configs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%v has no config %s", rc.Resource, name)
	return kafkaclient.ConfigEntry{}
}

// eventuallyConfig waits until name of r has value and source: in a
// cluster, a broker other than the one that took a change may answer
// before it knows of it.
func eventuallyConfig(t *testing.T, a *kafkaclient.Admin, r kafkaclient.ConfigResource, name, value string, source kafkaclient.ConfigSource) {
	t.Helper()
	var last kafkaclient.ConfigEntry
	waitFor(t, func() bool {
		rs, err := a.DescribeConfigs(Ctx(t), r)
		if err != nil || rs[0].Err != nil {
			return false
		}
		last = configOf(t, rs[0], name)
		return last.Value == value && last.Source == source
	}, func() string {
		return fmt.Sprintf("%v: want %s=%s from source %d, last %+v", r, name, value, source, last)
	})
}

// firstBroker returns the lowest broker id of the cluster.
func firstBroker(t *testing.T, a *kafkaclient.Admin) int32 {
	t.Helper()
	d, err := a.DescribeCluster(Ctx(t))
	require.NoError(t, err)
	require.NotEmpty(t, d.Brokers)
	return d.Brokers[0].ID
}

func adminDescribeConfigs(t *testing.T, e *Env) {
	topic := e.Topic(t, 1, "retention.ms", "3600000")
	a := e.Admin(t)
	broker := kafkaclient.BrokerResource(firstBroker(t, a))
	missing := kafkatest.UniqueName(t, "missing")
	rs, err := a.DescribeConfigs(Ctx(t), broker, kafkaclient.TopicResource(missing), kafkaclient.TopicResource(topic))
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, broker, rs[0].Resource)
	require.NoError(t, rs[0].Err)
	assert.NotEmpty(t, rs[0].Configs)
	assert.IsNonDecreasing(t, project(rs[0].Configs, func(c kafkaclient.ConfigEntry) string { return c.Name }))
	RequireCode(t, rs[1].Err, kafkaclient.CodeUnknownTopicOrPartition)
	assert.Equal(t, kafkaclient.TopicResource(topic), rs[2].Resource)
	c := configOf(t, rs[2], "retention.ms")
	assert.Equal(t, "3600000", c.Value)
	assert.Equal(t, kafkaclient.ConfigSourceTopic, c.Source)
	assert.NotEqual(t, kafkaclient.ConfigSourceTopic, configOf(t, rs[2], "cleanup.policy").Source)

	// DescribeTopicConfigs is the same, by name.
	m, err := a.DescribeTopicConfigs(Ctx(t), topic)
	require.NoError(t, err)
	assert.Equal(t, "3600000", m["retention.ms"])
}

// project returns f of each of xs.
func project[T, R any](xs []T, f func(T) R) []R {
	out := make([]R, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func adminAlterTopicConfigs(t *testing.T, e *Env) {
	topic := e.Topic(t, 1, "segment.ms", "7200000")
	a := e.Admin(t)
	r := kafkaclient.TopicResource(topic)
	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpSet, Name: "retention.ms", Value: "7200000"}))
	eventuallyConfig(t, a, r, "retention.ms", "7200000", kafkaclient.ConfigSourceTopic)
	rs, err := a.DescribeConfigs(Ctx(t), r)
	require.NoError(t, err)
	assert.Equal(t, "7200000", configOf(t, rs[0], "segment.ms").Value, "a config not named keeps its value")

	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpDelete, Name: "retention.ms"}))
	waitFor(t, func() bool {
		rs, err := a.DescribeConfigs(Ctx(t), r)
		return err == nil && configOf(t, rs[0], "retention.ms").Source != kafkaclient.ConfigSourceTopic
	}, func() string { return "retention.ms back to its default" })
}

func adminAlterListConfig(t *testing.T, e *Env) {
	topic := e.Topic(t, 1, "cleanup.policy", "delete")
	a := e.Admin(t)
	r := kafkaclient.TopicResource(topic)
	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpAppend, Name: "cleanup.policy", Value: "compact"}))
	eventuallyConfig(t, a, r, "cleanup.policy", "delete,compact", kafkaclient.ConfigSourceTopic)
	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpSubtract, Name: "cleanup.policy", Value: "delete"}))
	eventuallyConfig(t, a, r, "cleanup.policy", "compact", kafkaclient.ConfigSourceTopic)
}

func adminAlterBrokerConfigs(t *testing.T, e *Env) {
	a := e.Admin(t)
	r := kafkaclient.BrokerResource(firstBroker(t, a))
	const name = "log.cleaner.backoff.ms"
	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpSet, Name: name, Value: "15001"}))
	t.Cleanup(func() {
		_ = a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpDelete, Name: name})
	})
	eventuallyConfig(t, a, r, name, "15001", kafkaclient.ConfigSourceBroker)
	require.NoError(t, a.IncrementalAlterConfigs(Ctx(t), r, kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpDelete, Name: name}))
	waitFor(t, func() bool {
		rs, err := a.DescribeConfigs(Ctx(t), r)
		return err == nil && configOf(t, rs[0], name).Source != kafkaclient.ConfigSourceBroker
	}, func() string { return name + " no longer set on the broker" })
}

func adminAlterConfigsBadInput(t *testing.T, e *Env) {
	topic := e.Topic(t, 1, "retention.ms", "3600000")
	a := e.Admin(t)
	set := func(name, value string) kafkaclient.ConfigAlteration {
		return kafkaclient.ConfigAlteration{Op: kafkaclient.ConfigOpSet, Name: name, Value: value}
	}
	r, name, was := kafkaclient.TopicResource(topic), "retention.ms", "3600000"
	bads := []kafkaclient.ConfigAlteration{set("no.such.config", "1"), set("segment.ms", "not-a-number")}
	code := kafkaclient.CodeInvalidConfig
	if !e.Cluster.External() {
		// The embedded broker checks neither the names nor the values of
		// topic configs; it checks the values of broker configs, and
		// answers INVALID_REQUEST where Kafka answers INVALID_CONFIG.
		r, name, code = kafkaclient.BrokerResource(firstBroker(t, a)), "log.roll.ms", kafkaclient.CodeInvalidRequest
		rs, err := a.DescribeConfigs(Ctx(t), r)
		require.NoError(t, err)
		was, bads = configOf(t, rs[0], name).Value, bads[1:]
		bads[0].Name = "log.cleaner.backoff.ms"
	}
	for _, bad := range bads {
		err := a.IncrementalAlterConfigs(Ctx(t), r, set(name, "7200001"), bad)
		RequireCode(t, err, code)
	}
	rs, err := a.DescribeConfigs(Ctx(t), r)
	require.NoError(t, err)
	assert.Equal(t, was, configOf(t, rs[0], name).Value, "a refused request changes nothing")

	err = a.IncrementalAlterConfigs(Ctx(t), kafkaclient.TopicResource(kafkatest.UniqueName(t, "missing")), set("retention.ms", "1000"))
	RequireCode(t, err, kafkaclient.CodeUnknownTopicOrPartition)
	for _, bad := range []struct {
		r   kafkaclient.ConfigResource
		alt kafkaclient.ConfigAlteration
	}{
		{kafkaclient.ConfigResource{Type: 9, Name: topic}, set("retention.ms", "1")},
		{kafkaclient.ConfigResource{Type: kafkaclient.ConfigResourceBroker, Name: "one"}, set("log.cleaner.backoff.ms", "1")},
		{r, set("", "1")},
		{r, kafkaclient.ConfigAlteration{Op: 7, Name: "retention.ms"}},
	} {
		RequireCode(t, a.IncrementalAlterConfigs(Ctx(t), bad.r, bad.alt), kafkaclient.CodeInvalidArg)
	}
	RequireCode(t, a.IncrementalAlterConfigs(Ctx(t), kafkaclient.TopicResource("bad topic"), set("retention.ms", "1")), kafkaclient.CodeInvalidTopicException)
	_, err = a.DescribeConfigs(Ctx(t), kafkaclient.ConfigResource{Type: kafkaclient.ConfigResourceBroker, Name: "-1"})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
}

// topicACL is an ACL on topic for principal.
func topicACL(topic, principal string, op kafkaclient.ACLOperation, perm kafkaclient.ACLPermission) kafkaclient.ACL {
	return kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceTopic, ResourceName: topic, Pattern: kafkaclient.ACLPatternLiteral,
		Principal: principal, Host: "*", Operation: op, Permission: perm}
}

// eventuallyACLs waits until filter matches want (sorted): in a cluster,
// the broker answering may not know of a change yet.
func eventuallyACLs(t *testing.T, a *kafkaclient.Admin, filter kafkaclient.ACL, want ...kafkaclient.ACL) {
	t.Helper()
	var got []kafkaclient.ACL
	var err error
	waitFor(t, func() bool {
		got, err = a.DescribeACLs(Ctx(t), filter)
		return err == nil && assert.ObjectsAreEqual(want, got) || len(want) == 0 && err == nil && len(got) == 0
	}, func() string { return fmt.Sprintf("filter %v: want %v, got %v (%v)", filter, want, got, err) })
}

func adminACLs(t *testing.T, e *Env) {
	a := e.Admin(t)
	topic := kafkatest.UniqueName(t, "acl-topic")
	alice, bob := "User:"+kafkatest.UniqueName(t, "alice"), "User:"+kafkatest.UniqueName(t, "bob")
	read := topicACL(topic, bob, kafkaclient.ACLOperationRead, kafkaclient.ACLPermissionAllow)
	write := topicACL(topic, alice, kafkaclient.ACLOperationWrite, kafkaclient.ACLPermissionDeny)
	// Pattern and Host default to literal and any host.
	group := kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceGroup, ResourceName: topic, Principal: alice,
		Operation: kafkaclient.ACLOperationRead, Permission: kafkaclient.ACLPermissionAllow}
	require.NoError(t, a.CreateACLs(Ctx(t), read, write, group))
	t.Cleanup(func() { _, _ = a.DeleteACLs(Ctx(t), kafkaclient.ACL{ResourceName: topic}) })
	group.Pattern, group.Host = kafkaclient.ACLPatternLiteral, "*"

	eventuallyACLs(t, a, kafkaclient.ACL{ResourceName: topic}, write, read, group)
	eventuallyACLs(t, a, kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceTopic, ResourceName: topic}, write, read)
	eventuallyACLs(t, a, kafkaclient.ACL{Principal: alice}, write, group)

	deleted, err := a.DeleteACLs(Ctx(t), kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceTopic, ResourceName: topic, Principal: alice})
	require.NoError(t, err)
	assert.Equal(t, []kafkaclient.ACL{write}, deleted)
	eventuallyACLs(t, a, kafkaclient.ACL{ResourceName: topic}, read, group)
	deleted, err = a.DeleteACLs(Ctx(t), kafkaclient.ACL{ResourceName: topic})
	require.NoError(t, err)
	assert.Equal(t, []kafkaclient.ACL{read, group}, deleted)
	eventuallyACLs(t, a, kafkaclient.ACL{ResourceName: topic})
}

func adminACLFilters(t *testing.T, e *Env) {
	a := e.Admin(t)
	prefix := kafkatest.UniqueName(t, "acl-prefix")
	user := "User:" + kafkatest.UniqueName(t, "carol")
	prefixed := topicACL(prefix, user, kafkaclient.ACLOperationRead, kafkaclient.ACLPermissionAllow)
	prefixed.Pattern = kafkaclient.ACLPatternPrefixed
	literal := topicACL(prefix+"-orders", user, kafkaclient.ACLOperationWrite, kafkaclient.ACLPermissionDeny)
	describe := topicACL(prefix+"-orders", user, kafkaclient.ACLOperationDescribe, kafkaclient.ACLPermissionAllow)
	require.NoError(t, a.CreateACLs(Ctx(t), prefixed, literal, describe))
	t.Cleanup(func() { _, _ = a.DeleteACLs(Ctx(t), kafkaclient.ACL{Principal: user}) })

	orders := kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceTopic, ResourceName: prefix + "-orders"}
	if e.Cluster.External() {
		matching := orders
		matching.Pattern = kafkaclient.ACLPatternMatch
		eventuallyACLs(t, a, matching, prefixed, literal, describe)
	} else {
		t.Log("the embedded broker's ACLPatternMatch matches names exactly, not by prefix: checked on real Kafka only")
	}
	orders.Pattern = kafkaclient.ACLPatternLiteral
	eventuallyACLs(t, a, orders, literal, describe)
	eventuallyACLs(t, a, kafkaclient.ACL{Principal: user, Permission: kafkaclient.ACLPermissionDeny}, literal)
	eventuallyACLs(t, a, kafkaclient.ACL{Principal: user, Operation: kafkaclient.ACLOperationRead}, prefixed)

	deleted, err := a.DeleteACLs(Ctx(t),
		kafkaclient.ACL{Principal: user, Operation: kafkaclient.ACLOperationRead},
		kafkaclient.ACL{Principal: user, Permission: kafkaclient.ACLPermissionDeny})
	require.NoError(t, err)
	assert.Equal(t, []kafkaclient.ACL{prefixed, literal}, deleted)
	eventuallyACLs(t, a, kafkaclient.ACL{Principal: user}, describe)
}

func adminACLsBadInput(t *testing.T, e *Env) {
	a := e.Admin(t)
	topic := kafkatest.UniqueName(t, "acl-bad")
	good := topicACL(topic, "User:dave", kafkaclient.ACLOperationRead, kafkaclient.ACLPermissionAllow)
	for name, edit := range map[string]func(*kafkaclient.ACL){
		"pattern any":        func(acl *kafkaclient.ACL) { acl.Pattern = kafkaclient.ACLPatternAny },
		"pattern match":      func(acl *kafkaclient.ACL) { acl.Pattern = kafkaclient.ACLPatternMatch },
		"pattern 9":          func(acl *kafkaclient.ACL) { acl.Pattern = 9 },
		"empty name":         func(acl *kafkaclient.ACL) { acl.ResourceName = "" },
		"principal no type":  func(acl *kafkaclient.ACL) { acl.Principal = "dave" },
		"operation any":      func(acl *kafkaclient.ACL) { acl.Operation = kafkaclient.ACLOperationAny },
		"permission any":     func(acl *kafkaclient.ACL) { acl.Permission = kafkaclient.ACLPermissionAny },
		"resource type any":  func(acl *kafkaclient.ACL) { acl.ResourceType = kafkaclient.ACLResourceAny },
		"resource type zero": func(acl *kafkaclient.ACL) { acl.ResourceType = 0 },
	} {
		bad := good
		bad.ResourceName = topic + "-bad"
		edit(&bad)
		err := a.CreateACLs(Ctx(t), good, bad)
		RequireCode(t, err, kafkaclient.CodeInvalidArg)
		t.Logf("%s: %v", name, err)
	}
	_, err := a.DescribeACLs(Ctx(t), kafkaclient.ACL{Operation: 99})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
	_, err = a.DeleteACLs(Ctx(t), kafkaclient.ACL{Pattern: -1})
	RequireCode(t, err, kafkaclient.CodeInvalidArg)
	got, err := a.DescribeACLs(Ctx(t), kafkaclient.ACL{ResourceName: topic})
	require.NoError(t, err)
	assert.Empty(t, got, "no ACL sent with a bad one was created")
}

// eventuallyScram waits until users' credentials are want: the mechanisms
// each has, or nil for RESOURCE_NOT_FOUND.
func eventuallyScram(t *testing.T, a *kafkaclient.Admin, user string, want ...kafkaclient.ScramCredential) {
	t.Helper()
	var got []kafkaclient.UserScramCredentials
	var err error
	waitFor(t, func() bool {
		got, err = a.DescribeUserScramCredentials(Ctx(t), user)
		if err != nil || len(got) != 1 || got[0].User != user {
			return false
		}
		if len(want) == 0 {
			return kafkaclient.CodeOf(got[0].Err) == kafkaclient.CodeResourceNotFound
		}
		return got[0].Err == nil && assert.ObjectsAreEqual(want, got[0].Credentials)
	}, func() string { return fmt.Sprintf("user %s: want %v, got %+v (%v)", user, want, got, err) })
}

func adminScramCredentials(t *testing.T, e *Env) {
	a := e.Admin(t)
	user := kafkatest.UniqueName(t, "scram-user")
	require.NoError(t, a.UpsertUserScramCredentials(Ctx(t),
		kafkaclient.ScramUpsertion{User: user, Mechanism: kafkaclient.ScramSHA512, Iterations: 8192, Password: "pw-512"},
		kafkaclient.ScramUpsertion{User: user, Mechanism: kafkaclient.ScramSHA256, Password: "pw-256"}))
	t.Cleanup(func() {
		_ = a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA256})
		_ = a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA512})
	})
	eventuallyScram(t, a, user,
		kafkaclient.ScramCredential{Mechanism: kafkaclient.ScramSHA256, Iterations: kafkaclient.MinScramIterations},
		kafkaclient.ScramCredential{Mechanism: kafkaclient.ScramSHA512, Iterations: 8192})
	all, err := a.DescribeUserScramCredentials(Ctx(t))
	require.NoError(t, err)
	if e.Cluster.External() || len(all) > 0 {
		assert.Contains(t, project(all, func(u kafkaclient.UserScramCredentials) string { return u.User }), user)
	} else {
		// librdkafka asks for every user with an empty list, which Kafka
		// answers with every user and the embedded broker with none.
		t.Log("the embedded broker answered no user to a request for every user")
	}

	require.NoError(t, a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA256}))
	eventuallyScram(t, a, user, kafkaclient.ScramCredential{Mechanism: kafkaclient.ScramSHA512, Iterations: 8192})
	require.NoError(t, a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA512}))
	eventuallyScram(t, a, user)
}

func adminScramBadInput(t *testing.T, e *Env) {
	a := e.Admin(t)
	user := kafkatest.UniqueName(t, "scram-bad")
	good := kafkaclient.ScramUpsertion{User: user, Mechanism: kafkaclient.ScramSHA256, Password: "pw"}
	for _, bad := range []kafkaclient.ScramUpsertion{
		{User: user, Mechanism: kafkaclient.ScramSHA512},
		{User: user, Mechanism: kafkaclient.ScramSHA512, Password: "pw", Iterations: 1000},
		{User: user, Mechanism: kafkaclient.ScramSHA512, Password: "pw", Iterations: kafkaclient.MaxScramIterations + 1},
		{User: user, Password: "pw"},
		{Mechanism: kafkaclient.ScramSHA512, Password: "pw"},
	} {
		RequireCode(t, a.UpsertUserScramCredentials(Ctx(t), good, bad), kafkaclient.CodeInvalidArg)
	}
	got, err := a.DescribeUserScramCredentials(Ctx(t), user)
	require.NoError(t, err)
	require.Len(t, got, 1)
	RequireCode(t, got[0].Err, kafkaclient.CodeResourceNotFound)
	RequireCode(t, a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA256}), kafkaclient.CodeResourceNotFound)
	RequireCode(t, a.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user}), kafkaclient.CodeInvalidArg)
}

// tps names partitions of topic, each starting at offset.
func tps(topic string, offset int64, partitions ...int32) []kafkaclient.TopicPartition {
	out := make([]kafkaclient.TopicPartition, len(partitions))
	for i, p := range partitions {
		out[i] = kafkaclient.TopicPartition{Topic: topic, Partition: p, Offset: offset, LeaderEpoch: -1}
	}
	return out
}

// valuesByPartition returns the values of msgs, per partition.
func valuesByPartition(msgs []*kafkaclient.Message) map[int32][]string {
	out := map[int32][]string{}
	for _, m := range msgs {
		out[m.Partition] = append(out[m.Partition], string(m.Value))
	}
	return out
}

func consumeIncrementalAssign(t *testing.T, e *Env) {
	topic := e.Topic(t, 3)
	p := e.Producer(t, pcManual)
	for part := range int32(3) {
		ccProduceTo(t, p, topic, part, ccSeq("p"+strconv.Itoa(int(part))+"-", 0, 3)...)
	}
	c := e.Consumer(t, "", nil)
	err := c.IncrementalAssign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 0)...)
	if !e.Caps.ManualAssign {
		RequireUnsupported(t, err)
		return
	}
	require.NoError(t, err)
	got := PollN(t, c, 3)
	assert.Equal(t, map[int32][]string{0: {"p0-0", "p0-1", "p0-2"}}, valuesByPartition(got))

	require.NoError(t, c.IncrementalAssign(Ctx(t), tps(topic, 1, 1)...))
	assert.Equal(t, tps(topic, kafkaclient.OffsetInvalid, 0, 1), c.Assignment())
	ccProduceTo(t, p, topic, 0, "p0-3")
	got = PollN(t, c, 3)
	assert.Equal(t, map[int32][]string{0: {"p0-3"}, 1: {"p1-1", "p1-2"}}, valuesByPartition(got), "partition 0 goes on where it was")

	require.NoError(t, c.IncrementalUnassign(Ctx(t), tps(topic, 0, 0)...))
	assert.Equal(t, tps(topic, kafkaclient.OffsetInvalid, 1), c.Assignment())
	ccProduceTo(t, p, topic, 0, "p0-4")
	ccProduceTo(t, p, topic, 1, "p1-3")
	got = PollN(t, c, 1)
	assert.Equal(t, map[int32][]string{1: {"p1-3"}}, valuesByPartition(got))
	PollNone(t, c, 500*time.Millisecond)
}

func consumeIncrementalAssignBadInput(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	c := e.Consumer(t, "", nil)
	if !e.Caps.ManualAssign {
		RequireUnsupported(t, c.IncrementalUnassign(Ctx(t), tps(topic, 0, 0)...))
		return
	}
	require.NoError(t, c.IncrementalAssign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 0)...))
	RequireCode(t, c.IncrementalAssign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 1, 0)...), kafkaclient.CodeState)
	RequireCode(t, c.IncrementalUnassign(Ctx(t), tps(topic, 0, 0, 1)...), kafkaclient.CodeNotAssigned)
	RequireCode(t, c.IncrementalAssign(Ctx(t), tps(topic, -7, 1)...), kafkaclient.CodeInvalidArg)
	assert.Equal(t, tps(topic, kafkaclient.OffsetInvalid, 0), c.Assignment())

	s := e.Consumer(t, e.Group(t), nil)
	require.NoError(t, s.Subscribe(Ctx(t), []string{topic}, nil))
	RequireCode(t, s.IncrementalAssign(Ctx(t), tps(topic, 0, 0)...), kafkaclient.CodeState)
	RequireCode(t, s.Assign(Ctx(t), tps(topic, 0, 0)), kafkaclient.CodeState)
}

func consumeCachedWatermarks(t *testing.T, e *Env) {
	topic, _ := ccFilled(t, e, ccSeq("w", 0, 5)...)
	c := e.Consumer(t, e.Group(t), nil)
	if e.Caps.ManualAssign {
		require.NoError(t, c.Assign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 0)))
	} else {
		require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	}
	low, high, err := c.GetWatermarkOffsets(topic, 1)
	RequireCode(t, err, kafkaclient.CodeNotAssigned)
	assert.Equal(t, kafkaclient.OffsetInvalid, low)
	assert.Equal(t, kafkaclient.OffsetInvalid, high)

	PollN(t, c, 5)
	low, high, err = c.GetWatermarkOffsets(topic, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(5), high)
	assert.Contains(t, []int64{0, kafkaclient.OffsetInvalid}, low)
}

// aclCases run against the authorizer of scripts/kafka (StandardAuthorizer,
// everyone allowed on a resource without ACLs, admin a super user): ACLs
// created through the admin deny a user what they name, with typed
// authorization errors, and a SCRAM user created through the admin logs
// in. Each case works on resources and users of its own, so cases of other
// backends running at the same time are not affected.
var aclCases = []securityCase{
	{Name: "acl_topic_denied", Run: func(t *testing.T, e *secEnv) { e.aclTopicDenied(t) }},
	{Name: "acl_group_denied", Run: func(t *testing.T, e *secEnv) { e.aclGroupDenied(t) }},
	{Name: "scram_user_created_logs_in", Run: func(t *testing.T, e *secEnv) { e.scramUserLogsIn(t) }},
}

// superAdmin opens an admin as the super user, which may manage ACLs and
// credentials whatever ACLs exist.
func (e *secEnv) superAdmin(t *testing.T) *kafkaclient.Admin {
	return e.admin(t, e.configMap("SASL_PLAINTEXT", "PLAIN", "admin-secret", kafkaclient.ConfigMap{"sasl.username": "admin"}), nil)
}

// eventuallyFails calls fn until it fails with code, as a change of ACLs or
// credentials reaches every broker, and returns that error.
func eventuallyFails(t *testing.T, what string, code kafkaclient.Code, fn func(ctx context.Context) error) error {
	t.Helper()
	var err error
	waitFor(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), AuthTimeout)
		defer cancel()
		err = fn(ctx)
		return kafkaclient.CodeOf(err) == code
	}, func() string { return fmt.Sprintf("%s: want %s, last error %v", what, kafkaclient.CodeName(code), err) })
	t.Logf("%s: %v", what, err)
	assert.False(t, kafkaclient.IsRetriable(err), "an authorization failure is not retriable as is")
	return err
}

// aclTopicDenied: a DENY WRITE ACL on a topic makes alice's produce fail
// with TOPIC_AUTHORIZATION_FAILED; once deleted, she produces again.
func (e *secEnv) aclTopicDenied(t *testing.T) {
	sa := e.superAdmin(t)
	topic := e.topic(t, sa, "acl-denied", 1)
	alice := e.configMap("SASL_PLAINTEXT", "PLAIN", e.s.Password, nil)
	produce := func(ctx context.Context) error {
		p := e.producer(t, alice, nil)
		defer secClose(t, p.Close)
		return p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("v")))
	}
	require.NoError(t, Retrying(t, func() error { return produce(Ctx(t)) }), "no ACL on the topic yet")

	deny := topicACL(topic, "User:"+e.s.Username, kafkaclient.ACLOperationWrite, kafkaclient.ACLPermissionDeny)
	require.NoError(t, sa.CreateACLs(Ctx(t), deny))
	t.Cleanup(func() { _, _ = sa.DeleteACLs(context.Background(), kafkaclient.ACL{ResourceName: topic}) })
	err := eventuallyFails(t, "produce denied by an ACL", kafkaclient.CodeTopicAuthorizationFailed, produce)
	require.ErrorIs(t, err, kafkaclient.ErrTopicAuthorizationFailed)

	deleted, err := sa.DeleteACLs(Ctx(t), kafkaclient.ACL{ResourceName: topic})
	require.NoError(t, err)
	assert.Equal(t, []kafkaclient.ACL{deny}, deleted)
	waitFor(t, func() bool { return produce(Ctx(t)) == nil }, func() string { return "produce once the ACL is deleted" })
}

// aclGroupDenied: a DENY READ ACL on a group makes alice's reads of the
// group's offsets fail with GROUP_AUTHORIZATION_FAILED, from a consumer
// and from an admin.
func (e *secEnv) aclGroupDenied(t *testing.T) {
	sa := e.superAdmin(t)
	topic := e.topic(t, sa, "acl-group", 1)
	group := kafkatest.UniqueName(t, "acl-group")
	deny := kafkaclient.ACL{ResourceType: kafkaclient.ACLResourceGroup, ResourceName: group, Principal: "User:" + e.s.Username,
		Operation: kafkaclient.ACLOperationRead, Permission: kafkaclient.ACLPermissionDeny}
	require.NoError(t, sa.CreateACLs(Ctx(t), deny))
	t.Cleanup(func() { _, _ = sa.DeleteACLs(context.Background(), kafkaclient.ACL{ResourceName: group}) })

	alice := e.configMap("SASL_PLAINTEXT", "PLAIN", e.s.Password, kafkaclient.ConfigMap{"group.id": group, "enable.auto.commit": false})
	c := e.consumer(t, alice, nil)
	eventuallyFails(t, "Committed of a denied group", kafkaclient.CodeGroupAuthorizationFailed, func(ctx context.Context) error {
		_, err := c.Committed(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0})
		return err
	})
	a := e.admin(t, e.configMap("SASL_PLAINTEXT", "PLAIN", e.s.Password, nil), nil)
	eventuallyFails(t, "ListConsumerGroupOffsets of a denied group", kafkaclient.CodeGroupAuthorizationFailed, func(ctx context.Context) error {
		_, err := a.ListConsumerGroupOffsets(ctx, group)
		return err
	})
	if e.Caps.ManualAssign {
		require.NoError(t, c.Assign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 0)))
		eventuallyFails(t, "a commit for a denied group", kafkaclient.CodeGroupAuthorizationFailed, func(ctx context.Context) error {
			return c.CommitOffsets(ctx, kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1})
		})
	}
}

// scramUserLogsIn: a SCRAM-SHA-256 user created through the admin
// produces at once; deleted, it is refused with a typed authentication
// error.
func (e *secEnv) scramUserLogsIn(t *testing.T) {
	sa := e.superAdmin(t)
	topic := e.topic(t, sa, "scram-login", 1)
	user, password := kafkatest.UniqueName(t, "scram-login"), kafkatest.UniqueName(t, "pw")
	e.secrets = append(e.secrets, password)
	require.NoError(t, sa.UpsertUserScramCredentials(Ctx(t), kafkaclient.ScramUpsertion{User: user, Mechanism: kafkaclient.ScramSHA256, Password: password}))
	creds := e.configMap("SASL_PLAINTEXT", "SCRAM-SHA-256", password, kafkaclient.ConfigMap{"sasl.username": user})
	produce := func(ctx context.Context) error {
		p := e.producer(t, creds, nil)
		defer secClose(t, p.Close)
		return p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("v")))
	}
	var err error
	waitFor(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), AuthTimeout)
		defer cancel()
		err = produce(ctx)
		return err == nil
	}, func() string { return fmt.Sprintf("the new user produces: %v", err) })

	require.NoError(t, sa.DeleteUserScramCredentials(Ctx(t), kafkaclient.ScramDeletion{User: user, Mechanism: kafkaclient.ScramSHA256}))
	waitFor(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), AuthTimeout)
		defer cancel()
		err = produce(ctx)
		return err != nil
	}, func() string { return "the deleted user is refused" })
	requireAuthError(t, err)
	e.requireNoSecret(t, "an error", err.Error())
}
