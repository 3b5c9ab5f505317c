package watermill_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Watermill's suite leaves goroutines of its own behind (its test
// multiplier sends to channels nobody reads once a test has failed or
// ended early), and Sarama, which the benchmarks compare with, its
// metrics ticker; the adapter's are all checked.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/ThreeDotsLabs/watermill/internal/subscriber.(*multiplier).Subscribe.func2"),
		goleak.IgnoreAnyFunction("github.com/ThreeDotsLabs/watermill/internal/subscriber.(*multiplier).Subscribe.func3"),
		goleak.IgnoreAnyFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}
