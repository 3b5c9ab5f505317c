package kafkatest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend"
)

// Mock is an in-memory backend for unit tests. A *kafkaclient.Producer opened
// on it (see NewMockProducer) records every message instead of sending it,
// assigns offsets, reports delivery asynchronously and in order, and can be
// told to fail messages. The code under test keeps using the real
// *kafkaclient.Producer type, with every check the root package makes
// (validation, key partitioning, error types).
//
// Mock has no consumer or admin: those return ErrUnsupported. Use
// NewCluster for tests that need them.
type Mock struct {
	mu         sync.Mutex
	messages   []kafkaclient.Message
	partitions map[string]int32
	strict     bool
	failNext   []kafkaclient.Code
	failTopic  map[string]kafkaclient.Code
	offsets    map[tpKey]int64
}

type tpKey struct {
	topic     string
	partition int32
}

// NewMock returns an empty mock backend. Topics have one partition unless
// SetPartitions says otherwise.
func NewMock() *Mock {
	return &Mock{partitions: map[string]int32{}, failTopic: map[string]kafkaclient.Code{}, offsets: map[tpKey]int64{}}
}

// NewMockProducer returns a producer on a new Mock, closed when the test
// ends, and the Mock to inspect.
func NewMockProducer(t testing.TB) (*kafkaclient.Producer, *Mock) {
	t.Helper()
	m := NewMock()
	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{
		ClientConfig: kafkaclient.ClientConfig{BootstrapServers: []string{"mock:9092"}},
	}, kafkaclient.WithBackend(m))
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Close(ctx) //nolint:errcheck // the test may have closed it
	})
	return p, m
}

// SetPartitions sets topic's partition count, for key-partitioning tests.
func (m *Mock) SetPartitions(topic string, n int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partitions[topic] = n
}

// Strict makes topics that were not given SetPartitions unknown: messages
// to them fail with UNKNOWN_TOPIC_OR_PARTITION, as with a real broker.
func (m *Mock) Strict() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.strict = true
}

// FailNext makes the next len(codes) messages fail with these codes, in
// order. A failed message is not recorded.
func (m *Mock) FailNext(codes ...kafkaclient.Code) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext = append(m.failNext, codes...)
}

// FailTopic makes every message to topic fail with code, until cleared with
// code CodeNone.
func (m *Mock) FailTopic(topic string, code kafkaclient.Code) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if code == kafkaclient.CodeNone {
		delete(m.failTopic, topic)
		return
	}
	m.failTopic[topic] = code
}

// Messages returns copies of the delivered messages, in delivery order.
func (m *Mock) Messages() []kafkaclient.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.messages)
}

// MessagesTo returns the delivered messages of topic.
func (m *Mock) MessagesTo(topic string) []kafkaclient.Message {
	var out []kafkaclient.Message
	for _, msg := range m.Messages() {
		if msg.Topic == topic {
			out = append(out, msg)
		}
	}
	return out
}

// Reset forgets delivered messages and pending failures.
func (m *Mock) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages, m.failNext = nil, nil
	clear(m.failTopic)
	clear(m.offsets)
}

// errInjected is the original error of injected failures.
var errInjected = errors.New("failure injected by kafkatest.Mock")

// deliver decides one message's fate and records it.
func (m *Mock) deliver(msg *kafkaclient.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.failNext) > 0 {
		code := m.failNext[0]
		m.failNext = m.failNext[1:]
		return backend.WithCode(code, errInjected)
	}
	if code, ok := m.failTopic[msg.Topic]; ok {
		return backend.WithCode(code, errInjected)
	}
	n, ok := m.partitions[msg.Topic]
	if !ok && m.strict {
		return backend.WithCode(backend.CodeUnknownTopicOrPartition, errors.New("topic is unknown to the mock"))
	}
	if !ok {
		n = 1
	}
	if msg.Partition == kafkaclient.PartitionAny {
		msg.Partition = int32(len(m.messages)) % n
	}
	if msg.Partition >= n {
		return backend.WithCode(backend.CodeUnknownTopicOrPartition, errors.New("partition does not exist in the mock"))
	}
	k := tpKey{msg.Topic, msg.Partition}
	msg.Offset = m.offsets[k]
	m.offsets[k]++
	if msg.Timestamp.IsZero() {
		msg.Timestamp = time.Now()
	}
	cp := *msg
	cp.Key, cp.Value = slices.Clone(msg.Key), slices.Clone(msg.Value)
	cp.Headers = slices.Clone(msg.Headers)
	m.messages = append(m.messages, cp)
	return nil
}

// Backend implementation.

// Name implements backend.Backend.
func (m *Mock) Name() string { return "mock" }

// Capabilities implements backend.Backend: the mock has none of the
// optional features.
func (m *Mock) Capabilities() backend.Capabilities { return backend.Capabilities{} }

// Code implements backend.Backend.
func (m *Mock) Code(error) backend.Code { return backend.CodeFailed }

// NewProducer implements backend.Backend.
func (m *Mock) NewProducer(_ backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	p := &mockProducer{m: m, delivered: hooks.Delivered, jobs: make(chan mockJob, 1024), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// NewConsumer implements backend.Backend: unsupported.
func (m *Mock) NewConsumer(backend.ConsumerConfig, backend.ConsumerHooks) (backend.Consumer, error) {
	return nil, backend.Unsupported("mock", "a consumer")
}

// NewAdmin implements backend.Backend: unsupported.
func (m *Mock) NewAdmin(backend.AdminConfig) (backend.Admin, error) {
	return nil, backend.Unsupported("mock", "an admin client")
}

type mockJob struct {
	msg   *backend.Message
	token any
	flush chan struct{}
}

type mockProducer struct {
	m         *Mock
	delivered func(*backend.Message, any, error)
	jobs      chan mockJob
	done      chan struct{}
	closeMu   sync.Mutex
	closed    bool
}

func (p *mockProducer) run() {
	defer close(p.done)
	for j := range p.jobs {
		if j.flush != nil {
			close(j.flush)
			continue
		}
		p.delivered(j.msg, j.token, p.m.deliver(j.msg))
	}
}

func (p *mockProducer) Produce(ctx context.Context, msg *backend.Message, token any) error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return backend.Errorf(backend.CodeClosed, "mock producer is closed")
	}
	select {
	case p.jobs <- mockJob{msg: msg, token: token}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *mockProducer) PartitionCount(_ context.Context, topic string) (int32, error) {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	if n, ok := p.m.partitions[topic]; ok {
		return n, nil
	}
	if p.m.strict {
		return 0, backend.WithCode(backend.CodeUnknownTopicOrPartition, errors.New("topic is unknown to the mock"))
	}
	return 1, nil
}

func (p *mockProducer) Flush(ctx context.Context) error {
	p.closeMu.Lock()
	if p.closed {
		p.closeMu.Unlock()
		return nil
	}
	flushed := make(chan struct{})
	p.jobs <- mockJob{flush: flushed}
	p.closeMu.Unlock()
	return backend.Wait(ctx, flushed)
}

func (p *mockProducer) Close(ctx context.Context) error {
	p.closeMu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.closeMu.Unlock()
	return backend.Wait(ctx, p.done)
}

func (p *mockProducer) As(target any) bool {
	if mp, ok := target.(**Mock); ok {
		*mp = p.m
		return true
	}
	return false
}
