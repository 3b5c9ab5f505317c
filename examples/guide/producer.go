package guide

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// BasicProducer mirrors the guide's "Producer / Basic Producer": a producer
// from a ConfigMap, delivery reports read from Events on their own
// goroutine, asynchronous Produce with a nil DeliveryFunc, and Flush before
// Close.
func BasicProducer(ctx context.Context, env Env) error {
	topic := env.topic()
	if err := env.createTopic(ctx, topic, 6, nil); err != nil {
		return err
	}
	p, err := kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": env.servers(),
		"client.id":         "order-service",
	}, env.Options...)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)

	// Delivery report handler for asynchronous sends. Events is closed by
	// Close, which ends the loop.
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		for ev := range p.Events() {
			switch ev := ev.(type) {
			case *kafkaclient.DeliveryReport:
				if ev.Err != nil {
					env.printf("delivery failed: %v\n", ev.Err)
				} else {
					env.printf("delivered %s to %s[%d]@%d\n", ev.Message.Value, ev.Message.Topic, ev.Message.Partition, ev.Message.Offset)
				}
			case *kafkaclient.Error:
				env.printf("producer error: %v\n", ev)
			}
		}
	}()

	// Asynchronous sends: one order's events share its key, so they land on
	// one partition, in order.
	for _, event := range []string{"created", "paid", "shipped"} {
		msg := kafkaclient.NewMessage(topic, []byte("order-123"), []byte(fmt.Sprintf(`{"id": 123, "event": %q}`, event)))
		if err := p.Produce(ctx, msg, nil); err != nil {
			return err
		}
	}

	// Wait for outstanding messages to be delivered.
	flushCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := p.Flush(flushCtx); err != nil {
		return err
	}
	if err := p.Close(flushCtx); err != nil {
		return err
	}
	<-handled
	return nil
}

// ProductionProducerConfig is the guide's production producer config
// ("Producer / Production Producer Configuration"), every key of it, for
// the given bootstrap servers.
func ProductionProducerConfig(servers string) kafkaclient.ConfigMap {
	return kafkaclient.ConfigMap{
		// Connection
		"bootstrap.servers": servers,
		"client.id":         "order-service-producer",

		// Durability
		"acks":               "all",
		"enable.idempotence": true,

		// Retries
		"retries":                               2147483647,
		"delivery.timeout.ms":                   120000,
		"max.in.flight.requests.per.connection": 5,

		// Batching
		"batch.size":                   65536,
		"linger.ms":                    10,
		"queue.buffering.max.messages": 100000,
		"queue.buffering.max.kbytes":   1048576,

		// Compression
		"compression.type": "lz4",
	}
}

// ProductionProducer mirrors "Producer / Production Producer
// Configuration": it opens a producer with ProductionProducerConfig. On a
// backend without idempotence, enable.idempotence=true fails with
// ErrUnsupported; the pattern prints that and opens the producer without
// the key (acks=all and retries still apply, without the duplicate
// protection).
func ProductionProducer(ctx context.Context, env Env) error {
	topic := env.topic()
	if err := env.createTopic(ctx, topic, 3, nil); err != nil {
		return err
	}
	cfg := ProductionProducerConfig(env.servers())
	p, err := kafkaclient.NewProducerFromMap(cfg, env.Options...)
	if env.unsupported(err, "enable.idempotence=true", "opening the producer without it") {
		delete(cfg, "enable.idempotence")
		p, err = kafkaclient.NewProducerFromMap(cfg, env.Options...)
	}
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)

	c := p.Config()
	env.printf("acks=%s idempotence=%t delivery.timeout=%v max.in.flight=%d\n", c.Acks, c.Idempotence == kafkaclient.ToggleOn, c.DeliveryTimeout, c.MaxInFlight)
	env.printf("batch.size=%d linger=%v buffer=%d messages/%d KiB compression=%s\n", c.BatchSize, c.Linger, c.MaxBufferedMessages, c.MaxBufferedBytes/1024, c.Compression)

	msg := kafkaclient.NewMessage(topic, []byte("order-123"), []byte(`{"id": 123, "amount": 99.99}`))
	if err := p.ProduceSync(ctx, msg); err != nil {
		return err
	}
	env.printf("delivered to %s[%d]@%d\n", msg.Topic, msg.Partition, msg.Offset)
	return nil
}

