package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

var transactionCases = []Case{
	{
		Name: "txn/commit_abort_visibility",
		Doc:  "A read_committed consumer sees exactly the messages of the committed transaction and none of the aborted one, while a read_uncommitted consumer sees the committed ones too (or ErrUnsupported without the capabilities).",
		Run:  txnCommitAbortVisibility,
	},
	{
		Name: "txn/send_offsets",
		Doc:  "Offsets sent to a committed transaction become the group's committed offsets, and offsets sent to an aborted transaction leave them unchanged (or ErrUnsupported without the capability).",
		Run:  txnSendOffsets,
	},
	{
		Name: "txn/state_errors",
		Doc:  "Transaction calls on a producer without a transactional.id fail with ErrState, and SendOffsetsToTransaction without a group id with ErrInvalidArg; without the capability a transactional.id is refused and every transaction call fails with ErrUnsupported.",
		Run:  txnStateErrors,
	},
	{
		Name: "txn/offsets_only_and_order",
		Doc:  "A transaction that only sends offsets commits them; commit or abort without BeginTransaction, and a second BeginTransaction, fail with ErrState; the producer stays usable after each.",
		Run:  txnOffsetsOnlyAndOrder,
	},
	{
		Name: "txn/committed_waits_for_pending_offsets",
		Doc:  "On a read_committed consumer, Committed never answers an offset a transaction has not committed yet, and waits for one it is committing (KIP-447 stable offsets): right after CommitTransaction it answers the transaction's offset (or ErrUnsupported without the capabilities).",
		Run:  txnCommittedWaitsForPendingOffsets,
	},
	{
		Name: "txn/read_committed_config",
		Doc:  "isolation.level=read_committed opens a consumer that reads plain messages, or fails with ErrUnsupported without the capability.",
		Run:  txnReadCommittedConfig,
	},
}

// tcProducer opens a transactional producer and initialises it, or, without
// the capability, asserts that opening one fails with ErrUnsupported and
// returns nil.
func tcProducer(t *testing.T, e *Env) *kafkaclient.Producer {
	t.Helper()
	id := kafkatest.UniqueName(t, "txn")
	if !e.Caps.Transactions {
		cfg := e.Cluster.ProducerConfig()
		cfg.TransactionalID = id
		p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(e.Backend))
		if p != nil {
			closeWithin(t, p.Close)
		}
		RequireUnsupported(t, err)
		return nil
	}
	p := e.Producer(t, func(cfg *kafkaclient.ProducerConfig) {
		cfg.TransactionalID = id
		cfg.TransactionTimeout = 20 * time.Second
	})
	require.NoError(t, p.InitTransactions(Ctx(t)))
	return p
}

// tcReadToMarker polls until a message with value marker arrives and
// returns the values before it.
func tcReadToMarker(t *testing.T, c *kafkaclient.Consumer, marker string) []string {
	t.Helper()
	ctx := Ctx(t)
	var out []string
	for {
		m, err := c.Poll(ctx)
		require.NoError(t, err, "marker %q not reached after %v", marker, out)
		if string(m.Value) == marker {
			return out
		}
		out = append(out, string(m.Value))
	}
}

// tcForward begins a transaction on tp that writes "out-" and the value of
// each of msgs to out, and sends next as gm's group offset of partition 0
// of in: one consume-transform-produce step, which the caller commits or
// aborts.
func tcForward(t *testing.T, tp *kafkaclient.Producer, msgs []*kafkaclient.Message, out, in string, next int64, gm kafkaclient.GroupMetadata) {
	t.Helper()
	require.NoError(t, tp.BeginTransaction())
	for _, m := range msgs {
		ProduceValues(t, tp, out, "out-"+string(m.Value))
	}
	require.NoError(t, tp.SendOffsetsToTransaction(Ctx(t), []kafkaclient.TopicPartition{{Topic: in, Partition: 0, Offset: next, LeaderEpoch: -1}}, gm))
}

