package benchmarks

import (
	"context"
	"fmt"
	"time"
)

// Job is every workload for one backend, client kind and size, as the
// kbench command runs it in one process.
type Job struct {
	Backend string   `json:"backend"`
	Client  string   `json:"client"`
	Size    string   `json:"size"`
	Brokers []string `json:"brokers"`
	// Messages is the message count of the produce and consume workloads;
	// Warmup the count produced before the produce workload is measured.
	Messages int `json:"messages"`
	Warmup   int `json:"warmup"`
	// LatencyRate (messages per second) and LatencyCount are those of the
	// open-loop latency workload.
	LatencyRate  int `json:"latency_rate"`
	LatencyCount int `json:"latency_count"`
	// MemoryMessages, when positive, adds the producer memory workload:
	// that many messages produced as fast as the client takes them, for
	// its peak resident set.
	MemoryMessages int `json:"memory_messages,omitempty"`
	// Topics of the workloads; ConsumeTopic holds Messages messages.
	ProduceTopic string `json:"produce_topic"`
	ConsumeTopic string `json:"consume_topic"`
	LatencyTopic string `json:"latency_topic"`
	MemoryTopic  string `json:"memory_topic,omitempty"`
}

// JobResult is what a Job measured. A workload that failed has its error
// in Errors and a zero Result.
type JobResult struct {
	Backend    string  `json:"backend"`
	Client     string  `json:"client"`
	Size       string  `json:"size"`
	SizeBytes  int     `json:"size_bytes"`
	Produce    Result  `json:"produce"`
	Consume    Result  `json:"consume"`
	LatencyRun Result  `json:"latency_run"`
	Latency    Latency `json:"latency"`
	// Memory is the producer memory workload, when the job ran it.
	Memory Result   `json:"memory"`
	Errors []string `json:"errors,omitempty"`
}

// MemoryLimit is what the producer memory workload's peak resident set
// must stay under: the configured buffer (Settings.MaxBuffered messages of
// the job's size and key) plus 64 MiB for the runtime and the client.
func (r JobResult) MemoryLimit() int64 {
	return int64(DefaultSettings(nil).MaxBuffered)*int64(r.SizeBytes+keyBytes) + 64<<20
}

// PeakRSS returns the highest peak resident set of the job's workloads.
func (r JobResult) PeakRSS() int64 {
	return max(r.Produce.PeakRSS, r.Consume.PeakRSS, r.LatencyRun.PeakRSS)
}

// Prepare creates the job's topics and fills ConsumeTopic.
func (j *Job) Prepare(ctx context.Context, e *Env) error {
	size, ok := SizeByName(j.Size)
	if !ok {
		return fmt.Errorf("unknown size %q", j.Size)
	}
	j.Brokers = e.Brokers
	j.ProduceTopic = TopicName("produce", j.Backend, j.Client, j.Size)
	j.ConsumeTopic = TopicName("consume", j.Backend, j.Client, j.Size)
	j.LatencyTopic = TopicName("latency", j.Backend, j.Client, j.Size)
	topics := []string{j.ProduceTopic, j.ConsumeTopic, j.LatencyTopic}
	if j.MemoryMessages > 0 {
		j.MemoryTopic = TopicName("memory", j.Backend, j.Client, j.Size)
		topics = append(topics, j.MemoryTopic)
	}
	for _, t := range topics {
		if err := e.CreateTopic(ctx, t, DefaultSettings(nil).Partitions); err != nil {
			return err
		}
	}
	return e.Prefill(ctx, j.ConsumeTopic, j.Messages, size.Bytes)
}

// Cleanup deletes the job's topics and groups.
func (j *Job) Cleanup(ctx context.Context, e *Env) {
	for _, t := range []string{j.ProduceTopic, j.ConsumeTopic, j.LatencyTopic, j.MemoryTopic} {
		if t != "" {
			e.DeleteGroup(ctx, t)
			_ = e.DeleteTopic(ctx, t)
		}
	}
}

// Run runs the produce, consume and latency workloads of a prepared job,
// telling progress what it starts.
func (j Job) Run(ctx context.Context, progress func(string)) JobResult {
	res := JobResult{Backend: j.Backend, Client: j.Client, Size: j.Size}
	fail := func(what string, err error) {
		res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", what, err))
	}
	size, ok := SizeByName(j.Size)
	if !ok {
		fail("size", fmt.Errorf("unknown size %q", j.Size))
		return res
	}
	res.SizeBytes = size.Bytes
	b, ok := Lookup(j.Backend)
	if !ok {
		fail("backend", fmt.Errorf("backend %q is not registered in this build", j.Backend))
		return res
	}
	c, err := b.Client(j.Client)
	if err != nil {
		fail("client", err)
		return res
	}
	s := DefaultSettings(j.Brokers)

	progress(fmt.Sprintf("produce %d", j.Messages))
	var m Meter
	s.Topic = j.ProduceTopic
	if err := RunProduce(ctx, c, s, size.Bytes, j.Messages, j.Warmup, &m); err != nil {
		fail("produce", err)
	} else {
		res.Produce = m.Result
	}

	progress(fmt.Sprintf("consume %d", j.Messages))
	m = Meter{}
	s.Topic = j.ConsumeTopic
	if err := RunConsume(ctx, c, s, j.ConsumeTopic, j.Messages, &m); err != nil {
		fail("consume", err)
	} else {
		res.Consume = m.Result
	}

	progress(fmt.Sprintf("latency %d at %d/s", j.LatencyCount, j.LatencyRate))
	m = Meter{}
	s.Topic = j.LatencyTopic
	lat, err := RunLatency(ctx, c, s, j.LatencyTopic, size.Bytes, j.LatencyRate, j.LatencyCount, &m)
	if err != nil {
		fail("latency", err)
	}
	res.Latency, res.LatencyRun = lat, m.Result

	if j.MemoryMessages > 0 {
		progress(fmt.Sprintf("memory: produce %d", j.MemoryMessages))
		m = Meter{}
		s.Topic = j.MemoryTopic
		if err := RunProduce(ctx, c, s, size.Bytes, j.MemoryMessages, 0, &m); err != nil {
			fail("memory", err)
		} else {
			res.Memory = m.Result
		}
	}
	return res
}

// JobTimeout bounds one job.
func JobTimeout(j Job) time.Duration {
	// The memory workload may run at 100k messages per second.
	return 5*time.Minute + time.Duration(j.LatencyCount/max(j.LatencyRate, 1)+j.MemoryMessages/100_000)*time.Second
}
