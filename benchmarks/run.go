package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// closeTimeout bounds closing a client after a workload.
const closeTimeout = 30 * time.Second

// RunProduce opens a producer of c, produces warmup messages and waits for
// them, then measures producing n messages of size bytes to s.Topic and
// waiting for every delivery report.
func RunProduce(ctx context.Context, c Client, s Settings, size, n, warmup int, m *Meter) error {
	return runProduce(ctx, c, s, size, n, warmup, 1, m)
}

// RunProduceBatch is RunProduce with the messages handed over batch at a
// time through BatchProducer.
func RunProduceBatch(ctx context.Context, c Client, s Settings, size, n, warmup, batch int, m *Meter) error {
	return runProduce(ctx, c, s, size, n, warmup, batch, m)
}

// runProduce is RunProduce with batch messages per call: one Produce call
// each when batch is 1, else BatchProducer.ProduceBatch.
func runProduce(ctx context.Context, c Client, s Settings, size, n, warmup, batch int, m *Meter) (err error) {
	p, err := c.NewProducer(s)
	if err != nil {
		return fmt.Errorf("opening producer: %w", err)
	}
	defer closeProducer(p, &err)
	bp, ok := p.(BatchProducer)
	if batch > 1 && !ok {
		return fmt.Errorf("%T has no batch produce", p)
	}
	value := payload(size)
	keys, values := make([][]byte, 0, batch), make([][]byte, 0, batch)
	// send produces messages from to to, up to batch at a time.
	send := func(from, to int) error {
		for i := from; i < to; i += batch {
			if batch == 1 {
				if err := p.Produce(ctx, key(i), value, nil); err != nil {
					return err
				}
				continue
			}
			keys, values = keys[:0], values[:0]
			for j := i; j < min(i+batch, to); j++ {
				keys, values = append(keys, key(j)), append(values, value)
			}
			if err := bp.ProduceBatch(ctx, keys, values); err != nil {
				return err
			}
		}
		return nil
	}
	if err := send(0, warmup); err != nil {
		return fmt.Errorf("warm-up produce: %w", err)
	}
	if err := p.Flush(ctx); err != nil {
		return fmt.Errorf("warm-up flush: %w", err)
	}
	m.Start()
	err = send(0, n)
	if err == nil {
		err = p.Flush(ctx)
	}
	m.Stop(n)
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

func closeProducer(p Producer, err *error) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if cerr := p.Close(ctx); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing producer: %w", cerr)
	}
}

func closeConsumer(c Consumer, err *error) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if cerr := c.Close(ctx); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing consumer: %w", cerr)
	}
}

// RunConsume opens a consumer of c in a new group and reads n messages from
// s.Topic, which holds exactly n, committing every s.CommitEvery messages
// and at the end. The span starts at the first message, so the group join
// is not measured.
func RunConsume(ctx context.Context, c Client, s Settings, group string, n int, m *Meter) (err error) {
	cons, err := c.NewConsumer(s, group)
	if err != nil {
		return fmt.Errorf("opening consumer: %w", err)
	}
	defer closeConsumer(cons, &err)
	started := false
	fn := func([]byte) {
		if !started {
			started = true
			m.Start()
		}
	}
	count, committed := 0, 0
	for count < n {
		k, err := cons.Poll(ctx, fn)
		if err != nil {
			m.Stop(count)
			return fmt.Errorf("poll after %d of %d messages: %w", count, n, err)
		}
		count += k
		if count-committed >= s.CommitEvery {
			if err := cons.Commit(ctx); err != nil {
				m.Stop(count)
				return fmt.Errorf("commit: %w", err)
			}
			committed = count
		}
	}
	err = cons.Commit(ctx)
	m.Stop(count)
	if err != nil {
		return fmt.Errorf("final commit: %w", err)
	}
	return nil
}

