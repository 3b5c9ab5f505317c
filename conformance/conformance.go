// Package conformance is the test suite every kafkaclient backend passes.
//
// A backend runs it from one short test file:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{Backend: mybackend.New()})
//	}
//
// The cases of Cases run against the embedded broker of package kafkatest,
// or against the cluster named by KAFKA_BOOTSTRAP_SERVERS. Each case is a
// subtest named for what it proves; a case that needs a capability the
// backend does not declare asserts that the call fails with ErrUnsupported
// instead of skipping. Every case checks that the clients it opened left no
// goroutine behind.
//
// Run also holds the cases that need a real Kafka cluster started by the
// repository's scripts/kafka: under faults/ the fault-tolerance cases, when
// KAFKA_FAULT_CLUSTER names a 3-node cluster whose nodes they kill and
// restart; under security/ the SASL and TLS cases, when
// KAFKA_SASL_PLAINTEXT, KAFKA_SASL_SSL and KAFKA_CA_FILE name its
// listeners. Without those variables each group is skipped, saying which
// variables enable it.
//
// Config parsing and validation, topic-name checks and key partitioning
// are done by package kafkaclient before a backend is involved, so they are
// tested there once rather than here for every backend.
package conformance

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// Harness describes the backend under test.
type Harness struct {
	// Backend is the backend under test.
	Backend kafkaclient.Backend
	// Cluster, if set, returns the cluster the cases of Cases run against;
	// by default kafkatest.NewCluster(t, kafkatest.Brokers(3)): three
	// embedded brokers, or the cluster named by KAFKA_BOOTSTRAP_SERVERS. It
	// is called once, from the first case that needs a cluster, with the
	// test given to Run, so that the clean-ups it registers run when Run's
	// test ends; no cluster is started when only faults/ or security/
	// cases are selected.
	Cluster func(t *testing.T) *kafkatest.Cluster
	// Filter, if set, selects cases by name (for debugging a backend): the
	// names of Cases, "faults/" and "security/" followed by a case's name.
	Filter func(name string) bool
	// As lists the backend's As targets, the types its package doc names
	// under its "As" heading; the case as/targets requires that As reaches
	// each, with a non-nil value.
	As AsTargets
	// KafkaScript is the path of scripts/kafka, which the faults/ cases run
	// to kill and restart nodes. By default it is the one in the module
	// holding this package's source, which suits the backends of this
	// repository whatever their working directory.
	KafkaScript string
}

// defaultKafkaScript is scripts/kafka next to this package's source
// directory, or "" if the source location is unknown.
func defaultKafkaScript() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		// Built with -trimpath: the path is not one to run.
		return ""
	}
	return filepath.Join(filepath.Dir(file), "..", "scripts", "kafka")
}

func (h Harness) kafkaScript() string {
	if h.KafkaScript != "" {
		return h.KafkaScript
	}
	return defaultKafkaScript()
}

// Case is one conformance case.
type Case struct {
	// Name is the subtest name: stable, part of the API.
	Name string
	// Doc says in one sentence what the case proves.
	Doc string
	// Run performs the case.
	Run func(t *testing.T, e *Env)
}

// Cases returns the cases that run against Harness.Cluster, in order. The
// faults/ and security/ cases, which need a cluster of scripts/kafka, are
// not among them.
func Cases() []Case {
	var all []Case
	all = append(all, producerCases...)
	all = append(all, consumerCases...)
	all = append(all, adminCases...)
	all = append(all, offsetCases...)
	all = append(all, mgmtCases...)
	all = append(all, observeCases...)
	all = append(all, transactionCases...)
	all = append(all, configCases...)
	all = append(all, inputCases...)
	all = append(all, asCases...)
	return all
}

// Run runs against h every case its environment allows: the cases of
// Cases, then the fault cases under faults/ and the security cases under
// security/ when their environment variables are set (see the package
// doc).
func Run(t *testing.T, h Harness) {
	require.NotNil(t, h.Backend, "Harness.Backend is required")
	s := &suite{t: t, h: h}
	for _, c := range Cases() {
		if h.Filter != nil && !h.Filter(c.Name) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			e := s.env(t)
			// After the shared cluster runs, so that its goroutines are not
			// counted.
			checkLeaks(t, 0, ignoreBroker...)
			t.Log(c.Doc)
			c.Run(t, e)
		})
	}
	if h.Backend.Capabilities().ConsumerGroupProtocol {
		runKIP848(t, h, s)
	}
	runShare(t, h, s)
	runGroup(t, h, "faults", faultCases, func(t *testing.T) {
		runFaults(t, h, faultClusterFromEnv(t, h.kafkaScript()))
	})
	runGroup(t, h, "security", securityCases, func(t *testing.T) {
		runSecurity(t, h, securityClusterFromEnv(t))
	})
}

