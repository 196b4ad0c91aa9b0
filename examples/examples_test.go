package examples_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/examples/breast-cancer/logreg"
)

// testRows is the size of the shipped test set; each guest's buffers hold
// that many rows.
const testRows = 171

var (
	rt     wazero.Runtime        // one runtime for the whole package
	guests = map[string]*guest{} // well-behaved guests, shared between tests
)

func TestMain(m *testing.M) {
	ctx := context.Background()
	rt = newRuntime(ctx)
	code := m.Run()
	rt.Close(ctx)
	os.Exit(code)
}

func TestFS(t *testing.T) {
	spec, err := fs.ReadFile(examples.FS, examples.DemoTask)
	if err != nil {
		t.Fatal(err)
	}
	var task struct {
		ID   string `yaml:"id"`
		Type string `yaml:"type"`
		Data struct {
			Test  string `yaml:"test"`
			ID    string `yaml:"id"`
			Label string `yaml:"label"`
		} `yaml:"data"`
	}
	if err := yaml.Unmarshal(spec, &task); err != nil {
		t.Fatalf("parse %s: %v", examples.DemoTask, err)
	}
	if task.ID != "breast-cancer" || task.Type != "binary" {
		t.Errorf("got id %q type %q, want breast-cancer binary", task.ID, task.Type)
	}
	// The spec's data path is relative to the spec and must resolve in FS.
	test := path.Join(path.Dir(examples.DemoTask), task.Data.Test)
	ds := loadCSV(t, test)
	if got, want := len(ds.ids), testRows; got != want {
		t.Errorf("got %d test rows in %s, want %d", got, test, want)
	}

	seen := map[string]bool{}
	for _, s := range examples.Demo() {
		if seen[s.Participant] {
			t.Errorf("participant %q appears twice", s.Participant)
		}
		seen[s.Participant] = true
		wasm, err := fs.ReadFile(examples.FS, s.Path)
		if err != nil {
			t.Errorf("%s: %v", s.Participant, err)
			continue
		}
		if !bytes.HasPrefix(wasm, []byte("\x00asm\x01\x00\x00\x00")) {
			t.Errorf("%s: %s is not a wasm v1 module", s.Participant, s.Path)
		}
		if s.Language == "" || s.Note == "" {
			t.Errorf("%s: got empty Language or Note", s.Participant)
		}
	}
}

func TestModuleExports(t *testing.T) {
	ctx := context.Background()
	i32 := api.ValueTypeI32
	want := map[string][2][]api.ValueType{
		"_initialize":     {nil, nil},
		"verdict_alloc":   {{i32}, {i32}},
		"verdict_predict": {{i32, i32, i32, i32, i32}, {i32}},
	}
	for _, s := range examples.Demo() {
		t.Run(s.Participant, func(t *testing.T) {
			cm := compile(t, ctx, rt, s.Path)
			if _, ok := cm.ExportedMemories()["memory"]; !ok {
				t.Error("got no exported memory, want one")
			}
			exports := cm.ExportedFunctions()
			for name, sig := range want {
				fn, ok := exports[name]
				if !ok {
					t.Errorf("got no export %q, want one", name)
					continue
				}
				if !slices.Equal(fn.ParamTypes(), sig[0]) || !slices.Equal(fn.ResultTypes(), sig[1]) {
					t.Errorf("%s: got %v -> %v, want %v -> %v", name, fn.ParamTypes(), fn.ResultTypes(), sig[0], sig[1])
				}
			}
			for _, imp := range cm.ImportedFunctions() {
				if mod, name, _ := imp.Import(); mod != wasi_snapshot_preview1.ModuleName {
					t.Errorf("got import %s.%s, want only %s", mod, name, wasi_snapshot_preview1.ModuleName)
				}
			}
		})
	}
}

