package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// stepClock is a clock that advances step at every reading, so that every
// duration Check measures is step: its time estimate is exact.
func stepClock(step time.Duration) func() time.Time {
	var n atomic.Int64
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * step) }
}

// checkTask is the public face of a task made up for Check: no data dir is
// needed, Check reads nothing else.
func checkTask(typ, metricName string, outputs int) engine.TaskInfo {
	return engine.TaskInfo{
		ID: "check-test", Type: typ, Metric: metricName, Outputs: outputs,
		Features: []string{"f0", "f1", "f2", "f3"}, Rows: 1000,
		Limits: engine.LimitsSpec{MemoryMB: 64, TimeoutS: 30, MaxModuleMB: 8},
	}
}

// want is a check's expected status, with words its message must hold.
type want struct {
	status engine.CheckStatus
	kind   string
	words  []string
}

func TestCheck(t *testing.T) {
	regression := checkTask("regression", "rmse", 1)
	binary := checkTask("binary", "roc_auc", 1)
	multiclass := checkTask("multiclass", "log_loss", 3)
	multiclass.Classes = 3
	withGates := func(ti engine.TaskInfo, g gate.Spec) engine.TaskInfo { ti.Gates = g; return ti }
	shortLimit := regression
	shortLimit.Limits.TimeoutS = 1
	pass := want{status: engine.CheckPass}
	skip := want{status: engine.CheckSkip}
	abiFail := func(words ...string) want { return want{engine.CheckFail, "abi", words} }
	dir := t.TempDir()
	sample := func(name, csv string) string {
		path := filepath.Join(dir, name, "train.csv")
		if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	tests := []struct {
		name   string
		module string
		task   engine.TaskInfo
		sample string
		step   time.Duration
		want   map[string]want
	}{
		{name: "Good", module: sandboxtest.Linear, task: regression, want: map[string]want{
			"abi": pass, "run": pass, "outputs": {engine.CheckPass, "", []string{"valid for rmse"}},
			"determinism": pass, "time": {engine.CheckPass, "", []string{"the task's 1000 rows", "limit 30 s"}},
			"memory": {engine.CheckPass, "", []string{"limit 64 MiB"}},
			"sample": {engine.CheckPass, "", []string{"64 synthetic rows", "4 features"}},
		}},
		{name: "GoodReactorBinary", module: sandboxtest.Const, task: binary, want: map[string]want{
			"abi": pass, "run": pass, "outputs": pass, "determinism": pass, "time": pass, "memory": pass,
		}},
		{name: "GoodMulticlass", module: sandboxtest.Const, task: multiclass, want: map[string]want{
			"outputs": {engine.CheckPass, "", []string{"3 outputs per row"}},
		}},
		{name: "OwnSample", module: sandboxtest.Linear, task: regression, sample: sample("own", "id,f3,f2,f1,f0,target\n1,0.1,0.2,0.3,0.4,1\n2,0.1,0.2,0.3,0.4,0\n3,1,2,3,4,1\n"), want: map[string]want{
			"sample": {engine.CheckPass, "", []string{"3 rows of train.csv", `ignored "id", "target"`}},
			"run":    pass, "determinism": pass,
		}},
		{name: "SampleNullsReachTheModel", module: sandboxtest.Linear, task: regression, sample: sample("nulls", "f0,f1,f2,f3\n1,NA,2,3\n"), want: map[string]want{
			"sample": pass, "run": pass, "outputs": {engine.CheckFail, "bad_output", []string{"row 0, output 0 is NaN"}},
		}},
		{name: "SampleMissingColumns", module: sandboxtest.Linear, task: regression, sample: sample("missing", "id,f0,f2,target\n1,2,3,4\n"), want: map[string]want{
			"sample": {engine.CheckFail, "", []string{`train.csv lacks 2 of the task's 4 feature columns: "f1", "f3"`, "synthetic rows instead"}},
			"run":    pass, "outputs": pass,
		}},
		{name: "Trap", module: sandboxtest.Trap, task: regression, want: map[string]want{
			"abi": pass, "run": {engine.CheckFail, "trap", []string{"guest trapped", "unreachable", "synthetic rows"}},
			"outputs": skip, "determinism": skip, "time": skip, "memory": skip,
		}},
		{name: "GuestCode", module: sandboxtest.GuestCode, task: regression, want: map[string]want{
			"run": {engine.CheckFail, "guest_error", []string{"error code 7"}},
		}},
		{name: "Nondeterministic", module: sandboxtest.Stateful, task: regression, want: map[string]want{
			"run": pass, "determinism": {engine.CheckWarn, "nondeterministic", []string{"pure function of each row"}},
		}},
		{name: "NondeterministicGate", module: sandboxtest.Stateful, task: withGates(regression, gate.Spec{Deterministic: true}), want: map[string]want{
			"determinism": {engine.CheckFail, "nondeterministic", []string{"deterministic gate would fail"}},
		}},
		{name: "NaN", module: sandboxtest.NaN, task: regression, want: map[string]want{
			"run": pass, "outputs": {engine.CheckFail, "bad_output", []string{"row 2, output 0 is NaN", "must be finite"}},
			"determinism": skip, "time": skip,
		}},
		{name: "NotAProbability", module: sandboxtest.Linear, task: binary, want: map[string]want{
			"run": pass, "outputs": {engine.CheckFail, "bad_output", []string{"bad output for roc_auc: row 4: prediction", "not a probability", "want 1 output per row, the probability of class 1"}},
		}},
		{name: "WrongOutputCount", module: sandboxtest.WrongOuts, task: multiclass, want: map[string]want{
			"outputs": {engine.CheckFail, "bad_output", []string{"output 1 was not written", "3 outputs per row"}},
		}},
		{name: "CCommand", module: sandboxtest.CCommand, task: regression, want: map[string]want{
			"abi": abiFail("WASI command", "-mexec-model=reactor"), "sample": pass, "run": skip, "time": skip,
		}},
		{name: "CommandOnly", module: sandboxtest.CommandOnly, task: regression, want: map[string]want{
			"abi": abiFail("WASI command", "-buildmode=c-shared"),
		}},
		{name: "MissingExport", module: sandboxtest.MissingExport, task: regression, want: map[string]want{
			"abi": abiFail("missing export verdict_predict", "//go:wasmexport verdict_predict", `export_name("verdict_predict")`),
		}},
		{name: "MissingMemory", module: sandboxtest.MissingMemory, task: regression, want: map[string]want{
			"abi": abiFail(`missing export "memory"`),
		}},
		{name: "ForbiddenImport", module: sandboxtest.ForbiddenImport, task: regression, want: map[string]want{
			"abi": {engine.CheckFail, "forbidden_import", []string{"env.foo (function)", "env.g (global)"}},
		}},
		{name: "MemoryLimit", module: sandboxtest.GrowBomb, task: regression, want: map[string]want{
			"run": {engine.CheckFail, "memory_limit", []string{"limit is 64 MiB"}}, "memory": skip,
		}},
		{name: "MemoryGate", module: sandboxtest.Linear, task: withGates(regression, gate.Spec{MaxMemoryMB: gate.Float(0.01)}), want: map[string]want{
			"memory": {engine.CheckWarn, "", []string{"max_memory_mb gate (0.01)"}},
		}},
		{name: "SlowModelTimesOut", module: sandboxtest.LoopPredict, task: shortLimit, want: map[string]want{
			"run": {engine.CheckFail, "timeout", []string{"time limit of 1s exceeded in verdict_predict"}}, "time": skip,
		}},
		// The clock reads 10 s per run: 10 s to compile, 10 s of fixed
		// cost per run and none per row.
		{name: "SlowOverHalfTheLimit", module: sandboxtest.Linear, task: regression, step: 10 * time.Second, want: map[string]want{
			"time": {engine.CheckWarn, "", []string{"about 20 s", "over half the limit"}},
		}},
		{name: "SlowOverTheLimit", module: sandboxtest.Linear, task: withGates(regression, gate.Spec{Deterministic: true}), step: 20 * time.Second, want: map[string]want{
			"time": {engine.CheckFail, "", []string{"about 60 s", "2 runs: deterministic gate", "would time out"}},
		}},
		{name: "LatencyGate", module: sandboxtest.Linear, task: withGates(regression, gate.Spec{MaxLatencyMsPer1kRows: gate.Float(0)}), step: time.Millisecond, want: map[string]want{
			"time": pass, // no time per row on a clock that reads the same for every run
		}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step := tc.step
			if step == 0 {
				step = time.Millisecond
			}
			rep, err := engine.Check(ctx, engine.CheckConfig{Task: tc.task, Module: sandboxtest.Wasm(tc.module),
				SamplePath: tc.sample, CacheDir: cacheDir, Now: stepClock(step)})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := map[string]engine.CheckResult{}
			var names []string
			for _, c := range rep.Checks {
				got[c.Name] = c
				names = append(names, c.Name)
			}
			if order := "abi sample run outputs determinism time memory"; strings.Join(names, " ") != order {
				t.Errorf("got checks %v, want %s", names, order)
			}
			failed := false
			for name, w := range tc.want {
				c := got[name]
				if c.Status != w.status || c.Kind != w.kind {
					t.Errorf("%s: got %s (kind %q): %s; want %s (kind %q)", name, c.Status, c.Kind, c.Message, w.status, w.kind)
				}
				for _, word := range w.words {
					if !strings.Contains(c.Message, word) {
						t.Errorf("%s: got message %q, want it to hold %q", name, c.Message, word)
					}
				}
				failed = failed || w.status == engine.CheckFail
			}
			if rep.Failed() != failed {
				t.Errorf("got Failed() %v, want %v", rep.Failed(), failed)
			}
		})
	}
}

