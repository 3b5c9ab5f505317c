package kafkaclient

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient/backend"
)

var stubClient = ClientConfig{BootstrapServers: []string{"127.0.0.1:1"}}

func TestAdminCloseWaitsForCallsInFlight(t *testing.T) {
	b := &stubBackend{adm: &stubAdmin{started: make(chan struct{}), release: make(chan struct{})}}
	a, err := NewAdmin(AdminConfig{ClientConfig: stubClient}, WithBackend(b))
	require.NoError(t, err)

	called := make(chan error, 1)
	go func() {
		_, err := a.DescribeCluster(context.Background())
		called <- err
	}()
	<-b.adm.started
	closed := make(chan error, 1)
	go func() { closed <- a.Close(context.Background()) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(b.adm.release)
	require.NoError(t, <-called)
	require.NoError(t, <-closed)
	assert.Zero(t, b.adm.closedWhileCalls.Load(), "the backend admin was closed under a running call")

	_, err = a.DescribeCluster(context.Background())
	assert.ErrorIs(t, err, ErrClosed, "a call after Close")
}

func TestAdminCloseAgainReturnsFirstResult(t *testing.T) {
	b := &stubBackend{adm: &stubAdmin{closeErr: backend.Errorf(backend.CodeTransport, "connection reset")}}
	a, err := NewAdmin(AdminConfig{ClientConfig: stubClient}, WithBackend(b))
	require.NoError(t, err)
	first := a.Close(context.Background())
	require.ErrorIs(t, first, ErrTransport)
	second := a.Close(context.Background())
	assert.Equal(t, first, second)
	assert.EqualValues(t, 1, b.adm.closes.Load(), "the backend admin is closed once")
}

// heldCommit opens a transactional producer on a stub whose
// CommitTransaction holds until released.
func heldCommit(t *testing.T) (*Producer, *stubProducer) {
	t.Helper()
	prod := &stubProducer{commitStarted: make(chan struct{}), release: make(chan struct{})}
	b := &stubBackend{caps: backend.Capabilities{Idempotence: true}, prod: prod}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient, TransactionalID: "t"}, WithBackend(b))
	require.NoError(t, err)
	return p, prod
}

// callDuringCommit starts p's CommitTransaction, calls call while the
// commit holds, then releases the commit. It requires both to succeed and
// returns the calls the stub saw, in the order they ran.
func callDuringCommit(t *testing.T, p *Producer, prod *stubProducer, call func(context.Context) error) []string {
	t.Helper()
	committed := make(chan error, 1)
	go func() { committed <- p.CommitTransaction(context.Background()) }()
	<-prod.commitStarted
	called := make(chan error, 1)
	go func() { called <- call(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // call is waiting now, if it waits at all
	close(prod.release)
	require.NoError(t, <-committed)
	require.NoError(t, <-called)
	prod.mu.Lock()
	defer prod.mu.Unlock()
	return slices.Clone(prod.events)
}

func TestTransactionCallsHoldOffClose(t *testing.T) {
	p, prod := heldCommit(t)
	require.NoError(t, p.InitTransactions(context.Background()))
	require.NoError(t, p.BeginTransaction())

	events := callDuringCommit(t, p, prod, p.Close)
	assert.Equal(t, []string{"commit begins", "commit ends", "close"}, events)

	assert.ErrorIs(t, p.BeginTransaction(), ErrClosed, "a transaction call after Close")
}

func TestProduceSyncLeavesNoGoroutineOnDeadline(t *testing.T) {
	b := &stubBackend{}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, WithBackend(b))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // stub

	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	// The stub reports nothing, so ProduceSync gives up at the deadline.
	err = p.ProduceSync(ctx, NewMessage("t", nil, []byte("a")), NewMessage("t", nil, []byte("b")))
	require.ErrorIs(t, err, ErrTimedOut)
	assert.NoError(t, goleak.Find(ignore), "ProduceSync returned and left a goroutine waiting for the reports")
	b.prod.deliverAll(nil) // late reports are harmless
}

func TestDefaultIdempotenceStepsAsideForRetries(t *testing.T) {
	caps := backend.Capabilities{Idempotence: true}
	for _, tc := range []struct {
		name string
		edit func(*ProducerConfig)
		want Toggle
	}{
		{"by default it is on", func(*ProducerConfig) {}, ToggleOn},
		{"retries disabled turns it off", func(c *ProducerConfig) { c.Retries = -1 }, ToggleOff},
		{"acks=1 turns it off", func(c *ProducerConfig) { c.Acks = AcksLeader }, ToggleOff},
		{"more than 5 in flight turns it off", func(c *ProducerConfig) { c.MaxInFlight = 6 }, ToggleOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ProducerConfig{ClientConfig: stubClient}
			tc.edit(&cfg)
			got, err := prepareProducer(cfg, caps, "stub")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Idempotence)
		})
	}
	t.Run("asked for explicitly with retries disabled it is an error", func(t *testing.T) {
		_, err := prepareProducer(ProducerConfig{ClientConfig: stubClient, Idempotence: ToggleOn, Retries: -1}, caps, "stub")
		require.ErrorIs(t, err, ErrBadConfig)
	})
	t.Run(`{"retries": 0} opens on the default backend`, func(t *testing.T) {
		p, err := NewProducerFromMap(ConfigMap{"bootstrap.servers": "127.0.0.1:1", "retries": 0})
		require.NoError(t, err)
		assert.Equal(t, ToggleOff, p.Config().Idempotence)
		require.NoError(t, p.Close(context.Background()))
	})
}