// tcReadCommitted opens a read_committed consumer of a new group,
// subscribed to topic.
func tcReadCommitted(t *testing.T, e *Env, topic string) *kafkaclient.Consumer {
	t.Helper()
	c := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) { cfg.IsolationLevel = kafkaclient.IsolationReadCommitted })
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	return c
}

// tcRequireNoReadCommitted asserts that opening a read_committed consumer
// fails with ErrUnsupported, for a backend without the capability.
func tcRequireNoReadCommitted(t *testing.T, e *Env) {
	t.Helper()
	cfg := e.Cluster.ConsumerConfig(e.Group(t))
	cfg.IsolationLevel = kafkaclient.IsolationReadCommitted
	c, err := kafkaclient.NewConsumer(cfg, kafkaclient.WithBackend(e.Backend))
	if c != nil {
		closeWithin(t, c.Close)
	}
	RequireUnsupported(t, err)
}

func txnCommitAbortVisibility(t *testing.T, e *Env) {
	topic := e.Topic(t, 1)
	tp := tcProducer(t, e)
	if tp == nil {
		if !e.Caps.ReadCommitted {
			tcRequireNoReadCommitted(t, e)
		}
		return
	}
	ctx := Ctx(t)
	require.NoError(t, tp.BeginTransaction())
	ProduceValues(t, tp, topic, ccSeq("c", 0, 10)...)
	require.NoError(t, tp.CommitTransaction(ctx))

	require.NoError(t, tp.BeginTransaction())
	ProduceValues(t, tp, topic, ccSeq("a", 0, 10)...)
	require.NoError(t, tp.AbortTransaction(ctx))

	// A plain message after both transactions bounds the reads.
	plain := e.Producer(t, nil)
	ProduceValues(t, plain, topic, "end")

	if e.Caps.ReadCommitted {
		require.Equal(t, ccSeq("c", 0, 10), tcReadToMarker(t, tcReadCommitted(t, e, topic), "end"), "read_committed sees exactly the committed transaction")
	} else {
		tcRequireNoReadCommitted(t, e)
	}

	ru := e.Consumer(t, e.Group(t), nil)
	require.NoError(t, ru.Subscribe(Ctx(t), []string{topic}, nil))
	seen := tcReadToMarker(t, ru, "end")
	t.Logf("read_uncommitted saw %d data messages", len(seen))
	require.GreaterOrEqual(t, len(seen), 10)
	require.Equal(t, ccSeq("c", 0, 10), seen[:10], "the committed messages come first, in order")
	for _, v := range seen[10:] {
		require.True(t, strings.HasPrefix(v, "a"), "unexpected message %q", v)
	}
}

