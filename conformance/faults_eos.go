package conformance

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// faultExactlyOnce runs a consume-transform-produce loop in transactions
// (each batch's output and input offsets committed together) under steady
// keyed input, while the leader of an input partition, the leader of an
// output partition and the transaction coordinator are SIGKILLed in turn,
// each restarted 5 s later. A read_committed consumer of the output must
// read every acknowledged input exactly once, in per-key order. Without
// transactions, opening a transactional producer is ErrUnsupported.
func faultExactlyOnce(t *testing.T, e *faultEnv) {
	const (
		rate     = 1000 // input messages per second
		capacity = 200_000
		between  = 4 * time.Second // before, between and after the kills
		down     = 5 * time.Second
	)
	p := e.producer(t, e.producerConfig())
	if !p.Capabilities().Transactions {
		cfg := e.producerConfig()
		cfg.TransactionalID = kafkatest.UniqueName(t, "txn")
		tp, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.b))
		if tp != nil {
			closeWithin(t, tp.Close)
		}
		RequireUnsupported(t, err)
		return
	}
	in, out := e.topic(t, faultPartitions), e.topic(t, faultPartitions)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()

	// The input, and a read_committed reader of the output.
	led, stopProducing := produceKeyed(ctx, p, in, capacity, rate)
	defer stopProducing()
	rcfg := e.consumerConfig(kafkatest.UniqueName(t, "verifier"))
	rcfg.IsolationLevel = kafkaclient.IsolationReadCommitted
	reader := e.consumer(t, rcfg)
	require.NoError(t, reader.Subscribe(Ctx(t), []string{out}, nil))
	ty := newTally(loadKeys, led.isAcked)
	verifier := consumeInBackground(ctx, t, reader, ty)
	t.Cleanup(verifier.stop)

	pl := startPipeline(ctx, t, e, in, out)
	coordinator := func() int32 {
		n, err := e.transactionCoordinator(ctx, pl.txnID)
		require.NoError(t, err)
		return n
	}
	victims := []struct {
		role string
		node func() int32
	}{
		{"input_leader", func() int32 { n, _ := e.leader(t, in, 0); return n }},
		{"output_leader", func() int32 { n, _ := e.leader(t, out, 1); return n }},
		{"coordinator", coordinator},
	}
	var killed []string
	for _, v := range victims {
		time.Sleep(between)
		node := v.node()
		e.kill(t, node)
		time.Sleep(down)
		e.start(t, node)
		hctx, hcancel := context.WithTimeout(ctx, healthyTimeout)
		_, err := e.waitHealthy(hctx, in, out)
		hcancel()
		require.NoError(t, err)
		killed = append(killed, fmt.Sprintf("%s=%d", v.role, node))
	}
	time.Sleep(between)
	produced := stopProducing()
	require.True(t, led.wait(150*time.Second), "delivery reports: %d of %d after 150s", led.reported.Load(), led.issued.Load())
	acked := led.ackedSet()
	verifier.finish(t, acked)
	pl.stop()
	lost, dup := ty.counts(acked)
	ty.mu.Lock()
	disorder, examples := ty.disorder, ty.examples
	ty.mu.Unlock()
	result(t, e, "lost=%d duplicated=%d order_violations=%d produced=%d acked=%d killed=%v transactions=%d aborted=%d producers_recreated=%d commit_retries=%d errors=%s",
		lost, dup, disorder, produced, len(acked), killed, pl.committed.Load(), pl.aborted.Load(), pl.recreated.Load(), pl.retried.Load(), pl.errorSummary())

	require.NoError(t, pl.err())
	require.Positive(t, pl.committed.Load(), "no transaction committed")
	require.Zero(t, lost, "acknowledged input never in the committed output")
	require.Zero(t, dup, "input in the committed output more than once")
	require.Zero(t, disorder, "per-key order broken: %v", examples)
}

