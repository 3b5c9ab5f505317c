package guide

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// nextOffsets returns, per partition of msgs, the offset after its last
// message: what to commit once msgs are processed.
func nextOffsets(msgs []*kafkaclient.Message) []kafkaclient.TopicPartition {
	var out []kafkaclient.TopicPartition
	for _, m := range msgs {
		i := slices.IndexFunc(out, func(tp kafkaclient.TopicPartition) bool { return tp.Topic == m.Topic && tp.Partition == m.Partition })
		if i < 0 {
			out = append(out, kafkaclient.TopicPartition{Topic: m.Topic, Partition: m.Partition, LeaderEpoch: -1})
			i = len(out) - 1
		}
		out[i].Offset = max(out[i].Offset, m.Offset+1)
	}
	return out
}

// transformBatch produces the enriched form of every message of batch to
// topic inside one transaction, adds the batch's offsets to it, and commits
// it. An abortable error aborts the transaction: neither the output nor the
// offsets become visible, and the batch can be processed again.
func transformBatch(ctx context.Context, p *kafkaclient.Producer, c *kafkaclient.Consumer, topic string, batch []*kafkaclient.Message) error {
	if err := p.BeginTransaction(); err != nil {
		return err
	}
	abort := func(err error) error {
		if kafkaclient.IsAbortable(err) || kafkaclient.IsRetriable(err) {
			if aerr := p.AbortTransaction(ctx); aerr != nil {
				return aerr
			}
		}
		return err
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		sendErr error
	)
	for _, m := range batch {
		out := kafkaclient.NewMessage(topic, m.Key, []byte(strings.ToUpper(string(m.Value))))
		wg.Add(1)
		err := p.Produce(ctx, out, func(_ *kafkaclient.Message, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				sendErr = err
				mu.Unlock()
			}
		})
		if err != nil {
			wg.Done()
			wg.Wait()
			return abort(err)
		}
	}
	group, err := c.GroupMetadata()
	if err != nil {
		wg.Wait()
		return abort(err)
	}
	if err := p.SendOffsetsToTransaction(ctx, nextOffsets(batch), group); err != nil {
		wg.Wait()
		return abort(err)
	}
	// CommitTransaction flushes: every delivery is reported when it
	// returns.
	err = p.CommitTransaction(ctx)
	wg.Wait()
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return abort(err)
	}
	return nil
}

// ExactlyOnce mirrors the transactions pattern the guide refers to
// (consume-transform-produce with exactly-once): orders read by a group
// member are written upper-cased to topic + "-enriched" in transactions
// that also commit the input offsets, so output and progress are committed
// together or not at all. A transaction that is aborted leaves nothing
// visible to a read_committed consumer.
//
// It needs a backend with Capabilities().Transactions; elsewhere opening
// the transactional producer fails with ErrUnsupported, which the pattern
// prints and returns.
func ExactlyOnce(ctx context.Context, env Env) error {
	in, out := env.topic(), env.topic()+"-enriched"
	for _, t := range []string{in, out} {
		if err := env.createTopic(ctx, t, 1, nil); err != nil {
			return err
		}
	}
	p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers":      env.servers(),
		"client.id":              "order-enricher",
		"transactional.id":       "order-enricher-1",
		"transaction.timeout.ms": 30000,
	}, env.Options...)
	if env.unsupported(err, "transactional.id", "exactly-once processing is not available") {
		return err
	}
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)
	if err := p.InitTransactions(ctx); err != nil {
		return err
	}

	const orders = 4
	if err := env.seed(ctx, in, seq("order", orders)...); err != nil {
		return err
	}
	c, err := env.subscribed(ctx, in)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	for done := 0; done < orders; {
		batch, err := ConsumeBatch(ctx, c, 2, 2*time.Second)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			continue
		}
		if err := transformBatch(ctx, p, c, out, batch); err != nil {
			return err
		}
		done += len(batch)
		env.printf("transaction committed: %s -> %s, offsets %s\n", strings.Join(values(batch), ","), out, formatTPs(nextOffsets(batch), true))
	}

	// A transaction that fails halfway is aborted: its message is never
	// seen by read_committed consumers.
	if err := p.BeginTransaction(); err != nil {
		return err
	}
	if err := p.Produce(ctx, kafkaclient.NewMessage(out, nil, []byte("HALF-DONE")), func(*kafkaclient.Message, error) {}); err != nil {
		return err
	}
	if err := p.AbortTransaction(ctx); err != nil {
		return err
	}
	env.printf("transaction aborted\n")
	if err := c.Close(ctx); err != nil {
		return err
	}
	if err := env.printCommitted(ctx); err != nil {
		return err
	}
	return env.readCommitted(ctx, out)
}

// readCommitted prints what a read_committed consumer sees in topic, up to
// a marker message it writes after what is there.
func (e Env) readCommitted(ctx context.Context, topic string) error {
	if err := e.seed(ctx, topic, "END"); err != nil {
		return err
	}
	cfg := e.consumerMap()
	cfg["group.id"] = e.group() + "-audit"
	cfg["isolation.level"] = "read_committed"
	c, err := kafkaclient.NewConsumerFromMap(cfg, e.Options...)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
		return err
	}
	var seen []string
	for {
		m, err := c.Poll(ctx)
		if err != nil {
			return err
		}
		if string(m.Value) == "END" {
			break
		}
		seen = append(seen, string(m.Value))
	}
	e.printf("read_committed consumer of %s sees: %s\n", topic, strings.Join(seen, ","))
	return nil
}
