package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWorkQueue runs the queue on the embedded broker: of jobs 0 to 19,
// 3, 10 and 17 always fail and are dead-lettered after three deliveries;
// 0, 5 and 15 fail once and are done on their second.
func TestWorkQueue(t *testing.T) {
	s, err := run("", 20)
	require.NoError(t, err)
	assert.Equal(t, "done 17 jobs (3 after a retry); dead-lettered 3: job-3 job-10 job-17", s.String())
}
