// Package kafkatest helps test code that uses kafkaclient: an embedded Kafka
// broker that runs in the test process, and an in-memory mock producer.
//
// NewCluster starts franz-go's kfake broker on loopback, so tests need no
// Kafka installation, no Docker and no network. When the environment variable
// KAFKA_BOOTSTRAP_SERVERS is set, NewCluster uses that cluster instead, so
// the same tests run against real Kafka:
//
//	KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 go test ./...
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaclient/kafkaclient"
)

// EnvBootstrapServers names the environment variable that points NewCluster
// at an external cluster (comma-separated host:port list).
const EnvBootstrapServers = "KAFKA_BOOTSTRAP_SERVERS"

// Cluster is a Kafka cluster for a test: embedded, or external.
type Cluster struct {
	addrs []string
	fake  *kfake.Cluster
	adm   *kadm.Client
	cl    *kgo.Client
}

type clusterConfig struct {
	brokers  int
	opts     []kfake.Opt
	embedded bool
}

// ClusterOption configures NewCluster.
type ClusterOption func(*clusterConfig)

// Brokers sets the number of embedded brokers (default 1). It does not
// apply to an external cluster.
func Brokers(n int) ClusterOption { return func(c *clusterConfig) { c.brokers = n } }

// FakeOptions passes options to the embedded kfake cluster, such as
// kfake.EnableSASL. They do not apply to an external cluster.
func FakeOptions(opts ...kfake.Opt) ClusterOption {
	return func(c *clusterConfig) { c.opts = append(c.opts, opts...) }
}

// Embedded always starts the embedded broker, even when
// KAFKA_BOOTSTRAP_SERVERS is set: for tests and examples that own their
// cluster's whole state (fixed topic and group names).
func Embedded() ClusterOption { return func(c *clusterConfig) { c.embedded = true } }

// NewCluster returns a running cluster and stops it (if embedded) when the
// test ends. It fails the test if the cluster cannot start or be reached.
func NewCluster(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	c, err := Start(opts...)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Start is NewCluster outside a test: call Close when done.
func Start(opts ...ClusterOption) (*Cluster, error) {
	cfg := clusterConfig{brokers: 1}
	for _, o := range opts {
		o(&cfg)
	}
	c := &Cluster{}
	if env := strings.TrimSpace(os.Getenv(EnvBootstrapServers)); env != "" && !cfg.embedded {
		for _, a := range strings.Split(env, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.addrs = append(c.addrs, a)
			}
		}
	} else {
		kopts := append([]kfake.Opt{
			kfake.NumBrokers(cfg.brokers),
			kfake.GroupMinSessionTimeout(100 * time.Millisecond),
			// Expired share-group record locks are found within 200ms
			// rather than 5s, so that a short lock duration set on a
			// group takes effect promptly.
			kfake.BrokerConfigs(map[string]string{"share.record.lock.sweep.interval.ms": "200"}),
		}, cfg.opts...)
		fake, err := kfake.NewCluster(kopts...)
		if err != nil {
			return nil, fmt.Errorf("starting embedded broker: %w", err)
		}
		c.fake = fake
		c.addrs = fake.ListenAddrs()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.MetadataMinAge(50*time.Millisecond))
	if err != nil {
		c.Close()
		return nil, err
	}
	c.cl, c.adm = cl, kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.adm.BrokerMetadata(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster at %v is not reachable: %w", c.addrs, err)
	}
	return c, nil
}

// Close stops an embedded cluster; for an external one it only disconnects.
func (c *Cluster) Close() {
	if c.cl != nil {
		c.cl.Close()
	}
	if c.fake != nil {
		c.fake.Close()
	}
}

// BootstrapServers returns the cluster's addresses.
func (c *Cluster) BootstrapServers() []string { return append([]string(nil), c.addrs...) }

// External reports whether the cluster came from KAFKA_BOOTSTRAP_SERVERS.
func (c *Cluster) External() bool { return c.fake == nil }

// Fake returns the embedded kfake cluster, for fault injection; nil for an
// external cluster.
func (c *Cluster) Fake() *kfake.Cluster { return c.fake }