// groupCase is a case of the faults/ or security/ group, run on an
// environment of type E.
type groupCase[E any] struct {
	Name string
	// Doc, if set, says in one sentence what the case proves.
	Doc string
	Run func(t *testing.T, e E)
}

// runGroup runs fn as the subtest group unless Filter selects none of
// cases.
func runGroup[E any](t *testing.T, h Harness, group string, cases []groupCase[E], fn func(t *testing.T)) {
	if h.Filter != nil && !slices.ContainsFunc(cases, func(c groupCase[E]) bool { return h.Filter(group + "/" + c.Name) }) {
		return
	}
	t.Run(group, fn)
}

// runGroupCases runs, as subtests of t, the cases of group that Filter
// selects, each on the environment env returns for it and checked for
// goroutines left after leakWait (see checkLeaks).
func runGroupCases[E any](t *testing.T, h Harness, group string, cases []groupCase[E], leakWait time.Duration, env func(t *testing.T) E) {
	for _, c := range cases {
		if h.Filter != nil && !h.Filter(group+"/"+c.Name) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			checkLeaks(t, leakWait)
			if c.Doc != "" {
				t.Log(c.Doc)
			}
			c.Run(t, env(t))
		})
	}
}

// checkLeaks fails t, unless it failed already, if goroutines other than
// those running now and those ignore matches still run once t's later
// clean-ups are done: it is registered before the case's own clean-ups, so
// it runs after them. It retries for up to wait: clients closed with an
// expired context may still be winding down in the background.
func checkLeaks(t *testing.T, wait time.Duration, ignore ...goleak.Option) {
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, ignore...)
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		deadline := time.Now().Add(wait)
		err := goleak.Find(opts...)
		for err != nil && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			err = goleak.Find(opts...)
		}
		if err != nil {
			t.Errorf("goroutines left after the case's clients closed: %v", err)
		}
	})
}

// suite holds what the cases of one Run share: the cluster and the
// backend's capabilities, set up by the first case that needs them, so that
// a run selecting only faults/ or security/ starts no cluster.
type suite struct {
	t      *testing.T // Run's test
	h      Harness
	shared *Env
	failed bool
}

// env returns a new Env on the shared cluster, setting the cluster up on
// the first call. A failure to set it up fails t, and every later case
// without a retry.
func (s *suite) env(t *testing.T) *Env {
	t.Helper()
	if s.failed {
		t.Fatal("no cluster: setting it up failed in an earlier case")
	}
	if s.shared == nil {
		s.failed = true
		cluster := s.startCluster()
		if cluster == nil {
			t.Fatalf("no cluster: Harness.Cluster failed %s (see its log)", s.t.Name())
		}
		caps := capabilities(t, s.h.Backend, cluster.ClientConfig())
		s.shared = &Env{Backend: s.h.Backend, Cluster: cluster, Caps: caps, as: s.h.As}
		s.failed = false
	}
	e := *s.shared
	return &e
}

// startCluster calls Harness.Cluster with Run's test, so that the cluster
// lives until that test ends. It is called from a case, so it calls it on a
// goroutine of its own: should it fail Run's test (FailNow), that goroutine
// ends rather than the case's, and startCluster returns nil.
func (s *suite) startCluster() *kafkatest.Cluster {
	newCluster := s.h.Cluster
	if newCluster == nil {
		newCluster = func(t *testing.T) *kafkatest.Cluster { return kafkatest.NewCluster(t, kafkatest.Brokers(3)) }
	}
	var cluster *kafkatest.Cluster
	done := make(chan struct{})
	go func() {
		defer close(done)
		cluster = newCluster(s.t)
	}()
	<-done
	return cluster
}

// ignoreBroker skips the embedded broker's own goroutines: it serves the
// cluster's shared admin connection with a new goroutine per request, and
// notices closed client connections asynchronously. Client goroutines are
// still checked.
var ignoreBroker = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).read"),
	goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).read.func1"),
	goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*clientConn).write"),
}

// capabilities opens a producer and a consumer on b (neither connects
// until it is used) and merges what each reports of its own operations.
func capabilities(t *testing.T, b kafkaclient.Backend, cc kafkaclient.ClientConfig) kafkaclient.Capabilities {
	t.Helper()
	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cc}, kafkaclient.WithBackend(b))
	require.NoError(t, err)
	defer closeWithin(t, p.Close)
	c, err := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{ClientConfig: cc}, kafkaclient.WithBackend(b))
	require.NoError(t, err)
	defer closeWithin(t, c.Close)
	caps, cons := p.Capabilities(), c.Capabilities()
	caps.ManualAssign, caps.Seek, caps.PauseResume = cons.ManualAssign, cons.Seek, cons.PauseResume
	return caps
}

