package kafkaclient

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kafkaclient/kafkaclient/backend"
)

// stubBackend is a backend whose clients do nothing unless a test tells
// them to: it lets root tests hold a backend call open, or see the order in
// which the root calls the backend, which no real client makes
// deterministic.
type stubBackend struct {
	caps backend.Capabilities
	prod *stubProducer
	adm  *stubAdmin
}

func (b *stubBackend) Name() string                       { return "stub" }
func (b *stubBackend) Capabilities() backend.Capabilities { return b.caps }
func (b *stubBackend) Code(error) backend.Code            { return backend.CodeFailed }

func (b *stubBackend) NewProducer(_ backend.ProducerConfig, hooks backend.ProducerHooks) (backend.Producer, error) {
	if b.prod == nil {
		b.prod = &stubProducer{}
	}
	b.prod.hooks = hooks
	return b.prod, nil
}

func (b *stubBackend) NewConsumer(backend.ConsumerConfig, backend.ConsumerHooks) (backend.Consumer, error) {
	return nil, backend.Unsupported("stub", "a consumer")
}

func (b *stubBackend) NewAdmin(backend.AdminConfig) (backend.Admin, error) {
	if b.adm == nil {
		b.adm = &stubAdmin{}
	}
	return b.adm, nil
}

// stubProducer keeps every message unreported until deliverAll, and can
// hold CommitTransaction open until release is closed.
type stubProducer struct {
	hooks backend.ProducerHooks

	mu      sync.Mutex
	pending []stubPending
	events  []string

	commitStarted chan struct{} // closed when CommitTransaction begins
	release       chan struct{} // CommitTransaction returns once closed
	closed        atomic.Bool
	// keepOnClose makes Close leave the messages unreported, as a backend
	// whose reports come after Close gave up.
	keepOnClose bool
	// refuseAfter, when above zero, makes Produce refuse every message
	// after that many, with CodeTransport.
	refuseAfter int
	// count, when set, answers PartitionCount; lookups counts its calls.
	count   func(topic string) (int32, error)
	lookups atomic.Int32
}

type stubPending struct {
	m     *backend.Message
	token any
}

func (p *stubProducer) event(e string) {
	p.mu.Lock()
	p.events = append(p.events, e)
	p.mu.Unlock()
}

func (p *stubProducer) Produce(_ context.Context, m *backend.Message, token any) error {
	p.mu.Lock()
	if p.refuseAfter > 0 && len(p.pending) >= p.refuseAfter {
		p.mu.Unlock()
		return backend.Errorf(backend.CodeTransport, "connection refused")
	}
	p.pending = append(p.pending, stubPending{m, token})
	p.mu.Unlock()
	return nil
}

func (p *stubProducer) deliverAll(err error) {
	p.mu.Lock()
	ps := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, x := range ps {
		p.hooks.Delivered(x.m, x.token, err)
	}
}

func (p *stubProducer) PartitionCount(_ context.Context, topic string) (int32, error) {
	p.lookups.Add(1)
	if p.count != nil {
		return p.count(topic)
	}
	return 3, nil
}

func (p *stubProducer) Flush(context.Context) error { return nil }

func (p *stubProducer) Close(context.Context) error {
	p.event("close")
	p.closed.Store(true)
	if !p.keepOnClose {
		p.deliverAll(backend.Errorf(backend.CodeClosed, "closed"))
	}
	return nil
}

func (p *stubProducer) InitTransactions(context.Context) error { return nil }
func (p *stubProducer) BeginTransaction() error                { return nil }
func (p *stubProducer) SendOffsetsToTransaction(context.Context, []backend.TopicPartition, backend.GroupMetadata) error {
	return nil
}
func (p *stubProducer) AbortTransaction(context.Context) error {
	p.event("abort")
	return nil
}

func (p *stubProducer) CommitTransaction(context.Context) error {
	p.event("commit begins")
	if p.commitStarted != nil {
		close(p.commitStarted)
	}
	if p.release != nil {
		<-p.release
	}
	if p.closed.Load() {
		p.event("commit ran on a closed producer")
	}
	p.event("commit ends")
	return nil
}

// stubAdmin answers DescribeCluster after release is closed (at once when
// it is nil), and fails Close with closeErr.
type stubAdmin struct {
	started  chan struct{}
	release  chan struct{}
	closeErr error
	closes   atomic.Int32
	inFlight atomic.Int32
	// closedWhileCalls counts Close calls that found a call in flight.
	closedWhileCalls atomic.Int32
	// groups is what ListConsumerGroups lists; described what
	// DescribeConsumerGroups answers for the groups asked for.
	groups    []backend.GroupListing
	described map[string]backend.GroupDescription
	asked     []string
}

func (a *stubAdmin) CreateTopics(context.Context, []backend.TopicSpec) ([]backend.TopicResult, error) {
	return nil, nil
}
func (a *stubAdmin) DeleteTopics(context.Context, []string) ([]backend.TopicResult, error) {
	return nil, nil
}
func (a *stubAdmin) DescribeTopics(context.Context, []string) ([]backend.TopicDescription, error) {
	return nil, nil
}

func (a *stubAdmin) DescribeCluster(context.Context) (backend.ClusterDescription, error) {
	a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	if a.started != nil {
		close(a.started)
	}
	if a.release != nil {
		<-a.release
	}
	return backend.ClusterDescription{ClusterID: "stub"}, nil
}

func (a *stubAdmin) ListConsumerGroups(context.Context) ([]backend.GroupListing, error) {
	return slices.Clone(a.groups), nil
}
func (a *stubAdmin) DescribeConsumerGroups(_ context.Context, groups []string) ([]backend.GroupDescription, error) {
	a.asked = append(a.asked, groups...)
	var out []backend.GroupDescription
	for _, g := range groups {
		out = append(out, a.described[g])
	}
	return out, nil
}
func (a *stubAdmin) ListConsumerGroupOffsets(context.Context, string) ([]backend.TopicPartition, error) {
	return nil, nil
}

func (a *stubAdmin) Close(context.Context) error {
	a.closes.Add(1)
	if a.inFlight.Load() > 0 {
		a.closedWhileCalls.Add(1)
	}
	return a.closeErr
}
