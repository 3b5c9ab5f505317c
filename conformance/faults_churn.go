package conformance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// faultGroupChurn runs a group of three members under steady keyed load
// for 60 s; every 4 s a member is killed between processing a batch and
// committing it (its consumer then closed with an expired context, with no
// time to leave cleanly), or a new one joins. Every message must be
// processed, duplicates only from the killed members' uncommitted batches
// and failed commits, and no partition may stay without an owner for longer
// than the session timeout once the group could know its owner was gone.
func faultGroupChurn(t *testing.T, e *faultEnv) {
	const (
		rate     = 1000 // messages per second
		churn    = 60 * time.Second
		every    = 4 * time.Second
		capacity = 200_000
	)
	topic := e.topic(t, faultPartitions)
	ctx, cancel := context.WithTimeout(t.Context(), faultCaseTimeout)
	defer cancel()
	led, stopProducing := produceKeyed(ctx, e.producer(t, e.producerConfig()), topic, capacity, rate)
	defer stopProducing()

	g := newChurnGroup(ctx, t, e, topic, capacity)
	for range 3 {
		g.join()
	}
	rng := rand.New(rand.NewPCG(21, 4)) // the same schedule every run
	var events []string
	for time.Since(g.start)+every <= churn {
		time.Sleep(every)
		if len(g.live) <= 1 || len(g.live) < 4 && rng.IntN(2) == 0 {
			events = append(events, fmt.Sprintf("+%d", g.join()))
		} else {
			events = append(events, fmt.Sprintf("-%d", g.kill(rng.IntN(len(g.live)))))
		}
	}
	produced := stopProducing()
	require.True(t, led.wait(150*time.Second), "delivery reports: %d of %d after 150s", led.reported.Load(), led.issued.Load())
	acked := led.ackedSet()
	drain := time.Now()
	for g.missing(acked) > 0 && time.Since(drain) < 90*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // late duplicates
	cancel()
	for _, m := range g.live {
		<-m.done
	}

	window, commitErrs := g.uncommitted()
	dup, outside := g.duplicates(window)
	lost := g.missing(acked)
	gap, worst := g.owners.gap()
	result(t, e, "lost=%d duplicated=%d failed=%d produced=%d acked=%d uncommitted_window=%d dup_outside_window=%d members=%d events=%v commit_errors=%v max_unowned=%v (partition %d) drain=%v",
		lost, dup, led.failed.Load()+led.rejected.Load(), produced, len(acked), len(window), outside, len(g.members), events, commitErrs,
		gap.Round(time.Millisecond), worst, time.Since(drain).Round(time.Millisecond))

	require.NoError(t, g.err())
	require.Zero(t, lost, "acknowledged messages never processed")
	require.Zero(t, outside, "messages processed twice although their first processing was committed")
	require.LessOrEqual(t, gap, g.cfg.SessionTimeout, "partition %d had no owner for %v", worst, gap)
}

// churnGroup is the group of faultGroupChurn: its members, who owns each
// partition, and every processing of every message.
type churnGroup struct {
	ctx    context.Context
	t      *testing.T
	e      *faultEnv
	topic  string
	cfg    kafkaclient.ConsumerConfig
	owners *ownership
	start  time.Time

	// Of the goroutine that runs the case.
	members []*churnMember // every member started
	live    []*churnMember

	mu     sync.Mutex
	counts []int                 // per message, how often it was processed
	hist   map[int][]*processing // per message, each processing
	failed error                 // a value that names no message
}

// churnMember is one member of a churnGroup.
type churnMember struct {
	id   int
	c    *kafkaclient.Consumer
	kill chan struct{} // closed to kill the member before its next commit
	done chan struct{} // closed when its loop has ended
	dead bool          // killed, and its consumer closed

	mu          sync.Mutex
	uncommitted []int          // processed, offset not committed (a failed commit, or the kill)
	commitErrs  map[string]int // failed commits by code
}

// processing is one member's processing of a message, for the failure
// detail of a duplicate outside the uncommitted windows.
type processing struct {
	member    int
	partition int32
	offset    int64
	at        time.Time
	committed bool
}

