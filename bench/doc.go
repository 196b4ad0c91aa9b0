// Package bench holds verdict's end-to-end benchmarks: guest inference in
// the sandbox next to the same model compiled natively, in one run, the
// throughput of scoring, and a warm evaluation of a 1e5-row task through
// the engine (BenchmarkEvaluateTask: the latency a participant waits), and
// a whole submission at 1e5 and 1e6 rows next to the sandbox run alone
// (BenchmarkSubmission: the end-to-end/sandbox ratio of issue #13, warm
// and with a fresh engine per submission as each CLI command has). It has no non-test code; run it with `make bench`.
//
// Numbers from these machines are noisy (shared, two cores): compare ratios
// measured side by side in one run, never absolute times across runs.
//
// # Usage
//
//	go test -run='^$' -bench=. ./bench/
package bench