// Env is what a case works with.
type Env struct {
	Backend kafkaclient.Backend
	Cluster *kafkatest.Cluster
	Caps    kafkaclient.Capabilities
	// Protocol is the group.protocol of the consumers Consumer opens:
	// classic, or consumer in the kip848/ cases.
	Protocol kafkaclient.GroupProtocol

	as AsTargets
}

// runKIP848 runs the consume/ cases again as kip848/ cases, with consumers
// of group.protocol=consumer, when the cluster serves it (Kafka 4.0+); on a
// cluster that does not (3.x, whose early-access version librdkafka does
// not work with), one case checks that Subscribe refuses the protocol with
// a typed error instead.
func runKIP848(t *testing.T, h Harness, s *suite) {
	var cases []Case
	for _, c := range Cases() {
		name, ok := strings.CutPrefix(c.Name, "consume/")
		if !ok {
			continue
		}
		run := c.Run
		cases = append(cases, Case{Name: "kip848/" + name, Doc: c.Doc + " (group.protocol=consumer)", Run: func(t *testing.T, e *Env) {
			e.Protocol = kafkaclient.GroupProtocolConsumer
			run(t, e)
		}})
	}
	runGated(t, h, s, "kip848/broker_support", func(t *testing.T, e *Env) bool {
		a := e.Admin(t)
		brokers, err := a.BrokerAPIs(Ctx(t))
		require.NoError(t, err)
		served := brokers[0].Supports(kafkaclient.APIConsumerGroupHeartbeat, 1)
		e.Protocol = kafkaclient.GroupProtocolConsumer
		c := e.Consumer(t, e.Group(t), nil)
		err = c.Subscribe(Ctx(t), []string{e.Topic(t, 1)}, nil)
		if served {
			require.NoError(t, err)
			return true
		}
		t.Logf("broker %d does not serve KIP-848: %v", brokers[0].Broker.ID, err)
		RequireCode(t, err, kafkaclient.CodeUnsupportedVersion)
		assert.Contains(t, err.Error(), "group.protocol=consumer")
		return false
	}, cases)
}

// runGated runs the case gate, whose function reports whether cases can
// run on the cluster, then, if they can, each of cases that h selects.
func runGated(t *testing.T, h Harness, s *suite, gate string, served func(t *testing.T, e *Env) bool, cases []Case) {
	ok := false
	t.Run(gate, func(t *testing.T) { ok = served(t, s.env(t)) })
	if !ok {
		return
	}
	for _, c := range cases {
		if h.Filter != nil && !h.Filter(c.Name) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			e := s.env(t)
			checkLeaks(t, 0, ignoreBroker...)
			t.Log(c.Doc)
			c.Run(t, e)
		})
	}
}

// AsTargets lists, per client, pointers to the variables As should set, such
// as new(*kgo.Client). The consumer's are checked after it has subscribed.
type AsTargets struct {
	Producer, Consumer, Admin []any
}

// Timeout bounds every wait in the suite.
const Timeout = 30 * time.Second

// Ctx returns a context that ends after Timeout or with the test.
func Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// Topic creates a topic with the partitions for this case.
func (e *Env) Topic(t *testing.T, partitions int32, configs ...string) string {
	t.Helper()
	return e.Cluster.CreateTopic(t, partitions, configs...)
}

// Group returns a group name unique to this case.
func (e *Env) Group(t *testing.T) string { return kafkatest.UniqueName(t, "group") }

// Producer opens a producer on the backend under test, closed at the end of
// the case. edit, if non-nil, changes the default config first.
func (e *Env) Producer(t *testing.T, edit func(*kafkaclient.ProducerConfig)) *kafkaclient.Producer {
	t.Helper()
	cfg := e.Cluster.ProducerConfig()
	if edit != nil {
		edit(&cfg)
	}
	return open(t, e.Backend, kafkaclient.NewProducer, cfg)
}

// Consumer opens a consumer for group (empty for none) on the backend under
// test, reading from the earliest offset, closed at the end of the case.
func (e *Env) Consumer(t *testing.T, group string, edit func(*kafkaclient.ConsumerConfig)) *kafkaclient.Consumer {
	t.Helper()
	cfg := e.Cluster.ConsumerConfig(group)
	if e.Protocol != "" {
		cfg.GroupProtocol = e.Protocol
	}
	quickGroup(&cfg)
	if edit != nil {
		edit(&cfg)
	}
	return open(t, e.Backend, kafkaclient.NewConsumer, cfg)
}

