package conformance

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// observeCases are the cases of observers (WithObserver) and Stats: the
// same counts on every backend, and observers that misbehave breaking
// nothing.
var observeCases = []Case{
	{
		Name: "observe/produce",
		Doc:  "For N messages produced, synchronously and not, the observer sees N OnProduce and N successful OnDelivery with their offsets and a latency, and Stats counts N produced and delivered with their bytes, none buffered, and N latency samples.",
		Run:  observeProduce,
	},
	{
		Name: "observe/delivery_failures",
		Doc:  "Messages to a topic that does not exist are reported failed to the observer and counted in Stats under UNKNOWN_TOPIC_OR_PARTITION; a message Produce refuses (too large) is not counted as produced.",
		Run:  observeDeliveryFailures,
	},
	{
		Name: "observe/consume",
		Doc:  "For N messages consumed, OnPoll sees the N messages and Stats counts N with their bytes; after a commit of everything, Stats shows each partition's position, committed offset and high watermark equal and its lag 0, and the observer the commit.",
		Run:  observeConsume,
	},
	{
		Name: "observe/rebalances",
		Doc:  "OnRebalance reports the same assignment changes, in the same order, as the RebalanceListener, and Stats counts them.",
		Run:  observeRebalances,
	},
	{
		Name: "observe/misbehaving_observer",
		Doc:  "An observer whose every method panics breaks neither produce nor consume (each panic is logged), and one whose OnDelivery blocks for a while only delays the reports.",
		Run:  observeMisbehaving,
	},
}

func observeProduce(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	rec := &kafkatest.Recorder{}
	p := open(t, e.Backend, kafkaclient.NewProducer, e.Cluster.ProducerConfig(), kafkaclient.WithObserver(rec))
	const n = 20
	var size int64
	var wg sync.WaitGroup
	for i := range n {
		m := kafkaclient.NewMessage(topic, []byte{byte(i)}, bytes.Repeat([]byte("v"), i))
		size += int64(1 + i)
		if i%2 == 0 {
			require.NoError(t, p.ProduceSync(Ctx(t), m))
			continue
		}
		wg.Add(1)
		require.NoError(t, p.Produce(Ctx(t), m, func(_ *kafkaclient.Message, err error) { assert.NoError(t, err); wg.Done() }))
	}
	wg.Wait()
	assert.Equal(t, n, rec.Produced())
	ds := rec.Deliveries()
	require.Len(t, ds, n)
	for _, d := range ds {
		assert.NoError(t, d.Err)
		assert.Equal(t, topic, d.Topic)
		assert.GreaterOrEqual(t, d.Offset, int64(0))
		assert.Positive(t, d.Latency)
	}
	s := p.Stats()
	assert.Equal(t, int64(n), s.Produced)
	assert.Equal(t, int64(n), s.Delivered)
	assert.Equal(t, size, s.ProducedBytes)
	assert.Equal(t, size, s.DeliveredBytes)
	assert.Zero(t, s.Failed)
	assert.Zero(t, s.Buffered)
	assert.Equal(t, n, s.Latency.Samples)
	assert.Positive(t, s.Latency.P50)
	assert.LessOrEqual(t, s.Latency.P50, s.Latency.P99)
	assert.LessOrEqual(t, s.Latency.P99, s.Latency.Max)
}

func observeDeliveryFailures(t *testing.T, e *Env) {
	rec := &kafkatest.Recorder{}
	p := open(t, e.Backend, kafkaclient.NewProducer, e.Cluster.ProducerConfig(), kafkaclient.WithObserver(rec))
	missing := kafkatest.UniqueName(t, "missing")
	err := p.ProduceSync(Ctx(t), kafkaclient.NewMessage(missing, nil, []byte("a")), kafkaclient.NewMessage(missing, nil, []byte("b")))
	RequireCode(t, err, kafkaclient.CodeUnknownTopicOrPartition)
	tooLarge := kafkaclient.NewMessage(missing, nil, make([]byte, p.Config().MaxMessageBytes+1))
	RequireCode(t, p.Produce(Ctx(t), tooLarge, nil), kafkaclient.CodeMessageTooLarge)

	ds := rec.Deliveries()
	require.Len(t, ds, 2)
	for _, d := range ds {
		RequireCode(t, d.Err, kafkaclient.CodeUnknownTopicOrPartition)
	}
	s := p.Stats()
	assert.Equal(t, int64(2), s.Produced, "a refused message is not produced")
	assert.Equal(t, int64(2), s.Failed)
	assert.Equal(t, int64(2), s.FailedBytes)
	assert.Equal(t, map[kafkaclient.Code]int64{kafkaclient.CodeUnknownTopicOrPartition: 2}, s.FailedByCode)
	assert.Zero(t, s.Delivered)
}

