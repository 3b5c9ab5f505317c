package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWorkQueue runs the queue on the embedded broker: of jobs 0 to 19,
// 3, 10 and 17 always fail and are dead-lettered after three deliveries;
// 0, 5 and 15 fail once and are done on their second. A program built
// with a backend tag whose client has no share groups gets ErrUnsupported.
func TestWorkQueue(t *testing.T) {
	s, err := run("", 20)
	if name := kafkaclient.DefaultBackend().Name(); name != "franz" {
		require.ErrorIs(t, err, kafkaclient.ErrUnsupported, "share groups on the %s backend", name)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, "done 17 jobs (3 after a retry); dead-lettered 3: job-3 job-10 job-17", s.String())
}
