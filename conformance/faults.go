package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// EnvFaultCluster names the environment variable that enables the fault
// cases: the comma-separated bootstrap servers of the 3-node cluster started
// by scripts/kafka up --nodes 3.
const EnvFaultCluster = "KAFKA_FAULT_CLUSTER"

// faultCluster is a real Kafka cluster of three nodes (ids 1, 2, 3; replication
// factor 3, min.insync.replicas 2) whose nodes the fault cases kill and
// restart.
type faultCluster struct {
	// BootstrapServers are the nodes' client addresses.
	BootstrapServers []string
	// Kill stops one node at once (SIGKILL), keeping its data.
	Kill func(nodeID int32) error
	// Stop stops one node gracefully (SIGTERM: controlled shutdown),
	// keeping its data, and returns once it has exited.
	Stop func(nodeID int32) error
	// Start restarts killed nodes with their data and returns once they
	// serve; nodes already running are left alone, paused ones resumed.
	// Several ids start together: after every node was killed, a lone node
	// cannot form the controller quorum.
	Start func(nodeIDs ...int32) error
	// Pause freezes one node (SIGSTOP): it hangs with its connections
	// open, as in a long GC pause or on a stalled disk.
	Pause func(nodeID int32) error
	// Resume lets a paused node run again (SIGCONT).
	Resume func(nodeID int32) error
}

// scriptFaultCluster returns a faultCluster on servers whose nodes are
// killed and restarted with the repository's scripts/kafka, found at script.
func scriptFaultCluster(script string, servers []string) faultCluster {
	run := func(timeout time.Duration, args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, script, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", script, strings.Join(args, " "), err, out)
		}
		return nil
	}
	node := func(cmd string) func(int32) error {
		return func(id int32) error { return run(30*time.Second, cmd, strconv.Itoa(int(id)), "--nodes", "3") }
	}
	return faultCluster{
		BootstrapServers: slices.Clone(servers),
		Kill:             node("kill"),
		Stop:             node("stop"),
		Pause:            node("pause"),
		Resume:           node("resume"),
		Start: func(ids ...int32) error {
			args := []string{"start-node"}
			for _, id := range ids {
				args = append(args, strconv.Itoa(int(id)))
			}
			return run(3*time.Minute, append(args, "--nodes", "3")...)
		},
	}
}

// faultClusterFromEnv returns the cluster named by KAFKA_FAULT_CLUSTER, its
// nodes driven by script (see scriptFaultCluster). It skips t when the
// variable is unset, and fails it when the variable does not hold host:port
// addresses or the script is missing, before any node is touched.
func faultClusterFromEnv(t *testing.T, script string) faultCluster {
	t.Helper()
	env := os.Getenv(EnvFaultCluster)
	var servers []string
	for a := range strings.SplitSeq(env, ",") {
		if a = strings.TrimSpace(a); a != "" {
			servers = append(servers, a)
		}
	}
	if len(servers) == 0 {
		t.Skipf("%s unset: the fault cases run when it is set to the bootstrap servers of the 3-node cluster that scripts/kafka up --nodes 3 starts (as .ci/run does)", EnvFaultCluster)
	}
	for _, a := range servers {
		host, port, err := net.SplitHostPort(a)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
			t.Fatalf("%s=%q: %q is not host:port; set it to the bootstrap servers that scripts/kafka up --nodes 3 prints", EnvFaultCluster, env, a)
		}
	}
	if script == "" {
		t.Fatalf("fault cases: the path of scripts/kafka is unknown; set Harness.KafkaScript")
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("fault cases: scripts/kafka not found at %s (set Harness.KafkaScript): %v", script, err)
	}
	return scriptFaultCluster(script, servers)
}

var faultCases = []groupCase[*faultEnv]{
	{"leader_killed_while_producing_100k_keyed", "SIGKILL of a partition leader while 100k keyed messages are produced with acks=all loses no acknowledged message; idempotent backends write no duplicate and keep per-key order.", faultLeaderKilled},
	{"group_member_crash_mid_stream", "A group member that crashes between processing and committing a batch has its partitions taken over; every message is processed, duplicates only from its uncommitted window.", faultMemberCrash},
	{"broker_restart_under_load", "A producer and a group consumer keep working, without being recreated, across a broker's SIGKILL and restart; every acknowledged message is consumed.", faultBrokerRestart},
	{"leader_hung_30s", "A partition leader frozen for 30 s (SIGSTOP, then SIGCONT) while 100k keyed messages are produced and consumed: the same clients recover, no Produce call outlives its context, nothing acknowledged is lost; idempotent backends write no duplicate and keep per-key order.", faultLeaderHung},
	{"rolling_restart", "Every broker in turn stopped gracefully (SIGTERM) and restarted under steady load, as in a deploy: the same producer and group consumer keep working through each restart, and nothing acknowledged is lost; idempotent backends write no duplicate and keep per-key order.", faultRollingRestart},
	{"group_churn_60s", "For 60 s a group of three members under steady load loses a member (killed between processing and committing) or gains one every 4 s: every message is processed, duplicates only from uncommitted batches, and no partition stays without an owner longer than the session timeout.", faultGroupChurn},
	{"exactly_once_pipeline_under_leader_kill", "A consume-transform-produce loop in transactions, under steady keyed input, while the leader of an input partition, the leader of an output partition and the transaction coordinator are SIGKILLed in turn: a read_committed reader of the output reads every acknowledged input exactly once, in per-key order (ErrUnsupported without transactions).", faultExactlyOnce},
	{"whole_cluster_unreachable", "With every broker down, delivery fails with MSG_TIMED_OUT once delivery.timeout.ms has passed, not before, and Flush and Close return by their deadlines.", faultClusterDown},
}

// runFaults runs the fault-tolerance cases against fc with h.Backend, each
// as a subtest of t: nodes are killed and restarted, so the cluster must not
// be shared with other tests while it runs (run one package at a time: go
// test -p 1). Every case leaves all nodes running and in sync, and checks
// that its clients left no goroutine behind. Results (lost, duplicated and
// failed messages, timings) are logged as lines starting with "RESULT".
func runFaults(t *testing.T, h Harness, fc faultCluster) {
	require.NotEmpty(t, fc.BootstrapServers, "faultCluster.BootstrapServers is required")
	require.NotNil(t, fc.Kill, "faultCluster.Kill is required")
	require.NotNil(t, fc.Start, "faultCluster.Start is required")
	require.NotNil(t, fc.Stop, "faultCluster.Stop is required")
	require.NotNil(t, fc.Pause, "faultCluster.Pause is required")
	require.NotNil(t, fc.Resume, "faultCluster.Resume is required")
	// The cases close clients with expired contexts, which may still be
	// winding down when the case ends.
	runGroupCases(t, h, "faults", faultCases, 30*time.Second, func(t *testing.T) *faultEnv {
		return newFaultEnv(t, h.Backend, fc)
	})
}

