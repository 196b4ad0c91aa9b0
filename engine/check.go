package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

// Sizes of the rows Check runs a model on.
const (
	// CheckSyntheticRows is how many rows Check makes up without a
	// sample: one of zeros, one of ones, the rest pseudo-random.
	CheckSyntheticRows = 64
	// CheckSampleRows is the most rows of a participant's sample Check
	// reads (the file's first ones).
	CheckSampleRows = 256
)

// CheckStatus is the outcome of one check.
type CheckStatus string

// Check outcomes. A warning is something that would not fail a
// submission but may cost the participant (a run close to the time limit,
// a gate the model would not pass).
const (
	CheckPass CheckStatus = "pass"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	CheckSkip CheckStatus = "skip" // not run: an earlier check failed
)

// Names of the checks, in the order Check reports them.
const (
	CheckABI         = "abi"
	CheckSample      = "sample"
	CheckRun         = "run"
	CheckOutputs     = "outputs"
	CheckDeterminism = "determinism"
	CheckTime        = "time"
	CheckMemory      = "memory"
)

// CheckConfig is what Check looks at: a module and the public face of the
// task it is meant for. It holds nothing private, so a host running Check
// on its own data dir sees what a participant would.
type CheckConfig struct {
	// Task is the task's public face (Task.Info, or a server's task view).
	Task TaskInfo
	// Module is the WebAssembly module, as it would be submitted.
	Module []byte
	// SamplePath, if not empty, is a CSV of the participant's own rows,
	// such as their training data: Check runs on its first
	// CheckSampleRows rows, taking the task's features by name and
	// ignoring other columns (datasets.ReadSample). Empty means synthetic
	// rows. A sample missing feature columns fails the sample check and
	// Check goes on with synthetic rows; one that cannot be read is an
	// error wrapping ErrBadRequest.
	SamplePath string
	// CacheDir is the compilation cache (sandbox.Config.CacheDir); empty
	// compiles in memory or in a temporary directory.
	CacheDir string
	// Now is the clock the time estimate reads; default time.Now.
	Now func() time.Time
}

