package guide_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/examples/guide"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// run is one execution of a pattern on one backend.
type run struct {
	backend string
	caps    backend.Capabilities
	// txn: the backend's producer has transactions.
	txn bool
	out string
	err error
}

// lines returns the output's lines.
func (r run) lines() []string { return strings.Split(strings.TrimRight(r.out, "\n"), "\n") }

// pattern is one guide pattern: how to run it and what it must print.
type pattern struct {
	// name is the subtest name.
	name string
	// brokers is the size of the embedded cluster; 0 means 1.
	brokers int
	// run runs the pattern.
	run func(ctx context.Context, env guide.Env) error
	// setup, if set, completes env with access to the cluster.
	setup func(t *testing.T, c *kafkatest.Cluster, env *guide.Env)
	// check asserts what the pattern returned and printed.
	check func(t *testing.T, r run)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// fenceOnNextHeartbeat makes the embedded broker answer the group's next
// heartbeat with ILLEGAL_GENERATION, as a coordinator does for a member it
// has dropped from the group.
func fenceOnNextHeartbeat(c *kafkatest.Cluster) func(context.Context) error {
	return func(context.Context) error {
		c.Fake().ControlKey(kmsg.Heartbeat.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
			resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
			resp.ErrorCode = kerr.IllegalGeneration.Code
			return resp, nil, true
		})
		return nil
	}
}

// unsupportedLine is what a pattern prints when it takes the
// ErrUnsupported path.
func unsupportedLine(backend, what, instead string) string {
	return what + ": unsupported by the " + backend + " backend (UNSUPPORTED); " + instead
}

// want checks that the pattern succeeded and printed exactly lines.
func want(lines ...string) func(t *testing.T, r run) {
	return func(t *testing.T, r run) {
		t.Helper()
		require.NoError(t, r.err)
		assert.Equal(t, lines, r.lines())
	}
}

