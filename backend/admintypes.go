package backend

import (
	"context"
	"fmt"
	"strconv"
)

// Configs. The numbers are Kafka's, as DescribeConfigs and
// IncrementalAlterConfigs carry them.

// ConfigResourceType is the kind of resource a config belongs to.
type ConfigResourceType int8

// Config resource types.
const (
	// ConfigResourceTopic is a topic's configs; the name is the topic's.
	ConfigResourceTopic ConfigResourceType = 2
	// ConfigResourceBroker is a broker's configs; the name is its id, as
	// a decimal string, or "" for the cluster-wide broker defaults.
	ConfigResourceBroker ConfigResourceType = 4
	// ConfigResourceGroup is a consumer or share group's configs (KIP-848,
	// KIP-932; Kafka 4.0+); the name is the group id.
	ConfigResourceGroup ConfigResourceType = 32
)

// ConfigResource names a topic, broker or group whose configs are
// described or altered.
type ConfigResource struct {
	Type ConfigResourceType
	Name string
}

// ConfigSource is where a config's value comes from.
type ConfigSource int8

// Config sources.
const (
	ConfigSourceUnknown ConfigSource = iota
	// ConfigSourceTopic: set on the topic.
	ConfigSourceTopic
	// ConfigSourceBroker: set dynamically on this broker.
	ConfigSourceBroker
	// ConfigSourceClusterDefault: set dynamically as the default of every
	// broker.
	ConfigSourceClusterDefault
	// ConfigSourceStaticBroker: the broker's server.properties.
	ConfigSourceStaticBroker
	// ConfigSourceDefault: Kafka's default.
	ConfigSourceDefault
	// ConfigSourceBrokerLogger: a broker logger level set dynamically.
	ConfigSourceBrokerLogger
)

// ConfigEntry is one config of a resource.
type ConfigEntry struct {
	Name string
	// Value is the config's value; "" for a sensitive config (a password),
	// whose value is never returned, or one without a value.
	Value     string
	Source    ConfigSource
	ReadOnly  bool
	Sensitive bool
}

// ResourceConfigs are the configs of one resource.
type ResourceConfigs struct {
	Resource ConfigResource
	// Configs are sorted by name.
	Configs []ConfigEntry
	// Err is why this resource could not be described.
	Err error
}

// ConfigOp is what IncrementalAlterConfigs does with one config.
type ConfigOp int8

// Config operations.
const (
	// ConfigOpSet sets the config to Value.
	ConfigOpSet ConfigOp = iota
	// ConfigOpDelete removes the resource's own value: the config falls
	// back to the broker's or Kafka's default.
	ConfigOpDelete
	// ConfigOpAppend adds Value to a list config.
	ConfigOpAppend
	// ConfigOpSubtract removes Value from a list config.
	ConfigOpSubtract
)

// ConfigAlteration changes one config.
type ConfigAlteration struct {
	Op    ConfigOp
	Name  string
	Value string
}

// ACLs. The numbers are Kafka's, as CreateAcls, DescribeAcls and DeleteAcls
// carry them.

// ACLResourceType is the kind of resource an ACL is about.
type ACLResourceType int8

// ACL resource types.
const (
	// ACLResourceAny matches every resource type, in a filter.
	ACLResourceAny             ACLResourceType = 1
	ACLResourceTopic           ACLResourceType = 2
	ACLResourceGroup           ACLResourceType = 3
	ACLResourceCluster         ACLResourceType = 4 // named "kafka-cluster"
	ACLResourceTransactionalID ACLResourceType = 5
	ACLResourceDelegationToken ACLResourceType = 6
	ACLResourceUser            ACLResourceType = 7
)

// ACLPattern says how an ACL's resource name matches resources.
type ACLPattern int8

// ACL pattern types.
const (
	// ACLPatternAny matches every pattern type, in a filter.
	ACLPatternAny ACLPattern = 1
	// ACLPatternMatch, in a filter, matches the ACLs that apply to the
	// named resource: literal, wildcard and prefixed ones.
	ACLPatternMatch ACLPattern = 2
	// ACLPatternLiteral: the resource with exactly this name ("*": every
	// resource of the type).
	ACLPatternLiteral ACLPattern = 3
	// ACLPatternPrefixed: every resource whose name starts with the name.
	ACLPatternPrefixed ACLPattern = 4
)

// ACLOperation is what an ACL allows or denies.
type ACLOperation int8

// ACL operations.
const (
	// ACLOperationAny matches every operation, in a filter.
	ACLOperationAny             ACLOperation = 1
	ACLOperationAll             ACLOperation = 2
	ACLOperationRead            ACLOperation = 3
	ACLOperationWrite           ACLOperation = 4
	ACLOperationCreate          ACLOperation = 5
	ACLOperationDelete          ACLOperation = 6
	ACLOperationAlter           ACLOperation = 7
	ACLOperationDescribe        ACLOperation = 8
	ACLOperationClusterAction   ACLOperation = 9
	ACLOperationDescribeConfigs ACLOperation = 10
	ACLOperationAlterConfigs    ACLOperation = 11
	ACLOperationIdempotentWrite ACLOperation = 12
	ACLOperationCreateTokens    ACLOperation = 13
	ACLOperationDescribeTokens  ACLOperation = 14
)

// ACLPermission says whether an ACL allows or denies.
type ACLPermission int8

// ACL permission types.
const (
	// ACLPermissionAny matches both, in a filter.
	ACLPermissionAny   ACLPermission = 1
	ACLPermissionDeny  ACLPermission = 2
	ACLPermissionAllow ACLPermission = 3
)