func newChurnGroup(ctx context.Context, t *testing.T, e *faultEnv, topic string, capacity int) *churnGroup {
	cfg := e.consumerConfig(kafkatest.UniqueName(t, "group"))
	cfg.DisableAutoCommit = true
	return &churnGroup{
		ctx: ctx, t: t, e: e, topic: topic, cfg: cfg,
		owners: newOwnership(faultPartitions, cfg.SessionTimeout),
		start:  time.Now(),
		counts: make([]int, capacity),
		hist:   map[int][]*processing{},
	}
}

// join starts a member and returns its id.
func (g *churnGroup) join() int {
	t := g.t
	m := &churnMember{id: len(g.members) + 1, kill: make(chan struct{}), done: make(chan struct{}), commitErrs: map[string]int{}}
	c, err := kafkaclient.NewConsumer(g.cfg, kafkaclient.WithBackend(g.e.b))
	require.NoError(t, err)
	m.c = c
	t.Cleanup(func() {
		if !m.dead {
			closeWithin(t, c.Close)
		}
	})
	release := func(_ context.Context, _ *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
		g.owners.released(m.id, tps, time.Now())
		return nil
	}
	listener := kafkaclient.RebalanceFuncs{
		Assigned: func(_ context.Context, _ *kafkaclient.Consumer, tps []kafkaclient.TopicPartition) error {
			g.owners.assigned(m.id, tps)
			return nil
		},
		Revoked: release,
		Lost:    release,
	}
	require.NoError(t, c.Subscribe(Ctx(t), []string{g.topic}, listener))
	g.members, g.live = append(g.members, m), append(g.live, m)
	go g.run(m)
	return m.id
}

// kill kills the i-th live member between processing a batch and
// committing it, and returns its id. A killed process sends nothing more:
// an expired context gives Close no time to hand the partitions over.
func (g *churnGroup) kill(i int) int {
	m := g.live[i]
	g.live = append(g.live[:i], g.live[i+1:]...)
	close(m.kill)
	<-m.done
	g.owners.killed(m.id, time.Now())
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	cancel()
	m.c.Close(expired) //nolint:errcheck // a timeout is expected
	m.dead = true
	return m.id
}