// SyncProduce is the guide's syncProduce: it sends one message with a
// per-message delivery channel (kafkaclient.ToChannel) and waits for its
// report, returning the delivered message.
func SyncProduce(ctx context.Context, p *kafkaclient.Producer, topic string, key, value []byte) (*kafkaclient.Message, error) {
	deliveryChan := make(chan kafkaclient.DeliveryReport, 1)
	if err := p.Produce(ctx, kafkaclient.NewMessage(topic, key, value), kafkaclient.ToChannel(deliveryChan)); err != nil {
		return nil, err
	}
	select {
	case r := <-deliveryChan:
		return r.Message, r.Err
	case <-ctx.Done():
		// The report still comes; the buffered channel keeps the producer
		// from blocking on it.
		return nil, ctx.Err()
	}
}

// SynchronousSend mirrors "Producer / Synchronous Send": SyncProduce with a
// delivery channel, then ProduceSync, which does the same for several
// messages at once, and the failure of a synchronous send to a topic that
// does not exist.
func SynchronousSend(ctx context.Context, env Env) error {
	topic, p, err := env.newTopicProducer(ctx, 3)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)

	m, err := SyncProduce(ctx, p, topic, []byte("order-123"), []byte(`{"id": 123}`))
	if err != nil {
		return err
	}
	env.printf("Delivered to %s [%d] at offset %d\n", m.Topic, m.Partition, m.Offset)

	batch := []*kafkaclient.Message{
		kafkaclient.NewMessage(topic, []byte("order-123"), []byte(`{"id": 123, "status": "paid"}`)),
		kafkaclient.NewMessage(topic, []byte("order-456"), []byte(`{"id": 456}`)),
	}
	if err := p.ProduceSync(ctx, batch...); err != nil {
		return err
	}
	for _, m := range batch {
		env.printf("Delivered %s to %s [%d] at offset %d\n", m.Key, m.Topic, m.Partition, m.Offset)
	}

	missingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = SyncProduce(missingCtx, p, topic+"-missing", []byte("order-789"), []byte(`{"id": 789}`))
	env.printf("send to a missing topic: unknown topic=%t retriable=%t\n", errors.Is(err, kafkaclient.ErrUnknownTopicOrPartition), kafkaclient.IsRetriable(err))
	return nil
}

// SendWithHeaders mirrors "Producer / Send with Headers": a message with
// correlation-id and source headers, read back by a consumer to show the
// headers travel with it, in order.
func SendWithHeaders(ctx context.Context, env Env) error {
	topic, p, err := env.newTopicProducer(ctx, 1)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)
	msg := kafkaclient.NewMessage(topic, []byte("order-123"), []byte(`{"id": 123}`))
	msg.Headers = []kafkaclient.Header{
		{Key: "correlation-id", Value: []byte("abc-123")},
		{Key: "source", Value: []byte("order-service")},
	}
	if err := p.ProduceSync(ctx, msg); err != nil {
		return err
	}

	got, err := env.readFirst(ctx, topic)
	if err != nil {
		return err
	}
	env.printf("received %s with %d headers\n", got.Key, len(got.Headers))
	for _, h := range got.Headers {
		env.printf("  %s: %s\n", h.Key, h.Value)
	}
	return nil
}

// ProducerService is the guide's ProducerService ("Producer / Producer with
// Error Channel"): a producer whose events (delivery failures and
// client-level errors such as all brokers being down) are handled on one
// goroutine.
type ProducerService struct {
	producer *kafkaclient.Producer
	done     chan struct{}
	onEvent  func(kafkaclient.Event)
	env      Env
}