// ACL is one access rule: Principal ("User:alice") may, or may not, do
// Operation on the resource from Host ("*": any host). As a filter
// (DescribeACLs, DeleteACLs) an empty string matches every value and the
// Any constants every value of their kind.
type ACL struct {
	ResourceType ACLResourceType
	ResourceName string
	Pattern      ACLPattern
	Principal    string
	Host         string
	Operation    ACLOperation
	Permission   ACLPermission
}

// SCRAM credentials.

// ScramMechanism is a SCRAM hash.
type ScramMechanism int8

// SCRAM mechanisms, numbered as AlterUserScramCredentials carries them.
const (
	ScramSHA256 ScramMechanism = 1
	ScramSHA512 ScramMechanism = 2
)

// ScramCredential is one of a user's SCRAM credentials, without its
// secret.
type ScramCredential struct {
	Mechanism  ScramMechanism
	Iterations int32
}

// UserScramCredentials are the SCRAM credentials of one user.
type UserScramCredentials struct {
	User        string
	Credentials []ScramCredential
	// Err is why this user could not be described (a user with no
	// credentials is RESOURCE_NOT_FOUND).
	Err error
}

// ScramUpsertion creates or replaces a user's credential for one mechanism.
// The root fills in Salt and SaltedPassword (PBKDF2 of Password), so a
// backend sends either Password with Salt, or the salted password, as its
// client takes them.
type ScramUpsertion struct {
	User           string
	Mechanism      ScramMechanism
	Iterations     int32
	Password       string
	Salt           []byte
	SaltedPassword []byte
}

// ScramDeletion deletes a user's credential for one mechanism.
type ScramDeletion struct {
	User      string
	Mechanism ScramMechanism
}

// ConfigManager is implemented by admins that can describe configs and
// alter them incrementally (IncrementalAlterConfigs, Kafka 2.3+).
type ConfigManager interface {
	// DescribeConfigs describes each resource, in any order; a resource's
	// failure is in its Err.
	DescribeConfigs(ctx context.Context, resources []ConfigResource) ([]ResourceConfigs, error)
	// AlterConfigs applies alts to resource, all or none: the broker
	// validates the whole request first. A broker resource's request goes
	// to that broker.
	AlterConfigs(ctx context.Context, resource ConfigResource, alts []ConfigAlteration) error
}

// ACLManager is implemented by admins that can manage ACLs.
type ACLManager interface {
	// CreateACLs creates the ACLs (the root has validated them) and
	// answers each one's error, nil when created, in the order given.
	CreateACLs(ctx context.Context, acls []ACL) ([]error, error)
	// DescribeACLs returns the ACLs filter matches.
	DescribeACLs(ctx context.Context, filter ACL) ([]ACL, error)
	// DeleteACLs deletes the ACLs each filter matches, and returns them.
	// A filter's failure is the call's error.
	DeleteACLs(ctx context.Context, filters []ACL) ([]ACL, error)
}

// ScramManager is implemented by admins that can manage SCRAM credentials
// (Kafka 2.7+).
type ScramManager interface {
	// DescribeUserScramCredentials describes the users (every user with
	// a credential when users is empty), in any order.
	DescribeUserScramCredentials(ctx context.Context, users []string) ([]UserScramCredentials, error)
	// AlterUserScramCredentials applies the upsertions and deletions. A
	// user's failure is an error naming the user.
	AlterUserScramCredentials(ctx context.Context, upsert []ScramUpsertion, del []ScramDeletion) error
}

// IncrementalAssigner is implemented by consumers that can add partitions
// to, and remove them from, a manual assignment without restarting the
// others.
type IncrementalAssigner interface {
	// IncrementalAssign adds the partitions, each starting at its Offset
	// as in Assigner.Assign. ctx bounds the offset look-ups it may need.
	IncrementalAssign(ctx context.Context, partitions []TopicPartition) error
	// IncrementalUnassign stops consuming the partitions, dropping what
	// was fetched of them and not yet returned.
	IncrementalUnassign(ctx context.Context, partitions []TopicPartition) error
}

// WatermarkCacher is implemented by consumers that remember each consumed
// partition's watermarks from their last fetch.
type WatermarkCacher interface {
	// CachedWatermarks returns the log start offset and the high
	// watermark of the partition as the last fetch of it answered; ok is
	// false before any fetch of it. It does no I/O. low is -1 when the
	// client does not know it.
	CachedWatermarks(topic string, partition int32) (low, high int64, ok bool)
}

// name returns names[i], or the number when i is out of range.
func name[T ~int8](names []string, i T) string {
	if i >= 0 && int(i) < len(names) && names[i] != "" {
		return names[i]
	}
	return strconv.Itoa(int(i))
}

// String names the resource type as Kafka does ("TOPIC").
func (t ACLResourceType) String() string {
	return name([]string{"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"}, t)
}

// String names the pattern type as Kafka does ("LITERAL").
func (p ACLPattern) String() string {
	return name([]string{"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"}, p)
}

// String names the operation as Kafka does ("READ").
func (o ACLOperation) String() string {
	return name([]string{"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
		"DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS"}, o)
}

// String names the permission as Kafka does ("ALLOW").
func (p ACLPermission) String() string { return name([]string{"UNKNOWN", "ANY", "DENY", "ALLOW"}, p) }

// String describes the ACL: "User:alice ALLOW READ on TOPIC orders
// (LITERAL) from *".
func (a ACL) String() string {
	return fmt.Sprintf("%s %s %s on %s %s (%s) from %s", a.Principal, a.Permission, a.Operation, a.ResourceType, a.ResourceName, a.Pattern, a.Host)
}
