package kotel_test

import (
	"context"
	"fmt"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
	kotel "github.com/kafkaclient/kafkaclient/otel"
)

func ExampleNew() {
	cluster, err := kafkatest.Start(kafkatest.Embedded())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, _ := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: cluster.ClientConfig()})
	admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: "orders", Partitions: 1, ReplicationFactor: 1})
	admin.Close(ctx)

	// A program would set up the SDK with an exporter, and leave the
	// providers to their defaults (the global ones); this one records.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(ctx)
	obs := kotel.New(kotel.WithTracerProvider(tp), kotel.WithConsumerGroup("billing"))

	// The producer: the send span is a child of the span in ctx, and its
	// context travels in the message's headers.
	p, _ := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: cluster.ClientConfig()}, kafkaclient.WithObserver(obs))
	reqCtx, checkout := tp.Tracer("shop").Start(ctx, "checkout")
	if err := p.ProduceSync(reqCtx, kafkaclient.NewMessage("orders", []byte("order-1"), []byte("paid"))); err != nil {
		fmt.Println(err)
		return
	}
	checkout.End()
	p.Close(ctx)

	// The consumer: each poll has its span, and StartProcess continues the
	// producer's trace for the processing of each message.
	c, _ := kafkaclient.NewConsumer(kafkaclient.ConsumerConfig{
		ClientConfig: cluster.ClientConfig(), GroupID: "billing", AutoOffsetReset: kafkaclient.OffsetResetEarliest,
	}, kafkaclient.WithObserver(obs))
	defer c.Close(ctx)
	c.Subscribe(ctx, []string{"orders"}, nil)
	m, err := c.Poll(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	mctx, span := obs.StartProcess(ctx, m)
	_ = mctx // the processing of m, with its own spans, goes here
	span.End()

	for _, s := range spans.Ended() {
		fmt.Println(s.Name())
	}
	fmt.Println("process continues the checkout trace:", span.SpanContext().TraceID() == checkout.SpanContext().TraceID())
	// Output:
	// send orders
	// checkout
	// poll orders
	// process orders
	// process continues the checkout trace: true
}
