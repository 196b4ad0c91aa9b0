// Package gate decides whether a scored submission meets a task's quality
// bar: the checks a model must pass before verdict certifies it.
//
// It sits after scoring in the pipeline:
//
//	sandbox -> predictions -> metric (score, interval, paired comparison)
//	-> gate (pass / fail, each with its measured value and threshold)
//	-> credential (issued only when every gate passes)
//
// gate is pure: it takes measurements the engine already made (scores, the
// p-value of the paired bootstrap against the baseline, latency and memory
// from the sandbox, the determinism re-run, the outputs) and never runs a
// guest, reads a file or looks at a clock. It never imports engine or any
// other leaf.
//
// # Gates
//
//	min_score                  the score beats a threshold (>= when higher is better, <= otherwise)
//	beats_baseline             significantly better than the host's baseline:
//	                           one-sided paired bootstrap p below alpha (default 0.05)
//	max_latency_ms_per_1k_rows sandboxed inference time per 1000 rows
//	max_memory_mb              guest linear memory at the end of the evaluation
//	deterministic              bit-identical outputs on shuffled rows and another batch size
//	valid_outputs              no NaN/Inf; probabilities in [0, 1]; multiclass rows sum to 1 ± 1e-6
//	max_module_mb              size of the submitted module
//
// # Usage
//
//	spec := gate.Spec{MinScore: gate.Float(0.9), ValidOutputs: true}
//	results := gate.Evaluate(spec, gate.Measurements{Score: 0.95, HigherIsBetter: true, Outputs: outs})
//	if gate.Passed(results) { ... }
//	for _, r := range results {
//		fmt.Println(gate.Title(r.Name), gate.Describe(r, true)) // "minimum score score 0.95, needs ≥ 0.9"
//	}
//
// Describe is the one wording of a result for people, used by the CLI and
// the web pages: the statistic with its unit against its bound (a p-value
// for beats_baseline), never a bare number.
package gate