func txnSendOffsets(t *testing.T, e *Env) {
	in, p := ccFilled(t, e, ccSeq("in", 0, 5)...)
	out := e.Topic(t, 1)
	group := e.Group(t)

	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Subscribe(Ctx(t), []string{in}, nil))
	msgs := PollN(t, c, 5)
	require.Equal(t, ccSeq("in", 0, 5), ccValues(msgs))
	gm, err := c.GroupMetadata()
	require.NoError(t, err)
	require.Equal(t, group, gm.GroupID)

	tp := tcProducer(t, e)
	if tp == nil {
		RequireUnsupported(t, p.SendOffsetsToTransaction(Ctx(t), []kafkaclient.TopicPartition{{Topic: in, Partition: 0, Offset: 5, LeaderEpoch: -1}}, gm))
		return
	}
	ctx := Ctx(t)
	adm := e.Admin(t)

	// Committed: output and offsets together.
	tcForward(t, tp, msgs, out, in, 5, gm)
	require.NoError(t, tp.CommitTransaction(ctx))
	ccEventually(t, 10*time.Second, func() bool { return ccGroupOffset(t, adm, group, in, 0) == 5 },
		"offsets of the committed transaction are not the group's")

	// Aborted: neither output nor offsets.
	ProduceValues(t, p, in, ccSeq("in", 5, 3)...)
	more := PollN(t, c, 3)
	require.Equal(t, ccSeq("in", 5, 3), ccValues(more))
	gm, err = c.GroupMetadata()
	require.NoError(t, err)
	tcForward(t, tp, more, out, in, 8, gm)
	require.NoError(t, tp.AbortTransaction(ctx))
	for range 5 {
		require.Equal(t, int64(5), ccGroupOffset(t, adm, group, in, 0), "an aborted transaction changed the group's offsets")
		time.Sleep(200 * time.Millisecond)
	}

	// The same producer redoes the aborted work in a new transaction.
	tcForward(t, tp, more, out, in, 8, gm)
	require.NoError(t, tp.CommitTransaction(ctx))
	ccEventually(t, 10*time.Second, func() bool { return ccGroupOffset(t, adm, group, in, 0) == 8 },
		"offsets of the second committed transaction are not the group's")

	if e.Caps.ReadCommitted {
		ProduceValues(t, p, out, "end")
		want := make([]string, 0, 8)
		for _, v := range ccSeq("in", 0, 8) {
			want = append(want, "out-"+v)
		}
		require.Equal(t, want, tcReadToMarker(t, tcReadCommitted(t, e, out), "end"))
	}
}

func txnStateErrors(t *testing.T, e *Env) {
	ctx := Ctx(t)
	plain := e.Producer(t, nil)
	gm := kafkaclient.GroupMetadata{GroupID: e.Group(t), GenerationID: -1}
	offsets := []kafkaclient.TopicPartition{{Topic: "x", Partition: 0, Offset: 1, LeaderEpoch: -1}}
	if !e.Caps.Transactions {
		tcProducer(t, e) // asserts NewProducer refuses transactional.id
		RequireUnsupported(t, plain.InitTransactions(ctx))
		RequireUnsupported(t, plain.BeginTransaction())
		RequireUnsupported(t, plain.SendOffsetsToTransaction(ctx, offsets, gm))
		RequireUnsupported(t, plain.CommitTransaction(ctx))
		RequireUnsupported(t, plain.AbortTransaction(ctx))
		return
	}
	for name, err := range map[string]error{
		"InitTransactions":         plain.InitTransactions(ctx),
		"BeginTransaction":         plain.BeginTransaction(),
		"SendOffsetsToTransaction": plain.SendOffsetsToTransaction(ctx, offsets, gm),
		"CommitTransaction":        plain.CommitTransaction(ctx),
		"AbortTransaction":         plain.AbortTransaction(ctx),
	} {
		require.ErrorIs(t, err, kafkaclient.ErrState, "%s on a producer without transactional.id", name)
		RequireCode(t, err, kafkaclient.CodeState)
	}

	tp := tcProducer(t, e)
	err := tp.SendOffsetsToTransaction(ctx, offsets, kafkaclient.GroupMetadata{})
	require.ErrorIs(t, err, kafkaclient.ErrInvalidArg, "group metadata without a group id")

	// After a failed call the producer still runs a transaction.
	topic := e.Topic(t, 1)
	require.NoError(t, tp.BeginTransaction())
	ProduceValues(t, tp, topic, "v")
	cctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	require.NoError(t, tp.CommitTransaction(cctx))
}

func txnReadCommittedConfig(t *testing.T, e *Env) {
	if !e.Caps.ReadCommitted {
		tcRequireNoReadCommitted(t, e)
		return
	}
	topic, _ := ccFilled(t, e, "v0", "v1")
	c := tcReadCommitted(t, e, topic)
	require.Equal(t, kafkaclient.IsolationReadCommitted, c.Config().IsolationLevel)
	require.Equal(t, []string{"v0", "v1"}, ccValues(PollN(t, c, 2)))
}

