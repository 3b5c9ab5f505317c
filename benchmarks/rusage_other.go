//go:build !unix

package benchmarks

import "time"

// processCPU is not measured on this platform.
func processCPU() time.Duration { return 0 }

// maxRSS is not measured on this platform.
func maxRSS() int64 { return 0 }