// TestCheckBadSample: a sample that cannot be read is the caller's
// mistake, named with its row and column, not a report.
func TestCheckBadSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train.csv")
	if err := os.WriteFile(path, []byte("f0,f1,f2,f3\n1,2,x,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := engine.Check(context.Background(), engine.CheckConfig{Task: checkTask("regression", "rmse", 1),
		Module: sandboxtest.Wasm(sandboxtest.Linear), SamplePath: path, CacheDir: cacheDir})
	if !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), `row 1 (line 2), column "f2"`) {
		t.Errorf("got %v, want a bad request naming row 1, column f2", err)
	}
}

// TestCheckEstimate: on the real clock, the estimate is the compile time
// plus, per run, the fixed cost and the time per row times the task's
// rows; and the memory is that of full batches.
func TestCheckEstimate(t *testing.T) {
	task := checkTask("regression", "rmse", 1)
	task.Rows = 100_000
	rep, err := engine.Check(context.Background(), engine.CheckConfig{Task: task, Module: sandboxtest.Wasm(sandboxtest.Linear), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	est := rep.Time
	if est == nil || est.OverheadMS <= 0 || est.MSPer1kRows < 0 || est.Runs != 1 || est.Rows != task.Rows || est.LimitS != 30 {
		t.Fatalf("got estimate %+v, want a fixed cost, 1 run of 100000 rows, limit 30 s", est)
	}
	if want := (est.CompileMS + est.OverheadMS + est.MSPer1kRows*float64(task.Rows)/1000) / 1000; math.Abs(est.EstimateS-want) > 1e-9*want {
		t.Errorf("got estimate %v s, want %v s", est.EstimateS, want)
	}
	mem := rep.Memory
	if mem == nil || mem.BatchRows != sandbox.DefaultBatchRows || mem.MaxBytes < mem.SampleBytes || mem.LimitBytes != 64<<20 {
		t.Errorf("got memory %+v, want batches of %d rows", mem, sandbox.DefaultBatchRows)
	}
	// x and y of a full batch alone: 8 bytes × (4 features + 1 output) × 4096 rows.
	if min := uint64(8 * 5 * sandbox.DefaultBatchRows); mem.MaxBytes < min {
		t.Errorf("got %d bytes at most, want at least %d", mem.MaxBytes, min)
	}
}

// TestCheckIgnoresLabels: a host running Check on its own data dir sees
// what a participant sees: two tasks that differ only in their labels give
// the same report.
func TestCheckIgnoresLabels(t *testing.T) {
	ctx := context.Background()
	orig, err := os.ReadFile("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(orig)), "\n")
	flipped := []string{lines[0]}
	for _, l := range lines[1:] {
		i := strings.LastIndexByte(l, ',')
		y := map[string]string{"0": "1", "1": "0"}[l[i+1:]]
		if y == "" {
			t.Fatalf("label of %q is not 0 or 1", l)
		}
		flipped = append(flipped, l[:i+1]+y)
	}
	if !strings.HasSuffix(lines[0], ",target") {
		t.Fatalf("header %q does not end in the label", lines[0])
	}
	module := exampleModule(t, examples.Demo()[1].Participant) // C: quick to compile under -race
	var reports, hashes []string
	for _, data := range []string{string(orig), strings.Join(flipped, "\n") + "\n"} {
		dir := t.TempDir()
		csv := filepath.Join(dir, "test.csv")
		if err := os.WriteFile(csv, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		spec := "id: bc-check\ntype: binary\nmetric: roc_auc\ndata: {test: test.csv}\nsplit: {seed: \"0123456789abcdef\"}\ngates: {deterministic: true}\n"
		if err := os.WriteFile(filepath.Join(dir, "task.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		task, err := e.CreateTask(ctx, filepath.Join(dir, "task.yaml"))
		e.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, task.DatasetSHA256)
		rep, err := engine.Check(ctx, engine.CheckConfig{Task: task.Info(), Module: module, CacheDir: cacheDir, Now: stepClock(time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed() {
			t.Errorf("a demo model failed: %+v", rep.Checks)
		}
		b, _ := json.MarshalIndent(rep, "", "  ")
		reports = append(reports, string(b))
	}
	if hashes[0] == hashes[1] {
		t.Fatalf("both datasets hash to %s: the labels did not change", hashes[0])
	}
	if reports[0] != reports[1] {
		t.Errorf("the report changed with the labels:\n%s\nthen\n%s", reports[0], reports[1])
	}
}

// TestCheckGolden: --json prints a CheckReport; on a stepping clock it is
// byte for byte testdata/check.golden.json, so a change of its fields or
// words is deliberate (run with -update).
func TestCheckGolden(t *testing.T) {
	task := checkTask("regression", "rmse", 1)
	task.Gates = gate.Spec{Deterministic: true, MaxMemoryMB: gate.Float(0.01)}
	rep, err := engine.Check(context.Background(), engine.CheckConfig{Task: task, Module: sandboxtest.Wasm(sandboxtest.Stateful),
		CacheDir: cacheDir, Now: stepClock(3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "check.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("report differs from %s (run with -update if intended):\ngot\n%s\nwant\n%s", golden, got, want)
	}
}