// run is a member's loop: poll a batch, process it, commit it, until the
// case ends or the member is killed.
func (g *churnGroup) run(m *churnMember) {
	defer close(m.done)
	for g.ctx.Err() == nil {
		select {
		case <-m.kill:
			return
		default:
		}
		pctx, pcancel := context.WithTimeout(g.ctx, 500*time.Millisecond)
		msgs, err := m.c.PollBatch(pctx, 100)
		pcancel()
		if err != nil {
			if !errors.Is(err, kafkaclient.ErrTimedOut) && !errors.Is(err, kafkaclient.ErrCanceled) && g.ctx.Err() == nil {
				g.t.Logf("member %d poll: %v", m.id, err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		idxs := g.process(m, msgs)
		select {
		case <-m.kill: // killed between processing and committing
			m.mu.Lock()
			m.uncommitted = append(m.uncommitted, idxs...)
			m.mu.Unlock()
			return
		default:
		}
		cctx, ccancel := context.WithTimeout(g.ctx, 10*time.Second)
		err = m.c.CommitMessages(cctx, msgs...)
		ccancel()
		if err != nil {
			m.mu.Lock()
			m.uncommitted = append(m.uncommitted, idxs...)
			m.commitErrs[kafkaclient.CodeName(kafkaclient.CodeOf(err))]++
			m.mu.Unlock()
			continue
		}
		g.mu.Lock()
		for _, idx := range idxs {
			rs := g.hist[idx]
			rs[len(rs)-1].committed = true
		}
		g.mu.Unlock()
	}
}

// process counts msgs as processed by m and returns their message numbers.
func (g *churnGroup) process(m *churnMember, msgs []*kafkaclient.Message) []int {
	idxs := make([]int, 0, len(msgs))
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, msg := range msgs {
		idx, err := strconv.Atoi(string(msg.Value))
		if err != nil || idx < 0 || idx >= len(g.counts) {
			if g.failed == nil {
				g.failed = fmt.Errorf("member %d: unexpected value %q at %d@%d", m.id, msg.Value, msg.Partition, msg.Offset)
			}
			continue
		}
		g.counts[idx]++
		g.hist[idx] = append(g.hist[idx], &processing{member: m.id, partition: msg.Partition, offset: msg.Offset, at: time.Now()})
		idxs = append(idxs, idx)
	}
	return idxs
}

func (g *churnGroup) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

// missing counts the messages of acked never processed.
func (g *churnGroup) missing(acked []int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return countMissing(acked, func(idx int) bool { return g.counts[idx] > 0 })
}

// uncommitted returns the messages some member processed without
// committing them, and the members' failed commits by code.
func (g *churnGroup) uncommitted() (map[int]bool, map[string]int) {
	window, commitErrs := map[int]bool{}, map[string]int{}
	for _, m := range g.members {
		m.mu.Lock()
		for _, idx := range m.uncommitted {
			window[idx] = true
		}
		for code, n := range m.commitErrs {
			commitErrs[code] += n
		}
		m.mu.Unlock()
	}
	return window, commitErrs
}

// duplicates counts the extra processings, and the messages processed more
// than once outside window; it logs the first of those with their history.
func (g *churnGroup) duplicates(window map[int]bool) (dup, outside int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for idx, n := range g.counts {
		if n <= 1 {
			continue
		}
		dup += n - 1
		if window[idx] {
			continue
		}
		if outside++; outside <= 8 {
			var parts []string
			for _, r := range g.hist[idx] {
				parts = append(parts, fmt.Sprintf("member %d at %v (%d@%d, committed %v)", r.member, r.at.Sub(g.start).Round(time.Millisecond), r.partition, r.offset, r.committed))
			}
			g.t.Logf("message %d processed twice outside the uncommitted windows: %s", idx, strings.Join(parts, "; "))
		}
	}
	return dup, outside
}

// ownership follows which member holds each partition, from the rebalance
// listeners, and the longest time a partition had no owner.
type ownership struct {
	session time.Duration

	mu     sync.Mutex
	owner  map[int32]int       // 0: none
	since  map[int32]time.Time // when a partition without owner lost its last one
	maxGap time.Duration
	worst  int32 // the partition of maxGap
}

func newOwnership(partitions int32, session time.Duration) *ownership {
	o := &ownership{session: session, owner: map[int32]int{}, since: map[int32]time.Time{}}
	now := time.Now()
	for p := range partitions {
		o.since[p] = now
	}
	return o
}

func (o *ownership) assigned(id int, tps []kafkaclient.TopicPartition) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	for _, tp := range tps {
		if o.owner[tp.Partition] == 0 {
			if gap := now.Sub(o.since[tp.Partition]); gap > o.maxGap {
				o.maxGap, o.worst = gap, tp.Partition
			}
		}
		o.owner[tp.Partition] = id
	}
}

// released records that member id no longer holds tps, from at.
func (o *ownership) released(id int, tps []kafkaclient.TopicPartition, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, tp := range tps {
		if o.owner[tp.Partition] == id {
			o.owner[tp.Partition] = 0
			o.since[tp.Partition] = at
		}
	}
}

// killed records member id's death: the group learns of it one session
// timeout later at the latest, so its partitions count as without owner
// from then.
func (o *ownership) killed(id int, at time.Time) {
	o.mu.Lock()
	var held []kafkaclient.TopicPartition
	for p, owner := range o.owner {
		if owner == id {
			held = append(held, kafkaclient.TopicPartition{Partition: p})
		}
	}
	o.mu.Unlock()
	o.released(id, held, at.Add(o.session))
}

// gap returns the longest time a partition had no owner, and which.
func (o *ownership) gap() (time.Duration, int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return max(o.maxGap, 0), o.worst
}
