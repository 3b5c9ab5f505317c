package segmentio

import (
	"context"
	"time"

	"github.com/segmentio/kafka-go/protocol"

	"github.com/kafkaclient/kafkaclient/backend"
)

// kafka-go has no DeleteRecords message; its protocol package takes new
// ones, so this one goes through the same transport (routing to partition
// leaders, version negotiation) as kafka-go's own. v0 and v1 share one
// layout; v2 is the flexible encoding, not needed here.
func init() {
	protocol.Register(&deleteRecordsRequest{}, &deleteRecordsResponse{})
}

type deleteRecordsRequest struct {
	Topics    []deleteRecordsTopic `kafka:"min=v0,max=v1"`
	TimeoutMs int32                `kafka:"min=v0,max=v1"`
}

type deleteRecordsTopic struct {
	Topic      string                   `kafka:"min=v0,max=v1"`
	Partitions []deleteRecordsPartition `kafka:"min=v0,max=v1"`
}

type deleteRecordsPartition struct {
	Partition int32 `kafka:"min=v0,max=v1"`
	Offset    int64 `kafka:"min=v0,max=v1"`
}

func (r *deleteRecordsRequest) ApiKey() protocol.ApiKey { return protocol.DeleteRecords }

// Broker routes a request of one partition (see Split) to its leader.
func (r *deleteRecordsRequest) Broker(cluster protocol.Cluster) (protocol.Broker, error) {
	topic, partition := r.Topics[0].Topic, r.Topics[0].Partitions[0].Partition
	for _, p := range cluster.Topics[topic].Partitions {
		if p.ID == partition {
			return cluster.Brokers[p.Leader], nil
		}
	}
	return protocol.Broker{ID: -1}, nil
}

// Split makes one request per partition, each sent to its leader.
func (r *deleteRecordsRequest) Split(protocol.Cluster) ([]protocol.Message, protocol.Merger, error) {
	var msgs []protocol.Message
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			msgs = append(msgs, &deleteRecordsRequest{TimeoutMs: r.TimeoutMs, Topics: []deleteRecordsTopic{{Topic: t.Topic, Partitions: []deleteRecordsPartition{p}}}})
		}
	}
	return msgs, new(deleteRecordsResponse), nil
}

type deleteRecordsResponse struct {
	ThrottleTimeMs int32                        `kafka:"min=v0,max=v1"`
	Topics         []deleteRecordsResponseTopic `kafka:"min=v0,max=v1"`
	// failed holds, by topic and partition, the errors of Split's
	// requests that got no answer (unexported: not encoded).
	failed map[string]map[int32]error
}

type deleteRecordsResponseTopic struct {
	Topic      string                           `kafka:"min=v0,max=v1"`
	Partitions []deleteRecordsResponsePartition `kafka:"min=v0,max=v1"`
}

type deleteRecordsResponsePartition struct {
	Partition    int32 `kafka:"min=v0,max=v1"`
	LowWatermark int64 `kafka:"min=v0,max=v1"`
	ErrorCode    int16 `kafka:"min=v0,max=v1"`
}

func (r *deleteRecordsResponse) ApiKey() protocol.ApiKey { return protocol.DeleteRecords }

// Merge gathers the answers of Split's requests; the error of a request
// that got none is kept in failed for its partition.
func (r *deleteRecordsResponse) Merge(reqs []protocol.Message, results []any) (protocol.Message, error) {
	merged := &deleteRecordsResponse{failed: map[string]map[int32]error{}}
	for i, res := range results {
		m, err := protocol.Result(res)
		if err != nil {
			t := reqs[i].(*deleteRecordsRequest).Topics[0]
			if merged.failed[t.Topic] == nil {
				merged.failed[t.Topic] = map[int32]error{}
			}
			merged.failed[t.Topic][t.Partitions[0].Partition] = err
			continue
		}
		merged.Topics = append(merged.Topics, m.(*deleteRecordsResponse).Topics...)
	}
	return merged, nil
}

func (a *admin) DeleteRecords(ctx context.Context, before []backend.TopicPartition) ([]backend.ListedOffset, error) {
	timeout := a.tr.s.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	req := &deleteRecordsRequest{TimeoutMs: int32(max(timeout, time.Millisecond) / time.Millisecond)}
	idx := map[string]int{}
	for _, b := range before {
		i, ok := idx[b.Topic]
		if !ok {
			i, idx[b.Topic] = len(req.Topics), len(req.Topics)
			req.Topics = append(req.Topics, deleteRecordsTopic{Topic: b.Topic})
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, deleteRecordsPartition{Partition: b.Partition, Offset: b.Offset})
	}
	m, err := a.tr.RoundTrip(ctx, a.tr.s.addr, req)
	if err != nil {
		return nil, err
	}
	resp := m.(*deleteRecordsResponse)
	var out []backend.ListedOffset
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out = append(out, backend.ListedOffset{Topic: t.Topic, Partition: p.Partition, Offset: p.LowWatermark, LeaderEpoch: -1, Err: protoErr(p.ErrorCode, "")})
		}
	}
	for topic, ps := range resp.failed {
		for p, err := range ps {
			out = append(out, backend.ListedOffset{Topic: topic, Partition: p, Offset: backend.OffsetInvalid, LeaderEpoch: -1, Err: err})
		}
	}
	return out, nil
}