// TestScores runs alice's and bob's modules on the whole test set, checks
// their ROC AUC and that alice's sandboxed predictions equal the native
// logreg package's bit for bit.
func TestScores(t *testing.T) {
	ctx := context.Background()
	ds := loadCSV(t, "data/breast_cancer_test.csv")
	rows := len(ds.ids)

	native := make([]float64, rows)
	logreg.Predict(ds.x, rows, logreg.NumFeatures, native)

	tests := []struct {
		name      string
		path      string
		minAUC    float64
		wantExact []float64
	}{
		{"alice", "breast-cancer/go-logreg/model.wasm", 0.95, native},
		{"bob", "breast-cancer/c-model/model.wasm", 0.95, nil},
		{"rust", "breast-cancer/rust-model/model.wasm", 0.95, native},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := sharedGuest(t, tc.path)
			y, code, err := g.predict(ctx, ds.x, rows, logreg.NumFeatures, 1)
			if err != nil || code != 0 {
				t.Fatalf("predict: got code %d, error %v, want 0, nil", code, err)
			}
			for i, p := range y {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("row %d: got %v, want a probability", i, p)
				}
			}
			auc, acc := rocAUC(ds.y, y), accuracy(ds.y, y)
			t.Logf("%s: test ROC AUC %.4f, accuracy %.4f (%d rows)", tc.name, auc, acc, rows)
			if auc <= tc.minAUC {
				t.Errorf("got ROC AUC %.4f, want > %.2f", auc, tc.minAUC)
			}
			if tc.wantExact != nil {
				for i := range y {
					if math.Float64bits(y[i]) != math.Float64bits(tc.wantExact[i]) {
						t.Fatalf("row %d: got %v sandboxed, want %v as natively", i, y[i], tc.wantExact[i])
					}
				}
			}

			// The host reuses its buffers for batches of any size, so the
			// same rows predicted in batches of 7 must give the same bits.
			const batch = 7
			for first := 0; first < rows; first += batch {
				n := min(batch, rows-first)
				yb, code, err := g.predict(ctx, subBatch(ds.x, rows, first, n), n, logreg.NumFeatures, 1)
				if err != nil || code != 0 {
					t.Fatalf("batch at %d: got code %d, error %v", first, code, err)
				}
				for i := range yb {
					if math.Float64bits(yb[i]) != math.Float64bits(y[first+i]) {
						t.Fatalf("row %d: got %v in a batch of %d, want %v", first+i, yb[i], n, y[first+i])
					}
				}
			}
		})
	}
}

func TestMissingValues(t *testing.T) {
	ctx := context.Background()
	ds := loadCSV(t, "data/breast_cancer_test.csv")
	rows := len(ds.ids)
	x := slices.Clone(ds.x)
	for i := 0; i < rows; i++ {
		x[(i%logreg.NumFeatures)*rows+i] = math.NaN()
	}
	for j := 0; j < logreg.NumFeatures; j++ {
		x[j*rows] = math.NaN() // row 0 entirely missing
	}
	native := make([]float64, rows)
	logreg.Predict(x, rows, logreg.NumFeatures, native)

	for _, path := range []string{"breast-cancer/go-logreg/model.wasm", "breast-cancer/c-model/model.wasm", "breast-cancer/rust-model/model.wasm"} {
		t.Run(path, func(t *testing.T) {
			g := sharedGuest(t, path)
			y, code, err := g.predict(ctx, x, rows, logreg.NumFeatures, 1)
			if err != nil || code != 0 {
				t.Fatalf("predict: got code %d, error %v, want 0, nil", code, err)
			}
			for i, p := range y {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("row %d: got %v, want a probability", i, p)
				}
			}
			if !strings.Contains(path, "c-model") { // the two logistic regressions, Go and Rust
				for i := range y {
					if math.Float64bits(y[i]) != math.Float64bits(native[i]) {
						t.Fatalf("row %d: got %v sandboxed, want %v as natively", i, y[i], native[i])
					}
				}
			}
		})
	}
}