var patterns = []pattern{
	{
		name: "BasicProducer",
		run:  guide.BasicProducer,
		// order-123 hashes (murmur2) to partition 1 of 6 on every backend.
		check: want(
			`delivered {"id": 123, "event": "created"} to orders[1]@0`,
			`delivered {"id": 123, "event": "paid"} to orders[1]@1`,
			`delivered {"id": 123, "event": "shipped"} to orders[1]@2`,
		),
	},
	{
		name: "ProductionProducer",
		run:  guide.ProductionProducer,
		check: func(t *testing.T, r run) {
			require.NoError(t, r.err)
			lines, idempotence := r.fallback(t, r.caps.Idempotence, "enable.idempotence=true", "opening the producer without it", "true", "false")
			assert.Equal(t, []string{
				"acks=all idempotence=" + idempotence + " delivery.timeout=2m0s max.in.flight=5",
				"batch.size=65536 linger=10ms buffer=100000 messages/1048576 KiB compression=lz4",
				"delivered to orders[1]@0",
			}, lines)
		},
	},
	{
		name: "SynchronousSend",
		run:  guide.SynchronousSend,
		check: want(
			"Delivered to orders [1] at offset 0",
			"Delivered order-123 to orders [1] at offset 1",
			"Delivered order-456 to orders [1] at offset 2",
			"send to a missing topic: unknown topic=true retriable=true",
		),
	},
	{
		name: "SendWithHeaders",
		run:  guide.SendWithHeaders,
		check: want(
			"received order-123 with 2 headers",
			"  correlation-id: abc-123",
			"  source: order-service",
		),
	},
	{
		name: "ProducerErrorChannel",
		setup: func(t *testing.T, _ *kafkatest.Cluster, env *guide.Env) {
			env.Brokers = []string{closedPort(t)}
		},
		run: func(ctx context.Context, env guide.Env) error {
			return guide.ProducerErrorChannel(ctx, env, env.Brokers[0])
		},
		check: func(t *testing.T, r run) {
			require.NoError(t, r.err)
			lines := r.lines()
			require.Len(t, lines, 3)
			assert.Contains(t, []string{
				"producer error: ALL_BROKERS_DOWN (retriable=true)",
				"producer error: TRANSPORT (retriable=true)",
			}, lines[0])
			assert.Equal(t, "critical: no broker reachable, alert and keep retrying", lines[1])
			assert.Equal(t, "delivery failed: MSG_TIMED_OUT", lines[2])
		},
	},
	{
		name: "BasicConsumer",
		run:  func(ctx context.Context, env guide.Env) error { return guide.BasicConsumer(ctx, env, 3) },
		check: want(
			"received: key=key-0 value=order-0 partition=0 offset=0",
			"received: key=key-1 value=order-1 partition=0 offset=1",
			"received: key=key-2 value=order-2 partition=0 offset=2",
			"terminating: context canceled",
			"committed: orders[0]@3",
		),
	},
	{
		name: "ProductionConsumer",
		run:  guide.ProductionConsumer,
		check: func(t *testing.T, r run) {
			require.NoError(t, r.err)
			lines, assignor := r.fallback(t, r.caps.CooperativeRebalance, "partition.assignment.strategy=cooperative-sticky", "falling back to range", "cooperative-sticky", "range")
			assert.Equal(t, []string{
				"client.id=order-processor-1 assignors=[" + assignor + "] auto.commit=false session.timeout=45s heartbeat=15s max.poll.interval=5m0s",
				"fetch.min.bytes=1 fetch.max.bytes=52428800 max.partition.fetch.bytes=1048576",
				"read and committed 6 messages",
				// key-0 ... key-5 hash to partitions 0 (2 keys), 1 (1) and 2 (3).
				"committed: orders[0]@2 orders[1]@1 orders[2]@3",
			}, lines)
		},
	},
	{
		name: "BatchProcessing",
		run:  func(ctx context.Context, env guide.Env) error { return guide.BatchProcessing(ctx, env, 25, 10) },
		check: want(
			"batch of 10: order-0..order-9, committed orders[0]@10",
			"batch of 10: order-10..order-19, committed orders[0]@20",
			"batch of 5: order-20..order-24, committed orders[0]@25",
		),
	},
	{
		name: "RebalanceListener",
		setup: func(_ *testing.T, c *kafkatest.Cluster, env *guide.Env) {
			env.FenceMember = fenceOnNextHeartbeat(c)
		},
		run: guide.RebalanceListener,
		check: func(t *testing.T, r run) {
			require.NoError(t, r.err)
			if r.backend == "segmentio" {
				// kafka-go ends a generation the coordinator fenced like an
				// orderly one, so the segmentio backend reports OnRevoked
				// (and the commit in it) where the others report OnLost.
				assert.Equal(t, []string{
					"partitions assigned: orders[0] orders[1]",
					"processed: p0 p1",
					"partitions revoked: orders[0] orders[1]",
					"committed before the rebalance: orders[0]@1 orders[1]@1",
					"partitions assigned: orders[0] orders[1]",
					"partitions revoked: orders[0] orders[1]",
					"nothing to commit before the rebalance",
					"committed: orders[0]@1 orders[1]@1",
				}, r.lines())
				return
			}
			assert.Equal(t, []string{
				"partitions assigned: orders[0] orders[1]",
				"processed: p0 p1",
				"partitions lost: orders[0] orders[1] (not committing)",
				"partitions assigned: orders[0] orders[1]",
				"read again after the loss: p0 p1",
				"partitions revoked: orders[0] orders[1]",
				"committed before the rebalance: orders[0]@1 orders[1]@1",
				"committed: orders[0]@1 orders[1]@1",
			}, r.lines())
		},
	},
	{
		name: "GracefulShutdown",
		run:  func(ctx context.Context, env guide.Env) error { return guide.GracefulShutdown(ctx, env, 3) },
		check: want(
			"processing order-0",
			"processing order-1",
			"processing order-2",
			"terminating: context canceled",
			"closed after 3 messages",
			"committed: orders[0]@3",
		),
	},
	{
		name:    "CreateTopics",
		brokers: 3,
		run:     guide.CreateTopics,
		check: want(
			"Created topic orders (6 partitions, replication factor 3)",
			"Failed to create topic orders: TOPIC_ALREADY_EXISTS",
			"retention.ms=604800000 cleanup.policy=delete",
		),
	},
	{
		name:    "DescribeTopics",
		brokers: 3,
		run:     guide.DescribeTopics,
		check: func(t *testing.T, r run) {
			require.NoError(t, r.err)
			lines := r.lines()
			require.Len(t, lines, 5)
			assert.Equal(t, "Topic: orders", lines[0])
			for i, line := range lines[1:4] {
				// Leaders are spread over the brokers; every broker holds
				// a replica, all in sync.
				assert.Regexp(t, fmt.Sprintf(`^  Partition %d: leader=[012] replicas=\[0 1 2\] isr=\[0 1 2\]$`, i), line)
			}
			assert.Equal(t, "Topic: orders-missing: UNKNOWN_TOPIC_OR_PARTITION", lines[4])
		},
	},
	{
		name: "ListConsumerGroups",
		run:  guide.ListConsumerGroups,
		check: want(
			"Group: order-processors (state: Stable)",
			"member left",
			"Group: order-processors (state: Empty)",
		),
	},
	{
		name: "DescribeConsumerGroups",
		run:  guide.DescribeConsumerGroups,
		check: want(
			"Group: order-processors",
			"State: Stable",
			"Assignor: range",
			"Members:",
			"  client order-processor-1: member id assigned=true, 1 partition(s) of orders",
			"  client order-processor-2: member id assigned=true, 1 partition(s) of orders",
			"Error describing group order-processors-missing: GROUP_ID_NOT_FOUND",
		),
	},
	{
		name: "ProducerErrorHandling",
		run:  guide.ProducerErrorHandling,
		check: want(
			"order-big: message too large, sent to the DLQ",
			"order-small: delivered to orders[0]@0",
			"TOPIC_AUTHORIZATION_FAILED (constructed): authorization failed for topic orders: needs an operator",
			"BROKER_NOT_AVAILABLE (constructed): broker not available: BROKER_NOT_AVAILABLE",
			"NOT_ENOUGH_REPLICAS (constructed): retriable error, retries exhausted: NOT_ENOUGH_REPLICAS",
			"INVALID_RECORD (constructed): production error: INVALID_RECORD",
			"ALL_BROKERS_DOWN event (constructed): all brokers down - critical error",
			"DLQ orders-dlq[0]@0: key=order-big, 50000 bytes, dlq-error-code=MESSAGE_TOO_LARGE, dlq-original-topic=orders",
		),
	},
	{
		name: "ConsumerErrorHandling",
		run:  guide.ConsumerErrorHandling,
		check: want(
			"ReadMessage on an empty topic (real): no message yet, continue=true",
			"processing error at offset 0: order id is not a number; sent to orders-dlq",
			"processed offset 1",
			"PARTITION_EOF (constructed): end of partition, continue=true",
			"UNKNOWN_TOPIC_OR_PARTITION (constructed): topic does not exist, continue=true",
			"TOPIC_AUTHORIZATION_FAILED (constructed): authorization failed, continue=false",
			"COORDINATOR_NOT_AVAILABLE (constructed): retriable error: COORDINATOR_NOT_AVAILABLE, continue=true",
			"GROUP_AUTHORIZATION_FAILED (constructed): fatal consumer error: GROUP_AUTHORIZATION_FAILED, continue=false",
			"committed: orders[0]@2",
		),
	},
	{
		name: "ErrorClassification",
		run:  guide.ErrorClassification,
		check: want(
			"produce 2 MiB (real)                 MESSAGE_TOO_LARGE            invalid_message",
			"produce to a missing topic (real)    UNKNOWN_TOPIC_OR_PARTITION   retriable",
			"topic authorization                  TOPIC_AUTHORIZATION_FAILED   authorization",
			"group authorization                  GROUP_AUTHORIZATION_FAILED   authorization",
			"cluster authorization                CLUSTER_AUTHORIZATION_FAILED authorization",
			"corrupt message                      CORRUPT_MESSAGE              invalid_message",
			"invalid record                       INVALID_RECORD               invalid_message",
			"record list too large                RECORD_LIST_TOO_LARGE        invalid_message",
			"network exception                    NETWORK_EXCEPTION            network",
			"all brokers down                     ALL_BROKERS_DOWN             network",
			"broker not available                 BROKER_NOT_AVAILABLE         network",
			"not enough replicas                  NOT_ENOUGH_REPLICAS          retriable",
			"request timed out                    REQUEST_TIMED_OUT            retriable",
			"producer fenced                      PRODUCER_FENCED              fatal",
			"invalid config                       INVALID_CONFIG               other",
			"not a kafkaclient error              -                            unknown",
		),
	},
	{
		name: "ExactlyOnce",
		run:  guide.ExactlyOnce,
		check: func(t *testing.T, r run) {
			if !r.txn {
				require.ErrorIs(t, r.err, kafkaclient.ErrUnsupported)
				assert.Equal(t, []string{
					unsupportedLine(r.backend, "transactional.id", "exactly-once processing is not available"),
				}, r.lines())
				return
			}
			require.NoError(t, r.err)
			assert.Equal(t, []string{
				"transaction committed: order-0,order-1 -> orders-enriched, offsets orders[0]@2",
				"transaction committed: order-2,order-3 -> orders-enriched, offsets orders[0]@4",
				"transaction aborted",
				"committed: orders[0]@4",
				"read_committed consumer of orders-enriched sees: ORDER-0,ORDER-1,ORDER-2,ORDER-3",
			}, r.lines())
		},
	},
}