// NewProducerService opens a producer from config and starts handling its
// events. onEvent, which may be nil, sees every event after handling.
func NewProducerService(env Env, config kafkaclient.ConfigMap, onEvent func(kafkaclient.Event)) (*ProducerService, error) {
	p, err := kafkaclient.NewProducerFromMap(config, env.Options...)
	if err != nil {
		return nil, err
	}
	s := &ProducerService{producer: p, done: make(chan struct{}), onEvent: onEvent, env: env}
	go s.handleEvents()
	return s, nil
}

// Producer returns the service's producer.
func (s *ProducerService) Producer() *kafkaclient.Producer { return s.producer }

// handleEvents runs until Close closes the Events channel. Clients repeat
// client-level errors while the condition lasts (librdkafka at every
// reconnection attempt), so it reports the first one of an outage and
// counts the others; a successful delivery ends the outage.
func (s *ProducerService) handleEvents() {
	defer close(s.done)
	repeated := 0
	for ev := range s.producer.Events() {
		switch ev := ev.(type) {
		case *kafkaclient.DeliveryReport:
			if ev.Err != nil {
				// Handle delivery error.
				s.env.printf("delivery failed: %s\n", kafkaclient.CodeName(kafkaclient.CodeOf(ev.Err)))
			} else {
				repeated = 0
			}
		case *kafkaclient.Error:
			// Handle producer errors.
			if repeated++; repeated > 1 {
				break
			}
			s.env.printf("producer error: %s (retriable=%t)\n", kafkaclient.CodeName(ev.Code), ev.Retriable())
			if ev.Code == kafkaclient.CodeAllBrokersDown || ev.Code == kafkaclient.CodeTransport {
				s.env.printf("critical: no broker reachable, alert and keep retrying\n")
			}
		}
		if s.onEvent != nil {
			s.onEvent(ev)
		}
	}
}

// Close flushes for at most flushTimeout, closes the producer (which
// fails what could not be flushed, reporting it on Events) within ctx, and
// waits for the event handler to finish.
func (s *ProducerService) Close(ctx context.Context, flushTimeout time.Duration) error {
	flushCtx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	s.producer.Flush(flushCtx) //nolint:errcheck // what is not flushed fails in Close, reported on Events
	err := s.producer.Close(ctx)
	<-s.done
	return err
}

// ProducerErrorChannel mirrors "Producer / Producer with Error Channel": a
// ProducerService pointed at brokerAddr, an address nothing listens on,
// receives a client-level *kafkaclient.Error event (ALL_BROKERS_DOWN, or
// TRANSPORT on clients that report the failed connection itself); the
// message it sent fails once delivery.timeout.ms (here 2 seconds) has
// passed, and that report arrives on Events too.
func ProducerErrorChannel(ctx context.Context, env Env, brokerAddr string) error {
	clientErr := make(chan struct{}, 1)
	failed := make(chan struct{}, 1)
	s, err := NewProducerService(env, kafkaclient.ConfigMap{
		"bootstrap.servers":   brokerAddr,
		"client.id":           "order-service",
		"delivery.timeout.ms": 2000,
	}, func(ev kafkaclient.Event) {
		ch := failed
		if _, ok := ev.(*kafkaclient.Error); ok {
			ch = clientErr
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return err
	}
	closeCtx, cancelClose := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancelClose()
	defer s.Close(closeCtx, 0) //nolint:errcheck // nothing is left to flush
	if err := s.Producer().Produce(ctx, kafkaclient.NewMessage(env.topic(), nil, []byte(`{"id": 123}`)), nil); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, ch := range []chan struct{}{clientErr, failed} {
		select {
		case <-ch:
		case <-waitCtx.Done():
			return errors.New("no client-level error and failed delivery within 15s")
		}
	}
	return nil
}
