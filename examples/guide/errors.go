package guide

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// ClassifyError is the guide's classifyError ("Error Handling / Error
// Classification"): "authorization", "invalid_message", "network",
// "retriable", "fatal", "other", or "unknown" for an error that is not a
// *kafkaclient.Error.
//
// The code families are checked before the retriable and fatal flags, not
// after as in the guide: in kafkaclient's code table every network code
// (ALL_BROKERS_DOWN, TRANSPORT, NETWORK_EXCEPTION, BROKER_NOT_AVAILABLE)
// is retriable and CLUSTER_AUTHORIZATION_FAILED is fatal, so the guide's
// order would never answer "network" and would call that authorization
// failure "fatal".
func ClassifyError(err error) string {
	var kafkaErr *kafkaclient.Error
	if !errors.As(err, &kafkaErr) {
		return "unknown"
	}
	switch kafkaErr.Code {
	case kafkaclient.CodeTopicAuthorizationFailed,
		kafkaclient.CodeGroupAuthorizationFailed,
		kafkaclient.CodeClusterAuthorizationFailed:
		return "authorization"

	case kafkaclient.CodeCorruptMessage,
		kafkaclient.CodeInvalidRecord,
		kafkaclient.CodeMessageTooLarge,
		kafkaclient.CodeRecordListTooLarge:
		return "invalid_message"

	case kafkaclient.CodeNetworkException,
		kafkaclient.CodeAllBrokersDown,
		kafkaclient.CodeTransport,
		kafkaclient.CodeBrokerNotAvailable:
		return "network"
	}
	if kafkaErr.Retriable() {
		return "retriable"
	}
	if kafkaErr.Fatal() {
		return "fatal"
	}
	return "other"
}

// constructed returns an *kafkaclient.Error as a client would return it,
// for the codes an example cannot provoke on a test broker.
func constructed(op, topic string, code kafkaclient.Code) *kafkaclient.Error {
	return &kafkaclient.Error{Op: op, Topic: topic, Partition: -1, Code: code}
}

// ErrorClassification mirrors "Error Handling / Error Classification": it
// classifies two errors the cluster really returns (a message larger than
// message.max.bytes, refused before sending, and a send to a topic that does
// not exist), one error per code family built as a client would return it,
// and an error that is not a *kafkaclient.Error.
func ErrorClassification(ctx context.Context, env Env) error {
	topic, p, err := env.newTopicProducer(ctx, 1)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)

	tooLarge := p.Produce(ctx, kafkaclient.NewMessage(topic, nil, make([]byte, 2<<20)), nil)
	sendCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	missing := p.ProduceSync(sendCtx, kafkaclient.NewMessage(topic+"-missing", []byte("k"), []byte("v")))

	cases := []struct {
		what string
		err  error
	}{
		{"produce 2 MiB (real)", tooLarge},
		{"produce to a missing topic (real)", missing},
		{"topic authorization", constructed("produce", topic, kafkaclient.CodeTopicAuthorizationFailed)},
		{"group authorization", constructed("commit", "", kafkaclient.CodeGroupAuthorizationFailed)},
		{"cluster authorization", constructed("init transactions", "", kafkaclient.CodeClusterAuthorizationFailed)},
		{"corrupt message", constructed("produce", topic, kafkaclient.CodeCorruptMessage)},
		{"invalid record", constructed("produce", topic, kafkaclient.CodeInvalidRecord)},
		{"record list too large", constructed("produce", topic, kafkaclient.CodeRecordListTooLarge)},
		{"network exception", constructed("produce", topic, kafkaclient.CodeNetworkException)},
		{"all brokers down", constructed("client", "", kafkaclient.CodeAllBrokersDown)},
		{"broker not available", constructed("produce", topic, kafkaclient.CodeBrokerNotAvailable)},
		{"not enough replicas", constructed("produce", topic, kafkaclient.CodeNotEnoughReplicas)},
		{"request timed out", constructed("produce", topic, kafkaclient.CodeRequestTimedOut)},
		{"producer fenced", constructed("commit transaction", "", kafkaclient.CodeProducerFenced)},
		{"invalid config", constructed("create topics", topic, kafkaclient.CodeInvalidConfig)},
		{"not a kafkaclient error", errors.New("disk full")},
	}
	for _, c := range cases {
		env.printf("%-36s %-28s %s\n", c.what, codeLabel(c.err), ClassifyError(c.err))
	}
	return nil
}

func codeLabel(err error) string {
	var ke *kafkaclient.Error
	if !errors.As(err, &ke) {
		return "-"
	}
	return kafkaclient.CodeName(ke.Code)
}