// CheckResult is one check's outcome, with a message saying what was seen
// and, for a warning or failure, how to fix it.
type CheckResult struct {
	Name    string      `json:"name"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	// Kind is the sandbox's error kind (sandbox.KindOf) of a failure
	// caused by the model, as a submission would record it.
	Kind string `json:"kind,omitempty"`
}

// CheckReport is what Check found, one result per check in a fixed order.
type CheckReport struct {
	Task         string `json:"task"`
	ModuleSHA256 string `json:"module_sha256"`
	ModuleBytes  int    `json:"module_bytes"`
	// Sample is the sample's name, or "synthetic"; SampleRows how many
	// rows the model ran on.
	Sample     string        `json:"sample"`
	SampleRows int           `json:"sample_rows"`
	Checks     []CheckResult `json:"checks"`
	// Time and Memory are the measurements behind those checks, nil when
	// the model did not run.
	Time   *TimeEstimate `json:"time,omitempty"`
	Memory *MemoryUse    `json:"memory,omitempty"`
}

// TimeEstimate is how long an evaluation of the task would take, from
// runs on the sample rows (repeated to up to 8192 rows) on this machine, in one sandbox instance (the
// host may run large tasks on several in parallel, and its machine may be
// faster or slower).
type TimeEstimate struct {
	// CompileMS is the time to compile the module; OverheadMS the time of
	// a run on one row (instantiation and _initialize included).
	CompileMS  float64 `json:"compile_ms"`
	OverheadMS float64 `json:"overhead_ms"`
	// MSPer1kRows is the time per 1000 more rows.
	MSPer1kRows float64 `json:"ms_per_1k_rows"`
	// Rows is the task's row count and Runs how many times an evaluation
	// runs the model on them (2 with the deterministic gate).
	Rows int `json:"rows"`
	Runs int `json:"runs"`
	// EstimateS is CompileMS + Runs × (OverheadMS + MSPer1kRows × Rows/1000),
	// in seconds; LimitS the task's limits.timeout_s, which bounds it.
	EstimateS float64 `json:"estimate_s"`
	LimitS    float64 `json:"limit_s"`
}

// MemoryUse is the guest's linear memory against the task's limit.
type MemoryUse struct {
	// SampleBytes is the linear memory after the run on the sample rows,
	// MaxBytes the most after it or a run in one batch of BatchRows rows
	// (sandbox.DefaultBatchRows, or the task's rows when fewer: an
	// evaluation's batches are no larger).
	SampleBytes uint64 `json:"sample_bytes"`
	MaxBytes    uint64 `json:"max_bytes"`
	BatchRows   int    `json:"batch_rows"`
	LimitBytes  uint64 `json:"limit_bytes"`
}

// Failed reports whether some check failed: a submission of the module
// would fail, or be refused.
func (r *CheckReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

// Check runs a participant's module the way an evaluation of the task
// would, without submitting it: the sandbox's load checks (imports,
// exports, signatures, a command instead of a reactor), a run on the
// sample rows (the participant's own, or synthetic rows of the task's
// shape), the task's metric's check of the outputs, determinism (the
// rows again, shuffled in other batches), an estimate of the evaluation's
// time against the task's time limit, and the guest's memory against its
// memory limit. Check never reads a task's held-out rows or labels: its
// report depends on the public task, the module and the sample only.
//
// A problem of the module is a failed check in the report, not an error;
// Check returns an error only when it cannot check (an unusable task
// view, the sandbox failing to start, ctx cancelled).
func Check(ctx context.Context, c CheckConfig) (*CheckReport, error) {
	t := c.Task
	m, err := metric.Lookup(t.Metric)
	if err != nil {
		return nil, fmt.Errorf("check task %q: %w", t.ID, err)
	}
	if len(t.Features) == 0 || t.Outputs < 1 {
		return nil, fmt.Errorf("check task %q: %d features and %d outputs, want at least 1 of each", t.ID, len(t.Features), t.Outputs)
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	var sample *datasets.Sample
	if c.SamplePath != "" {
		if sample, err = datasets.LoadSample(c.SamplePath, t.Features, CheckSampleRows); err != nil {
			return nil, fmt.Errorf("check: %w: %w", err, ErrBadRequest)
		}
	}
	lim := Spec{Limits: t.Limits}.sandboxLimits()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: c.CacheDir, Limits: lim, Isolation: sandbox.Preferred(),
		TrustedCode: []string{onnx.RuntimeSHA256()}})
	if err != nil {
		return nil, fmt.Errorf("check: start sandbox: %w", err)
	}
	defer rt.Close(ctx)
	lim = rt.Limits()

	sum := sha256.Sum256(c.Module)
	ck := &checker{ctx: ctx, task: t, metric: m, lim: lim, now: now,
		rep: &CheckReport{Task: t.ID, ModuleSHA256: hex.EncodeToString(sum[:]), ModuleBytes: len(c.Module)}}
	ck.run(rt, c.Module, sample, filepath.Base(c.SamplePath))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check task %q: %w", t.ID, err)
	}
	if ck.hostErr != nil {
		return nil, fmt.Errorf("check task %q: %w", t.ID, ck.hostErr)
	}
	return ck.rep, nil
}

// checker holds one Check's state.
type checker struct {
	ctx    context.Context
	task   TaskInfo
	metric metric.Metric
	lim    sandbox.Limits
	now    func() time.Time
	rep    *CheckReport
	// hostErr is the first failure that was verdict's, not the model's
	// (a sandbox process crashed): Check returns it instead of a report.
	hostErr error
}

func (ck *checker) add(name string, st CheckStatus, kind, format string, args ...any) {
	ck.rep.Checks = append(ck.rep.Checks, CheckResult{Name: name, Status: st, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// fail records a failure of the model: the sandbox's message, which says
// what to fix, and its kind.
func (ck *checker) fail(name string, err error, note string) {
	switch sandbox.KindOf(err) {
	case sandbox.KindCrash, sandbox.KindInternal, sandbox.KindInvalidInput, sandbox.KindCanceled:
		if ck.hostErr == nil {
			ck.hostErr = err
		}
	}
	msg := strings.TrimPrefix(err.Error(), "sandbox: ")
	if note != "" {
		msg += " " + note
	}
	ck.add(name, CheckFail, sandbox.KindOf(err), "%s", msg)
}

// skip records the checks of names as not run, because of what.
func (ck *checker) skip(what string, names ...string) {
	for _, n := range names {
		ck.add(n, CheckSkip, "", "not checked: %s", what)
	}
}

func (ck *checker) run(rt *sandbox.Runtime, module []byte, sample *datasets.Sample, sampleName string) {
	t := ck.task
	t0 := ck.now()
	mod, err := rt.Compile(ck.ctx, module)
	compile := ck.now().Sub(t0)
	if err != nil {
		ck.fail(CheckABI, err, "")
		ck.sampleRows(sample, sampleName)
		ck.rep.SampleRows = 0
		ck.skip("the module does not load", CheckRun, CheckOutputs, CheckDeterminism, CheckTime, CheckMemory)
		return
	}
	defer mod.Close(ck.ctx)
	ck.add(CheckABI, CheckPass, "", "loads: only WASI imports; memory, verdict_alloc and verdict_predict exported with "+
		"ABI v1 signatures; %s, limit %s", formatSize(uint64(mod.Size)), formatSize(uint64(ck.lim.MaxModuleBytes)))

	cols, synthetic := ck.sampleRows(sample, sampleName)
	rows := len(cols[0])
	ck.rep.SampleRows = rows
	note := ""
	if synthetic {
		note = "(on synthetic rows: row 0 is all zeros, row 1 all ones; give --sample with your own rows if " +
			"your model needs realistic values)"
	}
	in := sandbox.Input{Columns: cols, Outputs: t.Outputs}
	res, err := mod.Run(ck.ctx, in)
	if err != nil && sandbox.KindOf(err) == sandbox.KindBadOutput {
		// The guest returned from every call: its outputs are what fails.
		ck.add(CheckRun, CheckPass, "", "verdict_predict returned on the %d rows", rows)
		ck.fail(CheckOutputs, err, note)
		ck.skip("the outputs are invalid", CheckDeterminism, CheckTime, CheckMemory)
		return
	}
	if err != nil {
		ck.fail(CheckRun, err, note)
		ck.skip("the model did not run", CheckOutputs, CheckDeterminism, CheckTime, CheckMemory)
		return
	}
	ck.add(CheckRun, CheckPass, "", "predicted %d rows, %s each", rows, plural(t.Outputs, "output"))
	ck.outputs(res.Outputs, note)
	ck.determinism(mod, in, res)
	ck.time(mod, cols, compile)
	ck.memory(mod, cols, res)
}

// sampleRows returns the rows to run on and whether they are synthetic,
// recording the sample check.
func (ck *checker) sampleRows(s *datasets.Sample, name string) ([][]float64, bool) {
	t := ck.task
	synth := func() [][]float64 { return SyntheticRows(len(t.Features), CheckSyntheticRows) }
	switch {
	case s == nil:
		ck.rep.Sample = "synthetic"
		ck.add(CheckSample, CheckPass, "", "%d synthetic rows of the task's %d features (no sample given)",
			CheckSyntheticRows, len(t.Features))
		return synth(), true
	case len(s.Missing) > 0:
		ck.rep.Sample = "synthetic"
		ck.add(CheckSample, CheckFail, "", "%s lacks %d of the task's %d feature columns: %s; "+
			"name its columns as the task does (verdict task show %s); checked on synthetic rows instead",
			name, len(s.Missing), len(t.Features), listQuoted(s.Missing, 8), t.ID)
		return synth(), true
	case len(s.Columns) != len(t.Features) || s.Rows < 1:
		ck.rep.Sample = "synthetic"
		ck.add(CheckSample, CheckFail, "", "%s gave %d columns of %d rows, want %d columns of at least 1 row; checked on synthetic rows instead",
			name, len(s.Columns), s.Rows, len(t.Features))
		return synth(), true
	}
	ck.rep.Sample = name
	msg := fmt.Sprintf("%d rows of %s, the task's %d features by name", s.Rows, name, len(t.Features))
	if len(s.Ignored) > 0 {
		msg += "; ignored " + listQuoted(s.Ignored, 6)
	}
	ck.add(CheckSample, CheckPass, "", "%s", msg)
	return s.Columns, false
}

// SyntheticRows returns rows rows of n features in the ABI's column
// layout: row 0 all zeros, row 1 all ones, the others drawn from a
// standard normal with a fixed seed, so that every Check makes the same.
func SyntheticRows(n, rows int) [][]float64 {
	r := rand.New(rand.NewPCG(0x7665726469637421, 0x636865636b))
	cols := make([][]float64, n)
	for j := range cols {
		cols[j] = make([]float64, rows)
	}
	for i := range rows {
		for j := range cols {
			switch i {
			case 0:
			case 1:
				cols[j][i] = 1
			default:
				cols[j][i] = r.NormFloat64()
			}
		}
	}
	return cols
}

// outputs checks the outputs as the task's metric will, before any label.
func (ck *checker) outputs(outs [][]float64, note string) {
	t := ck.task
	if err := ck.metric.CheckPredictions(metric.TaskType(t.Type), outs); err != nil {
		why := err.Error()
		var ie *metric.InputError
		if errors.As(err, &ie) {
			// Rows and outputs counted from 0, as the sandbox counts them.
			why = ie.Problem
			switch {
			case ie.Row > 0 && ie.Column > 0:
				why = fmt.Sprintf("row %d, output %d: %s", ie.Row-1, ie.Column-1, ie.Problem)
			case ie.Row > 0:
				why = fmt.Sprintf("row %d: %s", ie.Row-1, ie.Problem)
			}
		}
		msg := fmt.Sprintf("bad output for %s: %s; want %s", t.Metric, why, outputsWanted(t))
		if note != "" {
			msg += " " + note
		}
		ck.add(CheckOutputs, CheckFail, sandbox.KindBadOutput, "%s", msg)
		return
	}
	ck.add(CheckOutputs, CheckPass, "", "valid for %s: %s", t.Metric, outputsWanted(t))
}

// outputsWanted says what a task's outputs are.
func outputsWanted(t TaskInfo) string {
	switch metric.TaskType(t.Type) {
	case metric.Binary:
		return "1 output per row, the probability of class 1"
	case metric.Multiclass:
		return fmt.Sprintf("%d outputs per row, one probability per class in ascending label order, summing to 1", t.Outputs)
	case metric.Ranking:
		return "1 output per row, a score (higher ranks first)"
	}
	return "1 output per row, the predicted value"
}

// determinism runs the rows again, shuffled in other batches, and
// compares with the first run.
func (ck *checker) determinism(mod *sandbox.Module, in sandbox.Input, first *sandbox.Result) {
	gate := ""
	st := CheckWarn
	if ck.task.Gates.Deterministic {
		gate = "; the task's deterministic gate would fail, so the model could not be certified"
		st = CheckFail
	}
	again, err := sandbox.CheckDeterminism(ck.ctx, mod, in, bootstrapSeed(ck.task.ID, "check", ""))
	if err != nil && !errors.Is(err, sandbox.ErrNondeterministic) {
		ck.fail(CheckDeterminism, fmt.Errorf("another run failed: %w", err), "")
		return
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "sandbox: ")
		ck.add(CheckDeterminism, st, sandbox.KindNondeterministic, "%s%s", msg, gate)
		return
	}
	for k := range first.Outputs {
		for i, a := range first.Outputs[k] {
			if b := again.Outputs[k][i]; math.Float64bits(a) != math.Float64bits(b) {
				ck.add(CheckDeterminism, st, sandbox.KindNondeterministic, "row %d, output %d was %v in one run "+
					"and %v in the next on the same rows; a model must be a pure function of each row%s", i, k, a, b, gate)
				return
			}
		}
	}
	ck.add(CheckDeterminism, CheckPass, "", "the same bits in 3 runs, the last shuffled in other batches")
}

// Sizes of Check's timing runs.
const (
	// checkTimingRows is the most rows of a timing run: the sample rows
	// repeated. Fewer than 2×sandbox.MinRowsPerWorker, so one instance
	// runs them all.
	checkTimingRows = sandbox.MinRowsPerWorker
	// checkTimingMin is how much longer than a run on one row a timing
	// run must take to be read as the cost of its rows; shorter ones are
	// repeated with 4 times the rows, up to checkTimingRows.
	checkTimingMin = 20 * time.Millisecond
)

// time estimates the evaluation's time from a run on one row (the fixed
// cost) and runs on more and more rows (the cost per row).
func (ck *checker) time(mod *sandbox.Module, cols [][]float64, compile time.Duration) {
	t := ck.task
	timed := func(rows int) (time.Duration, bool) {
		cs := repeatRows(cols, rows)
		t0 := ck.now()
		_, err := mod.Run(ck.ctx, sandbox.Input{Columns: cs, Outputs: t.Outputs})
		took := ck.now().Sub(t0)
		if err != nil {
			ck.fail(CheckTime, fmt.Errorf("a timing run on %d rows (the sample rows repeated) failed: %w", rows, err), "")
			return 0, false
		}
		return took, true
	}
	overhead, ok := timed(1)
	if !ok {
		return
	}
	var (
		rows = min(len(cols[0]), checkTimingRows)
		took time.Duration
	)
	for {
		if took, ok = timed(rows); !ok {
			return
		}
		if took-overhead >= checkTimingMin || rows >= checkTimingRows {
			break
		}
		rows = min(4*rows, checkTimingRows)
	}
	perRow := took // one row: no way to tell the fixed cost from the row's
	if rows > 1 {
		perRow = max(took-overhead, 0) / time.Duration(rows-1)
	}
	runs := 1
	if t.Gates.Deterministic {
		runs = 2 // sandbox.CheckDeterminism
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	est := &TimeEstimate{
		CompileMS: ms(compile), OverheadMS: ms(overhead), MSPer1kRows: ms(perRow) * 1000,
		Rows: t.Rows, Runs: runs, LimitS: ck.lim.Timeout.Seconds(),
	}
	est.EstimateS = (est.CompileMS + float64(runs)*(est.OverheadMS+est.MSPer1kRows*float64(t.Rows)/1000)) / 1000
	ck.rep.Time = est
	msg := fmt.Sprintf("about %s for the task's %d rows", formatSeconds(est.EstimateS), t.Rows)
	if runs > 1 {
		msg += fmt.Sprintf(" (%d runs: deterministic gate)", runs)
	}
	msg += fmt.Sprintf(", limit %s; %.3g ms per 1000 rows here, one instance", formatSeconds(est.LimitS), est.MSPer1kRows)
	st := CheckPass
	switch {
	case est.EstimateS > est.LimitS:
		st = CheckFail
		msg += "; the evaluation would time out: make predict faster or the module smaller to compile"
	case est.EstimateS > est.LimitS/2:
		st = CheckWarn
		msg += "; over half the limit, and the host's machine may be slower"
	}
	if g := t.Gates.MaxLatencyMsPer1kRows; g != nil && est.MSPer1kRows > *g {
		if st == CheckPass {
			st = CheckWarn
		}
		msg += fmt.Sprintf("; above the max_latency_ms_per_1k_rows gate (%g): the model could not be certified", *g)
	}
	ck.add(CheckTime, st, "", "%s", msg)
}

// repeatRows returns the rows of cols repeated, in order, to rows rows.
func repeatRows(cols [][]float64, rows int) [][]float64 {
	out := make([][]float64, len(cols))
	for j, c := range cols {
		if len(c) >= rows {
			out[j] = c[:rows]
			continue
		}
		out[j] = make([]float64, rows)
		for i := range rows {
			out[j][i] = c[i%len(c)]
		}
	}
	return out
}

// memory runs the sample rows, repeated, in one batch as large as an
// evaluation's (sandbox.DefaultBatchRows, or the task's rows when fewer),
// and compares the most linear memory the guest had after it or the
// sample run with the task's limit. What it reports depends on the rows
// and the model only, never on timing.
func (ck *checker) memory(mod *sandbox.Module, cols [][]float64, sample *sandbox.Result) {
	t := ck.task
	limit := uint64(ck.lim.MemoryMB) << 20
	used, batch := sample.MemoryBytes, sample.BatchRows
	if rows := min(sandbox.DefaultBatchRows, t.Rows); rows > batch {
		res, err := mod.Run(ck.ctx, sandbox.Input{Columns: repeatRows(cols, rows), Outputs: t.Outputs, BatchRows: rows})
		if err != nil {
			ck.fail(CheckMemory, fmt.Errorf("a run on one batch of %d rows (the sample rows repeated, "+
				"as large as the evaluation's batches) failed: %w", rows, err), "")
			return
		}
		used, batch = max(used, res.MemoryBytes), res.BatchRows
	}
	ck.rep.Memory = &MemoryUse{SampleBytes: sample.MemoryBytes, MaxBytes: used, BatchRows: batch, LimitBytes: limit}
	msg := fmt.Sprintf("%s of linear memory at most, in batches of up to %d rows; limit %s",
		formatSize(used), batch, formatSize(limit))
	st := CheckPass
	if used > limit/4*3 {
		st = CheckWarn
		msg += "; over 3/4 of the limit, and other inputs may need more: allocate less, or reuse buffers across calls"
	}
	if g := t.Gates.MaxMemoryMB; g != nil && float64(used)/(1<<20) > *g {
		st = CheckWarn
		msg += fmt.Sprintf("; above the max_memory_mb gate (%g): the model could not be certified", *g)
	}
	ck.add(CheckMemory, st, "", "%s", msg)
}

// plural is "1 word" or "n words".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// listQuoted quotes up to n names and counts the rest.
func listQuoted(names []string, n int) string {
	q := make([]string, 0, n+1)
	for i, s := range names {
		if i == n {
			q = append(q, fmt.Sprintf("and %d more", len(names)-n))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

// formatSize renders n bytes in binary units: "512 B", "1.5 KiB", "256 MiB".
func formatSize(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// formatSeconds renders s seconds with 3 significant digits: "12.3 ms", "45.6 s".
func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.3g ms", s*1000)
	}
	return fmt.Sprintf("%.3g s", s)
}
