// Package bench holds verdict's end-to-end benchmarks: guest inference in
// the sandbox next to the same model compiled natively, in one run, and the
// throughput of scoring. It has no non-test code; run it with `make bench`.
//
// Numbers from these machines are noisy (shared, two cores): compare ratios
// measured side by side in one run, never absolute times across runs.
//
// # Usage
//
//	go test -run='^$' -bench=. ./bench/
package bench