func TestProducerConfigErrorIsTheSameEveryTime(t *testing.T) {
	cfg := ProducerConfig{ClientConfig: stubClient, DeliveryTimeout: -1, MaxInFlight: -1, BatchSize: -1, MaxBufferedMessages: -1}
	_, first := prepareProducer(cfg, backend.Capabilities{}, "stub")
	require.ErrorIs(t, first, ErrBadConfig)
	assert.Contains(t, first.Error(), "delivery.timeout.ms")
	for range 50 {
		_, err := prepareProducer(cfg, backend.Capabilities{}, "stub")
		require.Equal(t, first.Error(), err.Error())
	}
}

func TestClientConfigsAreCopies(t *testing.T) {
	cc := ClientConfig{BootstrapServers: []string{"127.0.0.1:1"}}
	t.Run("consumer", func(t *testing.T) {
		c, err := NewConsumer(ConsumerConfig{ClientConfig: cc, GroupID: "g", Assignors: []Assignor{AssignorRange}})
		require.NoError(t, err)
		defer c.Close(context.Background()) //nolint:errcheck // never connected
		got := c.Config()
		got.BootstrapServers[0] = "changed:1"
		got.Assignors[0] = AssignorRoundRobin
		assert.Equal(t, []string{"127.0.0.1:1"}, c.Config().BootstrapServers)
		assert.Equal(t, []Assignor{AssignorRange}, c.Config().Assignors)
	})
	t.Run("admin", func(t *testing.T) {
		a, err := NewAdmin(AdminConfig{ClientConfig: cc}, WithBackend(&stubBackend{}))
		require.NoError(t, err)
		defer a.Close(context.Background()) //nolint:errcheck // stub
		a.Config().BootstrapServers[0] = "changed:1"
		assert.Equal(t, []string{"127.0.0.1:1"}, a.Config().BootstrapServers)
	})
}

func TestRegisteredBackendPrefixes(t *testing.T) {
	backend.Register("thirdparty", backend.Capabilities{})
	cfg, err := parseProducerConfig(ConfigMap{"bootstrap.servers": "h:1", "thirdparty.socket.nagle": "off"}, "franz")
	require.NoError(t, err, "a key of a registered backend other than the one in use is ignored")
	assert.Empty(t, cfg.BackendOptions)

	cfg, err = parseProducerConfig(ConfigMap{"bootstrap.servers": "h:1", "thirdparty.socket.nagle": "off"}, "thirdparty")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"socket.nagle": "off"}, cfg.BackendOptions, "the backend in use gets its own keys")

	_, err = parseProducerConfig(ConfigMap{"bootstrap.servers": "h:1", "nosuchbackend.x": "1"}, "franz")
	require.ErrorIs(t, err, ErrBadConfig, "a prefix no backend registered is an unknown key")
}