// HandleProducerEvent is the guide's handleProducerEvent ("Error Handling /
// Producer Error Handling"). A failed delivery is classified by code: a
// message too large goes to the dead-letter queue through dlq,
// authorization failures need an operator, and retriable errors are left to
// the producer, which retries them until delivery.timeout.ms. It returns
// what it did, for the caller to log.
func HandleProducerEvent(ev kafkaclient.Event, dlq func(*kafkaclient.Message, error) error) string {
	switch ev := ev.(type) {
	case *kafkaclient.DeliveryReport:
		if ev.Err == nil {
			return fmt.Sprintf("delivered to %s[%d]@%d", ev.Message.Topic, ev.Message.Partition, ev.Message.Offset)
		}
		err := ev.Err
		switch {
		case errors.Is(err, kafkaclient.ErrMessageTooLarge):
			if dlqErr := dlq(ev.Message, err); dlqErr != nil {
				return "message too large; sending to the DLQ failed: " + kafkaclient.CodeName(kafkaclient.CodeOf(dlqErr))
			}
			return "message too large, sent to the DLQ"
		case errors.Is(err, kafkaclient.ErrTopicAuthorizationFailed):
			return fmt.Sprintf("authorization failed for topic %s: needs an operator", ev.Message.Topic)
		case errors.Is(err, kafkaclient.ErrBrokerNotAvailable):
			return "broker not available: " + kafkaclient.CodeName(kafkaclient.CodeOf(err))
		case kafkaclient.IsRetriable(err):
			// Retriable codes reach the report only once the producer's
			// own retries ran out (delivery.timeout.ms): send it again, or
			// park it.
			return "retriable error, retries exhausted: " + kafkaclient.CodeName(kafkaclient.CodeOf(err))
		default:
			return "production error: " + kafkaclient.CodeName(kafkaclient.CodeOf(err))
		}
	case *kafkaclient.Error:
		if ev.Code == kafkaclient.CodeAllBrokersDown {
			return "all brokers down - critical error"
		}
		return "producer error: " + kafkaclient.CodeName(ev.Code)
	}
	return fmt.Sprintf("unexpected event %T", ev)
}

// ProducerErrorHandling mirrors "Error Handling / Producer Error Handling".
// For real: a topic whose max.message.bytes is 10000 refuses a 50 kB order,
// the delivery report fails with MESSAGE_TOO_LARGE, and HandleProducerEvent
// sends the order to the dead-letter topic (topic + "-dlq") with the error
// in its headers; a small order is delivered. The codes a test broker does
// not produce (authorization failed, broker not available, all brokers
// down, a retriable error) go through HandleProducerEvent as reports built
// as the producer would deliver them.
func ProducerErrorHandling(ctx context.Context, env Env) error {
	topic, dlqTopic := env.topic(), env.topic()+"-dlq"
	if err := env.createTopic(ctx, topic, 1, map[string]string{"max.message.bytes": "10000"}); err != nil {
		return err
	}
	p, err := env.topicProducer(ctx, dlqTopic, 1)
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)

	dlq := func(m *kafkaclient.Message, cause error) error {
		d := kafkaclient.NewMessage(dlqTopic, m.Key, m.Value)
		d.Headers = append(m.Headers,
			kafkaclient.Header{Key: "dlq-error-code", Value: []byte(kafkaclient.CodeName(kafkaclient.CodeOf(cause)))},
			kafkaclient.Header{Key: "dlq-original-topic", Value: []byte(m.Topic)},
		)
		return p.ProduceSync(ctx, d)
	}

	for _, m := range []*kafkaclient.Message{
		kafkaclient.NewMessage(topic, []byte("order-big"), []byte(strings.Repeat("x", 50_000))),
		kafkaclient.NewMessage(topic, []byte("order-small"), []byte(`{"id": 1}`)),
	} {
		// The delivery report's message is m itself, with Partition and
		// Offset filled in.
		reports := make(chan kafkaclient.DeliveryReport, 1)
		if err := p.Produce(ctx, m, kafkaclient.ToChannel(reports)); err != nil {
			return err
		}
		r := <-reports
		env.printf("%s: %s\n", m.Key, HandleProducerEvent(&r, dlq))
	}

	for _, code := range []kafkaclient.Code{
		kafkaclient.CodeTopicAuthorizationFailed,
		kafkaclient.CodeBrokerNotAvailable,
		kafkaclient.CodeNotEnoughReplicas,
		kafkaclient.CodeInvalidRecord,
	} {
		m := kafkaclient.NewMessage(topic, []byte("order-x"), []byte(`{}`))
		r := &kafkaclient.DeliveryReport{Message: m, Err: constructed("produce", topic, code)}
		env.printf("%s (constructed): %s\n", kafkaclient.CodeName(code), HandleProducerEvent(r, dlq))
	}
	env.printf("ALL_BROKERS_DOWN event (constructed): %s\n", HandleProducerEvent(constructed("client", "", kafkaclient.CodeAllBrokersDown), dlq))

	// What reached the dead-letter topic.
	m, err := env.readFirst(ctx, dlqTopic)
	if err != nil {
		return err
	}
	env.printf("DLQ %s[%d]@%d: key=%s, %d bytes", m.Topic, m.Partition, m.Offset, m.Key, len(m.Value))
	for _, h := range m.Headers {
		env.printf(", %s=%s", h.Key, h.Value)
	}
	env.printf("\n")
	return nil
}

