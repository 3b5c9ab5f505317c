package watermill

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kafkaclient/kafkaclient"
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// ConfigMap, if set, is the producer's config (librdkafka-style keys,
	// see kafkaclient.ConfigMap); else Producer is.
	ConfigMap kafkaclient.ConfigMap
	// Producer is the producer's config when ConfigMap is nil. In both,
	// linger.ms defaults to 0 rather than 5: Publish waits for its
	// messages, so lingering would only delay it.
	Producer kafkaclient.ProducerConfig
	// Options open the producer, for example kafkaclient.WithBackend.
	Options []kafkaclient.Option
	// Marshaler makes Kafka messages. Default DefaultMarshaler{}.
	Marshaler Marshaler
	// CloseTimeout bounds Close's flush. Default 30s.
	CloseTimeout time.Duration
}

// Publisher is a Watermill message.Publisher over a kafkaclient.Producer.
type Publisher struct {
	p         *kafkaclient.Producer
	marshaler Marshaler
	logger    watermill.LoggerAdapter
	timeout   time.Duration

	closeOnce sync.Once
	closeErr  error
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher opens a Publisher. logger may be nil.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	var (
		p   *kafkaclient.Producer
		err error
	)
	// Publish waits for its messages: lingering for more would only delay
	// it, so the default linger is 0 (batches come from the messages of
	// one call, and of concurrent calls).
	if cfg.ConfigMap != nil {
		m := make(kafkaclient.ConfigMap, len(cfg.ConfigMap)+1)
		m["linger.ms"] = 0
		maps.Copy(m, cfg.ConfigMap)
		p, err = kafkaclient.NewProducerFromMap(m, cfg.Options...)
	} else {
		pc := cfg.Producer
		if pc.Linger == 0 {
			pc.Linger = -1
		}
		p, err = kafkaclient.NewProducer(pc, cfg.Options...)
	}
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	if cfg.Marshaler == nil {
		cfg.Marshaler = DefaultMarshaler{}
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 30 * time.Second
	}
	return &Publisher{p: p, marshaler: cfg.Marshaler, logger: logger, timeout: cfg.CloseTimeout}, nil
}

// Publish sends msgs to topic and returns once every one is written, or
// the first error. Each message is checked first: one without a UUID, or
// one the marshaler refuses, fails the call with a *kafkaclient.Error of
// CodeInvalidArg and nothing is sent; one larger than message.max.bytes
// fails it with CodeMessageTooLarge, likewise. delivery.timeout.ms bounds
// the call.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	kms := make([]*kafkaclient.Message, len(msgs))
	for i, msg := range msgs {
		if msg.UUID == "" {
			return &kafkaclient.Error{Op: "publish", Topic: topic, Partition: -1, Code: kafkaclient.CodeInvalidArg,
				Err: fmt.Errorf("message %d of %d has no UUID: set one with watermill.NewUUID()", i+1, len(msgs))}
		}
		km, err := p.marshaler.Marshal(topic, msg)
		if err != nil {
			return &kafkaclient.Error{Op: "publish", Topic: topic, Partition: -1, Code: kafkaclient.CodeInvalidArg,
				Err: fmt.Errorf("marshaling message %s: %w", msg.UUID, err)}
		}
		kms[i] = km
	}
	if err := p.p.Check(kms...); err != nil {
		return err
	}
	// Not the messages' contexts: they belong to the handler that made
	// them (Watermill's router publishes with the context of a message
	// acked and so done a moment later). delivery.timeout.ms bounds this.
	if err := p.p.ProduceSync(context.Background(), kms...); err != nil {
		return err
	}
	p.logger.Trace("published", watermill.LogFields{"topic": topic, "messages": len(msgs)})
	return nil
}

// Close flushes what is in flight, within CloseTimeout, and closes the
// producer. Publish then fails with kafkaclient.ErrClosed.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
		defer cancel()
		p.closeErr = p.p.Close(ctx)
	})
	return p.closeErr
}

// Producer returns the underlying producer.
func (p *Publisher) Producer() *kafkaclient.Producer { return p.p }