func TestTransactionalIDNeedsTheTransactionCalls(t *testing.T) {
	// A backend that declares idempotence but whose producer has no
	// transaction calls.
	b := &stubBackend{caps: backend.Capabilities{Idempotence: true}, prod: &stubProducer{}}
	_, err := NewProducer(ProducerConfig{ClientConfig: stubClient, TransactionalID: "t"}, WithBackend(&plainBackend{b}))
	require.ErrorIs(t, err, ErrUnsupported)
	assert.True(t, b.prod.closed.Load(), "the producer opened to find out is closed")
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Contains(t, e.Error(), "transactional.id")
}

// plainBackend hides the stub producer's transaction calls.
type plainBackend struct{ *stubBackend }

func (b *plainBackend) NewProducer(cfg backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	p, err := b.stubBackend.NewProducer(cfg, hooks)
	return struct{ backend.Producer }{p}, err
}

func TestMessagePartitionZeroValueIsSafe(t *testing.T) {
	// A key that hashes to partition 1 of 3 (the stub's count).
	var key []byte
	for i := 0; key == nil; i++ {
		if k := []byte{byte(i)}; KeyPartition(PartitionerMurmur2, k, 3) == 1 {
			key = k
		}
	}
	produce := func(t *testing.T, partitioner Partitioner, m *Message) int32 {
		t.Helper()
		b := &stubBackend{}
		p, err := NewProducer(ProducerConfig{ClientConfig: stubClient, Partitioner: partitioner}, WithBackend(b))
		require.NoError(t, err)
		defer p.Close(context.Background()) //nolint:errcheck // stub
		require.NoError(t, p.Produce(context.Background(), m, func(*Message, error) {}))
		b.prod.mu.Lock()
		defer b.prod.mu.Unlock()
		require.Len(t, b.prod.pending, 1)
		return b.prod.pending[0].m.Partition
	}
	t.Run("a literal without Partition goes to its key's partition", func(t *testing.T) {
		assert.Equal(t, int32(1), produce(t, PartitionerMurmur2, &Message{Topic: "t", Key: key}))
	})
	t.Run("a Partition set on a default producer is not read", func(t *testing.T) {
		assert.Equal(t, int32(1), produce(t, PartitionerMurmur2, &Message{Topic: "t", Key: key, Partition: 2}))
		assert.Equal(t, PartitionAny, produce(t, PartitionerCRC32, &Message{Topic: "t", Partition: 2}), "a nil key is spread by the backend")
	})
	t.Run("the manual partitioner uses Partition as given", func(t *testing.T) {
		assert.Equal(t, int32(2), produce(t, PartitionerManual, &Message{Topic: "t", Key: key, Partition: 2}))
		assert.Equal(t, int32(0), produce(t, PartitionerManual, &Message{Topic: "t", Key: key}))
		assert.Equal(t, int32(1), produce(t, PartitionerManual, &Message{Topic: "t", Key: key, Partition: PartitionAny}))
	})
}

func TestReportsAfterCloseAreDropped(t *testing.T) {
	b := &stubBackend{prod: &stubProducer{keepOnClose: true}}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, WithBackend(b))
	require.NoError(t, err)
	require.NoError(t, p.Produce(context.Background(), NewMessage("t", nil, []byte("v")), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, p.Close(ctx), ErrTimedOut, "the stub never reports the message")
	// A backend that reports after Close gave up: the report is dropped,
	// not sent on the closed Events channel.
	assert.NotPanics(t, func() { b.prod.deliverAll(nil) })
	assert.NotPanics(t, func() { b.prod.hooks.OnError(backend.Errorf(backend.CodeAllBrokersDown, "late")) })
	for range p.Events() {
		t.Error("an event after Close")
	}
}

func TestAdminResultsFollowTheRequestWithRepeatedNames(t *testing.T) {
	type r struct{ name, tag string }
	got := inOrder([]r{{"b", "b"}, {"a", "a1"}, {"x", "x"}, {"a", "a2"}}, []string{"a", "b", "a"}, func(x r) string { return x.name })
	assert.Equal(t, []r{{"a", "a1"}, {"b", "b"}, {"a", "a2"}, {"x", "x"}}, got)
}

func TestTransactionCallsRunOneAtATime(t *testing.T) {
	p, prod := heldCommit(t)
	defer p.Close(context.Background()) //nolint:errcheck // stub
	events := callDuringCommit(t, p, prod, p.AbortTransaction)
	assert.Equal(t, []string{"commit begins", "commit ends", "abort"}, events)
}

