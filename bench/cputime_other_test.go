//go:build !unix

package bench

import "time"

// processCPU is not measured here: BenchmarkSealRatio's CPU ratios read
// NaN.
func processCPU() time.Duration { return 0 }
