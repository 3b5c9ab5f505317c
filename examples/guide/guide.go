// Package guide holds the patterns of the confluent-kafka-go usage guide
// (producer, consumer, admin, error handling, testing, transactions),
// written once against package kafkaclient so that they run unchanged on
// every backend.
//
// Each pattern is one function taking a context and an [Env]: where to
// connect, which backend to use, where to print. Its doc comment names the
// guide section it mirrors. A pattern that needs a feature the backend lacks
// (idempotence, cooperative-sticky, rebalance callbacks, transactions) takes
// the ErrUnsupported path: it prints what it could not do and carries on
// without it, or returns that error when nothing is left to show.
//
// The package's tests run every pattern on the embedded broker of package
// kafkatest, once per backend; README.md lists where each one runs.
//
// Run one pattern against a real cluster from a program:
//
//	env := guide.Env{Brokers: []string{"kafka-1:9092"}, Out: os.Stdout}
//	if err := guide.BasicProducer(ctx, env); err != nil {
//		log.Fatal(err)
//	}
package guide

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// Env is where a pattern runs.
type Env struct {
	// Brokers are the bootstrap servers, host:port.
	Brokers []string
	// Options are passed to every client the pattern opens, for example
	// kafkaclient.WithBackend to pick a backend other than the build's
	// default.
	Options []kafkaclient.Option
	// Out receives what the pattern prints; nil discards it.
	Out io.Writer
	// Topic is the pattern's main topic; empty means "orders". Patterns
	// that need more topics derive their names from it ("orders-dlq").
	Topic string
	// Group is the consumer group; empty means "order-processors".
	Group string
	// FenceMember, if set, makes the group coordinator reject the current
	// generation of the consumer group (for example by answering the next
	// heartbeat with ILLEGAL_GENERATION). RebalanceListener calls it to
	// show OnLost; in production partitions are lost when a member's
	// session expires or it is fenced.
	FenceMember func(ctx context.Context) error
}

func (e Env) topic() string {
	if e.Topic == "" {
		return "orders"
	}
	return e.Topic
}

func (e Env) group() string {
	if e.Group == "" {
		return "order-processors"
	}
	return e.Group
}

func (e Env) out() io.Writer {
	if e.Out == nil {
		return io.Discard
	}
	return e.Out
}

func (e Env) printf(format string, args ...any) {
	fmt.Fprintf(e.out(), format, args...)
}

func (e Env) servers() string { return strings.Join(e.Brokers, ",") }

// admin opens an admin client on env.
func (e Env) admin() (*kafkaclient.Admin, error) {
	return kafkaclient.NewAdminFromMap(kafkaclient.ConfigMap{"bootstrap.servers": e.servers()}, e.Options...)
}

// producer opens a producer with default settings on env.
func (e Env) producer(clientID string) (*kafkaclient.Producer, error) {
	return kafkaclient.NewProducerFromMap(kafkaclient.ConfigMap{
		"bootstrap.servers": e.servers(),
		"client.id":         clientID,
	}, e.Options...)
}

// topicProducer creates topic with the given partitions, unless it exists,
// and opens a producer with default settings; the caller closes it.
func (e Env) topicProducer(ctx context.Context, topic string, partitions int32) (*kafkaclient.Producer, error) {
	if err := e.createTopic(ctx, topic, partitions, nil); err != nil {
		return nil, err
	}
	return e.producer("order-service")
}

// newTopicProducer is topicProducer on a new topic, whose name it returns.
func (e Env) newTopicProducer(ctx context.Context, partitions int32) (string, *kafkaclient.Producer, error) {
	topic := e.topic()
	p, err := e.topicProducer(ctx, topic, partitions)
	return topic, p, err
}

// topicAdmin creates topic with the given partitions, unless it exists,
// and opens an admin client; the caller closes it.
func (e Env) topicAdmin(ctx context.Context, topic string, partitions int32) (*kafkaclient.Admin, error) {
	if err := e.createTopic(ctx, topic, partitions, nil); err != nil {
		return nil, err
	}
	return e.admin()
}