func TestGuestErrorCodes(t *testing.T) {
	ctx := context.Background()
	x := make([]float64, 2*logreg.NumFeatures)
	tests := []struct {
		name       string
		cols, outs int
		want       uint32
	}{
		{"WrongColumns", logreg.NumFeatures - 1, 1, 2},
		{"WrongOutputs", logreg.NumFeatures, 2, 3},
	}
	for _, path := range []string{"breast-cancer/go-logreg/model.wasm", "breast-cancer/c-model/model.wasm", "breast-cancer/rust-model/model.wasm"} {
		g := sharedGuest(t, path)
		for _, tc := range tests {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				_, code, err := g.predict(ctx, x, 1, tc.cols, tc.outs)
				if err != nil || code != tc.want {
					t.Errorf("got code %d, error %v, want code %d", code, err, tc.want)
				}
			})
		}
	}
}

func TestBrokenModelTraps(t *testing.T) {
	ctx := context.Background()
	ds := loadCSV(t, "data/breast_cancer_test.csv")
	rows := len(ds.ids)
	g, err := instantiate(ctx, rt, "breast-cancer/off-by-one/model.wasm", rows)
	if err != nil {
		t.Fatal(err)
	}
	defer g.mod.Close(ctx)
	_, code, err := g.predict(ctx, ds.x, rows, logreg.NumFeatures, 1)
	// A Go panic inside a wasmexport call prints the panic to stderr and
	// then executes unreachable: a trap, not a proc_exit.
	var exit *sys.ExitError
	if err == nil || errors.As(err, &exit) || !strings.Contains(err.Error(), "wasm error: unreachable") {
		t.Fatalf("got code %d, error %v, want an unreachable trap", code, err)
	}
	want := "panic: runtime error: index out of range [5130] with length 5130" // 171 rows × 30 columns
	if msg := g.stderr.String(); !strings.Contains(msg, want) || !strings.Contains(msg, "off-by-one/main.go:") {
		t.Errorf("got stderr %q, want it to contain %q and the panicking line", msg, want)
	}
}

// guest is one instantiated participant module with the host's buffers
// allocated once for up to capRows rows, as the ABI prescribes.
type guest struct {
	mod        api.Module
	fn         api.Function
	xPtr, yPtr uint32
	capRows    int
	stderr     *bytes.Buffer
}

// cache shares compiled code between the tests' runtimes: compiling the
// Go modules is what takes time here.
var cache = wazero.NewCompilationCache()

func newRuntime(ctx context.Context) wazero.Runtime {
	cfg := wazero.NewRuntimeConfigCompiler()
	if raceEnabled {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg.WithCompilationCache(cache))
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	return r
}

