//go:build race

package metric

// The race detector slows the resampling loops some forty times; tests
// whose cost is resampling run a smaller, still asserting, count.
const raceEnabled = true