// subscribed opens a consumer of e.consumerMap() subscribed to topic,
// without a rebalance listener; the caller closes it.
func (e Env) subscribed(ctx context.Context, topic string) (*kafkaclient.Consumer, error) {
	c, err := kafkaclient.NewConsumerFromMap(e.consumerMap(), e.Options...)
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(ctx, []string{topic}, nil); err != nil {
		closeWithin(c.Close)
		return nil, err
	}
	return c, nil
}

// readFirst reads and commits the first message of topic with a consumer
// of its own.
func (e Env) readFirst(ctx context.Context, topic string) (*kafkaclient.Message, error) {
	c, err := e.subscribed(ctx, topic)
	if err != nil {
		return nil, err
	}
	defer closeWithin(c.Close)
	m, err := c.Poll(ctx)
	if err != nil {
		return nil, err
	}
	return m, c.CommitMessages(ctx, m)
}

// createTopic creates topic with the given partitions (replication factor
// 1) and configs, unless it exists.
func (e Env) createTopic(ctx context.Context, topic string, partitions int32, configs map[string]string) error {
	a, err := e.admin()
	if err != nil {
		return err
	}
	defer closeWithin(a.Close)
	res, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1, Configs: configs})
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil && !errors.Is(r.Err, kafkaclient.ErrTopicAlreadyExists) {
			return r.Err
		}
	}
	return waitForTopic(ctx, a, topic, partitions)
}

// waitForTopic waits until every partition of topic has a leader.
func waitForTopic(ctx context.Context, a *kafkaclient.Admin, topic string, partitions int32) error {
	for {
		ds, err := a.DescribeTopics(ctx, topic)
		if err == nil && len(ds) == 1 && ds[0].Err == nil && len(ds[0].Partitions) == int(partitions) &&
			!slices.ContainsFunc(ds[0].Partitions, func(p kafkaclient.PartitionInfo) bool { return p.Leader < 0 }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s has no leaders: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// seed writes values to topic (keys key-0, key-1, ...) and waits for
// their delivery.
func (e Env) seed(ctx context.Context, topic string, values ...string) error {
	p, err := e.producer("seed")
	if err != nil {
		return err
	}
	defer closeWithin(p.Close)
	msgs := make([]*kafkaclient.Message, len(values))
	for i, v := range values {
		msgs[i] = kafkaclient.NewMessage(topic, []byte(fmt.Sprintf("key-%d", i)), []byte(v))
	}
	return p.ProduceSync(ctx, msgs...)
}

// seedOrders creates env's topic with the given partitions, unless it
// exists, and writes n orders to it (order-0, order-1, ... under keys
// key-0, key-1, ...): the input of the consumer patterns. It returns the
// topic.
func (e Env) seedOrders(ctx context.Context, partitions int32, n int) (string, error) {
	topic := e.topic()
	if err := e.createTopic(ctx, topic, partitions, nil); err != nil {
		return "", err
	}
	return topic, e.seed(ctx, topic, seq("order", n)...)
}

// closeTimeout bounds every Close of the patterns.
const closeTimeout = 10 * time.Second

// closeWithin closes a client, giving it closeTimeout; for deferred calls,
// whose error has nowhere to go.
func closeWithin(close func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	close(ctx) //nolint:errcheck // deferred clean-up; the pattern reports its own errors
}

// values returns the messages' values.
func values(msgs []*kafkaclient.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	return out
}

// seq returns prefix-0 ... prefix-(n-1).
func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// formatTPs formats partitions as orders[0] orders[1], or with offsets as
// orders[0]@5.
func formatTPs(tps []kafkaclient.TopicPartition, withOffsets bool) string {
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = fmt.Sprintf("%s[%d]", tp.Topic, tp.Partition)
		if withOffsets {
			parts[i] += fmt.Sprintf("@%d", tp.Offset)
		}
	}
	return strings.Join(parts, " ")
}

// unsupported reports whether err is ErrUnsupported, and prints what the
// pattern does instead.
func (e Env) unsupported(err error, what, instead string) bool {
	if !errors.Is(err, kafkaclient.ErrUnsupported) {
		return false
	}
	var ke *kafkaclient.Error
	backend := "this"
	if errors.As(err, &ke) && ke.Backend != "" {
		backend = "the " + ke.Backend
	}
	e.printf("%s: unsupported by %s backend (%s); %s\n", what, backend, kafkaclient.CodeName(kafkaclient.CodeOf(err)), instead)
	return true
}
