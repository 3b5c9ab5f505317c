package benchmarks

import (
	"context"
	"errors"
	"sync"

	"github.com/IBM/sarama"

	// The backend shares the library's package name; the library keeps
	// its own, as the raw side below speaks it throughout.
	saramabackend "github.com/kafkaclient/kafkaclient/backend/sarama"
)

// init registers the sarama backend with its raw Sarama client.
func init() {
	Register(Backend{Name: saramabackend.Name, KafkaClient: saramabackend.New, Raw: saramaRaw{}})
}

// saramaRaw drives github.com/IBM/sarama directly: an AsyncProducer whose
// Successes and Errors channels a goroutine drains, and a ConsumerGroup
// whose handler passes each claim's messages to Poll, which marks them,
// with Session.Commit for the synchronous commits.
//
// Importing the kafkaclient backend turns go-metrics off
// (metrics.UseNilMetrics), for the raw clients too: Sarama's meters
// otherwise start a goroutine that never ends and add their own cost on
// every message.
//
// Sarama has no bound on buffered messages: its AsyncProducer stops taking
// input when a broker's next request is full and its requests in flight
// are at Net.MaxOpenRequests, so Settings.MaxBuffered does not apply.
type saramaRaw struct{}

// saramaVersion is the protocol version both Sarama clients speak. Sarama
// assumes an old one unless told, and lowers each request to what the
// broker supports; this is the kafkaclient sarama backend's default, so
// both sides send the same request versions.
var saramaVersion = sarama.V3_6_0_0

// saramaSentKey is the SentHeader key as Sarama's header type holds it,
// made once and shared read-only by every message.
var saramaSentKey = []byte(SentHeader)

// saramaConfig returns the settings every Sarama client of the workloads
// shares.
func saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "kbench"
	c.Version = saramaVersion
	// Metadata for the one topic used, not for every topic of the cluster.
	c.Metadata.Full = false
	return c
}

// NewProducer opens an AsyncProducer configured like every other client
// of the workloads.
func (saramaRaw) NewProducer(s Settings) (Producer, error) {
	c := saramaConfig()
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Idempotent = false
	c.Net.MaxOpenRequests = s.MaxInFlight
	c.Producer.Compression = sarama.CompressionNone
	// MaxMessageBytes bounds one partition's batch, as batch.size does.
	c.Producer.MaxMessageBytes = s.BatchBytes
	// Sarama flushes after Frequency (the linger) or once Bytes are
	// waiting, whichever comes first.
	c.Producer.Flush.Frequency = s.Linger
	c.Producer.Flush.Bytes = s.BatchBytes
	// murmur2 on the key, like the Java client (Sarama's default hashes
	// with FNV-1a).
	c.Producer.Partitioner = sarama.NewMurmur2Partitioner
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	ap, err := sarama.NewAsyncProducer(s.Brokers, c)
	if err != nil {
		return nil, err
	}
	p := &saramaProducer{ap: ap, topic: s.Topic, drained: make(chan struct{})}
	go p.drain()
	return p, nil
}

// saramaProducer is an AsyncProducer with the count of messages whose
// report has not come back.
type saramaProducer struct {
	ap      sarama.AsyncProducer
	topic   string
	pending pending
	// drained is closed once Sarama has closed both report channels.
	drained chan struct{}
}

// drain counts the reports of Successes and Errors until AsyncClose has
// closed both: Sarama blocks when a report channel it was told to return
// on is not read.
func (p *saramaProducer) drain() {
	defer close(p.drained)
	successes, errs := p.ap.Successes(), p.ap.Errors()
	for successes != nil || errs != nil {
		select {
		case _, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			p.pending.done(1, nil)
		case pe, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			p.pending.done(1, pe)
		}
	}
}

// Produce hands the message to the producer's Input channel, which blocks
// while Sarama is pushing back.
func (p *saramaProducer) Produce(ctx context.Context, key, value, sent []byte) error {
	m := &sarama.ProducerMessage{Topic: p.topic, Key: sarama.ByteEncoder(key), Value: sarama.ByteEncoder(value)}
	if sent != nil {
		m.Headers = []sarama.RecordHeader{{Key: saramaSentKey, Value: sent}}
	}
	return p.send(ctx, m)
}