// ConsumerAction is what the consumer loop does after an error.
type ConsumerAction int

// Consumer actions.
const (
	// Continue polling.
	Continue ConsumerAction = iota
	// Stop the loop and return the error.
	Stop
)

// HandleConsumerError is the switch of the guide's consumer loop ("Error
// Handling / Consumer Error Handling"): timeouts and partition EOF are not
// errors, an unknown topic is logged (it may be created later), an
// authorization failure stops the loop, and otherwise retriable errors
// continue and the rest stop. It returns the action and what to log.
func HandleConsumerError(err error) (ConsumerAction, string) {
	var kafkaErr *kafkaclient.Error
	if !errors.As(err, &kafkaErr) {
		return Continue, "non-Kafka error: " + err.Error()
	}
	switch kafkaErr.Code {
	case kafkaclient.CodeTimedOut:
		// Not an error, just no messages.
		return Continue, "no message yet"
	case kafkaclient.CodePartitionEOF:
		// End of partition, not an error.
		return Continue, "end of partition"
	case kafkaclient.CodeUnknownTopicOrPartition:
		return Continue, "topic does not exist"
	case kafkaclient.CodeTopicAuthorizationFailed:
		return Stop, "authorization failed"
	}
	if kafkaErr.Retriable() {
		return Continue, "retriable error: " + kafkaclient.CodeName(kafkaErr.Code)
	}
	return Stop, "fatal consumer error: " + kafkaclient.CodeName(kafkaErr.Code)
}

// ConsumerErrorHandling mirrors "Error Handling / Consumer Error Handling":
// the guide's loop reads an empty topic (a real ReadMessage timeout, which
// HandleConsumerError skips), then one order whose processing fails and
// goes to the dead-letter topic before its offset is committed, and one
// that is processed. The codes a test broker does not produce for a
// consumer (partition EOF, unknown topic, authorization failed, a
// retriable and a fatal error) go through HandleConsumerError as
// constructed errors.
func ConsumerErrorHandling(ctx context.Context, env Env) error {
	topic, dlqTopic := env.topic(), env.topic()+"-dlq"
	for _, t := range []string{topic, dlqTopic} {
		if err := env.createTopic(ctx, t, 1, nil); err != nil {
			return err
		}
	}
	c, err := env.subscribed(ctx, topic)
	if err != nil {
		return err
	}
	defer closeWithin(c.Close)
	_, err = c.ReadMessage(100 * time.Millisecond)
	action, what := HandleConsumerError(err)
	env.printf("ReadMessage on an empty topic (real): %s, continue=%t\n", what, action == Continue)

	if err := env.seed(ctx, topic, `{"id": "bad"}`, `{"id": 2}`); err != nil {
		return err
	}
	p, err := env.producer("order-processor")
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)
	processMessage := func(m *kafkaclient.Message) error {
		if strings.Contains(string(m.Value), "bad") {
			return errors.New("order id is not a number")
		}
		return nil
	}
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for processed := 0; processed < 2; {
		msg, err := c.ReadMessage(100 * time.Millisecond)
		if err != nil {
			if action, what := HandleConsumerError(err); action == Stop {
				env.printf("%s\n", what)
				return err
			}
			if deadline.Err() != nil {
				return deadline.Err()
			}
			continue
		}
		processed++
		// Process message.
		if err := processMessage(msg); err != nil {
			env.printf("processing error at offset %d: %v; sent to %s\n", msg.Offset, err, dlqTopic)
			d := kafkaclient.NewMessage(dlqTopic, msg.Key, msg.Value)
			d.Headers = []kafkaclient.Header{{Key: "dlq-reason", Value: []byte(err.Error())}}
			if err := p.ProduceSync(ctx, d); err != nil {
				return err
			}
		} else {
			env.printf("processed offset %d\n", msg.Offset)
		}
		if err := c.CommitMessages(ctx, msg); err != nil {
			env.printf("commit error: %v\n", err)
		}
	}

	for _, code := range []kafkaclient.Code{
		kafkaclient.CodePartitionEOF,
		kafkaclient.CodeUnknownTopicOrPartition,
		kafkaclient.CodeTopicAuthorizationFailed,
		kafkaclient.CodeCoordinatorNotAvailable,
		kafkaclient.CodeGroupAuthorizationFailed,
	} {
		action, what := HandleConsumerError(constructed("poll", topic, code))
		env.printf("%s (constructed): %s, continue=%t\n", kafkaclient.CodeName(code), what, action == Continue)
	}
	if err := c.Close(ctx); err != nil {
		return err
	}
	return env.printCommitted(ctx)
}