// TestGuide runs every pattern on every backend, each on a fresh embedded
// cluster, and checks what it printed.
func TestGuide(t *testing.T) {
	for _, b := range selectedBackends(t) {
		t.Run(b.Name(), func(t *testing.T) {
			for _, p := range patterns {
				t.Run(p.name, func(t *testing.T) {
					cluster := kafkatest.NewCluster(t, kafkatest.Embedded(), kafkatest.Brokers(max(p.brokers, 1)))
					var out bytes.Buffer
					env := guide.Env{
						Brokers: cluster.BootstrapServers(),
						Options: []kafkaclient.Option{kafkaclient.WithBackend(b)},
						Out:     &out,
					}
					if p.setup != nil {
						p.setup(t, cluster, &env)
					}
					ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
					defer cancel()
					start := time.Now()
					err := p.run(ctx, env)
					t.Logf("%s on %s in %v, err=%v:\n%s", p.name, b.Name(), time.Since(start).Round(time.Millisecond), err, out.String())
					if p.check != nil {
						p.check(t, run{backend: b.Name(), caps: b.Capabilities(), txn: hasTransactions(t, b, cluster), out: out.String(), err: err})
					}
				})
			}
		})
	}
}

// fallback returns the lines of r and the value on, or, where the backend
// lacks a setting (supported false), checks that the first line says so and
// what the pattern does instead, and returns the other lines and off.
func (r run) fallback(t *testing.T, supported bool, setting, instead, on, off string) ([]string, string) {
	t.Helper()
	lines := r.lines()
	if supported {
		return lines, on
	}
	require.NotEmpty(t, lines)
	assert.Equal(t, unsupportedLine(r.backend, setting, instead), lines[0])
	return lines[1:], off
}

// hasTransactions reports whether b's producer has the transaction calls.
func hasTransactions(t *testing.T, b kafkaclient.Backend, c *kafkatest.Cluster) bool {
	p, err := kafkaclient.NewProducer(c.ProducerConfig(), kafkaclient.WithBackend(b))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // nothing was produced
	return p.Capabilities().Transactions
}