// quickGroup shortens cfg's group and fetch timings, so that joins,
// rebalances and polls take the cases little time.
func quickGroup(cfg *kafkaclient.ConsumerConfig) {
	if cfg.GroupProtocol != kafkaclient.GroupProtocolConsumer { // else the broker's
		cfg.SessionTimeout = 6 * time.Second
		cfg.HeartbeatInterval = 500 * time.Millisecond
	}
	cfg.MaxPollInterval = 20 * time.Second
	cfg.FetchMaxWait = 100 * time.Millisecond
}

// Admin opens an admin client on the backend under test.
func (e *Env) Admin(t *testing.T) *kafkaclient.Admin {
	t.Helper()
	return open(t, e.Backend, kafkaclient.NewAdmin, kafkaclient.AdminConfig{ClientConfig: e.Cluster.ClientConfig()})
}

// open opens a client with newClient from cfg and opts on b, closed at
// the end of the case.
func open[Cfg any, C interface{ Close(context.Context) error }](t *testing.T, b kafkaclient.Backend, newClient func(Cfg, ...kafkaclient.Option) (C, error), cfg Cfg, opts ...kafkaclient.Option) C {
	t.Helper()
	c, err := newClient(cfg, append(opts, kafkaclient.WithBackend(b))...)
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, c.Close) })
	return c
}

// closeWithin closes a client within 15 seconds; ErrClosed, from a client
// the case closed already, is no failure.
func closeWithin(t *testing.T, close func(context.Context) error) {
	closeAllowing(t, close, 15*time.Second)
}

// closeAllowing closes a client within d and fails t on an error other
// than ErrClosed and those of allowed.
func closeAllowing(t *testing.T, close func(context.Context) error, d time.Duration, allowed ...error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := close(ctx)
	if err != nil && !errors.Is(err, kafkaclient.ErrClosed) && !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(err, a) }) {
		t.Errorf("close: %v", err)
	}
}

// Produce sends msgs synchronously and fails the test on any error.
func Produce(t *testing.T, p *kafkaclient.Producer, msgs ...*kafkaclient.Message) {
	t.Helper()
	require.NoError(t, p.ProduceSync(Ctx(t), msgs...))
}

// ProduceValues sends one message per value to topic with nil keys.
func ProduceValues(t *testing.T, p *kafkaclient.Producer, topic string, values ...string) {
	t.Helper()
	msgs := make([]*kafkaclient.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkaclient.NewMessage(topic, nil, []byte(v))
	}
	Produce(t, p, msgs...)
}

// PollN polls until n messages arrived or Timeout passed, and fails the
// test if fewer came.
func PollN(t *testing.T, c *kafkaclient.Consumer, n int) []*kafkaclient.Message {
	t.Helper()
	ctx := Ctx(t)
	var out []*kafkaclient.Message
	for len(out) < n {
		m, err := c.Poll(ctx)
		require.NoError(t, err, "after %d of %d messages", len(out), n)
		out = append(out, m)
	}
	return out
}

// PollNone asserts that nothing arrives within d.
func PollNone(t *testing.T, c *kafkaclient.Consumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	m, err := c.Poll(ctx)
	require.Error(t, err, "unexpected message %+v", m)
	require.ErrorIs(t, err, kafkaclient.ErrTimedOut)
}

// Retrying calls fn until it succeeds or fails with an error that
// kafkaclient.IsRetriable rejects, 20 times at most, 100 ms apart, and
// returns its last error. The library does not retry commits and admin
// calls itself; their errors say whether a retry may succeed, and a topic
// created a moment ago may be unknown to a group coordinator for a moment.
func Retrying(t *testing.T, fn func() error) error {
	t.Helper()
	err := fn()
	for attempt := 1; err != nil && kafkaclient.IsRetriable(err) && attempt < 20; attempt++ {
		t.Logf("attempt %d: %v", attempt, err)
		time.Sleep(100 * time.Millisecond)
		err = fn()
	}
	return err
}

// RequireUnsupported asserts that err is the typed ErrUnsupported.
func RequireUnsupported(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kafkaclient.ErrUnsupported)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke)
	require.Equal(t, kafkaclient.CodeUnsupported, ke.Code)
}

// RequireCode asserts that err is an *Error with code.
func RequireCode(t *testing.T, err error, code kafkaclient.Code) *kafkaclient.Error {
	t.Helper()
	require.Error(t, err)
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke, "error %v (%T) is not a *kafkaclient.Error", err, err)
	require.Equal(t, kafkaclient.CodeName(code), kafkaclient.CodeName(ke.Code), "error: %v", err)
	return ke
}