func txnOffsetsOnlyAndOrder(t *testing.T, e *Env) {
	in := e.Topic(t, 1)
	out := e.Topic(t, 1)
	group := e.Group(t)
	tp := tcProducer(t, e)
	if tp == nil {
		return // tcProducer asserted ErrUnsupported
	}
	ctx := Ctx(t)
	require.ErrorIs(t, tp.CommitTransaction(ctx), kafkaclient.ErrState, "commit without begin")
	require.ErrorIs(t, tp.AbortTransaction(ctx), kafkaclient.ErrState, "abort without begin")
	require.NoError(t, tp.BeginTransaction())
	require.ErrorIs(t, tp.BeginTransaction(), kafkaclient.ErrState, "begin twice")
	require.NoError(t, tp.AbortTransaction(ctx))

	p := e.Producer(t, nil)
	ProduceValues(t, p, in, ccSeq("in", 0, 3)...)
	c := e.Consumer(t, group, ccNoAutoCommit)
	require.NoError(t, c.Subscribe(Ctx(t), []string{in}, nil))
	PollN(t, c, 3)
	gm, err := c.GroupMetadata()
	require.NoError(t, err)
	adm := e.Admin(t)

	// Every input message was filtered out: only offsets go in.
	tcForward(t, tp, nil, out, in, 3, gm)
	require.NoError(t, tp.CommitTransaction(ctx))
	ccEventually(t, 10*time.Second, func() bool { return ccGroupOffset(t, adm, group, in, 0) == 3 },
		"offsets of an offsets-only transaction were not committed")

	// The producer goes on with an ordinary transaction.
	require.NoError(t, tp.BeginTransaction())
	ProduceValues(t, tp, out, "after")
	require.NoError(t, tp.CommitTransaction(ctx))
	if e.Caps.ReadCommitted {
		ProduceValues(t, p, out, "end")
		require.Equal(t, []string{"after"}, tcReadToMarker(t, tcReadCommitted(t, e, out), "end"))
	}
}

func txnCommittedWaitsForPendingOffsets(t *testing.T, e *Env) {
	in, _ := ccFilled(t, e, ccSeq("in", 0, 5)...)
	out := e.Topic(t, 1)
	tp := tcProducer(t, e)
	if tp == nil {
		return
	}
	if !e.Caps.ReadCommitted {
		tcRequireNoReadCommitted(t, e)
		return
	}
	c := e.Consumer(t, e.Group(t), func(cfg *kafkaclient.ConsumerConfig) {
		cfg.DisableAutoCommit = true
		cfg.IsolationLevel = kafkaclient.IsolationReadCommitted
	})
	require.NoError(t, c.Subscribe(Ctx(t), []string{in}, nil))
	msgs := PollN(t, c, 5)
	gm, err := c.GroupMetadata()
	require.NoError(t, err)
	tcForward(t, tp, msgs, out, in, 5, gm)

	// The transaction holds the group's offset 5, pending on the broker
	// (sarama sends the offsets only with the commit: none is pending yet).
	part := kafkaclient.TopicPartition{Topic: in, Partition: 0}
	ctx, cancel := context.WithTimeout(Ctx(t), time.Second)
	got, err := c.Committed(ctx, part)
	cancel()
	if err == nil {
		require.Len(t, got, 1)
		require.Equal(t, kafkaclient.OffsetInvalid, got[0].Offset, "Committed answered an offset of a transaction still open")
		t.Log("while the transaction was open: no committed offset")
	} else {
		require.True(t, kafkaclient.IsTimeout(err), "Committed while the transaction is open: %v", err)
		t.Log("while the transaction was open: Committed waited until its deadline")
	}

	// Right after the commit, the transaction's markers may still be on
	// their way: Committed waits for them rather than answer "none".
	require.NoError(t, tp.CommitTransaction(Ctx(t)))
	got, err = c.Committed(Ctx(t), part)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, int64(5), got[0].Offset, "the offset of the committed transaction")
}
