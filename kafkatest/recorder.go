package kafkatest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// Recorder is an observer (kafkaclient.WithObserver) that records every
// event a client reports, for tests to check. It is safe for concurrent
// use; one Recorder may observe several clients.
type Recorder struct {
	mu         sync.Mutex
	produced   int
	deliveries []Delivery
	polled     []*kafkaclient.Message
	commits    []Commit
	rebalances []Rebalance
	errors     []*kafkaclient.Error
}

// Delivery is a message outcome a Recorder saw.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
	Latency   time.Duration
	Err       error
}

// Commit is a commit a Recorder saw.
type Commit struct {
	Offsets []kafkaclient.TopicPartition
	Err     error
}

// Rebalance is an assignment change a Recorder saw.
type Rebalance struct {
	Kind       kafkaclient.RebalanceKind
	Partitions []kafkaclient.TopicPartition
}

// OnProduce implements kafkaclient.ProduceObserver.
func (r *Recorder) OnProduce(_ context.Context, _ *kafkaclient.Message) {
	r.mu.Lock()
	r.produced++
	r.mu.Unlock()
}

// OnDelivery implements kafkaclient.ProduceObserver.
func (r *Recorder) OnDelivery(m *kafkaclient.Message, latency time.Duration, err error) {
	r.mu.Lock()
	r.deliveries = append(r.deliveries, Delivery{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Latency: latency, Err: err})
	r.mu.Unlock()
}

// OnPoll implements kafkaclient.ConsumeObserver.
func (r *Recorder) OnPoll(_ context.Context, msgs []*kafkaclient.Message) {
	r.mu.Lock()
	r.polled = append(r.polled, msgs...)
	r.mu.Unlock()
}

// OnCommit implements kafkaclient.CommitObserver.
func (r *Recorder) OnCommit(offsets []kafkaclient.TopicPartition, err error) {
	r.mu.Lock()
	r.commits = append(r.commits, Commit{Offsets: slices.Clone(offsets), Err: err})
	r.mu.Unlock()
}

// OnRebalance implements kafkaclient.RebalanceObserver.
func (r *Recorder) OnRebalance(kind kafkaclient.RebalanceKind, partitions []kafkaclient.TopicPartition) {
	r.mu.Lock()
	r.rebalances = append(r.rebalances, Rebalance{Kind: kind, Partitions: slices.Clone(partitions)})
	r.mu.Unlock()
}

// OnClientError implements kafkaclient.ErrorObserver.
func (r *Recorder) OnClientError(err *kafkaclient.Error) {
	r.mu.Lock()
	r.errors = append(r.errors, err)
	r.mu.Unlock()
}

// Produced returns how many messages OnProduce saw.
func (r *Recorder) Produced() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.produced
}

// Deliveries returns the outcomes seen, in the order they came.
func (r *Recorder) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries)
}

// Polled returns the messages Poll returned, in order.
func (r *Recorder) Polled() []*kafkaclient.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.polled)
}

// Commits returns the commits seen, in the order they ended.
func (r *Recorder) Commits() []Commit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.commits)
}

// Rebalances returns the assignment changes seen, in order.
func (r *Recorder) Rebalances() []Rebalance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.rebalances)
}

// ClientErrors returns the client-level errors seen, in order.
func (r *Recorder) ClientErrors() []*kafkaclient.Error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errors)
}