// ProduceBatch sends each message to Input: Sarama has no batch call.
func (p *saramaProducer) ProduceBatch(ctx context.Context, keys, values [][]byte) error {
	for i := range keys {
		m := &sarama.ProducerMessage{Topic: p.topic, Key: sarama.ByteEncoder(keys[i]), Value: sarama.ByteEncoder(values[i])}
		if err := p.send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// send counts m as pending and hands it to Sarama, unless ctx ends first.
func (p *saramaProducer) send(ctx context.Context, m *sarama.ProducerMessage) error {
	p.pending.add()
	select {
	case p.ap.Input() <- m:
		return nil
	case <-ctx.Done():
		p.pending.done(1, nil)
		return ctx.Err()
	}
}

// Flush waits for the report of every message: the AsyncProducer has no
// Flush, and sends a partial batch once Flush.Frequency has passed.
func (p *saramaProducer) Flush(ctx context.Context) error { return p.pending.wait(ctx) }

// Close shuts the producer down with AsyncClose, so that the drain
// goroutine keeps counting the last reports (Close would read them
// itself), and waits until Sarama has closed both report channels, which
// it does after closing its client.
func (p *saramaProducer) Close(ctx context.Context) error {
	p.ap.AsyncClose()
	select {
	case <-p.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewConsumer opens a ConsumerGroup and starts the loop that keeps it in
// the group; Poll returns messages once the group has been joined.
func (saramaRaw) NewConsumer(s Settings, group string) (Consumer, error) {
	c := saramaConfig()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Group.Session.Timeout = s.SessionTimeout
	c.Consumer.Group.Heartbeat.Interval = s.HeartbeatInterval
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	c.Consumer.MaxWaitTime = s.FetchMaxWait
	c.Consumer.Fetch.Default = int32(s.MaxPartitionFetchBytes)
	// Errors come back on a channel rather than only to Sarama's logger,
	// so that a failing commit or fetch fails the workload.
	c.Consumer.Return.Errors = true
	cg, err := sarama.NewConsumerGroup(s.Brokers, group, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &saramaConsumer{
		cg:      cg,
		msgs:    make(chan saramaDelivery, max(s.PollMax, 1)),
		max:     max(s.PollMax, 1),
		cancel:  cancel,
		failed:  make(chan struct{}),
		looped:  make(chan struct{}),
		drained: make(chan struct{}),
	}
	go sc.drainErrors()
	go sc.loop(ctx, s.Topic)
	return sc, nil
}

// saramaDelivery is a message with the session whose claim it came from,
// which is the one to mark it in.
type saramaDelivery struct {
	m    *sarama.ConsumerMessage
	sess sarama.ConsumerGroupSession
}

// saramaConsumer is a ConsumerGroup whose handler feeds msgs; Poll reads
// msgs. Poll and Commit are called from one goroutine, so sess needs no
// lock.
type saramaConsumer struct {
	cg   sarama.ConsumerGroup
	msgs chan saramaDelivery
	max  int
	// sess is the session of the last message Poll returned: the one
	// holding the marks Commit sends.
	sess sarama.ConsumerGroupSession
	// cancel ends the loop's context, and with it the session.
	cancel context.CancelFunc

	// failed is closed with the first error, which err then holds.
	failed   chan struct{}
	failOnce sync.Once
	errMu    sync.Mutex
	err      error

	// looped and drained are closed when the group loop and the errors
	// goroutine have ended.
	looped  chan struct{}
	drained chan struct{}
}

// loop calls Consume until the consumer is closed: Sarama's Consume
// returns at the end of every session, a rebalance included.
func (c *saramaConsumer) loop(ctx context.Context, topic string) {
	defer close(c.looped)
	h := saramaHandler{out: c.msgs}
	for ctx.Err() == nil {
		if err := c.cg.Consume(ctx, []string{topic}, h); err != nil {
			if !errors.Is(err, sarama.ErrClosedConsumerGroup) && ctx.Err() == nil {
				c.fail(err)
			}
			return
		}
	}
}

// drainErrors reads the group's Errors channel until Close closes it.
func (c *saramaConsumer) drainErrors() {
	defer close(c.drained)
	for err := range c.cg.Errors() {
		c.fail(err)
	}
}

// fail keeps err if it is the first error, and wakes a waiting Poll.
func (c *saramaConsumer) fail(err error) {
	c.failOnce.Do(func() {
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
		close(c.failed)
	})
}

// firstErr returns the first error the group reported, or nil.
func (c *saramaConsumer) firstErr() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// Poll waits for one message, then takes whatever else the handler has
// already passed on, up to Settings.PollMax, marking each as consumed.
func (c *saramaConsumer) Poll(ctx context.Context, fn func(sent []byte)) (int, error) {
	var d saramaDelivery
	select {
	case d = <-c.msgs:
	case <-c.failed:
		return 0, c.firstErr()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	n := 0
	for {
		d.sess.MarkMessage(d.m, "")
		c.sess = d.sess
		fn(saramaSent(d.m.Headers))
		if n++; n == c.max {
			return n, nil
		}
		select {
		case d = <-c.msgs:
		default:
			return n, nil
		}
	}
}

// Commit sends the marked offsets with Session.Commit, which waits for the
// answer but reports a failure on the Errors channel instead of
// returning it. The errors goroutine may not have read that report yet
// when Commit returns; it then fails the next Poll or Commit.
func (c *saramaConsumer) Commit(context.Context) error {
	if c.sess != nil {
		c.sess.Commit()
	}
	return c.firstErr()
}

// Close ends the session, leaves the group and closes the client, then
// waits for the loop and the errors goroutine. The errors Close drains
// itself, from leaving the group or the ended session, are not failures
// of the workload.
func (c *saramaConsumer) Close(context.Context) error {
	c.cancel()
	err := c.cg.Close()
	<-c.looped
	<-c.drained
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// saramaHandler is the ConsumerGroupHandler: each claim's goroutine passes
// its messages to out, in order.
type saramaHandler struct{ out chan<- saramaDelivery }

// Setup has nothing to prepare: Poll takes the session from each message.
func (saramaHandler) Setup(sarama.ConsumerGroupSession) error { return nil }

// Cleanup has nothing to release: Commit sends the marks.
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim passes the claim's messages on until the claim or the
// session ends; it stops waiting on out when the session ends, which
// Sarama waits for before a rebalance or Close can go on.
func (h saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	done := sess.Context().Done()
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			select {
			case h.out <- saramaDelivery{m: m, sess: sess}:
			case <-done:
				return nil
			}
		case <-done:
			return nil
		}
	}
}

// saramaSent returns the value of the SentHeader header among hs, or nil.
// Sarama's consumed headers are pointers with a byte-slice key, unlike
// the header layout sentOf reads.
func saramaSent(hs []*sarama.RecordHeader) []byte {
	for _, h := range hs {
		if string(h.Key) == SentHeader {
			return h.Value
		}
	}
	return nil
}