// Latency is the end-to-end latency distribution of an open-loop run.
type Latency struct {
	// Sent is how many timed messages were sent; Received how many of them
	// arrived before the run ended.
	Sent     int `json:"sent"`
	Received int `json:"received"`
	// Percentiles of due time to consume time.
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
	// Late is how far behind its schedule the sender fell at worst: a
	// large value means Produce blocked.
	Late time.Duration `json:"late_ns"`
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// LatencyWait is how long RunLatency waits for the last messages after the
// sender has finished.
const LatencyWait = 15 * time.Second

// RunLatency measures end-to-end latency with an open loop: a consumer of c
// in a new group reads s.Topic while a producer of c sends count messages
// of size bytes at rate messages per second. Each message carries its due
// time; the sender, woken by a ticker, sends every message that is due,
// however long earlier sends took. Latency is the time the consumer
// returns a message minus its due time. Warm-up messages go first, until
// the consumer receives one.
func RunLatency(ctx context.Context, c Client, s Settings, group string, size, rate, count int, m *Meter) (lat Latency, err error) {
	if rate <= 0 || count <= 0 {
		return lat, errors.New("rate and count must be positive")
	}
	cons, err := c.NewConsumer(s, group)
	if err != nil {
		return lat, fmt.Errorf("opening consumer: %w", err)
	}
	defer closeConsumer(cons, &err)
	p, err := c.NewProducer(s)
	if err != nil {
		return lat, fmt.Errorf("opening producer: %w", err)
	}
	defer closeProducer(p, &err)

	// The consumer goroutine owns samples until it returns.
	samples := make([]time.Duration, 0, count)
	warm := make(chan struct{})
	all := make(chan struct{})
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var consErr error
	wg.Go(func() {
		var warmOnce sync.Once
		received, committed := 0, 0
		fn := func(sent []byte) {
			now := time.Now().UnixNano()
			due, ok := decodeSent(sent)
			switch {
			case !ok:
			case due == 0:
				warmOnce.Do(func() { close(warm) })
			case len(samples) < count:
				samples = append(samples, time.Duration(now-due))
				if len(samples) == count {
					close(all)
				}
			}
		}
		for {
			k, err := cons.Poll(cctx, fn)
			if err != nil {
				if cctx.Err() == nil {
					consErr = err
				}
				break
			}
			received += k
			if received-committed >= s.CommitEvery {
				if err := cons.Commit(cctx); err != nil && cctx.Err() == nil {
					consErr = err
					break
				}
				committed = received
			}
		}
		if received > committed {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = cons.Commit(cctx)
		}
	})
	stop := func() {
		cancel()
		wg.Wait()
	}

	value := payload(size)
	warmMark := make([]byte, 8)
	warmTick := time.NewTicker(50 * time.Millisecond)
	warmDeadline := time.After(60 * time.Second)
warmup:
	for i := 0; ; i++ {
		if err := p.Produce(ctx, key(i), value, warmMark); err != nil {
			warmTick.Stop()
			stop()
			return lat, fmt.Errorf("warm-up produce: %w", err)
		}
		select {
		case <-warm:
			break warmup
		case <-warmTick.C:
		case <-warmDeadline:
			warmTick.Stop()
			stop()
			return lat, errors.New("no warm-up message consumed within 60s")
		case <-ctx.Done():
			warmTick.Stop()
			stop()
			return lat, ctx.Err()
		}
	}
	warmTick.Stop()

	interval := time.Second / time.Duration(rate)
	tick := time.NewTicker(max(interval, time.Millisecond))
	m.Start()
	t0 := time.Now()
	sent := 0
	for sent < count {
		if err := ctx.Err(); err != nil {
			break
		}
		due := min(int(time.Since(t0)/interval)+1, count)
		if late := time.Since(t0.Add(time.Duration(sent) * interval)); sent < due && late > lat.Late {
			lat.Late = late
		}
		for ; sent < due; sent++ {
			if err = p.Produce(ctx, key(sent), value, encodeSent(t0.Add(time.Duration(sent)*interval))); err != nil {
				break
			}
		}
		if err != nil || sent == count {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	tick.Stop()
	lat.Sent = sent
	if err == nil {
		err = p.Flush(ctx)
	}
	if err == nil {
		select {
		case <-all:
		case <-time.After(LatencyWait):
		case <-ctx.Done():
		}
	}
	stop()
	m.Stop(sent)
	if err != nil {
		return lat, fmt.Errorf("produce: %w", err)
	}
	if consErr != nil {
		return lat, fmt.Errorf("consume: %w", consErr)
	}
	slices.Sort(samples)
	lat.Received = len(samples)
	lat.P50 = percentile(samples, 0.50)
	lat.P99 = percentile(samples, 0.99)
	lat.P999 = percentile(samples, 0.999)
	if len(samples) > 0 {
		lat.Max = samples[len(samples)-1]
	}
	if lat.Received < lat.Sent {
		return lat, fmt.Errorf("%d of %d messages did not arrive within %v: %w", lat.Sent-lat.Received, lat.Sent, LatencyWait, errClosedEarly)
	}
	return lat, nil
}