// transactionCoordinator returns the node that coordinates transactionalID:
// the leader of its partition of __transaction_state, which is the
// absolute value of the id's Java String.hashCode modulo the partition
// count.
func (e *faultEnv) transactionCoordinator(ctx context.Context, transactionalID string) (int32, error) {
	tds, err := e.admin.DescribeTopics(ctx, "__transaction_state")
	if err != nil {
		return -1, err
	}
	if len(tds) != 1 || tds[0].Err != nil || len(tds[0].Partitions) == 0 {
		return -1, fmt.Errorf("describe __transaction_state: %+v", tds)
	}
	var h int32
	for _, r := range transactionalID { // UTF-16 code units for ASCII ids
		h = 31*h + r
	}
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	partition := h % int32(len(tds[0].Partitions))
	for _, p := range tds[0].Partitions {
		if p.ID == partition {
			return p.Leader, nil
		}
	}
	return -1, fmt.Errorf("__transaction_state has no partition %d", partition)
}

// pipeline is the consume-transform-produce loop of faultExactlyOnce: a
// group member of in with manual commits and a transactional producer that
// writes each message's key and value to out.
type pipeline struct {
	ctx   context.Context
	t     *testing.T
	e     *faultEnv
	in    string
	out   string
	txnID string
	c     *kafkaclient.Consumer
	p     *kafkaclient.Producer // of the loop's goroutine
	cfg   kafkaclient.ProducerConfig
	stop  func() // ends the loop and waits for it

	committed, aborted, recreated, retried atomic.Int64

	mu     sync.Mutex
	codes  map[string]int // errors met, by code
	failed error          // an error the loop could not recover from
}

func startPipeline(ctx context.Context, t *testing.T, e *faultEnv, in, out string) *pipeline {
	t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	pl := &pipeline{ctx: cctx, t: t, e: e, in: in, out: out, txnID: kafkatest.UniqueName(t, "pipeline"), codes: map[string]int{}}
	ccfg := e.consumerConfig(kafkatest.UniqueName(t, "pipeline"))
	ccfg.DisableAutoCommit = true
	ccfg.IsolationLevel = kafkaclient.IsolationReadCommitted
	pl.c = e.consumer(t, ccfg)
	require.NoError(t, pl.c.Subscribe(Ctx(t), []string{in}, nil))
	pl.cfg = e.producerConfig()
	pl.cfg.TransactionalID = pl.txnID
	pl.cfg.TransactionTimeout = 30 * time.Second
	p, err := kafkaclient.NewProducer(pl.cfg, kafkaclient.WithBackend(e.b))
	require.NoError(t, err)
	require.NoError(t, p.InitTransactions(Ctx(t)))
	pl.p = p
	done := make(chan struct{})
	go func() {
		defer close(done)
		pl.run()
	}()
	var once sync.Once
	pl.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			closeWithin(t, pl.p.Close)
		})
	}
	t.Cleanup(pl.stop)
	return pl
}