func compile(t *testing.T, ctx context.Context, r wazero.Runtime, name string) wazero.CompiledModule {
	t.Helper()
	wasm, err := fs.ReadFile(examples.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return cm
}

// sharedGuest returns the package's one instance of a well-behaved
// module, as a host reuses one instance for every batch.
func sharedGuest(t *testing.T, name string) *guest {
	t.Helper()
	if g, ok := guests[name]; ok {
		return g
	}
	g, err := instantiate(context.Background(), rt, name, testRows)
	if err != nil {
		t.Fatal(err)
	}
	guests[name] = g
	return g
}

// instantiate instantiates the module at name in FS, calls _initialize and
// allocates buffers for capRows rows of x and y.
func instantiate(ctx context.Context, r wazero.Runtime, name string, capRows int) (*guest, error) {
	wasm, err := fs.ReadFile(examples.FS, name)
	if err != nil {
		return nil, err
	}
	g := &guest{capRows: capRows, stderr: new(bytes.Buffer)}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions().WithStderr(g.stderr)
	mod, err := r.InstantiateWithConfig(ctx, wasm, cfg)
	if err != nil {
		return nil, fmt.Errorf("instantiate %s: %w", name, err)
	}
	if init := mod.ExportedFunction("_initialize"); init != nil { // Rust's wasm32-unknown-unknown has none
		if _, err := init.Call(ctx); err != nil {
			return nil, fmt.Errorf("_initialize %s: %w", name, err)
		}
	}
	alloc := mod.ExportedFunction("verdict_alloc")
	for _, p := range []*uint32{&g.xPtr, &g.yPtr} {
		res, err := alloc.Call(ctx, api.EncodeI32(int32(8*capRows*logreg.NumFeatures)))
		if err != nil || res[0] == 0 || res[0]%8 != 0 {
			return nil, fmt.Errorf("verdict_alloc %s: got %v, %v, want an 8-byte-aligned address", name, res, err)
		}
		*p = uint32(res[0])
	}
	g.mod, g.fn = mod, mod.ExportedFunction("verdict_predict")
	return g, nil
}

// predict copies x (column-major, rows×cols) into the guest, calls
// verdict_predict and returns rows×outs outputs when the code is 0.
func (g *guest) predict(ctx context.Context, x []float64, rows, cols, outs int) ([]float64, uint32, error) {
	if rows > g.capRows || cols > logreg.NumFeatures || outs > logreg.NumFeatures {
		return nil, 0, fmt.Errorf("batch %d×%d exceeds the buffers for %d rows", rows, cols, g.capRows)
	}
	buf := make([]byte, 8*rows*cols)
	for k, v := range x[:rows*cols] {
		binary.LittleEndian.PutUint64(buf[8*k:], math.Float64bits(v))
	}
	if !g.mod.Memory().Write(g.xPtr, buf) {
		return nil, 0, errors.New("x out of guest memory")
	}
	res, err := g.fn.Call(ctx, uint64(g.xPtr), uint64(rows), uint64(cols), uint64(g.yPtr), uint64(outs))
	if err != nil {
		return nil, 0, err
	}
	if code := uint32(res[0]); code != 0 {
		return nil, code, nil
	}
	out, ok := g.mod.Memory().Read(g.yPtr, uint32(8*rows*outs))
	if !ok {
		return nil, 0, errors.New("y out of guest memory")
	}
	y := make([]float64, rows*outs)
	for k := range y {
		y[k] = math.Float64frombits(binary.LittleEndian.Uint64(out[8*k:]))
	}
	return y, 0, nil
}

type dataset struct {
	ids []string
	x   []float64 // column-major
	y   []float64
}

func loadCSV(t *testing.T, name string) *dataset {
	t.Helper()
	f, err := examples.FS.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	header, recs := recs[0], recs[1:]
	if !slices.Equal(header[1:len(header)-1], logreg.Features[:]) {
		t.Fatalf("%s: got features %v, want %v", name, header[1:len(header)-1], logreg.Features)
	}
	rows := len(recs)
	ds := &dataset{ids: make([]string, rows), x: make([]float64, rows*logreg.NumFeatures), y: make([]float64, rows)}
	for i, rec := range recs {
		ds.ids[i] = rec[0]
		for j := 0; j < logreg.NumFeatures; j++ {
			if ds.x[j*rows+i], err = strconv.ParseFloat(rec[j+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		if ds.y[i], err = strconv.ParseFloat(rec[len(rec)-1], 64); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

// subBatch re-packs rows [first, first+n) of a column-major matrix.
func subBatch(x []float64, rows, first, n int) []float64 {
	b := make([]float64, n*logreg.NumFeatures)
	for j := 0; j < logreg.NumFeatures; j++ {
		copy(b[j*n:(j+1)*n], x[j*rows+first:j*rows+first+n])
	}
	return b
}

// rocAUC is the Mann-Whitney statistic with tied scores given their
// average rank.
func rocAUC(labels, scores []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum, pos float64
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi < len(idx) && scores[idx[hi]] == scores[idx[lo]] {
			hi++
		}
		avg := float64(lo+hi+1) / 2 // ranks lo+1..hi
		for k := lo; k < hi; k++ {
			if labels[idx[k]] == 1 {
				rankSum += avg
				pos++
			}
		}
		lo = hi
	}
	neg := float64(len(labels)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func accuracy(labels, p []float64) float64 {
	var ok int
	for i := range p {
		if (p[i] >= 0.5) == (labels[i] == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(p))
}
