package prom_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test left a goroutine behind: every
// client and embedded broker the tests open must be closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