// ClientConfig returns a ClientConfig pointing at the cluster.
func (c *Cluster) ClientConfig() kafkaclient.ClientConfig {
	return kafkaclient.ClientConfig{BootstrapServers: c.BootstrapServers()}
}

// ProducerConfig returns a ProducerConfig with defaults, pointing at the
// cluster.
func (c *Cluster) ProducerConfig() kafkaclient.ProducerConfig {
	return kafkaclient.ProducerConfig{ClientConfig: c.ClientConfig()}
}

// ConsumerConfig returns a ConsumerConfig for group (which may be empty),
// reading from the earliest offset, pointing at the cluster.
func (c *Cluster) ConsumerConfig(group string) kafkaclient.ConsumerConfig {
	return kafkaclient.ConsumerConfig{
		ClientConfig:    c.ClientConfig(),
		GroupID:         group,
		AutoOffsetReset: kafkaclient.OffsetResetEarliest,
	}
}

var seq atomic.Int64

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// UniqueName returns a topic or group name unique to this process and
// derived from the test's name.
func UniqueName(t testing.TB, prefix string) string {
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 150 {
		name = name[len(name)-150:]
	}
	return fmt.Sprintf("%s-%s-%d-%d", prefix, name, os.Getpid()%100000, seq.Add(1))
}

// CreateTopic creates a topic with a unique name and the given partition
// count (replication factor 1, or every broker up to 3 for a multi-broker
// external cluster is not assumed), deletes it when the test ends, and
// returns its name.
func (c *Cluster) CreateTopic(t testing.TB, partitions int32, configs ...string) string {
	t.Helper()
	name := UniqueName(t, "topic")
	c.CreateTopicNamed(t, name, partitions, 1, configs...)
	return name
}

// CreateTopicNamed creates topic name with the given partitions, replication
// factor and configs (given as "key", "value" pairs), waits until every
// broker knows it, and deletes it when the test ends.
func (c *Cluster) CreateTopicNamed(t testing.TB, name string, partitions int32, rf int16, configs ...string) {
	t.Helper()
	if len(configs)%2 != 0 {
		t.Fatalf("kafkatest: configs must be key, value pairs")
	}
	var cfg map[string]*string
	for i := 0; i < len(configs); i += 2 {
		if cfg == nil {
			cfg = map[string]*string{}
		}
		v := configs[i+1]
		cfg[configs[i]] = &v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.adm.CreateTopic(ctx, partitions, rf, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("kafkatest: creating topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c.adm.DeleteTopics(ctx, name) //nolint:errcheck // best effort clean-up
	})
	if err := c.WaitForTopic(ctx, name, partitions); err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
}

// WaitForTopic waits until every broker's metadata shows topic with all its
// partitions led: on a real multi-broker cluster a new topic reaches the
// brokers a few moments apart, and a client may ask any of them.
func (c *Cluster) WaitForTopic(ctx context.Context, topic string, partitions int32) error {
	for {
		if c.topicReadyEverywhere(ctx, topic, partitions) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s not ready on every broker: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) topicReadyEverywhere(ctx context.Context, topic string, partitions int32) bool {
	brokers, err := c.adm.BrokerMetadata(ctx)
	if err != nil || len(brokers.Brokers) == 0 {
		return false
	}
	for _, b := range brokers.Brokers {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, c.cl.Broker(int(b.NodeID)))
		if err != nil || len(resp.Topics) != 1 {
			return false
		}
		t := resp.Topics[0]
		if t.ErrorCode != 0 || int32(len(t.Partitions)) != partitions {
			return false
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Leader < 0 {
				return false
			}
		}
	}
	return true
}

// Admin returns a franz-go admin client on the cluster, for test set-up that
// must not depend on the backend under test.
func (c *Cluster) Admin() *kadm.Client { return c.adm }

// CloseClient closes a client the test opened, given its Close method,
// within 15 seconds, and fails t on an error other than ErrClosed (from a
// client the test closed already). It suits defer and t.Cleanup.
func CloseClient(t testing.TB, close func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := close(ctx); err != nil && !errors.Is(err, kafkaclient.ErrClosed) {
		t.Errorf("close: %v", err)
	}
}
