package guide_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
)

// TestMain fails the package if a pattern or test left a goroutine behind:
// every client and embedded broker they open must be fully closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backends are the backends the tests run every pattern on, registered by
// backends_test.go and backends_cgo_test.go.
var backends []kafkaclient.Backend

func register(b kafkaclient.Backend) { backends = append(backends, b) }

// envBackends names the environment variable that restricts the tests to
// some backends: GUIDE_BACKENDS=franz,segmentio.
const envBackends = "GUIDE_BACKENDS"

// selectedBackends returns the registered backends, restricted by
// GUIDE_BACKENDS when it is set.
func selectedBackends(t *testing.T) []kafkaclient.Backend {
	t.Helper()
	filter := strings.TrimSpace(os.Getenv(envBackends))
	if filter == "" {
		return backends
	}
	names := strings.Split(filter, ",")
	var out []kafkaclient.Backend
	for _, b := range backends {
		if slices.Contains(names, b.Name()) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Skipf("%s=%s selects none of the registered backends", envBackends, filter)
	}
	return out
}
