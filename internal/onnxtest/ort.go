package onnxtest

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

//go:embed ort/package.json ort/package-lock.json ort/run.mjs
var ortFiles embed.FS

// Tensor is one output of a model as ONNX Runtime returned it.
type Tensor struct {
	// Type is ONNX Runtime's element type name: "float32", "float64",
	// "int64", ...
	Type string `json:"type"`
	// Dims is the tensor's shape.
	Dims []int `json:"dims"`
	// Data holds the elements in row-major order, as float64 (int64
	// labels are exact below 2^53; NaN and the infinities kept).
	Data floats `json:"data"`
}

// floats decodes run.mjs's numbers and its "NaN", "Infinity" and
// "-Infinity" strings.
type floats []float64

func (f *floats) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]float64, len(raw))
	for i, r := range raw {
		if len(r) > 0 && r[0] == '"' {
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return err
			}
			switch s {
			case "NaN":
				out[i] = math.NaN()
			case "Infinity":
				out[i] = math.Inf(1)
			case "-Infinity":
				out[i] = math.Inf(-1)
			default:
				return fmt.Errorf("element %d: %q is not a number", i, s)
			}
			continue
		}
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	*f = out
	return nil
}

// encodeRequest writes run.mjs's request: JSON has no NaN or infinities,
// so a NaN row value (a missing feature) is null and ±Inf is ±1e999.
func encodeRequest(model string, rows [][]float64, repeat int) []byte {
	b := []byte(`{"model":`)
	m, _ := json.Marshal(model) // a string always encodes
	b = append(b, m...)
	b = append(b, `,"rows":[`...)
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			switch {
			case math.IsNaN(v):
				b = append(b, "null"...)
			case math.IsInf(v, 1):
				b = append(b, "1e999"...)
			case math.IsInf(v, -1):
				b = append(b, "-1e999"...)
			default:
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		}
		b = append(b, ']')
	}
	b = append(b, `],"repeat":`...)
	b = strconv.AppendInt(b, int64(repeat), 10)
	return append(b, '}')
}

// Result is what one run of a model returned.
type Result struct {
	// InputType is the element type of the model's input, which the rows
	// were converted to ("float32" rounds them).
	InputType string
	// Outputs holds every output of the graph by name.
	Outputs map[string]Tensor
	// Seconds is the wall time of the repeated runs (Time only), measured
	// inside node: node's start-up and the first run are not in it.
	Seconds float64
}

// RunORT runs the ONNX model at path in ONNX Runtime on rows (one input
// tensor [len(rows), len(rows[0])] of the model's input element type) and
// returns every output, flattened, by name. It fails the test on any
// error, and skips it when node or npm is missing outside CI.
func RunORT(t testing.TB, model string, rows [][]float64) map[string][]float64 {
	t.Helper()
	res := Run(t, model, rows)
	out := make(map[string][]float64, len(res.Outputs))
	for name, o := range res.Outputs {
		out[name] = o.Data
	}
	return out
}

// Run is RunORT with the outputs' types and shapes.
func Run(t testing.TB, model string, rows [][]float64) Result {
	t.Helper()
	return run(t, model, rows, 0)
}

// Time runs the model once like Run, then repeat more times on the same
// input, and reports those runs' wall time in Result.Seconds: ONNX
// Runtime's native speed for benchmarks beside the sandbox's.
func Time(t testing.TB, model string, rows [][]float64, repeat int) Result {
	t.Helper()
	if repeat < 1 {
		t.Fatalf("onnxtest.Time: repeat %d, want >= 1", repeat)
	}
	return run(t, model, rows, repeat)
}

func run(t testing.TB, model string, rows [][]float64, repeat int) Result {
	t.Helper()
	node := tool(t, "node")
	dir := Install(t)
	abs, err := filepath.Abs(model)
	if err != nil {
		t.Fatal(err)
	}
	req := encodeRequest(abs, rows, repeat)
	cmd := exec.Command(node, filepath.Join(dir, "run.mjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxtest: ONNX Runtime on %s: %v\n%s", model, err, stderr.String())
	}
	var resp struct {
		Input struct {
			Type string `json:"type"`
		} `json:"input"`
		Outputs map[string]Tensor `json:"outputs"`
		Seconds float64           `json:"seconds"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("onnxtest: decode ONNX Runtime's outputs for %s: %v\n%.500s", model, err, out)
	}
	return Result{InputType: resp.Input.Type, Outputs: resp.Outputs, Seconds: resp.Seconds}
}

// tool returns the path of a program, or skips the test when it is
// missing and CI is unset; under CI a missing program fails the test.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: %s is needed for ONNX Runtime: %v", name, err)
	}
	t.Skipf("%s not found (the test fails instead under CI): %v", name, err)
	return ""
}

var installMu sync.Mutex

// Install makes sure ONNX Runtime is installed and returns the directory
// holding run.mjs and its node_modules: DIR/verdict/onnxtest/HASH under
// the user's cache directory (a test's temporary directory when there is
// none), HASH covering the lock file and run.mjs. The first call runs
// `npm ci --ignore-scripts` (about 300 MB, half a minute); later ones, in
// this process or another, reuse it. The directory appears whole or not
// at all: it is filled beside its final name and renamed.
func Install(t testing.TB) string {
	t.Helper()
	npm := tool(t, "npm")
	installMu.Lock()
	defer installMu.Unlock()
	h := sha256.New()
	for _, name := range []string{"ort/package.json", "ort/package-lock.json", "ort/run.mjs"} {
		b, err := ortFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	root := filepath.Join(cache, "verdict", "onnxtest")
	dir := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("onnxtest: cache directory: %v", err)
	}
	tmp, err := os.MkdirTemp(root, key+".tmp-")
	if err != nil {
		t.Fatalf("onnxtest: cache directory: %v", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; left over only on failure
	sub, err := fs.Sub(ortFiles, "ort")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(tmp, sub); err != nil {
		t.Fatalf("onnxtest: copy the runner: %v", err)
	}
	ci := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = tmp
	if out, err := ci.CombinedOutput(); err != nil {
		t.Fatalf("onnxtest: npm ci --ignore-scripts (onnxruntime-node): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process may have finished first: use its copy.
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); statErr == nil {
			return dir
		}
		t.Fatalf("onnxtest: install ONNX Runtime: %v", err)
	}
	return dir
}