// faultEnv is what a fault case works with.
type faultEnv struct {
	b     kafkaclient.Backend
	fc    faultCluster
	admin *kafkaclient.Admin

	mu     sync.Mutex
	down   map[int32]bool // nodes this case killed and has not restarted
	paused map[int32]bool // nodes this case paused and has not resumed
}

const (
	faultPartitions  = 6
	faultNodes       = 3
	healthyTimeout   = 2 * time.Minute
	faultCaseTimeout = 4 * time.Minute
)

func newFaultEnv(t *testing.T, b kafkaclient.Backend, fc faultCluster) *faultEnv {
	t.Helper()
	e := &faultEnv{b: b, fc: fc, down: map[int32]bool{}, paused: map[int32]bool{}}
	// A previous run may have stopped with nodes down.
	require.NoError(t, fc.Start(1, 2, 3))
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: e.clientConfig()}, kafkaclient.WithBackend(b))
	require.NoError(t, err)
	e.admin = a
	t.Cleanup(func() { closeWithin(t, a.Close) })
	// Runs before the admin closes and after the case's own clean-ups
	// (clients closed, topics deleted): every node runs again.
	t.Cleanup(func() { e.restoreAll(t) })
	ctx, cancel := context.WithTimeout(t.Context(), healthyTimeout)
	defer cancel()
	_, err = e.waitHealthy(ctx)
	require.NoError(t, err)
	return e
}

func (e *faultEnv) clientConfig() kafkaclient.ClientConfig {
	return kafkaclient.ClientConfig{BootstrapServers: slices.Clone(e.fc.BootstrapServers)}
}

func (e *faultEnv) producerConfig() kafkaclient.ProducerConfig {
	return kafkaclient.ProducerConfig{ClientConfig: e.clientConfig()}
}

func (e *faultEnv) consumerConfig(group string) kafkaclient.ConsumerConfig {
	cfg := kafkaclient.ConsumerConfig{ClientConfig: e.clientConfig(), GroupID: group, AutoOffsetReset: kafkaclient.OffsetResetEarliest}
	quickGroup(&cfg)
	// Longer than the other cases': between two polls a member may spend
	// up to 10 s committing while a node fails over.
	cfg.MaxPollInterval = 30 * time.Second
	return cfg
}

// producer opens a producer closed at the end of the case.
func (e *faultEnv) producer(t *testing.T, cfg kafkaclient.ProducerConfig) *kafkaclient.Producer {
	t.Helper()
	return open(t, e.b, kafkaclient.NewProducer, cfg)
}

// consumer opens a consumer closed at the end of the case.
func (e *faultEnv) consumer(t *testing.T, cfg kafkaclient.ConsumerConfig) *kafkaclient.Consumer {
	t.Helper()
	return open(t, e.b, kafkaclient.NewConsumer, cfg)
}

func (e *faultEnv) idempotent() bool { return e.b.Capabilities().Idempotence }

