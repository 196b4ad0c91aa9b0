// Package sandboxtest provides real WebAssembly fixture modules for tests of
// sandbox and of packages that run submissions through it (engine,
// httpapi). Every module is built from a source checked in beside it in
// testdata/ (.wat with wat2wasm, .go with GOOS=wasip1, .c with clang); run
// build.sh (make wasm) to rebuild them.
//
// It never imports sandbox: fixtures are bytes, and the expected behaviour
// of each is documented on its name below and in its source.
//
// # Usage
//
//	mod, err := rt.Compile(ctx, sandboxtest.Wasm(sandboxtest.Linear))
//	...
//	want := sandboxtest.LinearPredict(cols, outs)
package sandboxtest

import (
	"embed"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
)

//go:embed testdata/*.wasm
var fixtures embed.FS

// Fixture names. Good modules first; the comment says what Run returns.
const (
	// Linear predicts y[k][i] = mean_j x[j][i] + k (see LinearPredict).
	Linear = "linear"
	// Const exports _initialize and predicts 1/outs everywhere (code 9 if
	// _initialize was not called).
	Const = "const"
	// GoModel is a Go reactor (see GoModelPredict); it prints
	// "gomodel: ready" to stdout from init.
	GoModel = "gomodel"
	// CModel is a C reactor (clang + wasi-libc): y[k][i] = max_j x[j][i] + k,
	// skipping NaNs.
	CModel = "cmodel"
	// StdoutFlood writes 1 MiB to stdout and a line to stderr, then predicts
	// 0.25 everywhere.
	StdoutFlood = "stdout_flood"
	// StdoutBomb writes 100 MiB to stdout, then predicts 0.75 everywhere.
	StdoutBomb = "stdout_bomb"
	// CLinear is a C linear model with 20 weights (see WeightedPredict), the
	// benchmark guest, built with clang -O3 -msimd128.
	CLinear = "clinear"
	// CLinearV2 is CLinear under Guest ABI v2 only (verdict_predict_v2,
	// no verdict_predict): the same sums, bit-identical.
	CLinearV2 = "clinear_v2"
	// CLogit is the anchor model: a logistic regression with exp on 20
	// weights (see LogitPredict), exporting both verdict_predict and
	// verdict_predict_v2. bench/anchors compiles its C source natively.
	CLogit = "clogit"
	// GoLinear is the Go twin of CLinear (see WeightedPredict).
	GoLinear = "golinear"
	// ASLinear is the AssemblyScript twin of CLinear (see WeightedPredict).
	ASLinear = "aslinear"
	// V2Probe is a Guest ABI v2 module that predicts, everywhere, the
	// stride the host passed plus (x mod 4096)/4096: the stride itself when
	// the call's columns start on 4 KiB pages.
	V2Probe = "v2_probe"
	// V2Marker is a Guest ABI v2 module that tries to leave data in its
	// linear memory for the next instance: it checks its data segment
	// (code 3 if not as initialised), grows memory to 5 MiB, counts the
	// words holding its marker there, writes the marker over all of its
	// memory past offset 16, and predicts the count everywhere.
	V2Marker = "v2_marker"
	// V2Scan is another Guest ABI v2 module that grows memory to 5 MiB and
	// predicts, everywhere, how many words of it hold V2Marker's marker.
	V2Scan = "v2_scan"
	// ModelEcho loads a verdict.model section (the model extension): its
	// verdict_model_load refuses (1) a model starting with '!';
	// verdict_predict returns code 5 if no model was loaded, else
	// predicts y[0][i] = the model's length and y[k][i] = the sum of its
	// bytes for k >= 1.
	ModelEcho = "model_echo"
	// Stateful predicts x[0][i] + the number of verdict_predict calls so far:
	// it runs, but is not a pure function of each row.
	Stateful = "stateful"
	// Probe picks rows by their features, as a participant probing the
	// held-out data would: y[k][i] = x[1][i] where x[0][i] == 1, and 1/outs
	// elsewhere (everywhere with fewer than 2 feature columns).
	Probe = "probe"

	// ForbiddenImport imports env.foo, env.bar (functions) and env.g (global).
	ForbiddenImport = "forbidden_import"
	// WASIElsewhere imports env.fd_write: a WASI function's name and
	// signature, from another module than wasi_snapshot_preview1.
	WASIElsewhere = "wasi_elsewhere"
	// LoopPredict never returns from verdict_predict.
	LoopPredict = "loop_predict"
	// LoopInit never returns from _initialize.
	LoopInit = "loop_init"
	// LoopStart never returns from its wasm start function (instantiation).
	LoopStart = "loop_start"
	// GrowBomb grows memory 1 MiB at a time until refused, then traps.
	GrowBomb = "grow_bomb"
	// GrowOnce asks for 2 GiB in one memory.grow and returns code 1 when refused.
	GrowOnce = "grow_once"
	// HugeMemory declares 512 MiB of initial memory.
	HugeMemory = "huge_memory"
	// Trap executes unreachable in verdict_predict.
	Trap = "trap"
	// OOB stores outside linear memory in verdict_predict.
	OOB = "oob"
	// NaN predicts NaN for output 0 of row 2 (0.5 elsewhere).
	NaN = "nan"
	// GuestCode returns 7 from verdict_predict.
	GuestCode = "guest_code"
	// CommandOnly is a WASI command: _start and memory, no ABI exports.
	CommandOnly = "command_only"
	// CCommand is a C model built as a WASI command (no -mexec-model=reactor):
	// _start and the ABI, no _initialize.
	CCommand = "c_command"
	// GoCommand is a Go model built as a WASI command (no
	// -buildmode=c-shared): its exports trap, the Go runtime never started.
	GoCommand = "go_command"
	// MissingExport has no verdict_predict.
	MissingExport = "missing_export"
	// MissingMemory exports the ABI's functions but not its memory.
	MissingMemory = "missing_memory"
	// WrongSignature exports verdict_predict(i32, i32) -> i32.
	WrongSignature = "wrong_signature"
	// BadAlloc's verdict_alloc returns 0x7ffffff8, outside memory.
	BadAlloc = "bad_alloc"
	// AllocNull's verdict_alloc returns 0.
	AllocNull = "alloc_null"
	// MisalignedAlloc's verdict_alloc returns 1028.
	MisalignedAlloc = "misaligned_alloc"
	// ProcExit calls WASI proc_exit(3) in verdict_predict.
	ProcExit = "proc_exit"
	// TableBomb declares a table of 100 million elements.
	TableBomb = "table_bomb"
	// TableGrow tries table.grow by 2^31 elements; returns code 5 when refused.
	TableGrow = "table_grow"
	// Recursion recurses without end in verdict_predict (stack exhaustion).
	Recursion = "recursion"
	// WrongOuts writes only output 0 whatever outs is.
	WrongOuts = "wrong_outs"
	// V2Signature exports verdict_predict_v2 with ABI v1's signature (no
	// stride) and no verdict_predict.
	V2Signature = "v2_signature"
	// GoPanic is a Go reactor whose verdict_predict panics with
	// "index out of range [cols+2] with length 3".
	GoPanic = "gopanic"
)