func (pl *pipeline) run() {
	for pl.ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(pl.ctx, 500*time.Millisecond)
		msgs, err := pl.c.PollBatch(pctx, 500)
		cancel()
		if err != nil {
			if !errors.Is(err, kafkaclient.ErrTimedOut) && !errors.Is(err, kafkaclient.ErrCanceled) && pl.ctx.Err() == nil {
				pl.note(err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		if err := pl.transact(msgs); err != nil && pl.ctx.Err() == nil {
			pl.note(err)
			if err := pl.recover(err); err != nil {
				pl.fail(err)
				return
			}
		}
	}
}

// transact writes msgs to out and commits their offsets in one
// transaction. A commit that fails with a retriable error that does not
// require an abort is tried again: the transaction may have committed.
func (pl *pipeline) transact(msgs []*kafkaclient.Message) error {
	p := pl.p
	if err := p.BeginTransaction(); err != nil {
		return err
	}
	var sendErr atomic.Pointer[error]
	for _, m := range msgs {
		err := p.Produce(pl.ctx, kafkaclient.NewMessage(pl.out, m.Key, m.Value), func(_ *kafkaclient.Message, err error) {
			if err != nil {
				sendErr.CompareAndSwap(nil, &err)
			}
		})
		if err != nil {
			return err
		}
	}
	gm, err := pl.c.GroupMetadata()
	if err != nil {
		return err
	}
	if err := p.SendOffsetsToTransaction(pl.ctx, nextOffsets(msgs), gm); err != nil {
		return err
	}
	for try := 0; ; try++ {
		cctx, cancel := context.WithTimeout(pl.ctx, 30*time.Second)
		err = p.CommitTransaction(cctx)
		cancel()
		if err == nil || try == 5 || !kafkaclient.IsRetriable(err) || kafkaclient.IsAbortable(err) || kafkaclient.IsFatal(err) {
			break
		}
		pl.note(err)
		pl.retried.Add(1)
	}
	if err != nil {
		return err
	}
	if e := sendErr.Load(); e != nil {
		return fmt.Errorf("a message of a committed transaction failed: %w", *e)
	}
	pl.committed.Add(1)
	return nil
}

// recover ends the failed transaction, by an abort or, after a fatal
// error, with a new producer of the same transactional.id (whose
// InitTransactions completes or aborts the old one), then moves the
// consumer back to the group's committed offsets: what the transaction
// did not commit is read again.
func (pl *pipeline) recover(cause error) error {
	if !kafkaclient.IsFatal(cause) {
		actx, cancel := context.WithTimeout(pl.ctx, 30*time.Second)
		err := pl.p.AbortTransaction(actx)
		cancel()
		switch {
		case err == nil:
			pl.aborted.Add(1)
			return pl.rewind()
		case errors.Is(err, kafkaclient.ErrState): // no transaction began
			return pl.rewind()
		}
		pl.note(err)
	}
	if err := pl.renew(); err != nil {
		return err
	}
	return pl.rewind()
}

// renew replaces the producer with a new one of the same transactional.id.
func (pl *pipeline) renew() error {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	cancel()
	pl.p.Close(expired) //nolint:errcheck // the producer is fenced or broken
	for pl.ctx.Err() == nil {
		p, err := kafkaclient.NewProducer(pl.cfg, kafkaclient.WithBackend(pl.e.b))
		if err != nil {
			return err
		}
		ictx, icancel := context.WithTimeout(pl.ctx, 30*time.Second)
		err = p.InitTransactions(ictx)
		icancel()
		if err == nil {
			pl.p = p
			pl.recreated.Add(1)
			return nil
		}
		pl.note(err)
		p.Close(expired) //nolint:errcheck // it never worked
		time.Sleep(500 * time.Millisecond)
	}
	return pl.ctx.Err()
}

// rewind seeks every assigned partition to the group's committed offset,
// or to the beginning where none is committed yet.
func (pl *pipeline) rewind() error {
	for pl.ctx.Err() == nil {
		assigned := pl.c.Assignment()
		if len(assigned) == 0 {
			return nil // the next assignment starts from the committed offsets
		}
		qctx, cancel := context.WithTimeout(pl.ctx, 10*time.Second)
		committed, err := pl.c.Committed(qctx, assigned...)
		cancel()
		if err == nil {
			for _, tp := range committed {
				if tp.Offset < 0 {
					tp.Offset = kafkaclient.OffsetBeginning
				}
				if err = pl.c.Seek(pl.ctx, tp); err != nil {
					break
				}
			}
		}
		if err == nil {
			return nil
		}
		pl.note(err)
		time.Sleep(500 * time.Millisecond)
	}
	return pl.ctx.Err()
}

func (pl *pipeline) note(err error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.codes[kafkaclient.CodeName(kafkaclient.CodeOf(err))]++
}

func (pl *pipeline) fail(err error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.failed == nil {
		pl.failed = err
	}
}

func (pl *pipeline) err() error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.failed
}

// errorSummary lists the errors met by code, as code:count.
func (pl *pipeline) errorSummary() string {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	parts := make([]string, 0, len(pl.codes))
	for code, n := range pl.codes {
		parts = append(parts, fmt.Sprintf("%s:%d", code, n))
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

// nextOffsets returns, per partition of msgs, the offset after its last
// message: what a transaction that processed msgs commits.
func nextOffsets(msgs []*kafkaclient.Message) []kafkaclient.TopicPartition {
	next := map[kafkaclient.TopicPartition]int64{}
	for _, m := range msgs {
		tp := kafkaclient.TopicPartition{Topic: m.Topic, Partition: m.Partition, LeaderEpoch: -1}
		next[tp] = max(next[tp], m.Offset+1)
	}
	out := make([]kafkaclient.TopicPartition, 0, len(next))
	for tp, off := range next {
		tp.Offset = off
		out = append(out, tp)
	}
	return out
}
