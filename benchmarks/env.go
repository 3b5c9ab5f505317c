package benchmarks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// Env prepares topics for the workloads with its own franz-go client, which
// is not one of the clients measured.
type Env struct {
	Brokers []string
	cl      *kgo.Client
	adm     *kadm.Client
}

// NewEnv connects to brokers.
func NewEnv(brokers []string) (*Env, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.MetadataMinAge(50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	e := &Env{Brokers: slices.Clone(brokers), cl: cl, adm: kadm.NewClient(cl)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.adm.BrokerMetadata(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("cluster at %v is not reachable: %w", brokers, err)
	}
	return e, nil
}

// Close disconnects.
func (e *Env) Close() { e.cl.Close() }

var topicSeq atomic.Int64

// TopicName returns a topic (or group) name unique to this process.
func TopicName(parts ...string) string {
	return fmt.Sprintf("kbench-%s-%d-%d", strings.Join(parts, "-"), os.Getpid(), topicSeq.Add(1))
}

// CreateTopic creates topic with partitions partitions (replication factor
// 1) and waits until it is led.
func (e *Env) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	resp, err := e.adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	for {
		md, err := e.adm.Metadata(ctx, topic)
		if err == nil {
			if td, ok := md.Topics[topic]; ok && td.Err == nil && int32(len(td.Partitions)) == partitions {
				ready := true
				for _, p := range td.Partitions {
					ready = ready && p.Leader >= 0 && p.Err == nil
				}
				if ready {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s not ready: %w", topic, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// DeleteTopic deletes topic, freeing an embedded broker's memory.
func (e *Env) DeleteTopic(ctx context.Context, topic string) error {
	_, err := e.adm.DeleteTopics(ctx, topic)
	return err
}

// DeleteGroup deletes a consumer group that has no members left.
func (e *Env) DeleteGroup(ctx context.Context, group string) {
	_, _ = e.adm.DeleteGroups(ctx, group)
}

// Prefill writes n messages of size bytes to topic, keyed like the produce
// workload, and waits until they are all written.
func (e *Env) Prefill(ctx context.Context, topic string, n, size int) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(e.Brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1_000_000),
		kgo.MaxBufferedRecords(100_000),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	value := payload(size)
	var p pending
	for i := range n {
		p.add()
		cl.Produce(ctx, &kgo.Record{Key: key(i), Value: value}, func(_ *kgo.Record, err error) { p.done(1, err) })
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return p.wait(ctx)
}

// BrokerChildEnv is set in the environment of a process started by
// StartBrokerProcess; such a process calls ServeBroker.
const BrokerChildEnv = "KBENCH_BROKER_CHILD"

// ServeBroker starts an embedded broker, writes its addresses to w as one
// comma-separated line, and stops it when r reaches end of file (the parent
// closed its end, or exited).
func ServeBroker(r io.Reader, w io.Writer) error {
	c, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := fmt.Fprintln(w, strings.Join(c.BootstrapServers(), ",")); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return err
}

// BrokerProcess is an embedded broker running in a child process, so that
// its CPU time and allocations are not counted against the clients.
type BrokerProcess struct {
	Addrs []string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// StartBrokerProcess runs exe with args and BrokerChildEnv=1 in its
// environment; the program must call ServeBroker when it sees it.
func StartBrokerProcess(exe string, args ...string) (*BrokerProcess, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), BrokerChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("broker process: %w", err)
	}
	addrs := strings.Split(strings.TrimSpace(line), ",")
	if len(addrs) == 0 || addrs[0] == "" {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, errors.New("broker process printed no address")
	}
	return &BrokerProcess{Addrs: addrs, cmd: cmd, stdin: stdin}, nil
}

// Close stops the broker process and waits for it.
func (b *BrokerProcess) Close() error {
	_ = b.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		return <-done
	}
}