// Names returns the names of all fixtures, sorted.
func Names() []string {
	entries, err := fixtures.ReadDir("testdata")
	if err != nil {
		panic(err) // embedded directory: cannot fail
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".wasm"))
	}
	slices.Sort(names)
	return names
}

// Wasm returns a copy of the named fixture's bytes. It panics if there is no
// such fixture: that is a bug in the calling test.
func Wasm(name string) []byte {
	b, err := fixtures.ReadFile(path.Join("testdata", name+".wasm"))
	if err != nil {
		panic(fmt.Sprintf("sandboxtest: no fixture %q (have %v)", name, Names()))
	}
	return b
}

// LinearPredict is what the Linear fixture computes, evaluated natively
// with the same operation order, so results are bit-identical:
// out[k][i] = (sum_j cols[j][i]) / len(cols) + k.
func LinearPredict(cols [][]float64, outs int) [][]float64 {
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	out := make([][]float64, outs)
	for k := range out {
		out[k] = make([]float64, rows)
	}
	for i := 0; i < rows; i++ {
		sum := 0.0
		for j := range cols {
			sum += cols[j][i]
		}
		mean := sum / float64(len(cols))
		for k := range out {
			out[k][i] = mean + float64(k)
		}
	}
	return out
}

// Weights are the 20 weights of CLinear and GoLinear (feature j uses
// Weights[j%20]), and Bias their intercept.
var Weights = [20]float64{
	0.5, -0.25, 0.125, 1.5, -2.0, 0.75, 0.0625, -0.5, 3.0, -1.25,
	0.375, -0.875, 2.5, -0.0625, 0.25, 1.125, -1.5, 0.625, -0.375, 1.0,
}

// Bias is the intercept of CLinear and GoLinear.
const Bias = 0.1

// LogitPredict is what CLogit computes, natively in Go: out[i] = 1 / (1 +
// exp(-z)) with z summed as WeightedPredict's. The guest's exp (wasi-libc's)
// may differ from Go's in the last bit, so compare within 1e-15.
func LogitPredict(cols [][]float64) []float64 {
	y := WeightedPredict(cols, 1)[0]
	for i, z := range y {
		y[i] = 1 / (1 + math.Exp(-z))
	}
	return y
}

// WeightedPredict is what CLinear and GoLinear compute, natively, in the
// same operation order (bit-identical): out[k][i] = Bias + sum_j
// Weights[j%20]*cols[j][i] + k, summed column by column. It is also the
// native baseline of the sandbox benchmarks.
func WeightedPredict(cols [][]float64, outs int) [][]float64 {
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	out := make([][]float64, outs)
	for k := range out {
		out[k] = make([]float64, rows)
	}
	y := out[0]
	for i := range y {
		y[i] = Bias
	}
	for j, col := range cols {
		w := Weights[j%20]
		col = col[:len(y)]
		for i, v := range col {
			y[i] += float64(w * v) // the conversion forbids fusing into an FMA
		}
	}
	for k := 1; k < outs; k++ {
		for i, v := range y {
			out[k][i] = v + float64(k)
		}
	}
	return out
}