// topic creates a topic with replication factor 3, deleted at the end of
// the case, and waits until every partition has a leader and 3 in-sync
// replicas.
func (e *faultEnv) topic(t *testing.T, partitions int32) string {
	t.Helper()
	name := kafkatest.UniqueName(t, "fault")
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	rs, err := e.admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: name, Partitions: partitions, ReplicationFactor: faultNodes})
	require.NoError(t, err)
	for _, r := range rs {
		require.NoError(t, r.Err, "create topic %s", name)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		e.admin.DeleteTopics(ctx, name) //nolint:errcheck // best effort clean-up
	})
	for {
		if ok, _ := e.topicInSync(ctx, name, partitions); ok {
			return name
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s: partitions not led with %d in-sync replicas within %v", name, faultNodes, Timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// topicInSync reports whether every partition of topic has a leader and all
// its replicas in sync; partitions <= 0 accepts any count.
func (e *faultEnv) topicInSync(ctx context.Context, topic string, partitions int32) (bool, string) {
	tds, err := e.admin.DescribeTopics(ctx, topic)
	if err != nil {
		return false, err.Error()
	}
	if len(tds) != 1 || tds[0].Err != nil {
		return false, fmt.Sprintf("describe %s: %+v", topic, tds)
	}
	td := tds[0]
	if partitions > 0 && int32(len(td.Partitions)) != partitions {
		return false, fmt.Sprintf("%s has %d partitions", topic, len(td.Partitions))
	}
	for _, p := range td.Partitions {
		if p.Leader < 0 || len(p.ISR) < faultNodes {
			return false, fmt.Sprintf("%s[%d] leader %d isr %v", topic, p.ID, p.Leader, p.ISR)
		}
	}
	return true, ""
}

// waitHealthy waits until the cluster shows every node and each topic every
// partition with a leader and 3 in-sync replicas.
func (e *faultEnv) waitHealthy(ctx context.Context, topics ...string) (time.Duration, error) {
	start := time.Now()
	why := ""
	for {
		healthy := true
		cd, err := e.admin.DescribeCluster(ctx)
		switch {
		case err != nil:
			healthy, why = false, err.Error()
		case len(cd.Brokers) != faultNodes:
			healthy, why = false, fmt.Sprintf("%d brokers", len(cd.Brokers))
		}
		for _, topic := range topics {
			if !healthy {
				break
			}
			healthy, why = e.topicInSync(ctx, topic, 0)
		}
		if healthy {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("cluster not healthy after %v: %s", time.Since(start).Round(time.Millisecond), why)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// leader returns the leader of topic's partition.
func (e *faultEnv) leader(t *testing.T, topic string, partition int32) (leader int32, led []int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	tds, err := e.admin.DescribeTopics(ctx, topic)
	require.NoError(t, err)
	require.Len(t, tds, 1)
	require.NoError(t, tds[0].Err)
	leader = -1
	for _, p := range tds[0].Partitions {
		if p.ID == partition {
			leader = p.Leader
		}
	}
	require.GreaterOrEqual(t, leader, int32(0), "partition %d of %s has no leader", partition, topic)
	for _, p := range tds[0].Partitions {
		if p.Leader == leader {
			led = append(led, p.ID)
		}
	}
	sort.Slice(led, func(i, j int) bool { return led[i] < led[j] })
	return leader, led
}

func (e *faultEnv) kill(t *testing.T, ids ...int32) {
	t.Helper()
	for _, id := range ids {
		e.takeDown(t, id, e.fc.Kill)
	}
}

// takeDown stops node id with stop, which kills it or shuts it down, and
// returns how long that took.
func (e *faultEnv) takeDown(t *testing.T, id int32, stop func(int32) error) time.Duration {
	t.Helper()
	e.mu.Lock()
	e.down[id] = true
	e.mu.Unlock()
	start := time.Now()
	require.NoError(t, stop(id))
	return time.Since(start)
}

// start restarts the nodes and returns how long that took.
func (e *faultEnv) start(t *testing.T, ids ...int32) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, e.fc.Start(ids...))
	e.mu.Lock()
	for _, id := range ids {
		delete(e.down, id)
	}
	e.mu.Unlock()
	return time.Since(start)
}

// pause freezes node id and returns when it was paused.
func (e *faultEnv) pause(t *testing.T, id int32) time.Time {
	t.Helper()
	e.mu.Lock()
	e.paused[id] = true
	e.mu.Unlock()
	require.NoError(t, e.fc.Pause(id))
	return time.Now()
}

// resume lets node id run again and returns when it was resumed.
func (e *faultEnv) resume(t *testing.T, id int32) time.Time {
	t.Helper()
	require.NoError(t, e.fc.Resume(id))
	e.mu.Lock()
	delete(e.paused, id)
	e.mu.Unlock()
	return time.Now()
}

// restoreAll resumes and restarts nodes a failed case left paused or down,
// and waits until the cluster is healthy, so that the next case starts from
// a whole cluster.
func (e *faultEnv) restoreAll(t *testing.T) {
	e.mu.Lock()
	var ids []int32
	for id := range e.down {
		ids = append(ids, id)
	}
	paused := e.paused
	e.down, e.paused = map[int32]bool{}, map[int32]bool{}
	e.mu.Unlock()
	for id := range paused {
		if err := e.fc.Resume(id); err != nil {
			t.Errorf("resuming node %d: %v", id, err)
		}
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		if err := e.fc.Start(ids...); err != nil {
			t.Errorf("restarting nodes %v: %v", ids, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthyTimeout)
	defer cancel()
	if _, err := e.waitHealthy(ctx); err != nil {
		t.Errorf("after the case: %v", err)
	}
}

func result(t *testing.T, e *faultEnv, format string, args ...any) {
	t.Helper()
	t.Logf("RESULT backend=%s case=%s "+format, append([]any{e.b.Name(), t.Name()[strings.LastIndex(t.Name(), "/")+1:]}, args...)...)
}

// ---------------------------------------------------------------- ledger --

// ledger records the outcome of every produced message, indexed by the
// number carried in its value.
type ledger struct {
	mu       sync.Mutex
	state    []uint8 // 0 pending, 1 acknowledged, 2 failed
	failures map[string]int
	first    error

	issued   atomic.Int64 // Produce returned nil: a report is due
	reported atomic.Int64
	acked    atomic.Int64
	failed   atomic.Int64
	rejected atomic.Int64 // Produce itself returned an error
}

const (
	msgPending uint8 = iota
	msgAcked
	msgFailed
)

func newLedger(n int) *ledger {
	return &ledger{state: make([]uint8, n), failures: map[string]int{}}
}

func (l *ledger) fail(idx int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if idx >= 0 {
		l.state[idx] = msgFailed
	}
	l.failures[kafkaclient.CodeName(kafkaclient.CodeOf(err))]++
	if l.first == nil {
		l.first = err
	}
}

// produce sends message idx asynchronously; onAck, if set, runs on each
// acknowledgement.
func (l *ledger) produce(ctx context.Context, p *kafkaclient.Producer, msg *kafkaclient.Message, idx int, onAck func(*kafkaclient.Message)) error {
	err := p.Produce(ctx, msg, func(m *kafkaclient.Message, err error) {
		if err != nil {
			l.fail(idx, err)
			l.failed.Add(1)
		} else {
			l.mu.Lock()
			l.state[idx] = msgAcked
			l.mu.Unlock()
			l.acked.Add(1)
			if onAck != nil {
				onAck(m)
			}
		}
		l.reported.Add(1)
	})
	if err != nil {
		l.fail(idx, err)
		l.rejected.Add(1)
		return err
	}
	l.issued.Add(1)
	return nil
}

// wait waits until every issued message is reported, or d passed.
func (l *ledger) wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for l.reported.Load() < l.issued.Load() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func (l *ledger) isAcked(idx int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state[idx] == msgAcked
}

func (l *ledger) ackedSet() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for i, s := range l.state {
		if s == msgAcked {
			out = append(out, i)
		}
	}
	return out
}

func (l *ledger) failureSummary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) == 0 {
		return "none"
	}
	var parts []string
	for code, n := range l.failures {
		parts = append(parts, fmt.Sprintf("%s:%d", code, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// ----------------------------------------------------------------- tally --

// tally counts consumed messages: value idx read at (partition, offset).
type tally struct {
	mu        sync.Mutex
	keys      int
	seenAt    map[[2]int64]bool // (partition, offset) read
	offsets   map[int]int       // idx -> distinct offsets it was read at
	reads     int
	redeliver int // same (partition, offset) read again
	lastOfKey map[int]int
	lastAt    map[int][2]int64 // key -> where lastOfKey[key] was read
	disorder  int
	examples  []string // the first order violations, for the failure message
	ackedFn   func(int) bool
	last      time.Time
}

func newTally(keys int, acked func(int) bool) *tally {
	return &tally{keys: keys, seenAt: map[[2]int64]bool{}, offsets: map[int]int{}, lastOfKey: map[int]int{}, lastAt: map[int][2]int64{}, ackedFn: acked}
}

func (ty *tally) add(m *kafkaclient.Message) error {
	idx, err := strconv.Atoi(string(m.Value))
	if err != nil {
		return fmt.Errorf("unexpected value %q at %s[%d]@%d", m.Value, m.Topic, m.Partition, m.Offset)
	}
	ty.mu.Lock()
	defer ty.mu.Unlock()
	ty.reads++
	ty.last = time.Now()
	at := [2]int64{int64(m.Partition), m.Offset}
	if ty.seenAt[at] {
		ty.redeliver++
		return nil
	}
	ty.seenAt[at] = true
	ty.offsets[idx]++
	if ty.offsets[idx] > 1 || ty.keys == 0 || !ty.ackedFn(idx) {
		return nil // a duplicate: the first occurrence counts for order
	}
	key := idx % ty.keys
	if last, ok := ty.lastOfKey[key]; ok && idx < last {
		ty.disorder++
		if len(ty.examples) < 5 {
			prev := ty.lastAt[key]
			ty.examples = append(ty.examples, fmt.Sprintf("message %d read at %d@%d after message %d of the same key at %d@%d",
				idx, m.Partition, m.Offset, last, prev[0], prev[1]))
		}
	} else {
		ty.lastOfKey[key] = idx
		ty.lastAt[key] = at
	}
	return nil
}

// counts returns messages lost (in want, never read) and duplicated
// (written more than once: read at more than one offset).
func (ty *tally) counts(want []int) (lost, dup int) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	for _, idx := range want {
		if ty.offsets[idx] == 0 {
			lost++
		}
	}
	for _, n := range ty.offsets {
		dup += n - 1
	}
	return lost, dup
}

func (ty *tally) missing(want []int) int {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return countMissing(want, func(idx int) bool { return ty.offsets[idx] > 0 })
}

// countMissing counts the messages of want that seen says were not seen.
func countMissing(want []int, seen func(idx int) bool) int {
	n := 0
	for _, idx := range want {
		if !seen(idx) {
			n++
		}
	}
	return n
}

func keyOf(idx, keys int) []byte { return []byte(fmt.Sprintf("key-%04d", idx%keys)) }

func valueOf(idx int) []byte { return strconv.AppendInt(nil, int64(idx), 10) }

// consumeUntil polls c into ty until every message of want was read and
// nothing new came for quiet, or timeout passed.
func consumeUntil(t *testing.T, c *kafkaclient.Consumer, ty *tally, want []int, quiet, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		msgs, err := c.PollBatch(ctx, 1000)
		cancel()
		if err != nil && !errors.Is(err, kafkaclient.ErrTimedOut) {
			t.Logf("poll: %v", err)
			time.Sleep(100 * time.Millisecond)
		}
		for _, m := range msgs {
			require.NoError(t, ty.add(m))
		}
		ty.mu.Lock()
		idle := time.Since(ty.last)
		ty.mu.Unlock()
		if len(msgs) == 0 && idle >= quiet && ty.missing(want) == 0 {
			return
		}
	}
}

func keyedMessage(topic string, idx, keys int) *kafkaclient.Message {
	return &kafkaclient.Message{Topic: topic, Partition: kafkaclient.PartitionAny, Key: keyOf(idx, keys), Value: valueOf(idx)}
}

// produceKeyed produces up to capacity keyed messages to topic with p, at
// rate a second, in the background, each recorded in the ledger it returns,
// until ctx ends or stop is called; stop waits for the last Produce call and
// returns how many were made.
func produceKeyed(ctx context.Context, p *kafkaclient.Producer, topic string, capacity, rate int) (led *ledger, stop func() int) {
	led = newLedger(capacity)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		done <- paced(pctx, capacity, max(rate/100, 1), rate, func(j int) {
			led.produce(ctx, p, keyedMessage(topic, j, loadKeys), j, nil) //nolint:errcheck // the ledger counts it
		})
	}()
	var (
		once     sync.Once
		produced int
	)
	return led, func() int {
		once.Do(func() {
			cancel()
			produced = <-done
		})
		return produced
	}
}

// paced calls send(i) for i from 0 up to n, chunk at a time, at rate calls
// a second, until ctx ends, and returns how many it made. When send is
// slow it catches up without waiting.
func paced(ctx context.Context, n, chunk, rate int, send func(i int)) int {
	start := time.Now()
	i := 0
	for ; i+chunk <= n && ctx.Err() == nil; i += chunk {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return i
			}
		}
		for j := i; j < i+chunk; j++ {
			send(j)
		}
	}
	return i
}

// backgroundConsumer polls a subscribed consumer into a tally until
// stopped.
type backgroundConsumer struct {
	ty   *tally
	stop context.CancelFunc
	done chan error
}

func consumeInBackground(ctx context.Context, t *testing.T, c *kafkaclient.Consumer, ty *tally) *backgroundConsumer {
	ctx, stop := context.WithCancel(ctx)
	bc := &backgroundConsumer{ty: ty, stop: stop, done: make(chan error, 1)}
	go func() {
		for ctx.Err() == nil {
			pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			msgs, err := c.PollBatch(pctx, 1000)
			pcancel()
			if err != nil && !errors.Is(err, kafkaclient.ErrTimedOut) && !errors.Is(err, kafkaclient.ErrCanceled) && ctx.Err() == nil {
				t.Logf("poll: %v", err)
				time.Sleep(100 * time.Millisecond)
			}
			for _, m := range msgs {
				if err := ty.add(m); err != nil {
					bc.done <- err
					return
				}
			}
		}
		bc.done <- nil
	}()
	return bc
}

// finish waits up to 90 s until every message of acked was read, then a
// second more for late duplicates, and stops the consumer.
func (bc *backgroundConsumer) finish(t *testing.T, acked []int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for bc.ty.missing(acked) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	bc.stop()
	require.NoError(t, <-bc.done)
}

// loadKeys is how many keys the messages of a load cycle through.
const loadKeys = 1000

// load is keyed messages produced at a steady rate by one producer and read
// by one group member, for the cases that fail nodes under load.
type load struct {
	led      *ledger
	ty       *tally
	consumer *backgroundConsumer
	produced atomic.Int64
	stop     context.CancelFunc
	done     chan struct{} // closed when production has ended
}

// startLoad opens a producer with pcfg and a group member of topic, and
// produces up to capacity messages to topic at rate a second, each with
// send, or with l.led.produce when send is nil, until ctx ends or
// stopProducing.
func startLoad(ctx context.Context, t *testing.T, e *faultEnv, topic string, pcfg kafkaclient.ProducerConfig, capacity, rate int,
	send func(l *load, p *kafkaclient.Producer, idx int)) *load {
	t.Helper()
	p := e.producer(t, pcfg)
	c := e.consumer(t, e.consumerConfig(kafkatest.UniqueName(t, "group")))
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	l := &load{led: newLedger(capacity), done: make(chan struct{})}
	l.ty = newTally(loadKeys, l.led.isAcked)
	l.consumer = consumeInBackground(ctx, t, c, l.ty)
	if send == nil {
		send = func(l *load, p *kafkaclient.Producer, j int) {
			l.led.produce(ctx, p, keyedMessage(topic, j, loadKeys), j, nil) //nolint:errcheck // the ledger counts it
		}
	}
	pctx, stop := context.WithCancel(ctx)
	l.stop = stop
	go func() {
		defer close(l.done)
		l.produced.Store(int64(paced(pctx, capacity, max(rate/100, 1), rate, func(j int) { send(l, p, j) })))
	}()
	// Before the clients close.
	t.Cleanup(func() { l.stopProducing(); l.consumer.stop() })
	return l
}

// stopProducing ends production and waits until the last Produce returned.
func (l *load) stopProducing() {
	l.stop()
	<-l.done
}

// outcome is what a case under load found once every report came, the
// consumer read every acknowledged message and the cluster was healthy.
type outcome struct {
	acked []int
	// reported and caughtUp count from the time given to settle; resync
	// is how long the cluster took to be healthy after that.
	reported, caughtUp, resync            time.Duration
	lost, dup, reads, redeliver, disorder int
}

// settle waits up to 150 s for every delivery report, then for the consumer
// to read every acknowledged message, then for the cluster to be healthy.
func settle(t *testing.T, e *faultEnv, l *load, topic string, since time.Time) outcome {
	t.Helper()
	led, consumer := l.led, l.consumer
	require.True(t, led.wait(150*time.Second), "delivery reports: %d of %d after 150s", led.reported.Load(), led.issued.Load())
	o := outcome{reported: time.Since(since), acked: led.ackedSet()}
	consumer.finish(t, o.acked)
	o.caughtUp = time.Since(since)
	ctx, cancel := context.WithTimeout(t.Context(), healthyTimeout)
	defer cancel()
	var err error
	o.resync, err = e.waitHealthy(ctx, topic)
	require.NoError(t, err)
	ty := consumer.ty
	o.lost, o.dup = ty.counts(o.acked)
	ty.mu.Lock()
	o.reads, o.redeliver, o.disorder = ty.reads, ty.redeliver, ty.disorder
	ty.mu.Unlock()
	return o
}

// ------------------------------------------------------------- case 1 --

func faultLeaderKilled(t *testing.T, e *faultEnv) {
	const (
		total = 100_000
		keys  = 1000
		rate  = 10_000 // messages per second: the kill lands mid-stream
		chunk = 100
	)
	topic := e.topic(t, faultPartitions)
	p := e.producer(t, e.producerConfig())
	led := newLedger(total)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()

	var killedAt atomic.Int64 // unix nanos once the node is dead
	var failover atomic.Int64 // first partition-0 ack after the kill, nanos after it
	onAck := func(m *kafkaclient.Message) {
		if k := killedAt.Load(); k != 0 && m.Partition == 0 && failover.Load() == 0 {
			failover.CompareAndSwap(0, time.Now().UnixNano()-k)
		}
	}

	victim, victimLed := e.leader(t, topic, 0)
	var ackedAtKill, producedAtKill int64
	killErr := make(chan error, 1)
	var killWG sync.WaitGroup
	killWG.Add(1)
	go func() {
		defer killWG.Done()
		for led.acked.Load() < total/4 {
			if ctx.Err() != nil {
				killErr <- ctx.Err()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		ackedAtKill, producedAtKill = led.acked.Load(), led.issued.Load()
		e.mu.Lock()
		e.down[victim] = true
		e.mu.Unlock()
		err := e.fc.Kill(victim)
		killedAt.Store(time.Now().UnixNano())
		killErr <- err
	}()

	start := time.Now()
	for i := 0; i < total; i += chunk {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		for j := i; j < i+chunk; j++ {
			led.produce(ctx, p, keyedMessage(topic, j, keys), j, onAck) //nolint:errcheck // the ledger counts it
		}
	}
	produceTime := time.Since(start)
	killWG.Wait()
	require.NoError(t, <-killErr, "kill the leader of partition 0")
	require.True(t, led.wait(150*time.Second), "delivery reports: %d of %d after 150s", led.reported.Load(), led.issued.Load())
	reportTime := time.Since(start)
	restart := e.start(t, victim)
	hctx, hcancel := context.WithTimeout(t.Context(), healthyTimeout)
	defer hcancel()
	resync, err := e.waitHealthy(hctx, topic)
	require.NoError(t, err)

	c := e.consumer(t, e.consumerConfig(""))
	var tps []kafkaclient.TopicPartition
	for i := range int32(faultPartitions) {
		tps = append(tps, kafkaclient.TopicPartition{Topic: topic, Partition: i, Offset: kafkaclient.OffsetBeginning})
	}
	require.NoError(t, c.Assign(Ctx(t), tps))
	acked := led.ackedSet()
	ty := newTally(keys, led.isAcked)
	cstart := time.Now()
	consumeUntil(t, c, ty, acked, 2*time.Second, 90*time.Second)
	consumeTime := time.Since(cstart)
	lost, dup := ty.counts(acked)
	failed := int(led.failed.Load() + led.rejected.Load())

	result(t, e, "lost=%d duplicated=%d failed=%d failure_codes=%s acked=%d reads=%d redelivered=%d order_violations=%d killed_node=%d (led partitions %v) acked_at_kill=%d produced_at_kill=%d p0_failover=%v produce=%v all_reported=%v restart=%v resync=%v consume=%v",
		lost, dup, failed, led.failureSummary(), len(acked), ty.reads, ty.redeliver, ty.disorder, victim, victimLed, ackedAtKill, producedAtKill,
		time.Duration(failover.Load()).Round(time.Millisecond), produceTime.Round(time.Millisecond), reportTime.Round(time.Millisecond),
		restart.Round(time.Millisecond), resync.Round(time.Millisecond), consumeTime.Round(time.Millisecond))

	require.Less(t, ackedAtKill, int64(total), "the leader died after every message was acknowledged: the case proved nothing")
	require.Zero(t, lost, "acknowledged messages lost")
	if e.idempotent() {
		require.Zero(t, failed, "deliveries failed (%s; first: %v)", led.failureSummary(), led.first)
		require.Zero(t, dup, "duplicates written by an idempotent producer")
		require.Zero(t, ty.disorder, "per-key order broken by an idempotent producer: %v", ty.examples)
	}
}

// ------------------------------------------------------------- case 2 --

// member is one consumer of the group in faultMemberCrash.
type member struct {
	name      string
	c         *kafkaclient.Consumer
	crashAt   int // crash after processing this many messages; 0: never
	processed atomic.Int64

	mu          sync.Mutex
	uncommitted []int // processed, offset not committed
	commitErrs  map[string]int
	owned       []kafkaclient.TopicPartition // assignment when it crashed
	crashed     time.Time
}

func faultMemberCrash(t *testing.T, e *faultEnv) {
	const (
		total   = 20_000
		batch   = 50
		work    = 25 * time.Millisecond // processing time of one batch
		crashAt = 1000
	)
	topic := e.topic(t, faultPartitions)
	p := e.producer(t, e.producerConfig())
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()
	for i := 0; i < total; i += 1000 {
		msgs := make([]*kafkaclient.Message, 0, 1000)
		for j := i; j < i+1000; j++ {
			msgs = append(msgs, kafkaclient.NewMessage(topic, nil, valueOf(j)))
		}
		require.NoError(t, p.ProduceSync(ctx, msgs...))
	}

	group := kafkatest.UniqueName(t, "group")
	cfg := e.consumerConfig(group)
	cfg.DisableAutoCommit = true

	var mu sync.Mutex
	counts := make([]int, total)
	distinct := 0
	var takeover atomic.Int64 // nanos from the crash to B's first message of A's partitions

	b := &member{name: "B", c: e.consumer(t, cfg), commitErrs: map[string]int{}}
	ac, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(e.b))
	require.NoError(t, err)
	a := &member{name: "A", c: ac, crashAt: crashAt, commitErrs: map[string]int{}}
	aClosed := false
	t.Cleanup(func() {
		if !aClosed {
			closeWithin(t, ac.Close)
		}
	})

	crashed := make(chan struct{})
	run := func(m *member, runCtx context.Context) {
		for runCtx.Err() == nil {
			pctx, pcancel := context.WithTimeout(runCtx, 500*time.Millisecond)
			msgs, err := m.c.PollBatch(pctx, batch)
			pcancel()
			if err != nil {
				if !errors.Is(err, kafkaclient.ErrTimedOut) && !errors.Is(err, kafkaclient.ErrCanceled) && runCtx.Err() == nil {
					t.Logf("%s poll: %v", m.name, err)
					time.Sleep(100 * time.Millisecond)
				}
				continue
			}
			idxs := make([]int, 0, len(msgs))
			mu.Lock()
			for _, msg := range msgs {
				idx, err := strconv.Atoi(string(msg.Value))
				if err != nil || idx < 0 || idx >= total {
					mu.Unlock()
					t.Errorf("%s: unexpected value %q", m.name, msg.Value)
					return
				}
				if counts[idx] == 0 {
					distinct++
				}
				counts[idx]++
				idxs = append(idxs, idx)
				if m == b && takeover.Load() == 0 {
					a.mu.Lock()
					if !a.crashed.IsZero() && slices.ContainsFunc(a.owned, func(tp kafkaclient.TopicPartition) bool { return tp.Partition == msg.Partition }) {
						takeover.Store(int64(time.Since(a.crashed)))
					}
					a.mu.Unlock()
				}
			}
			mu.Unlock()
			time.Sleep(work)
			if m.crashAt > 0 && m.processed.Add(int64(len(msgs))) >= int64(m.crashAt) {
				// Crash between processing and committing: this batch
				// stays uncommitted, and the member stops talking to the
				// group (see below).
				m.mu.Lock()
				m.uncommitted = append(m.uncommitted, idxs...)
				m.owned = m.c.Assignment()
				m.crashed = time.Now()
				m.mu.Unlock()
				close(crashed)
				return
			}
			if m.crashAt == 0 {
				m.processed.Add(int64(len(msgs)))
			}
			cctx, ccancel := context.WithTimeout(runCtx, 10*time.Second)
			err = m.c.CommitMessages(cctx, msgs...)
			ccancel()
			if err != nil {
				m.mu.Lock()
				m.uncommitted = append(m.uncommitted, idxs...)
				m.commitErrs[kafkaclient.CodeName(kafkaclient.CodeOf(err))]++
				m.mu.Unlock()
			}
		}
	}

	require.NoError(t, b.c.Subscribe(Ctx(t), []string{topic}, nil))
	require.NoError(t, a.c.Subscribe(Ctx(t), []string{topic}, nil))
	bctx, bstop := context.WithCancel(ctx)
	defer bstop()
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	go func() { defer wg.Done(); run(b, bctx) }()
	go func() { defer wg.Done(); run(a, ctx) }()

	select {
	case <-crashed:
	case <-time.After(90 * time.Second):
		cancel()
		wg.Wait()
		t.Fatalf("member A processed only %d messages in 90s", a.processed.Load())
	}
	// The crashed member never polls or commits again; closing it with an
	// expired context gives it no time to hand its partitions over cleanly.
	expired, ecancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	ecancel()
	closeStart := time.Now()
	cerr := ac.Close(expired)
	aClosed = true
	closeTime := time.Since(closeStart)
	require.Less(t, closeTime, 3*time.Second, "Close with an expired context took %v", closeTime)
	if cerr != nil {
		require.True(t, kafkaclient.IsTimeout(cerr) || errors.Is(cerr, kafkaclient.ErrCanceled), "Close with an expired context: %v", cerr)
	}

	deadline := time.Now().Add(120 * time.Second)
	for {
		mu.Lock()
		n := distinct
		mu.Unlock()
		if n == total {
			break
		}
		if time.Now().After(deadline) {
			bstop()
			wg.Wait()
			t.Fatalf("only %d of %d messages processed 120s after the crash (A processed %d, B %d)", n, total, a.processed.Load(), b.processed.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	bstop()
	wg.Wait()

	uncommitted := map[int]bool{}
	for _, m := range []*member{a, b} {
		for _, idx := range m.uncommitted {
			uncommitted[idx] = true
		}
	}
	dup, dupOutside := 0, 0
	for idx, n := range counts {
		if n > 1 {
			dup += n - 1
			if !uncommitted[idx] {
				dupOutside++
			}
		}
	}
	result(t, e, "lost=0 duplicated=%d failed=0 uncommitted_window=%d (A: %d, B: %d) dup_outside_window=%d processed_A=%d processed_B=%d commit_errors_A=%v commit_errors_B=%v takeover=%v crashed_owned=%d close_expired=%v total=%v",
		dup, len(uncommitted), len(a.uncommitted), len(b.uncommitted), dupOutside, a.processed.Load(), b.processed.Load(), a.commitErrs, b.commitErrs,
		time.Duration(takeover.Load()).Round(time.Millisecond), len(a.owned), closeTime.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	require.LessOrEqual(t, dup, len(uncommitted), "more duplicates than processed-but-uncommitted messages")
	require.Zero(t, dupOutside, "messages processed twice although their first processing was committed")
}

// ------------------------------------------------------------- case 3 --

func faultBrokerRestart(t *testing.T, e *faultEnv) {
	const (
		rate     = 2000 // messages per second
		before   = 3 * time.Second
		down     = 10 * time.Second
		after    = 3 * time.Second
		capacity = 200_000
	)
	topic := e.topic(t, faultPartitions)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()
	l := startLoad(ctx, t, e, topic, e.producerConfig(), capacity, rate, nil)
	led := l.led

	time.Sleep(before)
	victim, victimLed := e.leader(t, topic, 0)
	e.kill(t, victim)
	killedAt := time.Now()
	ackedAtKill := led.acked.Load()
	time.Sleep(down)
	ackedDown := led.acked.Load() - ackedAtKill
	restart := e.start(t, victim)
	downFor := time.Since(killedAt)
	ackedAtRestart := led.acked.Load()
	time.Sleep(after)
	ackedAfter := led.acked.Load() - ackedAtRestart
	l.stopProducing()
	o := settle(t, e, l, topic, time.Now())
	failed := int(led.failed.Load() + led.rejected.Load())
	result(t, e, "lost=%d duplicated=%d failed=%d failure_codes=%s produced=%d acked=%d reads=%d redelivered=%d order_violations=%d killed_node=%d (led partitions %v) acked_while_down=%d acked_after_restart=%d down_for=%v restart=%v reports_after_stop=%v consumer_caught_up=%v resync_after=%v",
		o.lost, o.dup, failed, led.failureSummary(), l.produced.Load(), len(o.acked), o.reads, o.redeliver, o.disorder, victim, victimLed, ackedDown, ackedAfter,
		downFor.Round(time.Millisecond), restart.Round(time.Millisecond), o.reported.Round(time.Millisecond),
		o.caughtUp.Round(time.Millisecond), o.resync.Round(time.Millisecond))

	// The producer keeps working without being recreated. Idempotent
	// producers (franz-go and librdkafka alike, on a loaded 2-core
	// machine) have been seen to acknowledge nothing for the whole window
	// while they recover their requests to the dead node, so
	// acknowledgements while it is down are required only without
	// idempotence.
	require.Positive(t, ackedDown+ackedAfter, "nothing was acknowledged after the node was killed")
	if !e.idempotent() {
		require.Positive(t, ackedDown, "nothing was acknowledged while the node was down")
	}
	require.Zero(t, o.lost, "acknowledged messages never consumed")
	if e.idempotent() {
		require.Zero(t, failed, "deliveries failed (%s; first: %v)", led.failureSummary(), led.first)
		require.Zero(t, o.dup, "duplicates written by an idempotent producer")
		require.Zero(t, o.disorder, "per-key order broken by an idempotent producer: %v", l.ty.examples)
	}
}

// ------------------------------------------------------------- case 4 --

func faultClusterDown(t *testing.T, e *faultEnv) {
	const (
		deliveryTimeout = 5 * time.Second
		n               = 10
	)
	topic := e.topic(t, 3)
	cfg := e.producerConfig()
	cfg.DeliveryTimeout = deliveryTimeout
	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.b))
	require.NoError(t, err)
	pClosed := false
	t.Cleanup(func() {
		if !pClosed {
			closeWithin(t, p.Close)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()
	// Warm up: metadata and connections exist before the cluster goes.
	require.NoError(t, p.ProduceSync(ctx, kafkaclient.NewMessage(topic, []byte("warm-up"), valueOf(0))))

	killStart := time.Now()
	e.kill(t, 1, 2, 3)
	killTime := time.Since(killStart)

	// Delivery fails, typed, after delivery.timeout.ms.
	type report struct {
		err error
		at  time.Duration
	}
	reports := make(chan report, 3*n)
	produce := func(from int, sent time.Time) {
		for i := from; i < from+n; i++ {
			err := p.Produce(ctx, kafkaclient.NewMessage(topic, keyOf(i, n), valueOf(i)), func(_ *kafkaclient.Message, err error) {
				reports <- report{err, time.Since(sent)}
			})
			require.NoError(t, err, "Produce with every broker down")
		}
	}
	sent := time.Now()
	produce(1, sent)
	var first []report
	timeout := time.After(30 * time.Second)
	for len(first) < n {
		select {
		case r := <-reports:
			first = append(first, r)
		case <-timeout:
			t.Fatalf("%d of %d delivery reports within 30s of producing with every broker down", len(first), n)
		}
	}
	codes := map[string]int{}
	var slowest, fastest time.Duration = 0, time.Hour
	for _, r := range first {
		codes[kafkaclient.CodeName(kafkaclient.CodeOf(r.err))]++
		slowest, fastest = max(slowest, r.at), min(fastest, r.at)
	}
	for _, r := range first {
		require.Error(t, r.err, "a message was acknowledged with every broker down")
		var ke *kafkaclient.Error
		require.ErrorAs(t, r.err, &ke, "delivery error %v (%T) is not a *kafkaclient.Error", r.err, r.err)
		require.ErrorIs(t, r.err, kafkaclient.ErrMsgTimedOut, "delivery error is not the delivery timeout: %v", r.err)
		require.True(t, kafkaclient.IsTimeout(r.err), "IsTimeout(%v)", r.err)
		// The backends count the timeout from when Produce accepted the
		// message, in steps of up to 100 ms.
		require.GreaterOrEqual(t, r.at, deliveryTimeout-200*time.Millisecond, "delivery failed before delivery.timeout.ms: %v", r.err)
		require.LessOrEqual(t, r.at, 15*time.Second, "delivery failed only after %v: %v", r.at, r.err)
	}

	// Flush returns by its deadline.
	produce(100, time.Now())
	fctx, fcancel := context.WithTimeout(ctx, 2*time.Second)
	flushStart := time.Now()
	ferr := p.Flush(fctx)
	flushTime := time.Since(flushStart)
	fcancel()
	pendingAfterFlush := n - len(reports)
	require.Less(t, flushTime, 3*time.Second, "Flush(2s) returned after %v", flushTime)
	if pendingAfterFlush > 0 {
		require.ErrorIs(t, ferr, kafkaclient.ErrTimedOut, "Flush returned with %d messages pending", pendingAfterFlush)
	}

	// Close returns by its deadline and every delivery is reported.
	produce(200, time.Now())
	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
	closeStart := time.Now()
	cerr := p.Close(cctx)
	closeTime := time.Since(closeStart)
	ccancel()
	pClosed = true
	require.Less(t, closeTime, 3500*time.Millisecond, "Close(2s) returned after %v", closeTime)
	if cerr != nil {
		require.True(t, kafkaclient.IsTimeout(cerr), "Close: %v", cerr)
	}
	late := map[string]int{}
	timeout = time.After(20 * time.Second)
	for got := 0; got < 2*n; got++ {
		select {
		case r := <-reports:
			require.Error(t, r.err, "a message was acknowledged with every broker down")
			late[kafkaclient.CodeName(kafkaclient.CodeOf(r.err))]++
		case <-timeout:
			t.Fatalf("%d of %d delivery reports of the Flush and Close batches within 20s of Close", got, 2*n)
		}
	}

	restart := e.start(t, 1, 2, 3)
	hctx, hcancel := context.WithTimeout(t.Context(), healthyTimeout)
	defer hcancel()
	resync, err := e.waitHealthy(hctx, topic)
	require.NoError(t, err)

	result(t, e, "lost=0 duplicated=0 failed=%d failure_codes=%v first_report=%v last_report=%v flush=%v flush_err=%s close=%v close_err=%s later_codes=%v kill_all=%v restart_all=%v resync=%v",
		n, codes, fastest.Round(time.Millisecond), slowest.Round(time.Millisecond), flushTime.Round(time.Millisecond), kafkaclient.CodeName(kafkaclient.CodeOf(ferr)),
		closeTime.Round(time.Millisecond), kafkaclient.CodeName(kafkaclient.CodeOf(cerr)), late, killTime.Round(time.Millisecond), restart.Round(time.Millisecond), resync.Round(time.Millisecond))
}

// ------------------------------------------------------------- case 5 --

// faultLeaderHung freezes the leader of partition 0 for 30 s while 100k
// keyed messages are produced, and consumed by a group member, with the
// same two clients throughout. The producer's buffer is small enough to
// fill while the leader hangs, so that Produce has to give up at its
// deadline.
func faultLeaderHung(t *testing.T, e *faultEnv) {
	const (
		total    = 100_000
		rate     = 2500 // messages per second: production spans the hang
		before   = 5 * time.Second
		hung     = 30 * time.Second
		buffered = 10_000
		callWait = time.Second // each Produce call's deadline
		// A call may return this much after its deadline (a loaded
		// 2-core machine schedules late).
		overrunLimit = time.Second
	)
	topic := e.topic(t, faultPartitions)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()

	victim, victimLed := e.leader(t, topic, 0)
	var (
		pausedAt   atomic.Int64 // unix nanos
		failover   atomic.Int64 // first partition-0 ack after the pause, nanos after it
		victimAcks atomic.Int64 // acks of the partitions victim led
	)
	onAck := func(m *kafkaclient.Message) {
		if slices.Contains(victimLed, m.Partition) {
			victimAcks.Add(1)
		}
		if pa := pausedAt.Load(); pa != 0 && m.Partition == 0 {
			failover.CompareAndSwap(0, time.Now().UnixNano()-pa)
		}
	}
	// Written by the producing goroutine, read once it is done.
	var (
		maxOverrun time.Duration
		deadlined  int
		otherErr   error
	)
	pcfg := e.producerConfig()
	pcfg.MaxBufferedMessages = buffered
	start := time.Now()
	l := startLoad(ctx, t, e, topic, pcfg, total, rate, func(l *load, p *kafkaclient.Producer, j int) {
		cctx, ccancel := context.WithTimeout(ctx, callWait)
		defer ccancel()
		deadline, _ := cctx.Deadline()
		err := l.led.produce(cctx, p, keyedMessage(topic, j, loadKeys), j, onAck)
		maxOverrun = max(maxOverrun, time.Since(deadline))
		switch {
		case err == nil:
		case errors.Is(err, kafkaclient.ErrTimedOut) && cctx.Err() != nil:
			deadlined++
		case otherErr == nil:
			otherErr = err
		}
	})
	led := l.led

	time.Sleep(before)
	ackedAtPause := led.acked.Load()
	paused := e.pause(t, victim)
	pausedAt.Store(paused.UnixNano())
	// The victim's partitions get this many messages a second.
	back := make(chan time.Duration, 1)
	go func() { back <- rateBack(ctx, &victimAcks, rate*len(victimLed)/faultPartitions) }()
	time.Sleep(hung)
	ackedHung := led.acked.Load() - ackedAtPause
	resumed := e.resume(t, victim)
	ackedAtResume := led.acked.Load()
	<-l.done
	produceTime := time.Since(start)
	o := settle(t, e, l, topic, resumed)
	result(t, e, "lost=%d duplicated=%d failed=%d failure_codes=%s produced=%d acked=%d deadline_refusals=%d max_overrun=%v reads=%d redelivered=%d order_violations=%d hung_node=%d (led partitions %v) acked_while_hung=%d acked_after_resume=%d p0_failover=%v victim_partitions_at_rate_after_pause=%v all_reported_after_resume=%v consumer_caught_up_after_resume=%v produce=%v resync=%v",
		o.lost, o.dup, led.failed.Load(), led.failureSummary(), l.produced.Load(), len(o.acked), deadlined, maxOverrun.Round(time.Millisecond), o.reads, o.redeliver, o.disorder,
		victim, victimLed, ackedHung, led.acked.Load()-ackedAtResume, time.Duration(failover.Load()).Round(time.Millisecond),
		(<-back).Round(time.Millisecond), o.reported.Round(time.Millisecond), o.caughtUp.Round(time.Millisecond), produceTime.Round(time.Millisecond), o.resync.Round(time.Millisecond))

	require.NoError(t, otherErr, "Produce refused a message for another reason than its deadline")
	require.LessOrEqual(t, maxOverrun, overrunLimit, "a Produce call returned %v after its deadline", maxOverrun)
	require.Greater(t, led.acked.Load(), ackedAtResume, "nothing was acknowledged after the node resumed")
	require.Zero(t, o.lost, "acknowledged messages never consumed")
	if e.idempotent() {
		require.Zero(t, led.failed.Load(), "deliveries failed (%s; first: %v)", led.failureSummary(), led.first)
		require.Zero(t, o.dup, "duplicates written by an idempotent producer")
		require.Zero(t, o.disorder, "per-key order broken by an idempotent producer: %v", l.ty.examples)
	}
}

// rateBack samples acks every 100 ms for up to 90 s and returns how long it
// took until a second in which at least 90% of rate acknowledgements came,
// or -1 when none came.
func rateBack(ctx context.Context, acks *atomic.Int64, rate int) time.Duration {
	const step = 100 * time.Millisecond
	window := int(time.Second / step)
	tick := time.NewTicker(step)
	defer tick.Stop()
	samples := []int64{acks.Load()}
	for i := 0; i < 900 && ctx.Err() == nil; i++ {
		<-tick.C
		samples = append(samples, acks.Load())
		if k := len(samples) - 1 - window; k >= 0 && samples[k+window]-samples[k] >= int64(rate)*9/10 {
			return time.Duration(k) * step
		}
	}
	return -1
}

// ------------------------------------------------------------- case 6 --

// faultRollingRestart stops and restarts nodes 1, 2 and 3 in turn, each
// once the cluster is healthy again, while one producer and one group
// member run throughout.
func faultRollingRestart(t *testing.T, e *faultEnv) {
	const (
		rate     = 2000            // messages per second
		lead     = 3 * time.Second // load before the first stop
		capacity = 400_000
	)
	topic := e.topic(t, faultPartitions)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()
	l := startLoad(ctx, t, e, topic, e.producerConfig(), capacity, rate, nil)
	led, ty := l.led, l.ty
	reads := func() int {
		ty.mu.Lock()
		defer ty.mu.Unlock()
		return ty.reads
	}

	time.Sleep(lead)
	start := time.Now()
	var steps []string
	for id := int32(1); id <= faultNodes; id++ {
		acked0, read0 := led.acked.Load(), reads()
		stop := e.takeDown(t, id, e.fc.Stop)
		restart := e.start(t, id)
		hctx, hcancel := context.WithTimeout(ctx, healthyTimeout)
		resync, err := e.waitHealthy(hctx, topic)
		hcancel()
		require.NoError(t, err, "after restarting node %d", id)
		acked, read := led.acked.Load()-acked0, reads()-read0
		steps = append(steps, fmt.Sprintf("node%d(stop=%v start=%v resync=%v acked=%d read=%d)", id,
			stop.Round(time.Millisecond), restart.Round(time.Millisecond), resync.Round(time.Millisecond), acked, read))
		require.Positive(t, acked, "nothing was acknowledged while node %d was stopped and restarted", id)
		require.Positive(t, read, "nothing was consumed while node %d was stopped and restarted", id)
	}
	rolled := time.Since(start)
	l.stopProducing()
	o := settle(t, e, l, topic, time.Now())
	failed := int(led.failed.Load() + led.rejected.Load())

	result(t, e, "lost=%d duplicated=%d failed=%d failure_codes=%s produced=%d acked=%d reads=%d redelivered=%d order_violations=%d rolled=%v %s reports_after_stop=%v consumer_caught_up=%v",
		o.lost, o.dup, failed, led.failureSummary(), l.produced.Load(), len(o.acked), o.reads, o.redeliver, o.disorder,
		rolled.Round(time.Millisecond), strings.Join(steps, " "), o.reported.Round(time.Millisecond), o.caughtUp.Round(time.Millisecond))

	require.Zero(t, o.lost, "acknowledged messages never consumed")
	if e.idempotent() {
		require.Zero(t, failed, "deliveries failed (%s; first: %v)", led.failureSummary(), led.first)
		require.Zero(t, o.dup, "duplicates written by an idempotent producer")
		require.Zero(t, o.disorder, "per-key order broken by an idempotent producer: %v", ty.examples)
	}
}
