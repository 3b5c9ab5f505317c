// Package conformance is the test suite every kafkaclient backend passes.
//
// A backend runs it from one short test file:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{Backend: mybackend.New()})
//	}
//
// The suite runs against the embedded broker of package kafkatest, or
// against the cluster named by KAFKA_BOOTSTRAP_SERVERS. Each case is a
// subtest named for what it proves; a case that needs a capability the
// backend does not declare asserts that the call fails with ErrUnsupported
// instead of skipping. Every case checks that the clients it opened left no
// goroutine behind.
package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// Harness describes the backend under test.
type Harness struct {
	// Backend is the backend under test.
	Backend kafkaclient.Backend
	// Cluster, if set, returns the cluster to run against; by default
	// kafkatest.NewCluster(t, kafkatest.Brokers(3)): three embedded brokers,
	// or the cluster named by KAFKA_BOOTSTRAP_SERVERS.
	Cluster func(t *testing.T) *kafkatest.Cluster
	// Filter, if set, selects cases by name (for debugging a backend).
	Filter func(name string) bool
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

// Cases returns the suite's cases, in order.
func Cases() []Case {
	var all []Case
	all = append(all, producerCases...)
	all = append(all, consumerCases...)
	all = append(all, adminCases...)
	all = append(all, transactionCases...)
	all = append(all, configCases...)
	all = append(all, inputCases...)
	return all
}

// Run runs every case against h.
func Run(t *testing.T, h Harness) {
	require.NotNil(t, h.Backend, "Harness.Backend is required")
	var cluster *kafkatest.Cluster
	if h.Cluster != nil {
		cluster = h.Cluster(t)
	} else {
		cluster = kafkatest.NewCluster(t, kafkatest.Brokers(3))
	}
	for _, c := range Cases() {
		if h.Filter != nil && !h.Filter(c.Name) {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			// Registered first, so it runs after every other clean-up.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() {
				if t.Failed() {
					return
				}
				if err := goleak.Find(append([]goleak.Option{ignore}, ignoreBroker...)...); err != nil {
					t.Errorf("goroutines left after the case's clients closed: %v", err)
				}
			})
			t.Log(c.Doc)
			c.Run(t, &Env{Backend: h.Backend, Cluster: cluster, Caps: h.Backend.Capabilities()})
		})
	}
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

// Env is what a case works with.
type Env struct {
	Backend kafkaclient.Backend
	Cluster *kafkatest.Cluster
	Caps    kafkaclient.Capabilities
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
	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, p.Close) })
	return p
}

// Consumer opens a consumer for group (empty for none) on the backend under
// test, reading from the earliest offset, closed at the end of the case.
func (e *Env) Consumer(t *testing.T, group string, edit func(*kafkaclient.ConsumerConfig)) *kafkaclient.Consumer {
	t.Helper()
	cfg := e.Cluster.ConsumerConfig(group)
	cfg.SessionTimeout = 6 * time.Second
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.MaxPollInterval = 20 * time.Second
	cfg.FetchMaxWait = 100 * time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(e.Backend))
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, c.Close) })
	return c
}

// Admin opens an admin client on the backend under test.
func (e *Env) Admin(t *testing.T) *kafkaclient.Admin {
	t.Helper()
	a, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: e.Cluster.ClientConfig()}, kafkaclient.WithBackend(e.Backend))
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, a.Close) })
	return a
}

func closeWithin(t *testing.T, close func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := close(ctx); err != nil && !errors.Is(err, kafkaclient.ErrClosed) {
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