func observeConsume(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	p := e.Producer(t, pcManual)
	ccProduceTo(t, p, topic, 0, ccSeq("a", 0, 4)...)
	ccProduceTo(t, p, topic, 1, ccSeq("b", 0, 3)...)
	rec := &kafkatest.Recorder{}
	cfg := e.Cluster.ConsumerConfig(e.Group(t))
	quickGroup(&cfg)
	cfg.DisableAutoCommit = true
	c := open(t, e.Backend, kafkaclient.NewConsumer, cfg, kafkaclient.WithObserver(rec))
	if e.Caps.ManualAssign {
		require.NoError(t, c.Assign(Ctx(t), tps(topic, kafkaclient.OffsetBeginning, 0, 1)))
	} else {
		require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	}
	got := PollN(t, c, 7)
	assert.Len(t, rec.Polled(), 7)
	s := c.Stats()
	assert.Equal(t, int64(7), s.Consumed)
	assert.Equal(t, int64(7*2), s.ConsumedBytes)

	commit, err := c.Commit(Ctx(t))
	if err != nil && kafkaclient.IsRetriable(err) {
		commit, err = c.Commit(Ctx(t))
	}
	require.NoError(t, err)
	require.Len(t, commit, 2)
	cs := rec.Commits()
	require.NotEmpty(t, cs)
	assert.Equal(t, commit, cs[len(cs)-1].Offsets)
	require.NoError(t, cs[len(cs)-1].Err)

	want := map[int32]int64{0: 4, 1: 3}
	s = c.Stats()
	assert.Equal(t, int64(len(cs)), s.Commits)
	require.Len(t, s.Partitions, 2, "%+v", s.Partitions)
	for _, ps := range s.Partitions {
		assert.Equal(t, want[ps.Partition], ps.Position, "partition %d", ps.Partition)
		assert.Equal(t, want[ps.Partition], ps.Committed, "partition %d", ps.Partition)
		assert.Equal(t, want[ps.Partition], ps.High, "partition %d", ps.Partition)
		assert.Zero(t, ps.Lag, "partition %d", ps.Partition)
	}
	assert.Len(t, got, 7)
}

// rebalanceLog records a listener's calls as Rebalance values.
type rebalanceLog struct {
	mu  sync.Mutex
	got []kafkatest.Rebalance
}

func (l *rebalanceLog) add(kind kafkaclient.RebalanceKind) func(context.Context, *kafkaclient.Consumer, []kafkaclient.TopicPartition) error {
	return func(_ context.Context, _ *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
		l.mu.Lock()
		l.got = append(l.got, kafkatest.Rebalance{Kind: kind, Partitions: tps})
		l.mu.Unlock()
		return nil
	}
}

func observeRebalances(t *testing.T, e *Env) {
	topic := e.Topic(t, 2)
	ProduceValues(t, e.Producer(t, nil), topic, "a")
	rec := &kafkatest.Recorder{}
	cfg := e.Cluster.ConsumerConfig(e.Group(t))
	quickGroup(&cfg)
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(e.Backend), kafkaclient.WithObserver(rec))
	require.NoError(t, err)
	log := &rebalanceLog{}
	listener := kafkaclient.RebalanceFuncs{Assigned: log.add(kafkaclient.RebalanceAssigned), Revoked: log.add(kafkaclient.RebalanceRevoked), Lost: log.add(kafkaclient.RebalanceLost)}
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, listener))
	PollN(t, c, 1)
	closeWithin(t, c.Close)

	log.mu.Lock()
	defer log.mu.Unlock()
	require.NotEmpty(t, log.got)
	assert.Equal(t, log.got, rec.Rebalances())
	assert.Equal(t, int64(len(log.got)), c.Stats().Rebalances)
	assert.Equal(t, kafkaclient.RebalanceAssigned, log.got[0].Kind)
}

// panicky is an observer whose every method panics.
type panicky struct{}

func (panicky) OnProduce(context.Context, *kafkaclient.Message)       { panic("OnProduce") }
func (panicky) OnDelivery(*kafkaclient.Message, time.Duration, error) { panic("OnDelivery") }
func (panicky) OnPoll(context.Context, []*kafkaclient.Message)        { panic("OnPoll") }
func (panicky) OnCommit([]kafkaclient.TopicPartition, error)          { panic("OnCommit") }
func (panicky) OnRebalance(kafkaclient.RebalanceKind, []kafkaclient.TopicPartition) {
	panic("OnRebalance")
}

// slowDelivery is an observer whose OnDelivery blocks for a while.
type slowDelivery struct{}

func (slowDelivery) OnProduce(context.Context, *kafkaclient.Message) {}
func (slowDelivery) OnDelivery(*kafkaclient.Message, time.Duration, error) {
	time.Sleep(50 * time.Millisecond)
}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func observeMisbehaving(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	pcfg := e.Cluster.ProducerConfig()
	pcfg.Logger = logger
	p := open(t, e.Backend, kafkaclient.NewProducer, pcfg, kafkaclient.WithObserver(panicky{}))
	ProduceValues(t, p, topic, "a", "b")
	assert.Equal(t, int64(2), p.Stats().Delivered)

	ccfg := e.Cluster.ConsumerConfig(e.Group(t))
	quickGroup(&ccfg)
	ccfg.Logger = logger
	c := open(t, e.Backend, kafkaclient.NewConsumer, ccfg, kafkaclient.WithObserver(panicky{}))
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	got := PollN(t, c, 2)
	assert.Equal(t, "a", string(got[0].Value))
	require.NoError(t, Retrying(t, func() error { return c.CommitMessages(Ctx(t), got...) }))
	for _, method := range []string{"OnProduce", "OnDelivery", "OnPoll", "OnCommit", "OnRebalance"} {
		assert.Contains(t, logs.String(), "method="+method)
	}

	slow := open(t, e.Backend, kafkaclient.NewProducer, e.Cluster.ProducerConfig(), kafkaclient.WithObserver(slowDelivery{}))
	start := time.Now()
	ProduceValues(t, slow, topic, "c", "d", "e")
	assert.GreaterOrEqual(t, time.Since(start), 3*50*time.Millisecond, "the reports waited for the observer")
	assert.Equal(t, int64(3), slow.Stats().Delivered)
}
