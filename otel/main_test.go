package kotel_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient/benchmarks"
)

// TestMain fails the package if a test left a goroutine behind: every
// client and embedded broker the tests open must be fully closed. Started
// by BenchmarkProduce as its broker process, it serves the broker instead.
func TestMain(m *testing.M) {
	if os.Getenv(benchmarks.BrokerChildEnv) != "" {
		if err := benchmarks.ServeBroker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