func TestProduceWaitsOnceForATopicJustCreated(t *testing.T) {
	var answers atomic.Int32
	prod := &stubProducer{count: func(string) (int32, error) {
		// The first two look-ups meet a broker that does not know the
		// topic yet.
		if answers.Add(1) <= 2 {
			return 0, backend.Errorf(backend.CodeUnknownTopicOrPartition, "unknown topic")
		}
		return 3, nil
	}}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, WithBackend(&stubBackend{prod: prod}))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // the stub reports every message at Close

	ctx := context.Background()
	require.NoError(t, p.Produce(ctx, NewMessage("new", nil, []byte("unkeyed")), func(*Message, error) {}))
	assert.EqualValues(t, 3, prod.lookups.Load(), "an unkeyed message waits for its topic to be known")
	require.NoError(t, p.Produce(ctx, NewMessage("new", nil, []byte("unkeyed again")), func(*Message, error) {}))
	require.NoError(t, p.Produce(ctx, NewMessage("new", []byte("k"), []byte("keyed")), func(*Message, error) {}))
	assert.EqualValues(t, 3, prod.lookups.Load(), "a topic found once is not looked up again")
	prod.mu.Lock()
	defer prod.mu.Unlock()
	require.Len(t, prod.pending, 3, "every message reached the backend")
	assert.Equal(t, KeyPartition(PartitionerMurmur2, []byte("k"), 3), prod.pending[2].m.Partition)
	assert.Equal(t, PartitionAny, prod.pending[0].m.Partition)
}

func TestListConsumerGroupsDescribesGroupsListedWithoutState(t *testing.T) {
	adm := &stubAdmin{
		groups: []backend.GroupListing{
			{GroupID: "b", State: GroupStateUnknown},
			{GroupID: "a", State: GroupStateEmpty},
			{GroupID: "c", State: GroupStateUnknown},
		},
		described: map[string]backend.GroupDescription{
			"b": {GroupID: "b", State: GroupStateStable},
			"c": {GroupID: "c", State: GroupStateDead, Err: backend.Errorf(backend.CodeGroupIDNotFound, "gone")},
		},
	}
	a, err := NewAdmin(AdminConfig{ClientConfig: stubClient}, WithBackend(&stubBackend{adm: adm}))
	require.NoError(t, err)
	defer a.Close(context.Background()) //nolint:errcheck // test cleanup
	gs, err := a.ListConsumerGroups(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []GroupListing{
		{GroupID: "a", State: GroupStateEmpty},
		{GroupID: "b", State: GroupStateStable},
		{GroupID: "c", State: GroupStateDead},
	}, gs)
	assert.Equal(t, []string{"b", "c"}, adm.asked, "only the groups without a state are described")
}

func TestProduceBatchSaysWhichMessagesWereAccepted(t *testing.T) {
	prod := &stubProducer{refuseAfter: 3}
	p, err := NewProducer(ProducerConfig{ClientConfig: stubClient}, WithBackend(&stubBackend{prod: prod}))
	require.NoError(t, err)
	defer p.Close(context.Background()) //nolint:errcheck // the stub reports every message at Close

	var batch []*Message
	for i := range 5 {
		batch = append(batch, NewMessage("t", nil, []byte{byte(i)}))
	}
	err = p.ProduceBatch(context.Background(), batch, func(*Message, error) {})
	var pe ProduceErrors
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe, 5)
	for i, e := range pe[:3] {
		assert.NoError(t, e, "message %d was accepted", i)
	}
	for i, e := range pe[3:] {
		assert.ErrorIs(t, e, ErrTransport, "message %d was refused", i+3)
	}
	n, bytes := p.buffered.buffered()
	assert.EqualValues(t, 3, n, "the refused messages gave their buffer room back")
	assert.EqualValues(t, 3*messageSize(batch[0]), bytes)

	bad := []*Message{NewMessage("t", nil, []byte("ok")), nil}
	err = p.ProduceBatch(context.Background(), bad, nil)
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, pe[0], ErrInvalidArg, "a valid message is not produced with an invalid one")
	assert.ErrorIs(t, pe[1], ErrInvalidArg)
	n, _ = p.buffered.buffered()
	assert.EqualValues(t, 3, n, "a refused batch takes no room")
}
